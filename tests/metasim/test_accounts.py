"""Discovery: pages and page tokens, businesses, WABAs, numbers, subscribed_apps, signup."""

from typing import Any

import httpx

from metasim.config import SimSettings
from metasim.fixtures import (
    ANA_ID,
    BEN_ID,
    LIMA_BIKES_PAGE_ID,
    LIMA_CAFE_PAGE_ID,
    LIMA_GROUP_ID,
    LIMA_NUMBER_ID,
    LIMA_OUTLET_PAGE_ID,
    LIMA_PARTNERS_WABA_ID,
    LIMA_SUPPORT_NUMBER_ID,
    LIMA_UK_NUMBER_ID,
    LIMA_WABA_ID,
    OKAFOR_HOLDINGS_ID,
    OKAFOR_NUMBER_ID,
    OKAFOR_PAGE_ID,
    OKAFOR_WABA_ID,
)
from tests.metasim.flows import (
    VERSION,
    bearer,
    debug,
    graph_error,
    login,
    mint_token,
    page_tokens,
)


async def get(sim: httpx.AsyncClient, path: str, token: str, **params: str) -> httpx.Response:
    return await sim.get(f"/{VERSION}/{path}", params=params, headers=bearer(token))


def data(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]
    return items


# Pages --------------------------------------------------------------------------------


async def test_me_accounts_lists_managed_pages_with_tasks_and_tokens(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    token = await login(sim, sim_settings, ANA_ID)

    pages = data(await get(sim, "me/accounts", token))

    assert [p["id"] for p in pages] == [LIMA_BIKES_PAGE_ID, LIMA_OUTLET_PAGE_ID, LIMA_CAFE_PAGE_ID]
    bikes = pages[0]
    assert (bikes["name"], bikes["category"]) == ("Lima Bikes", "Bicycle Shop")
    assert {"MANAGE", "MESSAGING"} <= set(bikes["tasks"])
    assert bikes["access_token"].startswith("EAAsim-page-")
    assert len({p["access_token"] for p in pages}) == 3


async def test_me_accounts_honours_fields(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    token = await mint_token(sim, BEN_ID)

    pages = data(await get(sim, "me/accounts", token, fields="name"))
    unknown = await get(sim, "me/accounts", token, fields="name,shoe_size")

    assert pages == [
        {"name": "Okafor Foods", "id": OKAFOR_PAGE_ID},
        {"name": "Lima Bikes", "id": LIMA_BIKES_PAGE_ID},
    ]
    assert graph_error(unknown)["code"] == 100


async def test_me_accounts_cursor_pagination(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    token = await mint_token(sim, ANA_ID)

    first = (await get(sim, "me/accounts", token, limit="2")).json()
    after = first["paging"]["cursors"]["after"]
    second = (await get(sim, "me/accounts", token, limit="2", after=after)).json()
    next_url = httpx.URL(first["paging"]["next"])

    assert [p["id"] for p in first["data"]] == [LIMA_BIKES_PAGE_ID, LIMA_OUTLET_PAGE_ID]
    assert [p["id"] for p in second["data"]] == [LIMA_CAFE_PAGE_ID]
    assert "next" not in second["paging"]
    assert next_url.path == f"/{VERSION}/me/accounts"
    assert next_url.params["after"] == after
    bad = await get(sim, "me/accounts", token, after="bm90LWEtcGFnZQ")
    assert graph_error(bad)["code"] == 100


async def test_page_tokens_are_stable_and_work_for_send_and_profile(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    token = await login(sim, sim_settings, ANA_ID)
    first = await page_tokens(sim, token)
    again = await page_tokens(sim, await login(sim, sim_settings, ANA_ID))
    page_token = first[LIMA_BIKES_PAGE_ID]
    send = {
        "recipient": {"id": "7100000000000001"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Your bike is ready"},
    }

    sent = await sim.post(
        f"/{VERSION}/{LIMA_BIKES_PAGE_ID}/messages", json=send, headers=bearer(page_token)
    )
    profile = await get(sim, "7100000000000001", page_token, fields="first_name,last_name")
    me = await get(sim, "me", page_token)
    other_page = await sim.post(
        f"/{VERSION}/{LIMA_CAFE_PAGE_ID}/messages", json=send, headers=bearer(page_token)
    )

    assert first == again
    assert sent.status_code == 200, sent.text
    assert profile.json() == {"first_name": "Marta", "last_name": "Souza", "id": "7100000000000001"}
    assert me.json() == {"id": LIMA_BIKES_PAGE_ID, "name": "Lima Bikes"}
    assert graph_error(other_page)["code"] == 190
    [recorded] = (await sim.get("/_sim/sent", params={"page_id": LIMA_BIKES_PAGE_ID})).json()[
        "items"
    ]
    assert recorded["status_code"] == 200


async def test_ben_also_manages_lima_bikes_and_both_page_tokens_work(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    ana = await page_tokens(sim, await mint_token(sim, ANA_ID))
    ben = await page_tokens(sim, await mint_token(sim, BEN_ID))

    assert set(ben) == {OKAFOR_PAGE_ID, LIMA_BIKES_PAGE_ID}
    assert not set(ben) & {LIMA_OUTLET_PAGE_ID, LIMA_CAFE_PAGE_ID}
    assert ana[LIMA_BIKES_PAGE_ID] != ben[LIMA_BIKES_PAGE_ID]
    for token in (ana[LIMA_BIKES_PAGE_ID], ben[LIMA_BIKES_PAGE_ID]):
        assert (await get(sim, "me", token)).json()["id"] == LIMA_BIKES_PAGE_ID


async def test_registered_page_token_still_works_next_to_issued_ones(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    await sim.put(
        f"/_sim/pages/{LIMA_BIKES_PAGE_ID}", json={"name": "Lima Bikes", "access_token": "EAAG-x"}
    )
    issued = (await page_tokens(sim, await mint_token(sim, ANA_ID)))[LIMA_BIKES_PAGE_ID]

    for token in ("EAAG-x", issued):
        assert (await get(sim, "me", token)).json()["id"] == LIMA_BIKES_PAGE_ID
    clash = await sim.put("/_sim/pages/1", json={"name": "x", "access_token": issued})
    assert clash.status_code == 409


# subscribed_apps -----------------------------------------------------------------------


async def test_page_subscribed_apps_post_get_delete_and_sim_view(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    page_token = (await page_tokens(sim, await mint_token(sim, ANA_ID)))[LIMA_OUTLET_PAGE_ID]
    path = f"/{VERSION}/{LIMA_OUTLET_PAGE_ID}/subscribed_apps"

    posted = await sim.post(
        path, params={"subscribed_fields": "messages,message_reads"}, headers=bearer(page_token)
    )
    listed = await sim.get(path, headers=bearer(page_token))
    sim_view = (await sim.get("/_sim/pages")).json()["items"]
    deleted = await sim.delete(path, headers=bearer(page_token))
    after = await sim.get(path, headers=bearer(page_token))

    assert posted.json() == {"success": True}
    assert listed.json() == {
        "data": [
            {
                "id": sim_settings.app_id,
                "name": "Parley (sim)",
                "subscribed_fields": ["messages", "message_reads"],
            }
        ]
    }
    [outlet] = [p for p in sim_view if p["id"] == LIMA_OUTLET_PAGE_ID]
    assert outlet["subscribed_fields"] == ["messages", "message_reads"]
    assert deleted.json() == {"success": True}
    assert after.json() == {"data": []}


async def test_page_subscription_accepts_form_bodies_and_checks_fields(
    sim: httpx.AsyncClient,
) -> None:
    page_token = (await page_tokens(sim, await mint_token(sim, BEN_ID)))[OKAFOR_PAGE_ID]
    path = f"/{VERSION}/{OKAFOR_PAGE_ID}/subscribed_apps"

    form = await sim.post(path, data={"subscribed_fields": "messages", "access_token": page_token})
    bad_field = await sim.post(
        path, params={"subscribed_fields": "messages,mesages"}, headers=bearer(page_token)
    )
    no_fields = await sim.post(path, headers=bearer(page_token))

    assert form.json() == {"success": True}
    assert "mesages" in graph_error(bad_field)["message"]
    assert graph_error(no_fields)["code"] == 100
    call = (await sim.get("/_sim/calls")).json()["items"][-3]
    assert call["token_in_query"] is True


async def test_page_subscription_needs_a_page_token_with_manage_metadata(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    user_token = await login(
        sim, sim_settings, ANA_ID, scopes=("pages_show_list", "pages_messaging")
    )
    page_token = (await page_tokens(sim, user_token))[LIMA_BIKES_PAGE_ID]
    path = f"/{VERSION}/{LIMA_BIKES_PAGE_ID}/subscribed_apps"

    without_scope = await sim.post(
        path, params={"subscribed_fields": "messages"}, headers=bearer(page_token)
    )
    with_user_token = await sim.post(
        path, params={"subscribed_fields": "messages"}, headers=bearer(user_token)
    )

    assert graph_error(without_scope)["code"] == 200
    assert graph_error(with_user_token)["code"] == 210


# Businesses, WABAs, numbers -----------------------------------------------------------


async def test_businesses_wabas_and_numbers_of_ana(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    token = await login(sim, sim_settings, ANA_ID)

    businesses = data(await get(sim, "me/businesses", token))
    owned = data(await get(sim, f"{LIMA_GROUP_ID}/owned_whatsapp_business_accounts", token))
    client = data(await get(sim, f"{LIMA_GROUP_ID}/client_whatsapp_business_accounts", token))
    numbers = data(await get(sim, f"{LIMA_WABA_ID}/phone_numbers", token))
    uk = (await get(sim, LIMA_UK_NUMBER_ID, token)).json()

    assert businesses == [{"id": LIMA_GROUP_ID, "name": "Lima Group"}]
    assert [(w["id"], w["name"]) for w in owned] == [(LIMA_WABA_ID, "Lima Bikes WhatsApp")]
    assert set(owned[0]) == {"id", "name", "currency", "timezone_id"}
    assert [(w["id"], w["name"]) for w in client] == [(LIMA_PARTNERS_WABA_ID, "Lima Partners")]
    assert [n["id"] for n in numbers] == [LIMA_NUMBER_ID, LIMA_SUPPORT_NUMBER_ID]
    support = numbers[1]
    assert support == {
        "id": LIMA_SUPPORT_NUMBER_ID,
        "display_phone_number": "+1 555-010-0002",
        "verified_name": "Lima Bikes Support",
        "quality_rating": "YELLOW",
        "code_verification_status": "VERIFIED",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "status": "CONNECTED",
        "messaging_limit_tier": "TIER_1K",
    }
    assert (uk["display_phone_number"], uk["verified_name"]) == ("+44 20 7946 0003", "Lima UK")


async def test_phone_numbers_honour_fields(sim: httpx.AsyncClient) -> None:
    token = await mint_token(sim, BEN_ID)

    numbers = data(
        await get(sim, f"{OKAFOR_WABA_ID}/phone_numbers", token, fields="display_phone_number")
    )

    assert numbers == [{"display_phone_number": "+234 1 555 0009", "id": OKAFOR_NUMBER_ID}]


async def test_ben_cannot_read_anas_business_wabas_or_numbers(sim: httpx.AsyncClient) -> None:
    ben = await mint_token(sim, BEN_ID)

    responses = [
        await get(sim, f"{LIMA_GROUP_ID}/owned_whatsapp_business_accounts", ben),
        await get(sim, f"{LIMA_GROUP_ID}/client_whatsapp_business_accounts", ben),
        await get(sim, f"{LIMA_WABA_ID}/phone_numbers", ben),
        await get(sim, LIMA_NUMBER_ID, ben),
        await get(sim, LIMA_GROUP_ID, ben),
    ]
    own = data(await get(sim, f"{OKAFOR_HOLDINGS_ID}/owned_whatsapp_business_accounts", ben))

    for response in responses:
        error = graph_error(response)
        assert (error["code"], error.get("error_subcode")) == (100, 33)
        assert error["message"].startswith("Unsupported get request.")
    assert [w["id"] for w in own] == [OKAFOR_WABA_ID]


async def test_business_calls_need_business_management(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    token = await login(sim, sim_settings, ANA_ID, scopes=("whatsapp_business_management",))

    businesses = await get(sim, "me/businesses", token)
    numbers = await get(sim, f"{LIMA_WABA_ID}/phone_numbers", token)

    assert graph_error(businesses)["code"] == 200
    assert numbers.status_code == 200


async def test_waba_subscribed_apps(sim: httpx.AsyncClient, sim_settings: SimSettings) -> None:
    token = await mint_token(sim, ANA_ID)
    path = f"/{VERSION}/{LIMA_WABA_ID}/subscribed_apps"

    posted = await sim.post(path, headers=bearer(token))
    listed = await sim.get(path, headers=bearer(token))
    numbers = (await sim.get("/_sim/whatsapp/numbers")).json()["items"]
    deleted = await sim.delete(path, headers=bearer(token))
    after = await sim.get(path, headers=bearer(token))
    no_scope = await sim.post(
        path, headers=bearer(await mint_token(sim, ANA_ID, scopes=["business_management"]))
    )

    assert posted.json() == {"success": True}
    [app] = listed.json()["data"]
    assert app["whatsapp_business_api_data"]["id"] == sim_settings.app_id
    assert app["id"] == sim_settings.app_id
    assert {n["id"]: n["waba_subscribed"] for n in numbers}[LIMA_NUMBER_ID] is True
    assert {n["id"]: n["waba_subscribed"] for n in numbers}[OKAFOR_NUMBER_ID] is False
    assert deleted.json() == {"success": True}
    assert after.json() == {"data": []}
    assert graph_error(no_scope)["code"] == 200


# Embedded Signup ------------------------------------------------------------------------


async def embedded_signup(sim: httpx.AsyncClient, **body: str) -> dict[str, str]:
    response = await sim.post("/_sim/embedded-signup", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, str] = response.json()
    return result


async def exchange_without_redirect(
    sim: httpx.AsyncClient, settings: SimSettings, code: str
) -> httpx.Response:
    params = {"client_id": settings.app_id, "client_secret": settings.app_secret, "code": code}
    return await sim.get(f"/{VERSION}/oauth/access_token", params=params)


async def test_embedded_signup_code_gives_a_business_token_for_its_waba(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    signup = await embedded_signup(sim, user_id=ANA_ID)
    assert (signup["waba_id"], signup["phone_number_id"]) == (LIMA_WABA_ID, LIMA_NUMBER_ID)

    response = await exchange_without_redirect(sim, sim_settings, signup["code"])
    reused = await exchange_without_redirect(sim, sim_settings, signup["code"])

    assert response.status_code == 200
    body = response.json()
    assert body["access_token"].startswith("EAAsim-biz-")
    assert "expires_in" not in body
    assert graph_error(reused)["code"] == 100
    token = body["access_token"]
    info = await debug(sim, sim_settings, token)
    assert (info["type"], info["expires_at"], info["is_valid"]) == ("SYSTEM_USER", 0, True)
    granular = {g["scope"]: g.get("target_ids") for g in info["granular_scopes"]}
    assert granular["whatsapp_business_management"] == [LIMA_WABA_ID]
    numbers = data(await get(sim, f"{LIMA_WABA_ID}/phone_numbers", token))
    assert [n["id"] for n in numbers] == [LIMA_NUMBER_ID, LIMA_SUPPORT_NUMBER_ID]
    subscribed = await sim.post(f"/{VERSION}/{LIMA_WABA_ID}/subscribed_apps", headers=bearer(token))
    assert subscribed.json() == {"success": True}
    other_waba = await get(sim, f"{LIMA_PARTNERS_WABA_ID}/phone_numbers", token)
    assert graph_error(other_waba)["code"] == 100


async def test_embedded_signup_for_a_chosen_client_waba(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    signup = await embedded_signup(sim, user_id=ANA_ID, waba_id=LIMA_PARTNERS_WABA_ID)
    token = (await exchange_without_redirect(sim, sim_settings, signup["code"])).json()[
        "access_token"
    ]

    number = await get(sim, LIMA_UK_NUMBER_ID, token)

    assert signup["phone_number_id"] == LIMA_UK_NUMBER_ID
    assert number.json()["verified_name"] == "Lima UK"
    assert graph_error(await get(sim, LIMA_NUMBER_ID, token))["code"] == 100


async def test_embedded_signup_refuses_an_unreachable_waba(sim: httpx.AsyncClient) -> None:
    response = await sim.post(
        "/_sim/embedded-signup", json={"user_id": BEN_ID, "waba_id": LIMA_WABA_ID}
    )
    unknown_user = await sim.post("/_sim/embedded-signup", json={"user_id": "123"})

    assert response.status_code == 422
    assert response.json()["error"] == "waba_not_reachable"
    assert unknown_user.status_code == 404


async def test_embedded_signup_code_needs_no_redirect_uri_and_dialog_codes_need_one(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    signup = await embedded_signup(sim, user_id=BEN_ID)
    params = {
        "client_id": sim_settings.app_id,
        "client_secret": sim_settings.app_secret,
        "code": signup["code"],
        "redirect_uri": "https://parley.test/cb",
    }

    with_redirect = await sim.get(f"/{VERSION}/oauth/access_token", params=params)

    assert graph_error(with_redirect)["code"] == 100


async def test_register_number(sim: httpx.AsyncClient) -> None:
    token = await mint_token(sim, BEN_ID)
    path = f"/{VERSION}/{OKAFOR_NUMBER_ID}/register"

    ok = await sim.post(
        path, json={"messaging_product": "whatsapp", "pin": "123456"}, headers=bearer(token)
    )
    bad_pin = await sim.post(
        path, json={"messaging_product": "whatsapp", "pin": "12"}, headers=bearer(token)
    )

    assert ok.json() == {"success": True}
    assert graph_error(bad_pin)["code"] == 100


# DELETE /{user-id}/permissions ---------------------------------------------------------


async def test_deleting_permissions_revokes_the_users_tokens_and_their_page_tokens(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    token = await login(sim, sim_settings, ANA_ID)
    page_token = (await page_tokens(sim, token))[LIMA_BIKES_PAGE_ID]

    response = await sim.delete(f"/{VERSION}/{ANA_ID}/permissions", headers=bearer(token))

    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    assert (await debug(sim, sim_settings, token))["is_valid"] is False
    assert (await debug(sim, sim_settings, page_token))["is_valid"] is False
    again = await get(sim, "me/accounts", token)
    assert again.status_code == 400 and graph_error(again)["code"] == 190


async def test_deleting_another_users_permissions_is_refused(
    sim: httpx.AsyncClient, sim_settings: SimSettings
) -> None:
    token = await login(sim, sim_settings, ANA_ID)

    response = await sim.delete(f"/{VERSION}/{BEN_ID}/permissions", headers=bearer(token))

    assert response.status_code == 400
    assert graph_error(response)["code"] == 100
    assert (await debug(sim, sim_settings, token))["is_valid"] is True
