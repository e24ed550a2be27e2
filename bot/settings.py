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
    llm_timeout_seconds: float = Field(default=20.0, gt=0, alias="TALLY_LLM_TIMEOUT")
    adhoc_sql: bool = Field(default=False, alias="TALLY_ADHOC_SQL")
    adhoc_sql_row_limit: int = Field(default=200, ge=1, alias="TALLY_ADHOC_SQL_ROW_LIMIT")
    adhoc_sql_timeout_seconds: float = Field(default=5.0, gt=0, alias="TALLY_ADHOC_SQL_TIMEOUT")

    # The runtime (`tally serve`): HTTP server, rate limit.
    # Loopback by default: put a TLS proxy in front (TALLY_PUBLIC_URL) to reach it from outside.
    http_host: str = Field(default="127.0.0.1", alias="TALLY_HTTP_HOST")
    http_port: int = Field(default=8080, alias="TALLY_HTTP_PORT")
    # The address people and platforms use; its host is the only one besides localhost the
    # web pages answer to, and an https URL makes the session cookie Secure.
    public_url: str | None = Field(default=None, alias="TALLY_PUBLIC_URL")
    # /metrics answers loopback clients, and others that send "Authorization: Bearer <token>".
    metrics_token: SecretStr | None = Field(default=None, alias="TALLY_METRICS_TOKEN")
    # The web playground (signed-in users only, for the workspaces they have a role on).
    playground: bool = Field(default=True, alias="TALLY_PLAYGROUND")
    user_rate_limit_per_minute: int = Field(default=20, ge=1, alias="TALLY_USER_RATE_LIMIT")
    # A question is claimed for this long before a restarted (or second) process may answer
    # it again, should its answer never be confirmed sent; answers in flight renew it.
    answer_lease_seconds: float = Field(default=60.0, gt=0, alias="TALLY_ANSWER_LEASE_SECONDS")
    answer_max_attempts: int = Field(default=3, ge=1, alias="TALLY_ANSWER_MAX_ATTEMPTS")
    # Request bodies larger than these get 413 before they are read (bot/http.py BodyLimit):
    # platform and connector webhooks, and every other path (playground, API).
    webhook_max_bytes: int = Field(default=1_048_576, ge=1024, alias="TALLY_WEBHOOK_MAX_BYTES")
    http_max_body_bytes: int = Field(default=65_536, ge=1024, alias="TALLY_HTTP_MAX_BODY_BYTES")

    # Chat platforms: each runs when its credentials are set. Base URLs point at fakes in tests.
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    discord_bot_token: SecretStr | None = Field(default=None, alias="DISCORD_BOT_TOKEN")
    discord_api_url: str = Field(default="https://discord.com/api/v10", alias="DISCORD_API_URL")
    discord_admin_role: str | None = Field(default=None, alias="DISCORD_ADMIN_ROLE")
    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: SecretStr | None = Field(default=None, alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_url: str = Field(default="https://api.telegram.org", alias="TELEGRAM_API_URL")
    whatsapp_token: SecretStr | None = Field(default=None, alias="WHATSAPP_TOKEN")
    whatsapp_phone_number_id: str | None = Field(default=None, alias="WHATSAPP_PHONE_NUMBER_ID")
    whatsapp_app_secret: SecretStr | None = Field(default=None, alias="WHATSAPP_APP_SECRET")
    whatsapp_verify_token: SecretStr | None = Field(default=None, alias="WHATSAPP_VERIFY_TOKEN")
    whatsapp_api_url: str = Field(default="https://graph.facebook.com/v21.0", alias="WHATSAPP_API_URL")
    whatsapp_template: str = Field(default="tally_alert", alias="WHATSAPP_TEMPLATE")

    # Connectors: every provider's base URL is a setting so a proxy or a local fake can stand in.
    shopify_api_url: str | None = Field(default=None, alias="SHOPIFY_API_URL")
    stripe_api_url: str = Field(default="https://api.stripe.com", alias="STRIPE_API_URL")
    ga4_api_url: str = Field(default="https://analyticsdata.googleapis.com", alias="GA4_API_URL")
    meta_api_url: str = Field(default="https://graph.facebook.com", alias="META_API_URL")
    google_ads_api_url: str = Field(default="https://googleads.googleapis.com", alias="GOOGLE_ADS_API_URL")
    google_oauth_url: str = Field(default="https://oauth2.googleapis.com", alias="GOOGLE_OAUTH_URL")
    # The files connector's S3 endpoint for s3:// folders: unset is AWS; MinIO, R2 etc. set it
    # (a connection's own --endpoint-url option wins).
    s3_endpoint_url: str | None = Field(default=None, alias="S3_ENDPOINT_URL")
    # Fernet key for connector credentials at rest: the value, or a file holding it (kept
    # outside the data folder, so a backup of the data does not carry its key; generated
    # there, mode 0600, when missing). Neither: generated into data_dir/secret.key.
    secret_key: SecretStr | None = Field(default=None, alias="TALLY_SECRET_KEY")
    secret_key_file: Path | None = Field(default=None, alias="TALLY_SECRET_KEY_FILE")
    sync_interval_minutes: int = Field(default=60, ge=1, alias="TALLY_SYNC_INTERVAL_MINUTES")
    # Alert rules are checked this often in `tally serve`, and after every sync or webhook batch.
    rule_check_minutes: int = Field(default=15, ge=1, alias="TALLY_RULE_CHECK_MINUTES")
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
