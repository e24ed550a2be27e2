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

    # Connectors: every provider's base URL is a setting so a proxy or a local fake can stand in.
    shopify_api_url: str | None = Field(default=None, alias="SHOPIFY_API_URL")
    stripe_api_url: str = Field(default="https://api.stripe.com", alias="STRIPE_API_URL")
    ga4_api_url: str = Field(default="https://analyticsdata.googleapis.com", alias="GA4_API_URL")
    meta_api_url: str = Field(default="https://graph.facebook.com", alias="META_API_URL")
    google_ads_api_url: str = Field(default="https://googleads.googleapis.com", alias="GOOGLE_ADS_API_URL")
    # Fernet key for connector credentials at rest; generated into data_dir/secret.key when unset.
    secret_key: SecretStr | None = Field(default=None, alias="TALLY_SECRET_KEY")
    sync_interval_minutes: int = Field(default=60, ge=1, alias="TALLY_SYNC_INTERVAL_MINUTES")
    webhook_max_attempts: int = Field(default=8, ge=1, alias="TALLY_WEBHOOK_MAX_ATTEMPTS")

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
