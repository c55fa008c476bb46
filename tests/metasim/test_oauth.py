"""Facebook Login imitation: the dialog, code exchange, long-lived tokens, debug_token."""

import re
from html.parser import HTMLParser

import httpx

from metasim.config import SimSettings
from metasim.fixtures import (
    ANA_ID,
    BEN_ID,
    LIMA_BIKES_PAGE_ID,
    LIMA_CAFE_PAGE_ID,
    LIMA_GROUP_ID,
    LIMA_OUTLET_PAGE_ID,
    LIMA_PARTNERS_WABA_ID,
    LIMA_WABA_ID,
)
from tests.metasim.flows import (
    REDIRECT_URI,
    VERSION,
    bearer,
    choose_user,
    debug,
    dialog_params,
    exchange_code,
    exchange_for_long,
    graph_error,
    login,
    mint_token,
    page_tokens,
    redirect_query,
)


class Buttons(HTMLParser):
    """Collects ``data-testid`` → (name, value, text) of every button in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.buttons: dict[str, dict[str, str]] = {}
        self.hidden: dict[str, str] = {}
        self.form_action: str | None = None
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.form_action = attributes.get("action")
        if tag == "input" and attributes.get("type") == "hidden":
            self.hidden[attributes["name"]] = attributes["value"]
        if tag == "button" and "data-testid" in attributes:
            self._current = attributes["data-testid"]
            self.buttons[self._current] = {**attributes, "text": ""}

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self.buttons[self._current]["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._current = None


async def test_dialog_shows_app_scopes_and_one_button_per_user(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    params = dialog_params(sim_settings, ("pages_show_list", "pages_messaging"), state="s<1>")

    response = await sim.get(f"/{VERSION}/dialog/oauth", params=params)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<title>metasim — Facebook Login (simulated)</title>" in html
    assert sim_settings.app_id in html
    assert "<li>pages_show_list</li>" in html
    assert "<li>pages_messaging</li>" in html
    parser = Buttons()
    parser.feed(html)
    assert parser.buttons[f"continue-as-{ANA_ID}"]["text"] == "Continue as Ana Lima"
    assert parser.buttons[f"continue-as-{BEN_ID}"]["text"] == "Continue as Ben Okafor"
    assert parser.buttons["cancel"]["text"] == "Cancel"
    assert parser.form_action == f"/{VERSION}/dialog/oauth"
    assert parser.hidden["state"] == "s<1>"  # escaped in HTML, intact when posted back
    assert "s<1>" not in html


async def test_the_dialog_form_as_a_browser_would_submit_it(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    page = await sim.get(f"/{VERSION}/dialog/oauth", params=dialog_params(sim_settings))
    parser = Buttons()
    parser.feed(page.text)
    button = parser.buttons[f"continue-as-{BEN_ID}"]

    assert parser.form_action is not None
    response = await sim.post(
        parser.form_action, data={**parser.hidden, button["name"]: button["value"]}
    )

    query = redirect_query(response)
    assert query["state"] == "csrf-1"
    assert query["code"]


async def test_full_dance_code_short_long_debug_accounts_subscribe(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    code = await choose_user(sim, sim_settings, ANA_ID)
    short = await exchange_code(sim, sim_settings, code)
    assert short.status_code == 200
    assert short.json()["token_type"] == "bearer"
    assert short.json()["expires_in"] == 5183
    assert short.json()["access_token"].startswith("EAAsim-short-")

    long = await exchange_for_long(sim, sim_settings, short.json()["access_token"])
    assert long.status_code == 200
    assert long.json()["expires_in"] == 5184000
    user_token = long.json()["access_token"]
    assert user_token.startswith("EAAsim-long-")

    data = await debug(sim, sim_settings, user_token)
    assert data["is_valid"] is True
    assert (data["app_id"], data["type"], data["user_id"]) == (sim_settings.app_id, "USER", ANA_ID)
    assert data["application"] == "Parley (sim)"
    assert data["expires_at"] - data["issued_at"] == 5184000
    assert data["data_access_expires_at"] > data["issued_at"]
    granular = {g["scope"]: g.get("target_ids") for g in data["granular_scopes"]}
    assert granular["whatsapp_business_management"] == [LIMA_WABA_ID, LIMA_PARTNERS_WABA_ID]
    assert granular["pages_messaging"] == [
        LIMA_BIKES_PAGE_ID,
        LIMA_OUTLET_PAGE_ID,
        LIMA_CAFE_PAGE_ID,
    ]
    assert granular["business_management"] == [LIMA_GROUP_ID]

    me = await sim.get(f"/{VERSION}/me", headers=bearer(user_token))
    assert me.json() == {"id": ANA_ID, "name": "Ana Lima"}

    tokens = await page_tokens(sim, user_token)
    assert set(tokens) == {LIMA_BIKES_PAGE_ID, LIMA_OUTLET_PAGE_ID, LIMA_CAFE_PAGE_ID}
    subscribed = await sim.post(
        f"/{VERSION}/{LIMA_BIKES_PAGE_ID}/subscribed_apps",
        params={"subscribed_fields": "messages,message_echoes"},
        headers=bearer(tokens[LIMA_BIKES_PAGE_ID]),
    )
    assert subscribed.json() == {"success": True}
    page_data = await debug(sim, sim_settings, tokens[LIMA_BIKES_PAGE_ID])
    assert (page_data["type"], page_data["expires_at"]) == ("PAGE", 0)
    assert page_data["profile_id"] == LIMA_BIKES_PAGE_ID


async def test_codes_are_single_use(sim: httpx.AsyncClient, sim_settings: SimSettings) -> None:
    code = await choose_user(sim, sim_settings, ANA_ID)

    first = await exchange_code(sim, sim_settings, code)
    second = await exchange_code(sim, sim_settings, code)

    assert first.status_code == 200
    error = graph_error(second)
    assert (error["code"], error["type"]) == (100, "OAuthException")
    assert error["message"] == "This authorization code has been used."


async def test_unknown_code_is_rejected(sim: httpx.AsyncClient, sim_settings: SimSettings) -> None:
    response = await exchange_code(sim, sim_settings, "AQ-not-a-code")

    error = graph_error(response)
    assert (error["code"], error["message"]) == (100, "Invalid verification code format.")


async def test_redirect_uri_must_match_exactly_and_a_failure_keeps_the_code(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    code = await choose_user(sim, sim_settings, ANA_ID)

    slash = await exchange_code(sim, sim_settings, code, redirect_uri=REDIRECT_URI + "/")
    retried = await exchange_code(sim, sim_settings, code)

    error = graph_error(slash)
    assert error["code"] == 100
    assert "redirect_uri" in error["message"]
    assert retried.status_code == 200


async def test_wrong_client_secret_is_rejected(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    code = await choose_user(sim, sim_settings, ANA_ID)

    response = await exchange_code(sim, sim_settings, code, client_secret="guess")

    error = graph_error(response)
    assert (error["code"], error["message"]) == (100, "Error validating client secret.")


async def test_wrong_client_id_on_exchange_is_rejected(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    code = await choose_user(sim, sim_settings, ANA_ID)

    response = await exchange_code(sim, sim_settings, code, client_id="999")

    assert graph_error(response)["code"] == 100


async def test_cancel_redirects_with_access_denied_and_the_state(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    form = {**dialog_params(sim_settings, state="xyz"), "choice": "cancel"}

    response = await sim.post(f"/{VERSION}/dialog/oauth", data=form)

    assert "error_description=Permissions+error" in response.headers["location"]
    query = redirect_query(response)
    assert query == {
        "error": "access_denied",
        "error_reason": "user_denied",
        "error_description": "Permissions error",
        "state": "xyz",
    }


async def test_redirect_uri_query_is_kept(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    params = {**dialog_params(sim_settings), "redirect_uri": "https://parley.test/cb?tenant=7"}

    response = await sim.post(f"/{VERSION}/dialog/oauth", data={**params, "choice": ANA_ID})

    location = response.headers["location"]
    assert location.startswith("https://parley.test/cb?tenant=7&code=")
    assert location.endswith("&state=csrf-1")


async def test_wrong_or_missing_client_id_is_an_html_error_page(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    wrong = await sim.get(
        f"/{VERSION}/dialog/oauth", params={**dialog_params(sim_settings), "client_id": "42"}
    )
    params = dialog_params(sim_settings)
    del params["client_id"]
    missing = await sim.get(f"/{VERSION}/dialog/oauth", params=params)
    posted = await sim.post(
        f"/{VERSION}/dialog/oauth",
        data={**dialog_params(sim_settings), "client_id": "42", "choice": ANA_ID},
    )

    for response in (wrong, missing, posted):
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        assert "Invalid App ID" in response.text
        assert "continue-as" not in response.text


async def test_deny_scopes_drops_them_from_new_codes_until_cleared(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    denied = await sim.post("/_sim/oauth/deny-scopes", json={"scopes": ["pages_messaging"]})
    assert denied.json() == {"denied_scopes": ["pages_messaging"]}

    without = await login(sim, sim_settings, ANA_ID)
    await sim.delete("/_sim/oauth/deny-scopes")
    restored = await login(sim, sim_settings, ANA_ID)

    scopes_without = (await debug(sim, sim_settings, without))["scopes"]
    assert "pages_messaging" not in scopes_without
    assert "pages_show_list" in scopes_without
    assert "pages_messaging" in (await debug(sim, sim_settings, restored))["scopes"]
    assert (await sim.get("/_sim/oauth/deny-scopes")).json() == {"denied_scopes": []}


async def test_denied_scope_shows_struck_out_in_the_dialog(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    await sim.post("/_sim/oauth/deny-scopes", json={"scopes": ["pages_messaging"]})

    page = await sim.get(f"/{VERSION}/dialog/oauth", params=dialog_params(sim_settings))

    assert re.search(r'<li class="denied"[^>]*>pages_messaging</li>', page.text)


async def test_page_token_without_pages_messaging_cannot_send(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    await sim.post("/_sim/oauth/deny-scopes", json={"scopes": ["pages_messaging"]})
    user_token = await login(sim, sim_settings, ANA_ID)
    page_token = (await page_tokens(sim, user_token))[LIMA_BIKES_PAGE_ID]
    send = {
        "recipient": {"id": "7100000000000001"},  # a fixture customer of Lima Bikes
        "messaging_type": "RESPONSE",
        "message": {"text": "hi"},
    }

    response = await sim.post(
        f"/{VERSION}/{LIMA_BIKES_PAGE_ID}/messages", json=send, headers=bearer(page_token)
    )

    assert graph_error(response)["code"] == 200


async def test_debug_token_reports_a_token_of_another_app(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    token = await mint_token(sim, ANA_ID, app_id="999", scopes=["pages_show_list"])

    data = await debug(sim, sim_settings, token)

    assert data["app_id"] == "999"
    assert data["app_id"] != sim_settings.app_id
    assert data["application"] != "Parley (sim)"
    assert data["scopes"] == ["pages_show_list"]


async def test_debug_token_of_an_unknown_token_is_invalid_inside_data(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    data = await debug(sim, sim_settings, "EAAsim-never-issued")

    assert data["is_valid"] is False
    assert data["error"]["code"] == 190


async def test_debug_token_of_an_expired_token(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    token = await mint_token(sim, ANA_ID, kind="expired")

    data = await debug(sim, sim_settings, token)
    me = await sim.get(f"/{VERSION}/me", headers=bearer(token))

    assert data["is_valid"] is False
    assert (data["error"]["code"], data["error"]["subcode"]) == (190, 463)
    assert (graph_error(me)["code"], graph_error(me)["error_subcode"]) == (190, 463)


async def test_debug_token_needs_the_app_token(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    user_token = await mint_token(sim, ANA_ID)

    wrong = await sim.get(
        f"/{VERSION}/debug_token",
        params={"input_token": user_token, "access_token": f"{sim_settings.app_id}|nope"},
    )
    with_user_token = await sim.get(
        f"/{VERSION}/debug_token", params={"input_token": user_token}, headers=bearer(user_token)
    )
    in_query = await sim.get(
        f"/{VERSION}/debug_token",
        params={
            "input_token": user_token,
            "access_token": f"{sim_settings.app_id}|{sim_settings.app_secret}",
        },
    )

    assert graph_error(wrong)["code"] == 190
    assert graph_error(with_user_token)["code"] == 190
    assert in_query.json()["data"]["is_valid"] is True
    calls = (await sim.get("/_sim/calls")).json()["items"]
    assert [c["token_in_query"] for c in calls if c["kind"] == "debug_token"] == [
        True,
        False,
        True,
    ]


async def test_an_expired_short_token_cannot_be_exchanged(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    expired = await mint_token(sim, ANA_ID, kind="expired")

    response = await exchange_for_long(sim, sim_settings, expired)
    unknown = await exchange_for_long(sim, sim_settings, "EAAsim-short-unknown")

    assert graph_error(response)["code"] == 190
    assert graph_error(unknown)["code"] == 190


async def test_me_accounts_needs_pages_show_list(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    token = await login(sim, sim_settings, ANA_ID, scopes=("pages_messaging",))

    response = await sim.get(f"/{VERSION}/me/accounts", headers=bearer(token))

    error = graph_error(response)
    assert error["code"] == 200
    assert "Permissions error" in error["message"]


async def test_short_token_page_tokens_expire_with_it_and_long_ones_never(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    short = await mint_token(sim, ANA_ID, kind="short")
    long = await mint_token(sim, ANA_ID, kind="long")

    from_short = (await page_tokens(sim, short))[LIMA_CAFE_PAGE_ID]
    short_expiry = (await debug(sim, sim_settings, from_short))["expires_at"]
    from_long = (await page_tokens(sim, long))[LIMA_CAFE_PAGE_ID]

    assert from_short == from_long  # stable per (user, page)
    assert short_expiry > 0
    assert (await debug(sim, sim_settings, from_long))["expires_at"] == 0


async def test_oauth_calls_are_recorded(sim: httpx.AsyncClient, sim_settings: SimSettings) -> None:
    await login(sim, sim_settings, BEN_ID)

    kinds = [c["kind"] for c in (await sim.get("/_sim/calls")).json()["items"]]

    assert kinds == ["oauth_dialog", "oauth_access_token", "oauth_access_token"]


async def test_login_endpoints_also_answer_without_a_version(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    page = await sim.get("/dialog/oauth", params=dialog_params(sim_settings))
    parser = Buttons()
    parser.feed(page.text)
    code = await choose_user(sim, sim_settings, ANA_ID)
    params = {
        "client_id": sim_settings.app_id,
        "client_secret": sim_settings.app_secret,
        "redirect_uri": REDIRECT_URI,
        "code": code,
    }

    exchanged = await sim.post("/oauth/access_token", data=params)
    token = exchanged.json()["access_token"]
    debugged = await sim.get(
        "/debug_token",
        params={"input_token": token},
        headers=bearer(f"{sim_settings.app_id}|{sim_settings.app_secret}"),
    )

    assert page.status_code == 200
    assert parser.form_action == f"/{sim_settings.graph_version}/dialog/oauth"
    assert exchanged.status_code == 200
    assert debugged.json()["data"]["user_id"] == ANA_ID


async def test_config_id_without_scope_asks_for_every_permission(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    params = {k: v for k, v in dialog_params(sim_settings).items() if k != "scope"}
    page = await sim.get(f"/{VERSION}/dialog/oauth", params={**params, "config_id": "777"})
    choice = await sim.post(
        f"/{VERSION}/dialog/oauth", data={**params, "config_id": "777", "choice": BEN_ID}
    )
    token = (await exchange_code(sim, sim_settings, redirect_query(choice)["code"])).json()

    assert "<li>whatsapp_business_messaging</li>" in page.text
    scopes = (await debug(sim, sim_settings, token["access_token"]))["scopes"]
    assert {"pages_show_list", "whatsapp_business_messaging", "business_management"} <= set(scopes)
