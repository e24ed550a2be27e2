"""Settings: the one place that reads the environment (and ``.env``).

``.env.example`` lists every variable with a comment; keep the two in step.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Tally's configuration. With no variables at all, everything runs embedded."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(default=Path("./data"), alias="TALLY_DATA_DIR")
    state_url: str | None = Field(default=None, alias="TALLY_STATE_URL")
    default_currency: str = Field(default="USD", alias="TALLY_DEFAULT_CURRENCY")
    default_timezone: str = Field(default="UTC", alias="TALLY_DEFAULT_TIMEZONE")
    log_level: str = Field(default="WARNING", alias="TALLY_LOG_LEVEL")

    # The optional LLM (any OpenAI-compatible endpoint).
    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    llm_model: str = Field(default="gpt-4o-mini", alias="TALLY_LLM_MODEL")

    @property
    def resolved_state_url(self) -> str:
        """The state database URL: ``TALLY_STATE_URL`` or SQLite under the data directory."""
        if self.state_url:
            return self.state_url
        return f"sqlite:///{(self.data_dir / 'state.db').as_posix()}"

    @property
    def workspaces_dir(self) -> Path:
        """Where each workspace's DuckDB file lives."""
        return self.data_dir / "workspaces"
