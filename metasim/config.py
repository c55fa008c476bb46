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
    webhook_timeout_seconds: float = Field(
        default=10.0,
        validation_alias=AliasChoices("METASIM_WEBHOOK_TIMEOUT", "webhook_timeout_seconds"),
    )
