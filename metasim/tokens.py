"""Access tokens: issuing them, resolving a token to who it speaks for, scopes and reach.

Three families of tokens work against the simulated Graph API:

* tokens registered through ``/_sim`` (a page's token, a phone number's token); they never
  expire and carry every permission of their product;
* tokens issued by the OAuth endpoints (user, page and business-integration tokens),
  kept in :attr:`SimState.tokens` with their app, user, scopes and lifetime;
* the app token ``{app_id}|{app_secret}``, only for ``/debug_token``.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from metasim.errors import GraphError, GraphFailure, JSONDict, invalid_token, missing_token
from metasim.state import SimState, now_s
from metasim.world import (
    BUSINESS_SCOPE,
    LONG_TOKEN_SECONDS,
    PAGE_SCOPES,
    SHORT_TOKEN_SECONDS,
    WHATSAPP_SCOPES,
    OAuthCode,
    TokenKind,
    TokenRecord,
    TokenType,
)

REGISTERED_PAGE_SCOPES = ("public_profile", *PAGE_SCOPES)
REGISTERED_NUMBER_SCOPES = (BUSINESS_SCOPE, *WHATSAPP_SCOPES)
APP_NAME = "Parley (sim)"


def app_name(state: SimState, app_id: str) -> str:
    """The display name of an app: Parley for the configured app id, a stand-in otherwise."""
    return APP_NAME if app_id == state.app_id else f"App {app_id} (sim)"


@dataclass(frozen=True)
class Principal:
    """Who a token speaks for, what it may do, and for how long."""

    token: str
    type: TokenType
    app_id: str
    user_id: str | None
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int  # 0 = never
    page_id: str | None = None  # PAGE tokens: their page
    waba_ids: tuple[str, ...] | None = None  # None = whatever the user reaches
    business_ids: tuple[str, ...] | None = None
    revoked: bool = False
    record: TokenRecord | None = None

    @property
    def data_access_expires_at(self) -> int:
        """When data access lapses (0 for tokens registered through ``/_sim``)."""
        return self.record.data_access_expires_at if self.record else 0


def new_token(kind: str) -> str:
    """A fresh opaque token, ``EAAsim-<kind>-<random>``."""
    return f"EAAsim-{kind}-{secrets.token_urlsafe(32)}"


def principal_for(state: SimState, token: str) -> Principal | None:
    """Resolve a token without judging it (expired and revoked tokens resolve too)."""
    record = state.tokens.get(token)
    if record is not None:
        return _from_record(record)
    page = next((p for p in state.pages.values() if p.access_token == token), None)
    if page is not None:
        return Principal(
            token=token,
            type="PAGE",
            app_id=state.app_id,
            user_id=None,
            scopes=REGISTERED_PAGE_SCOPES,
            issued_at=page.registered_at,
            expires_at=0,
            page_id=page.id,
        )
    numbers = [n for n in state.numbers.values() if n.access_token == token]
    if numbers:
        waba_ids = tuple(dict.fromkeys(n.waba_id for n in numbers))
        owners = tuple(
            b.id
            for b in state.businesses.values()
            if set(waba_ids) & {*b.owned_waba_ids, *b.client_waba_ids}
        )
        return Principal(
            token=token,
            type="SYSTEM_USER",
            app_id=state.app_id,
            user_id=None,
            scopes=REGISTERED_NUMBER_SCOPES,
            issued_at=min(n.registered_at for n in numbers),
            expires_at=0,
            waba_ids=waba_ids,
            business_ids=owners,
        )
    return None


def _from_record(record: TokenRecord) -> Principal:
    restricted = record.type == "SYSTEM_USER"
    return Principal(
        token=record.token,
        type=record.type,
        app_id=record.app_id,
        user_id=record.user_id,
        scopes=record.scopes,
        issued_at=record.issued_at,
        expires_at=record.expires_at,
        page_id=record.page_id,
        waba_ids=record.waba_ids if restricted else None,
        business_ids=record.business_ids if restricted else None,
        revoked=record.revoked,
        record=record,
    )


def token_problem(principal: Principal) -> GraphError | None:
    """Why this (known) token cannot be used now, if it cannot."""
    if principal.revoked:
        message = (
            "Error validating access token: The user has not authorized application "
            f"{principal.app_id}."
        )
        return GraphError(message, code=190, error_subcode=458)
    now = now_s()
    if principal.expires_at and principal.expires_at <= now:
        message = (
            f"Error validating access token: Session has expired on "
            f"{_meta_time(principal.expires_at)}. The current time is {_meta_time(now)}."
        )
        return GraphError(message, code=190, error_subcode=463)
    return None


def _meta_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")


def authenticate(state: SimState, token: str | None) -> Principal:
    """The usable principal behind ``token``; 104 without one, 190 when it cannot be used."""
    if not token:
        raise GraphFailure(missing_token())
    principal = principal_for(state, token)
    if principal is None:
        raise GraphFailure(invalid_token())
    problem = token_problem(principal)
    if problem is not None:
        raise GraphFailure(problem)
    return principal


def missing_permission(scope: str) -> GraphError:
    """The ``(#200)`` error for a token that lacks ``scope``."""
    return GraphError(f"(#200) Permissions error: requires the {scope} permission", code=200)


def require_scope(principal: Principal, scope: str) -> None:
    """Fail with code 200 unless the token was granted ``scope``."""
    if scope not in principal.scopes:
        raise GraphFailure(missing_permission(scope))


def require_user_token(principal: Principal) -> None:
    """Fail unless this is a user (or system user) token, as ``/me/...`` edges need."""
    if principal.type == "PAGE":
        message = "(#100) This endpoint requires a user access token, not a Page access token"
        raise GraphFailure(GraphError(message, code=100))


def require_page_token(principal: Principal) -> None:
    """Fail with ``(#210)`` unless this is a page token."""
    if principal.type != "PAGE":
        raise GraphFailure(GraphError("(#210) This call requires a Page access token.", code=210))


# Reach ------------------------------------------------------------------------------


def reachable_page_ids(state: SimState, principal: Principal) -> list[str]:
    """Pages this token may act on."""
    if principal.type == "PAGE":
        return [principal.page_id] if principal.page_id else []
    user = state.users.get(principal.user_id or "")
    if principal.type != "USER" or user is None:
        return []
    return [page_id for page_id in user.page_ids if page_id in state.pages]


def reachable_business_ids(state: SimState, principal: Principal) -> list[str]:
    """Businesses this token may read."""
    if principal.business_ids is not None:
        return list(principal.business_ids)
    user = state.users.get(principal.user_id or "")
    if principal.type != "USER" or user is None:
        return []
    return [b for b in user.business_ids if b in state.businesses]


def reachable_waba_ids(state: SimState, principal: Principal) -> list[str]:
    """WhatsApp Business Accounts this token may read and act on."""
    if principal.waba_ids is not None:
        return list(principal.waba_ids)
    if principal.type != "USER":
        return []
    waba_ids: list[str] = []
    for business_id in reachable_business_ids(state, principal):
        business = state.businesses[business_id]
        waba_ids.extend(business.owned_waba_ids + business.client_waba_ids)
    return [w for w in dict.fromkeys(waba_ids) if w in state.wabas]


def granular_scopes(state: SimState, principal: Principal) -> list[JSONDict]:
    """``debug_token``'s ``granular_scopes``: which objects each scope was granted for."""
    targets = {
        **dict.fromkeys(PAGE_SCOPES, reachable_page_ids(state, principal)),
        **dict.fromkeys(WHATSAPP_SCOPES, reachable_waba_ids(state, principal)),
        BUSINESS_SCOPE: reachable_business_ids(state, principal),
    }
    granular: list[JSONDict] = []
    for scope in principal.scopes:
        entry: JSONDict = {"scope": scope}
        if scope in targets:
            entry["target_ids"] = targets[scope]
        granular.append(entry)
    return granular


# Issuing ----------------------------------------------------------------------------


def issue_user_token(
    state: SimState, user_id: str, app_id: str, scopes: tuple[str, ...], kind: TokenKind
) -> TokenRecord:
    """A user token: ``short`` (~1.4 h), ``long`` (60 days) or ``expired`` (an hour ago)."""
    now = now_s()
    lifetimes = {"short": SHORT_TOKEN_SECONDS, "long": LONG_TOKEN_SECONDS}
    expires_at = now + lifetimes[kind] if kind in lifetimes else now - 3600
    issued_at = now if kind != "expired" else expires_at - SHORT_TOKEN_SECONDS
    record = TokenRecord(
        token=new_token("long" if kind == "long" else "short"),
        type="USER",
        kind=kind,
        app_id=app_id,
        user_id=user_id,
        scopes=scopes,
        issued_at=issued_at,
        expires_at=expires_at,
    )
    state.tokens[record.token] = record
    return record


def issue_business_token(state: SimState, code: OAuthCode) -> TokenRecord:
    """The business integration token of an Embedded Signup code; it never expires."""
    record = TokenRecord(
        token=new_token("biz"),
        type="SYSTEM_USER",
        kind="business",
        app_id=code.app_id,
        user_id=code.user_id,
        scopes=code.scopes,
        issued_at=now_s(),
        expires_at=0,
        waba_ids=(code.waba_id,) if code.waba_id else (),
        business_ids=(code.business_id,) if code.business_id else (),
    )
    state.tokens[record.token] = record
    return record


def page_token(state: SimState, user_token: TokenRecord, page_id: str) -> TokenRecord:
    """The page token of (user, page, app): the same string every time it is handed out.

    It carries the user token's scopes and never expires when obtained with a long-lived
    user token (otherwise it lives as long as the user token).
    """
    seed = f"{user_token.app_id}:{user_token.user_id}:{page_id}"
    token = "EAAsim-page-" + hashlib.sha256(seed.encode()).hexdigest()[:40]
    record = TokenRecord(
        token=token,
        type="PAGE",
        kind="page",
        app_id=user_token.app_id,
        user_id=user_token.user_id,
        scopes=user_token.scopes,
        issued_at=now_s(),
        expires_at=0 if user_token.kind == "long" else user_token.expires_at,
        page_id=page_id,
    )
    existing = state.tokens.get(token)
    if existing is not None:
        record.issued_at = existing.issued_at
    state.tokens[token] = record
    return record


def revoke_user(state: SimState, user_id: str, app_id: str) -> int:
    """Revoke every token the user gave ``app_id`` (the app was removed); how many."""
    revoked = 0
    for record in state.tokens.values():
        if record.user_id == user_id and record.app_id == app_id and not record.revoked:
            record.revoked = True
            revoked += 1
    return revoked
