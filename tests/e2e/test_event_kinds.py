"""Every message kind, both products, arrives through signed webhooks and is rendered in
one conversation each; screenshots of both threads are kept in test-results/."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, Stack

pytestmark = pytest.mark.e2e

PSID = "7000000000000777"
WA_ID = "15550007777"
WA_NUMBER = "109000000000001"


async def sim(stack: Stack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.post(f"{stack.metasim}{path}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert result.get("delivered") is True, result
    return result


async def messenger(stack: Stack, kind: str, **extra: Any) -> dict[str, Any]:
    body = {"page_id": stack.page_id, "psid": PSID, "first_name": "Mara", "last_name": "Quintero"}
    return await sim(stack, "/_sim/messenger/events", {**body, "kind": kind, **extra})


async def whatsapp(stack: Stack, kind: str, **extra: Any) -> dict[str, Any]:
    body = {"phone_number_id": WA_NUMBER, "wa_id": WA_ID, "name": "Kofi Mensah"}
    return await sim(stack, "/_sim/whatsapp/events", {**body, "kind": kind, **extra})


async def login(page: Page, stack: Stack) -> None:
    await page.goto(f"{stack.web}/login")
    await page.get_by_test_id("login-email").fill(stack.email)
    await page.get_by_test_id("login-password").fill(stack.password)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("conversation-list")).to_be_visible()


async def open_thread(page: Page, name: str) -> None:
    await page.get_by_test_id("conversation-item").filter(has_text=name).first.click()
    await expect(page.get_by_test_id("thread-header")).to_contain_text(name)


async def test_every_messenger_kind_is_rendered(stack: Stack, browser: Browser) -> None:
    first = await messenger(stack, "text", text="Hi! Do you have this bike in blue?")
    for kind in (
        "image",
        "sticker",
        "video",
        "audio",
        "file",
        "link",
        "quick_reply",
        "postback",
        "referral",
        "standby",
    ):
        await messenger(stack, kind)
    await messenger(stack, "reply", text="(about my first message)", target_mid=first["mid"])
    await messenger(stack, "reaction", target_mid=first["mid"], reaction="love", emoji="❤")
    await messenger(stack, "echo", text="Answered from Meta Business Suite")
    await messenger(stack, "unknown")

    page = await browser.new_page(viewport={"width": 1400, "height": 2600})
    await login(page, stack)
    await open_thread(page, "Mara Quintero")
    for kind in (
        "text",
        "image",
        "sticker",
        "video",
        "audio",
        "file",
        "link",
        "quick_reply",
        "postback",
    ):
        await expect(
            page.locator(f'[data-testid="message-bubble"][data-type="{kind}"]').first
        ).to_be_visible()
    await expect(page.get_by_test_id("reply-quote").first).to_contain_text("blue")
    await expect(page.get_by_test_id("message-reactions").first).to_contain_text("❤")
    await expect(
        page.locator('[data-testid="attachment"][data-kind="image"][data-state="stored"]').first
    ).to_be_visible(timeout=15_000)
    video = page.locator('[data-testid="attachment"][data-kind="video"] video').first
    await expect(video).to_be_visible(timeout=15_000)
    # Chromium decoded the stored file (through its presigned URL): a real video track.
    await video.evaluate(
        "v => v.readyState >= 1 || new Promise((ok, fail) => {"
        " v.addEventListener('loadedmetadata', ok);"
        " v.addEventListener('error', () => fail(new Error('video: ' + v.error?.message)));"
        " setTimeout(() => fail(new Error('video: no metadata, error ' + v.error?.code)), 10000);"
        " })"
    )
    assert await video.evaluate("v => [v.videoWidth, v.duration > 0]") == [64, True]
    elsewhere = page.locator('[data-testid="message-bubble"][data-direction="outbound"]').filter(
        has_text="Business Suite"
    )
    await expect(elsewhere).to_be_visible()

    await page.get_by_test_id("composer-input").fill("Yes, in blue and red!")
    await page.get_by_test_id("composer-send").click()
    reply = page.get_by_test_id("message-bubble").filter(has_text="Yes, in blue and red!")
    await expect(reply).to_have_attribute(
        "data-status", "read", timeout=15_000
    )  # echo, delivery, read
    await page.screenshot(path=str(ARTIFACTS / "kinds-messenger.png"), full_page=True)


async def test_every_whatsapp_kind_is_rendered(stack: Stack, browser: Browser) -> None:
    first = await whatsapp(stack, "text", text="Hello, is the shop open on Sunday?")
    for kind in ("image", "voice", "document", "sticker", "location", "contacts", "button_reply", "list_reply",
                 "template_button", "order", "system", "unsupported", "bsuid"):  # fmt: skip
        await whatsapp(stack, kind)
    await whatsapp(stack, "reply", text="(replying to my question)", target_wamid=first["wamid"])
    await whatsapp(stack, "reaction", target_wamid=first["wamid"], emoji="👍")

    page = await browser.new_page(viewport={"width": 1400, "height": 3000})
    await login(page, stack)
    await open_thread(page, "Kofi Mensah")
    for kind in ("text", "image", "audio", "file", "sticker", "location", "contacts", "interactive_reply",
                 "button_reply", "order", "unsupported"):  # fmt: skip
        await expect(
            page.locator(f'[data-testid="message-bubble"][data-type="{kind}"]').first
        ).to_be_visible()
    await expect(page.get_by_test_id("system-line").first).to_be_visible()
    await expect(page.get_by_test_id("location-card")).to_be_visible()
    await expect(page.get_by_test_id("contact-card").first).to_be_visible()
    await expect(page.get_by_test_id("order-card")).to_be_visible()
    # Button replies quote a business message Parley never saw; the customer's reply quotes theirs.
    await expect(page.get_by_test_id("reply-quote").filter(has_text="Sunday")).to_be_visible()
    await expect(page.get_by_test_id("message-reactions").first).to_contain_text("👍")
    await expect(
        page.locator('[data-testid="attachment"][data-kind="image"][data-state="stored"]').first
    ).to_be_visible(timeout=15_000)

    await page.get_by_test_id("composer-input").fill("Yes, 10:00 to 14:00.")
    await page.get_by_test_id("composer-send").click()
    reply = page.get_by_test_id("message-bubble").filter(has_text="Yes, 10:00 to 14:00.")
    await expect(reply).to_have_attribute(
        "data-status", "read", timeout=15_000
    )  # sent → delivered → read
    await page.screenshot(path=str(ARTIFACTS / "kinds-whatsapp.png"), full_page=True)
