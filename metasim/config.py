"""Settings for the simulator, read from the environment."""

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SimSettings(BaseSettings):
    """Environment-driven settings: the app secret signs webhook deliveries."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    app_secret: str = Field(
        default="dev-app-secret",
        validation_alias=AliasChoices("META_APP_SECRET", "app_secret"),
    )
    app_id: str = Field(
        default="100000000000001",
        validation_alias=AliasChoices("META_APP_ID", "app_id"),
    )
    webhook_url: str = Field(
        default="http://127.0.0.1:8001/api/webhooks/meta",
        validation_alias=AliasChoices("METASIM_WEBHOOK_URL", "webhook_url"),
    )
    graph_version: str = Field(
        default="v25.0",
        validation_alias=AliasChoices("METASIM_GRAPH_VERSION", "graph_version"),
    )
    public_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("METASIM_PUBLIC_URL", "public_url"),
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        validation_alias=AliasChoices("METASIM_WEBHOOK_TIMEOUT", "webhook_timeout_seconds"),
    )

    def base_url(self, request_base_url: str) -> str:
        """Where callers reach metasim (media and CDN URLs): ``public_url`` or the request's."""
        base = self.public_url or request_base_url
        return base if base.endswith("/") else base + "/"
