"""A new business registers, connects two Facebook Pages and a WhatsApp number through
(simulated) Facebook Login, and a customer message on each reaches its inbox live."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, Stack

pytestmark = pytest.mark.e2e

ANA = "10000000000001"
LIMA_BIKES, LIMA_OUTLET = "105000000000001", "105000000000002"
LIMA_GROUP, LIMA_WABA, LIMA_NUMBER = "200000000000001", "300000000000001", "400000000000001"


async def register(page: Page, stack: Stack) -> None:
    await page.goto(f"{stack.web}/register")
    await page.get_by_test_id("register-tenant").fill("Lima Bikes Co")
    await page.get_by_test_id("register-email").fill(
        f"ana-{uuid.uuid4().hex[:6]}@limabikes.example"
    )
    await page.get_by_test_id("register-password").fill("pedal power 2026")
    await page.get_by_test_id("register-submit").click()
    await expect(page.get_by_test_id("conversation-list")).to_be_visible()


async def facebook_login_as(page: Page, user_id: str) -> None:
    """metasim's simulated Facebook Login dialog."""
    await page.get_by_test_id(f"continue-as-{user_id}").click()


async def deliver(stack: Stack, path: str, body: dict[str, str]) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{stack.metasim}{path}", json=body)
    response.raise_for_status()
    assert response.json()["delivered"] is True, response.json()


async def test_new_business_connects_pages_and_a_number_and_receives_on_each(
    stack: Stack, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await register(page, stack)

    # Facebook Pages: log in, choose two pages.
    await page.get_by_test_id("nav-channels").click()
    await page.get_by_test_id("connect-messenger").click()
    await facebook_login_as(page, ANA)
    for page_id in (LIMA_BIKES, LIMA_OUTLET):
        await page.locator(f'[data-testid="page-option"][data-page-id="{page_id}"] input').check()
    await page.screenshot(path=str(ARTIFACTS / "connect-pages.png"))
    await page.get_by_test_id("connect-pages-submit").click()
    await expect(page.get_by_test_id("channel-card")).to_have_count(2)

    # WhatsApp: business → WhatsApp Business Account → number.
    await page.get_by_test_id("connect-whatsapp").click()
    await facebook_login_as(page, ANA)
    await page.locator(f'[data-testid="business-option"][data-business-id="{LIMA_GROUP}"]').click()
    await page.locator(f'[data-testid="waba-option"][data-waba-id="{LIMA_WABA}"]').click()
    await page.locator(f'[data-testid="number-option"][data-number-id="{LIMA_NUMBER}"]').click()
    await page.get_by_test_id("make-primary").check()
    await page.screenshot(path=str(ARTIFACTS / "connect-whatsapp.png"))
    await page.get_by_test_id("connect-number-submit").click()
    await expect(page.get_by_test_id("channel-card")).to_have_count(3)
    await expect(page.locator('[data-testid="channel-card"][data-status="active"]')).to_have_count(
        3
    )
    await page.screenshot(path=str(ARTIFACTS / "channels.png"))

    # A customer writes to each; every message reaches this business's inbox live.
    texts = {
        "bikes": f"Do you fix e-bikes? {uuid.uuid4().hex[:4]}",
        "outlet": f"Outlet open today? {uuid.uuid4().hex[:4]}",
        "whatsapp": f"Sunday hours? {uuid.uuid4().hex[:4]}",
    }
    await page.get_by_test_id("nav-inbox").click()
    await deliver(stack, "/_sim/messenger/deliver", {"page_id": LIMA_BIKES, "text": texts["bikes"]})
    await deliver(
        stack, "/_sim/messenger/deliver", {"page_id": LIMA_OUTLET, "text": texts["outlet"]}
    )
    await deliver(
        stack, "/_sim/whatsapp/deliver", {"phone_number_id": LIMA_NUMBER, "text": texts["whatsapp"]}
    )
    for text in texts.values():
        await expect(page.get_by_test_id("conversation-item").filter(has_text=text)).to_be_visible(
            timeout=10_000
        )
    await page.screenshot(path=str(ARTIFACTS / "inbox-three-channels.png"))

    # And a reply on WhatsApp reaches metasim's Cloud API.
    await page.get_by_test_id("conversation-item").filter(has_text=texts["whatsapp"]).click()
    await page.get_by_test_id("composer-input").fill("9 to 12, see you!")
    await page.get_by_test_id("composer-send").click()
    reply = page.get_by_test_id("message-bubble").filter(has_text="9 to 12, see you!")
    await expect(reply).to_have_attribute("data-status", "sent", timeout=10_000)
