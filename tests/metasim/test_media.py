"""WhatsApp media: ``GET /{media-id}`` and the token-protected download URL."""

import hashlib
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import respx

from metasim import assets
from metasim.fixtures import ANA_ID, BEN_ID, LIMA_NUMBER_ID
from tests.metasim.flows import VERSION, bearer, graph_error, mint_token


async def inbound_media(sim: httpx.AsyncClient, kind: str = "image") -> dict[str, Any]:
    body = {"phone_number_id": LIMA_NUMBER_ID, "kind": kind, "wa_id": "15551234567"}
    response = await sim.post("/_sim/whatsapp/events", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
async def ana(sim: httpx.AsyncClient) -> str:
    return await mint_token(sim, ANA_ID)


async def media_url(sim: httpx.AsyncClient, media_id: str, token: str) -> dict[str, Any]:
    response = await sim.get(f"/{VERSION}/{media_id}", headers=bearer(token))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


@pytest.mark.parametrize("kind", ["image", "video", "audio", "voice", "document", "sticker"])
async def test_media_lookup_and_download_with_the_same_token(
    sim: httpx.AsyncClient, webhook_target: respx.Route, ana: str, kind: str
) -> None:
    result = await inbound_media(sim, kind)

    found = await media_url(sim, result["media_id"], ana)
    download = await sim.get(found["url"], headers=bearer(ana))

    assert found["messaging_product"] == "whatsapp"
    assert found["id"] == result["media_id"]
    assert found["mime_type"] == result["mime_type"]
    assert found["sha256"] == result["sha256"]
    assert urlsplit(found["url"]).path == f"/_sim/media/{result['media_id']}/download"
    assert download.status_code == 200
    assert download.headers["content-type"] == found["mime_type"]
    assert hashlib.sha256(download.content).hexdigest() == found["sha256"]
    assert len(download.content) == found["file_size"]


async def test_downloaded_files_are_real(
    sim: httpx.AsyncClient, webhook_target: respx.Route, ana: str
) -> None:
    magic = {
        "image": b"\x89PNG\r\n\x1a\n",
        "voice": b"OggS",
        "audio": b"\xff\xfb",
        "document": b"%PDF-",
        "sticker": b"RIFF",
        "video": b"\x00\x00\x00\x20ftyp",
    }
    for kind, start in magic.items():
        result = await inbound_media(sim, kind)
        found = await media_url(sim, result["media_id"], ana)
        content = (await sim.get(found["url"], headers=bearer(ana))).content
        assert content.startswith(start), kind
    assert b"OpusHead" in assets.OGG_VOICE.content
    assert assets.WEBP_STICKER.content[8:12] == b"WEBP"
    assert assets.PDF_FILE.content.rstrip().endswith(b"%%EOF")


async def test_download_needs_the_bearer_token(
    sim: httpx.AsyncClient, webhook_target: respx.Route, ana: str
) -> None:
    result = await inbound_media(sim)
    found = await media_url(sim, result["media_id"], ana)
    ben = await mint_token(sim, BEN_ID)  # Ben cannot reach Lima Group's WABA
    other_ana = await mint_token(sim, ANA_ID)  # reaches it, but the URL was issued to `ana`

    anonymous = await sim.get(found["url"])
    wrong = await sim.get(found["url"], headers=bearer("EAA-not-a-token"))
    stranger = await sim.get(found["url"], headers=bearer(ben))
    not_the_issuer = await sim.get(found["url"], headers=bearer(other_ana))
    in_query = await sim.get(found["url"], params={"access_token": ana})

    assert anonymous.status_code == 401
    assert wrong.status_code == 401
    assert stranger.status_code == 403
    assert not_the_issuer.status_code == 403
    assert in_query.status_code == 401
    downloads = (await sim.get("/_sim/calls")).json()["items"]
    statuses = [c["status_code"] for c in downloads if c["kind"] == "media_download"]
    assert statuses == [401, 401, 403, 403, 401]


async def test_lookup_needs_a_token_that_reaches_the_number(
    sim: httpx.AsyncClient, webhook_target: respx.Route
) -> None:
    result = await inbound_media(sim)
    ben = await mint_token(sim, BEN_ID)
    no_messaging = await mint_token(sim, ANA_ID, scopes=["whatsapp_business_management"])

    hidden = await sim.get(f"/{VERSION}/{result['media_id']}", headers=bearer(ben))
    missing_scope = await sim.get(f"/{VERSION}/{result['media_id']}", headers=bearer(no_messaging))
    anonymous = await sim.get(f"/{VERSION}/{result['media_id']}")

    assert (graph_error(hidden)["code"], graph_error(hidden)["error_subcode"]) == (100, 33)
    assert graph_error(missing_scope)["code"] == 200
    assert graph_error(anonymous)["code"] == 104


async def test_phone_number_id_query_must_match(
    sim: httpx.AsyncClient, webhook_target: respx.Route, ana: str
) -> None:
    result = await inbound_media(sim)

    right = await sim.get(
        f"/{VERSION}/{result['media_id']}",
        params={"phone_number_id": LIMA_NUMBER_ID},
        headers=bearer(ana),
    )
    wrong = await sim.get(
        f"/{VERSION}/{result['media_id']}",
        params={"phone_number_id": "400000000000002"},
        headers=bearer(ana),
    )

    assert right.status_code == 200
    assert graph_error(wrong)["code"] == 100


async def test_expired_media_answers_404_code_100(
    sim: httpx.AsyncClient, webhook_target: respx.Route, ana: str
) -> None:
    result = await inbound_media(sim)
    found = await media_url(sim, result["media_id"], ana)

    expired = await sim.post(f"/_sim/media/{result['media_id']}/expire")
    lookup = await sim.get(f"/{VERSION}/{result['media_id']}", headers=bearer(ana))
    download = await sim.get(found["url"], headers=bearer(ana))

    assert expired.json() == {"id": result["media_id"], "expired": True}
    assert lookup.status_code == 404
    assert graph_error(lookup)["code"] == 100
    assert download.status_code == 404
    assert (await sim.post("/_sim/media/123/expire")).status_code == 404


async def test_media_faults_and_call_records(
    sim: httpx.AsyncClient, webhook_target: respx.Route, ana: str
) -> None:
    result = await inbound_media(sim)
    fault = {"endpoint": "media", "code": 131052, "message": "Media download error"}
    assert (await sim.post("/_sim/faults", json=fault)).status_code == 201

    failed = await sim.get(f"/{VERSION}/{result['media_id']}", headers=bearer(ana))
    retried = await sim.get(f"/{VERSION}/{result['media_id']}", headers=bearer(ana))

    assert graph_error(failed)["code"] == 131052
    assert retried.status_code == 200
    calls = (await sim.get("/_sim/calls")).json()["items"]
    media_calls = [c for c in calls if c["kind"] == "media"]
    assert [c["status_code"] for c in media_calls] == [400, 200]
    assert media_calls[0]["phone_number_id"] == LIMA_NUMBER_ID


async def test_reset_forgets_media(
    sim: httpx.AsyncClient, webhook_target: respx.Route, ana: str
) -> None:
    result = await inbound_media(sim)

    await sim.delete("/_sim/state")

    assert (await sim.get("/_sim/media")).json() == {"items": []}
    token = await mint_token(sim, ANA_ID)
    gone = await sim.get(f"/{VERSION}/{result['media_id']}", headers=bearer(token))
    assert graph_error(gone)["code"] == 100
