"""Typed calls to the Graph API for connecting accounts (meta-platform.md §2, §4.1, §4.6, §5.1).

Sending and webhook parsing live in the channel adapters; this module covers login,
token inspection and discovery of pages, businesses, WhatsApp accounts and numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from api.config import MetaSettings
from api.meta.graph import GraphClient

MESSENGER_WEBHOOK_FIELDS = (
    "messages",
    "message_echoes",
    "message_deliveries",
    "message_reads",
    "messaging_postbacks",
    "message_reactions",
)
PAGE_LIMIT = 100
TEMPLATE_FIELDS = (
    "id,name,status,category,language,components,parameter_format,quality_score,rejected_reason"
)
MAX_TEMPLATES = 10_000  # far above what one WABA may hold


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_at: datetime | None  # None: does not expire


@dataclass(frozen=True, slots=True)
class TokenInfo:
    app_id: str
    user_id: str | None
    is_valid: bool
    expires_at: datetime | None
    data_access_expires_at: datetime | None
    scopes: list[str]
    granular_scopes: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PageGrant:
    id: str
    name: str
    category: str | None
    tasks: list[str]
    access_token: str = field(repr=False)

    @property
    def can_message(self) -> bool:
        return "MESSAGING" in self.tasks or not self.tasks


def _expiry(seconds: Any) -> datetime | None:
    try:
        value = int(seconds)
    except (TypeError, ValueError):
        return None
    return datetime.now(UTC) + timedelta(seconds=value) if value > 0 else None


def _timestamp(value: Any) -> datetime | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(number, UTC) if number > 0 else None


class MetaClient:
    def __init__(self, graph: GraphClient, settings: MetaSettings) -> None:
        self.graph = graph
        self.settings = settings

    async def exchange_code(self, code: str, redirect_uri: str | None) -> IssuedToken:
        """Login code → user token (or, without redirect_uri, Embedded Signup's business token)."""
        form = {
            "client_id": self.settings.app_id,
            "client_secret": self.settings.app_secret,
            "code": code,
        }
        if redirect_uri is not None:
            form["redirect_uri"] = redirect_uri
        answer = await self.graph.request("POST", "oauth/access_token", token=None, form=form)
        return IssuedToken(str(answer["access_token"]), _expiry(answer.get("expires_in")))

    async def exchange_long_lived(self, short_token: str) -> IssuedToken:
        form = {
            "grant_type": "fb_exchange_token",
            "client_id": self.settings.app_id,
            "client_secret": self.settings.app_secret,
            "fb_exchange_token": short_token,
        }
        answer = await self.graph.request("POST", "oauth/access_token", token=None, form=form)
        return IssuedToken(str(answer["access_token"]), _expiry(answer.get("expires_in")))

    async def debug_token(self, token: str) -> TokenInfo:
        answer = await self.graph.request(
            "GET", "debug_token", token=self.settings.app_token, params={"input_token": token}
        )
        data = answer.get("data") or {}
        granular = {
            str(item.get("scope")): [str(t) for t in item.get("target_ids") or []]
            for item in data.get("granular_scopes") or []
            if isinstance(item, dict)
        }
        return TokenInfo(
            app_id=str(data.get("app_id", "")),
            user_id=str(data["user_id"]) if data.get("user_id") else None,
            is_valid=bool(data.get("is_valid")),
            expires_at=_timestamp(data.get("expires_at")),
            data_access_expires_at=_timestamp(data.get("data_access_expires_at")),
            scopes=[str(s) for s in data.get("scopes") or []],
            granular_scopes=granular,
        )

    async def me(self, token: str) -> dict[str, Any]:
        return await self.graph.request("GET", "me", token=token, params={"fields": "id,name"})

    async def pages(self, user_token: str) -> list[PageGrant]:
        rows = await self._all(
            user_token, "me/accounts", {"fields": "id,name,category,tasks,access_token"}
        )
        return [
            PageGrant(
                id=str(row["id"]),
                name=str(row.get("name") or row["id"]),
                category=row.get("category"),
                tasks=[str(t) for t in row.get("tasks") or []],
                access_token=str(row.get("access_token") or ""),
            )
            for row in rows
        ]

    async def subscribe_page(self, page_id: str, page_token: str) -> None:
        await self.graph.request(
            "POST",
            f"{page_id}/subscribed_apps",
            token=page_token,
            params={"subscribed_fields": ",".join(MESSENGER_WEBHOOK_FIELDS)},
        )

    async def unsubscribe_page(self, page_id: str, page_token: str) -> None:
        await self.graph.request("DELETE", f"{page_id}/subscribed_apps", token=page_token)

    async def businesses(self, user_token: str) -> list[dict[str, Any]]:
        return await self._all(user_token, "me/businesses", {"fields": "id,name"})

    async def whatsapp_accounts(self, token: str, business_id: str) -> list[dict[str, Any]]:
        owned = await self._all(
            token, f"{business_id}/owned_whatsapp_business_accounts", {"fields": "id,name"}
        )
        client = await self._all(
            token, f"{business_id}/client_whatsapp_business_accounts", {"fields": "id,name"}
        )
        return [{**row, "ownership": "owned"} for row in owned] + [
            {**row, "ownership": "client"} for row in client
        ]

    async def phone_numbers(self, token: str, waba_id: str) -> list[dict[str, Any]]:
        fields = (
            "id,display_phone_number,verified_name,quality_rating,code_verification_status,status"
        )
        return await self._all(token, f"{waba_id}/phone_numbers", {"fields": fields})

    async def subscribe_waba(self, waba_id: str, token: str) -> None:
        await self.graph.request("POST", f"{waba_id}/subscribed_apps", token=token)

    async def unsubscribe_waba(self, waba_id: str, token: str) -> None:
        await self.graph.request("DELETE", f"{waba_id}/subscribed_apps", token=token)

    async def revoke_permissions(self, fb_user_id: str, user_token: str) -> None:
        """Remove every permission the user granted the app (a deleted tenant's logins)."""
        await self.graph.request("DELETE", f"{fb_user_id}/permissions", token=user_token)

    async def message_templates(self, waba_id: str, token: str) -> list[dict[str, Any]]:
        """Every template of a WABA, all pages (meta-platform.md §5.4)."""
        return await self._all(
            token, f"{waba_id}/message_templates", {"fields": TEMPLATE_FIELDS}, cap=MAX_TEMPLATES
        )

    async def conversations(
        self, page_id: str, page_token: str, limit: int
    ) -> list[dict[str, Any]]:
        params = {"platform": "messenger", "fields": "id,updated_time,participants"}
        return (await self._all(page_token, f"{page_id}/conversations", params, cap=limit))[:limit]

    async def conversation_messages(
        self, conversation_id: str, page_token: str
    ) -> list[dict[str, Any]]:
        answer = await self.graph.request(
            "GET",
            conversation_id,
            token=page_token,
            params={"fields": "messages{id,created_time,from,to,message}"},
        )
        messages = answer.get("messages") or {}
        return [row for row in messages.get("data") or [] if isinstance(row, dict)]

    async def _all(
        self, token: str, path: str, params: dict[str, str], cap: int = 1000
    ) -> list[dict[str, Any]]:
        """Follow `paging.cursors.after` until the edge is exhausted (or `cap` rows)."""
        rows: list[dict[str, Any]] = []
        query = {**params, "limit": str(PAGE_LIMIT)}
        while len(rows) < cap:
            answer = await self.graph.request("GET", path, token=token, params=query)
            rows.extend(row for row in answer.get("data") or [] if isinstance(row, dict))
            paging = answer.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not after or not paging.get("next"):
                break
            query = {**query, "after": str(after)}
        return rows
