"""Facebook Login imitation: the login dialog, ``/oauth/access_token`` and ``/debug_token``.

Codes are single-use and bound to (user, app, redirect_uri, granted scopes); Embedded
Signup codes have no redirect_uri and exchange for a business integration token.
"""

import secrets
from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from metasim.config import SimSettings
from metasim.errors import GraphError, GraphFailure, JSONDict, invalid_param, missing_token
from metasim.graph_common import (
    CallNotes,
    GraphRequest,
    GraphResult,
    apply_fault,
    check_version,
    record_call,
    run_call,
)
from metasim.state import SimState, now_s
from metasim.tokens import (
    Principal,
    app_name,
    granular_scopes,
    issue_business_token,
    issue_user_token,
    principal_for,
    token_problem,
)
from metasim.world import (
    ALL_SCOPES,
    CODE_SECONDS,
    LONG_TOKEN_SECONDS,
    SHORT_TOKEN_SECONDS,
    OAuthCode,
)

CANCEL = "cancel"


def parse_scopes(raw: str | None) -> tuple[str, ...]:
    """``a,b c`` → ``("a", "b", "c")`` (commas as Meta documents; spaces tolerated)."""
    parts = (raw or "").replace(" ", ",").split(",")
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


def issue_code(
    state: SimState,
    user_id: str,
    app_id: str,
    redirect_uri: str | None,
    scopes: tuple[str, ...],
    *,
    waba_id: str | None = None,
    business_id: str | None = None,
) -> OAuthCode:
    """A fresh single-use code; scopes denied with ``/_sim/oauth/deny-scopes`` are dropped."""
    now = now_s()
    code = OAuthCode(
        code="AQsim" + secrets.token_urlsafe(48),
        user_id=user_id,
        app_id=app_id,
        redirect_uri=redirect_uri,
        scopes=tuple(s for s in scopes if s not in state.denied_scopes),
        issued_at=now,
        expires_at=now + CODE_SECONDS,
        waba_id=waba_id,
        business_id=business_id,
    )
    state.codes[code.code] = code
    return code


# The login dialog -------------------------------------------------------------------


@dataclass(frozen=True)
class DialogParams:
    """The dialog's query (GET) or form (POST) parameters."""

    version: str
    client_id: str
    redirect_uri: str
    state: str | None
    scope: str | None
    response_type: str
    config_id: str | None

    @classmethod
    def from_params(cls, version: str, params: dict[str, str]) -> "DialogParams":
        """Read the parameters, with Meta's defaults."""
        return cls(
            version=version,
            client_id=params.get("client_id", ""),
            redirect_uri=params.get("redirect_uri", ""),
            state=params.get("state"),
            scope=params.get("scope"),
            response_type=params.get("response_type") or "code",
            config_id=params.get("config_id"),
        )

    @property
    def scopes(self) -> tuple[str, ...]:
        """The requested scopes; a ``config_id`` (Login for Business) asks for all of them."""
        if self.scope is None and self.config_id:
            return ALL_SCOPES
        return parse_scopes(self.scope)

    def hidden_fields(self) -> dict[str, str]:
        """What the dialog's form posts back."""
        fields = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": self.response_type,
        }
        optional = {"state": self.state, "scope": self.scope, "config_id": self.config_id}
        fields.update({k: v for k, v in optional.items() if v is not None})
        return fields


@dataclass(frozen=True)
class DialogAnswer:
    """Either an HTML page (with its status) or a redirect."""

    status_code: int
    html: str | None = None
    location: str | None = None


async def dialog(
    state: SimState,
    settings: SimSettings,
    request: GraphRequest,
    params: DialogParams,
    choice: str | None,
) -> DialogAnswer:
    """Show the dialog (``choice`` None) or act on the button pressed; record the call."""
    async with state.lock:
        answer = _dialog_answer(state, settings, params, choice)
        summary: JSONDict = (
            {"redirect": answer.location}
            if answer.location
            else {"html": "login dialog" if answer.status_code == 200 else "error page"}
        )
        result = GraphResult(answer.status_code, summary)
        record_call(state, request, "oauth_dialog", result, CallNotes())
    return answer


def _dialog_answer(
    state: SimState, settings: SimSettings, params: DialogParams, choice: str | None
) -> DialogAnswer:
    problem = _dialog_problem(settings, params)
    if problem is not None:
        return DialogAnswer(400, html=render_error_page(problem))
    if choice is None:
        return DialogAnswer(200, html=render_dialog(state, params))
    if choice == CANCEL:
        cancelled = {
            "error": "access_denied",
            "error_reason": "user_denied",
            "error_description": "Permissions error",
        }
        return DialogAnswer(302, location=_redirect(params, cancelled))
    if choice not in state.users:
        return DialogAnswer(400, html=render_error_page(f"Unknown simulated user {choice!r}."))
    code = issue_code(state, choice, params.client_id, params.redirect_uri, params.scopes)
    return DialogAnswer(302, location=_redirect(params, {"code": code.code}))


def _dialog_problem(settings: SimSettings, params: DialogParams) -> str | None:
    if params.client_id != settings.app_id:
        shown = params.client_id or "(missing)"
        return f"Invalid App ID: the client_id {shown} is not this app ({settings.app_id})."
    if urlsplit(params.redirect_uri).scheme not in ("http", "https"):
        return "Invalid redirect_uri: an absolute http(s) URL is required."
    if params.response_type != "code":
        return f"Unsupported response_type {params.response_type!r}: metasim only does 'code'."
    if not check_dialog_version(params.version):
        return f"Unknown Graph version {params.version!r}: use vN.0."
    return None


def check_dialog_version(version: str) -> bool:
    """Whether the dialog path's version looks like ``vN.0``."""
    try:
        check_version(GraphRequest("GET", "", version, "", None, False))
    except GraphFailure:
        return False
    return True


def _redirect(params: DialogParams, extra: dict[str, str]) -> str:
    """``redirect_uri`` with ``extra`` (and ``state`` as given) added to its query."""
    parts = urlsplit(params.redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend(extra.items())
    if params.state is not None:
        query.append(("state", params.state))
    return urlunsplit(parts._replace(query=urlencode(query)))


_STYLE = """
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:#f0f2f5;color:#1c1e21}
header{background:#1877f2;color:#fff;padding:14px 24px;font-weight:600;font-size:18px}
main{max-width:420px;margin:40px auto;background:#fff;border-radius:10px;padding:24px 28px;
box-shadow:0 2px 12px rgba(0,0,0,.12)}
h1{font-size:20px;margin:0 0 8px}
p.meta{color:#65676b;font-size:14px;margin:0 0 16px}
ul{padding-left:20px;margin:8px 0 20px}
li{margin:4px 0;font-family:ui-monospace,Menlo,monospace;font-size:13px}
li.denied{color:#b3261e;text-decoration:line-through}
button{display:block;width:100%;padding:11px;margin:8px 0;border-radius:6px;border:0;
font-size:15px;font-weight:600;cursor:pointer}
button.user{background:#1877f2;color:#fff}
button.cancel{background:#e4e6eb;color:#1c1e21}
.error{color:#b3261e}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><header>metasim — Facebook Login (simulated)</header><main>{body}</main>"
        "</body></html>"
    )


def render_dialog(state: SimState, params: DialogParams) -> str:
    """The dialog: app id, requested scopes, one button per simulated user, Cancel."""
    scopes = (
        "".join(
            f'<li class="denied" title="declined by /_sim/oauth/deny-scopes">{escape(s)}</li>'
            if s in state.denied_scopes
            else f"<li>{escape(s)}</li>"
            for s in params.scopes
        )
        or "<li>(none)</li>"
    )
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in params.hidden_fields().items()
    )
    buttons = "".join(
        f'<button class="user" type="submit" name="choice" value="{escape(user.id)}" '
        f'data-testid="continue-as-{escape(user.id)}">Continue as {escape(user.name)}</button>'
        for user in state.users.values()
    )
    cancel = (
        f'<button class="cancel" type="submit" name="choice" value="{CANCEL}" '
        'data-testid="cancel">Cancel</button>'
    )
    action = f"/{escape(params.version)}/dialog/oauth"
    body = (
        f"<h1>{escape(app_name(state, params.client_id))} wants access</h1>"
        f'<p class="meta">App ID <span data-testid="app-id">{escape(params.client_id)}</span>'
        f" · redirect to {escape(params.redirect_uri)}</p>"
        f'<p>Requested permissions:</p><ul data-testid="scopes">{scopes}</ul>'
        f'<form method="post" action="{action}">{hidden}{buttons}{cancel}</form>'
    )
    return _page("metasim — Facebook Login (simulated)", body)


def render_error_page(message: str) -> str:
    """The dialog's error page (HTTP 400)."""
    body = (
        f'<h1>Something went wrong</h1><p class="error" data-testid="error">{escape(message)}</p>'
    )
    return _page("metasim — Facebook Login error", body)


# /oauth/access_token ----------------------------------------------------------------


async def access_token(
    state: SimState, settings: SimSettings, request: GraphRequest
) -> GraphResult:
    """``GET|POST /{version}/oauth/access_token`` in all its grant flavours."""
    return await run_call(
        state, request, "oauth_access_token", lambda _: _access_token(state, settings, request)
    )


def _access_token(state: SimState, settings: SimSettings, request: GraphRequest) -> JSONDict:
    check_version(request)
    apply_fault(state, "oauth_access_token")
    grant_type = request.param("grant_type")
    if grant_type == "client_credentials":
        _check_client(settings, request)
        return {"access_token": f"{settings.app_id}|{settings.app_secret}", "token_type": "bearer"}
    if grant_type == "fb_exchange_token":
        return _exchange_for_long(state, settings, request)
    if grant_type not in (None, "authorization_code"):
        raise GraphFailure(oauth_error(f"Unsupported grant_type: {grant_type}"))
    return _exchange_code(state, settings, request)


def oauth_error(message: str) -> GraphError:
    """A code 100 OAuthException, as the token endpoint answers for bad input."""
    return GraphError(message, code=100)


def _check_client(settings: SimSettings, request: GraphRequest) -> None:
    if request.param("client_id") != settings.app_id:
        raise GraphFailure(oauth_error("Error validating application. Invalid application ID."))
    if request.param("client_secret") != settings.app_secret:
        raise GraphFailure(oauth_error("Error validating client secret."))


def _exchange_code(state: SimState, settings: SimSettings, request: GraphRequest) -> JSONDict:
    _check_client(settings, request)
    code = state.codes.get(request.param("code") or "")
    if code is None or code.app_id != settings.app_id:
        raise GraphFailure(oauth_error("Invalid verification code format."))
    if code.used:
        raise GraphFailure(oauth_error("This authorization code has been used."))
    if code.expires_at <= now_s():
        raise GraphFailure(oauth_error("This authorization code has expired."))
    if request.param("redirect_uri") != code.redirect_uri:
        message = (
            "Error validating verification code. Please make sure your redirect_uri is "
            "identical to the one you used in the OAuth dialog request"
        )
        raise GraphFailure(oauth_error(message))
    code.used = True
    if code.redirect_uri is None:
        business = issue_business_token(state, code)
        return {"access_token": business.token, "token_type": "bearer"}
    record = issue_user_token(state, code.user_id, code.app_id, code.scopes, "short")
    return {"access_token": record.token, "token_type": "bearer", "expires_in": SHORT_TOKEN_SECONDS}


def _exchange_for_long(state: SimState, settings: SimSettings, request: GraphRequest) -> JSONDict:
    _check_client(settings, request)
    principal = principal_for(state, request.param("fb_exchange_token") or "")
    if principal is None or principal.type != "USER" or principal.app_id != settings.app_id:
        raise GraphFailure(
            GraphError("Invalid OAuth access token - Cannot parse access token", 190)
        )
    problem = token_problem(principal)
    if problem is not None:
        raise GraphFailure(problem)
    user_id = principal.user_id or ""
    record = issue_user_token(state, user_id, principal.app_id, principal.scopes, "long")
    return {"access_token": record.token, "token_type": "bearer", "expires_in": LONG_TOKEN_SECONDS}


# /debug_token -----------------------------------------------------------------------


async def debug_token(state: SimState, settings: SimSettings, request: GraphRequest) -> GraphResult:
    """``GET /{version}/debug_token?input_token=...`` with the app token."""
    return await run_call(
        state, request, "debug_token", lambda _: _debug_token(state, settings, request)
    )


def _debug_token(state: SimState, settings: SimSettings, request: GraphRequest) -> JSONDict:
    check_version(request)
    if not request.token:
        raise GraphFailure(missing_token())
    if request.token != f"{settings.app_id}|{settings.app_secret}":
        message = "Invalid OAuth access token signature."
        raise GraphFailure(GraphError(message, code=190))
    apply_fault(state, "debug_token")
    input_token = request.param("input_token")
    if not input_token:
        raise GraphFailure(invalid_param("The parameter input_token is required"))
    principal = principal_for(state, input_token)
    if principal is None:
        unknown = {"code": 190, "message": "Invalid OAuth access token - Cannot parse access token"}
        return {"data": {"error": unknown, "is_valid": False, "scopes": []}}
    return {"data": describe(state, principal)}


def describe(state: SimState, principal: Principal) -> JSONDict:
    """``debug_token``'s ``data`` for a known token (valid or not)."""
    data: JSONDict = {
        "app_id": principal.app_id,
        "type": principal.type,
        "application": app_name(state, principal.app_id),
        "data_access_expires_at": principal.data_access_expires_at,
        "expires_at": principal.expires_at,
        "is_valid": True,
        "issued_at": principal.issued_at,
        "scopes": list(principal.scopes),
        "granular_scopes": granular_scopes(state, principal),
    }
    if principal.user_id is not None:
        data["user_id"] = principal.user_id
    if principal.type == "PAGE":
        data["profile_id"] = principal.page_id
    problem = token_problem(principal)
    if problem is not None:
        data["is_valid"] = False
        data["error"] = {
            "code": problem.code,
            "message": problem.message,
            "subcode": problem.error_subcode,
        }
    return data
