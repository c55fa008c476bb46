"""Node reads: a customer's profile by PSID, and the page behind a token."""

import httpx

VERSION = "v25.0"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_profile_fetch_returns_the_requested_fields(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await sim.get(
        f"/{VERSION}/{customer}",
        params={"fields": "first_name,last_name,profile_pic"},
        headers=bearer(page["token"]),
    )

    assert response.status_code == 200
    profile = response.json()
    assert profile["id"] == customer
    assert profile["first_name"] == "Dana"
    assert profile["last_name"]  # default surname picked from the PSID
    picture = await sim.get(profile["profile_pic"])
    assert picture.headers["content-type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG")


async def test_profile_fetch_honours_the_field_list(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await sim.get(
        f"/{VERSION}/{customer}", params={"fields": "first_name"}, headers=bearer(page["token"])
    )

    assert response.json() == {"first_name": "Dana", "id": customer}


async def test_profile_of_unknown_psid_is_a_code_100_error(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await sim.get(
        f"/{VERSION}/7999999999999999",
        params={"fields": "first_name"},
        headers=bearer(page["token"]),
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


async def test_profile_needs_the_page_token(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    response = await sim.get(f"/{VERSION}/{customer}", headers=bearer("EAAG-wrong"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 190


async def test_profile_reads_are_recorded_as_calls_not_sends(
    sim: httpx.AsyncClient, page: dict[str, str], customer: str
) -> None:
    await sim.get(f"/{VERSION}/{customer}", params={"access_token": page["token"]})

    [call] = (await sim.get("/_sim/calls")).json()["items"]
    assert (call["kind"], call["method"], call["token_in_query"]) == ("node", "GET", True)
    assert (await sim.get("/_sim/sent")).json()["items"] == []


async def test_me_returns_the_page_of_the_token(
    sim: httpx.AsyncClient, page: dict[str, str]
) -> None:
    response = await sim.get(f"/{VERSION}/me", headers=bearer(page["token"]))

    assert response.status_code == 200
    assert response.json() == {"id": page["id"], "name": page["name"]}
