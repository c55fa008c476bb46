"""A customer writes to the Page, the agent sees it live, replies, and Meta receives the reply."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import ARTIFACTS, Stack

pytestmark = pytest.mark.e2e


async def deliver(stack: Stack, text: str) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{stack.metasim}/_sim/messenger/deliver",
            json={
                "page_id": stack.page_id,
                "text": text,
                "first_name": "Dana",
                "last_name": "Okafor",
            },
        )
    response.raise_for_status()
    result: dict[str, object] = response.json()
    assert result["delivered"] is True, result
    return result


async def test_customer_message_appears_live_and_the_reply_reaches_meta(
    stack: Stack, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 1400, "height": 860})
    await page.goto(f"{stack.web}/login")
    await page.get_by_test_id("login-email").fill(stack.email)
    await page.get_by_test_id("login-password").fill(stack.password)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("conversation-list")).to_be_visible()

    question = f"Hi! Where is order #{uuid.uuid4().hex[:6]}?"
    delivered = await deliver(stack, question)

    # No reload: the conversation arrives over Socket.IO.
    item = page.get_by_test_id("conversation-item").filter(has_text=question)
    await expect(item).to_be_visible(timeout=10_000)
    await item.click()
    inbound = page.get_by_test_id("message-bubble").filter(has_text=question)
    await expect(inbound).to_have_attribute("data-direction", "inbound")

    reply = "It left our warehouse this morning."
    await page.get_by_test_id("composer-input").fill(reply)
    await page.get_by_test_id("composer-send").click()
    outbound = page.get_by_test_id("message-bubble").filter(has_text=reply)
    await expect(outbound).to_have_attribute("data-direction", "outbound")
    await expect(outbound).to_have_attribute("data-status", "sent", timeout=10_000)
    await page.screenshot(path=str(ARTIFACTS / "inbox-reply-sent.png"))

    async with httpx.AsyncClient(timeout=10) as client:
        sent = (
            await client.get(f"{stack.metasim}/_sim/sent", params={"page_id": stack.page_id})
        ).json()["items"]
    replies = [call for call in sent if call["body"].get("message", {}).get("text") == reply]
    assert len(replies) == 1
    assert replies[0]["recipient_id"] == delivered["psid"]
    assert replies[0]["token_in_query"] is False
    assert replies[0]["status_code"] == 200


async def test_a_second_message_in_the_open_thread_appears_without_reload(
    stack: Stack, browser: Browser
) -> None:
    page = await browser.new_page()
    await page.goto(f"{stack.web}/login")
    await page.get_by_test_id("login-email").fill(stack.email)
    await page.get_by_test_id("login-password").fill(stack.password)
    await page.get_by_test_id("login-submit").click()
    first = f"First question {uuid.uuid4().hex[:6]}"
    result = await deliver(stack, first)
    await page.get_by_test_id("conversation-item").filter(has_text=first).click()

    follow_up = f"Follow-up {uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{stack.metasim}/_sim/messenger/deliver",
            json={"page_id": stack.page_id, "psid": result["psid"], "text": follow_up},
        )
    assert response.json()["delivered"] is True
    await expect(page.get_by_test_id("message-bubble").filter(has_text=follow_up)).to_be_visible(
        timeout=10_000
    )
    await expect(page.get_by_test_id("message-bubble").filter(has_text=first)).to_be_visible()
