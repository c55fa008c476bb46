"""An agent answers within Meta's rules after the 24-hour window: a WhatsApp template, a
Messenger HUMAN_AGENT reply, nothing after 7 days; and retries a message Meta refused."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import ARTIFACTS, Stack
from tests.e2e.sim import (
    WA_NUMBER,
    age_conversation,
    drop_file,
    login,
    messenger_writes,
    noise_png,
    open_conversation,
    sim_get,
    sim_post,
    unique_wa_id,
    whatsapp_writes,
)

pytestmark = pytest.mark.e2e

SENT = re.compile(r"^(sent|delivered|read)$")  # metasim follows a send with its statuses


async def test_whatsapp_after_the_window_closed_takes_a_template(
    stack: Stack, browser: Browser
) -> None:
    wa_id, tag = unique_wa_id(), uuid.uuid4().hex[:6]
    question = f"Is my order still coming? {tag}"
    await whatsapp_writes(stack, question, wa_id, "Ines Carvalho")
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await login(page, stack)
    conversation_id = await open_conversation(page, question)
    await expect(page.get_by_test_id("composer")).to_have_attribute("data-mode", "free")

    await age_conversation(conversation_id, timedelta(hours=25))
    await page.reload()
    composer = page.get_by_test_id("composer")
    await expect(composer).to_have_attribute("data-mode", "template")
    banner = page.get_by_test_id("composer-mode-banner")
    await expect(banner).to_have_attribute("data-mode", "template")
    await expect(banner).to_contain_text(re.compile(r"The 24-hour window closed 1h( \d+m)? ago"))
    await expect(banner).to_contain_text("only allows approved templates")
    await expect(page.get_by_test_id("composer-input")).to_be_disabled()
    await expect(page.get_by_test_id("composer-attach")).to_be_disabled()
    await expect(page.get_by_test_id("composer-send")).to_be_disabled()
    await expect(page.get_by_test_id("window-badge")).to_have_attribute(
        "data-window-state", "closed"
    )
    await page.screenshot(path=str(ARTIFACTS / "composer-window-closed.png"))

    await page.get_by_test_id("composer-choose-template").click()
    picker = page.get_by_test_id("template-picker")
    await expect(picker).to_contain_text("only allows approved templates")
    # Only approved templates are offered: metasim's pending and rejected samples are not.
    options = picker.get_by_test_id("template-option")
    await expect(options.first).to_be_visible()
    names = await options.evaluate_all("els => els.map(e => e.dataset.templateName)")
    assert "order_update" in names and "hello_world" in names, names
    assert "spring_sale" not in names and "welcome_back" not in names, names
    await page.screenshot(path=str(ARTIFACTS / "template-picker.png"))

    await picker.get_by_test_id("template-language").select_option("en_US")
    await picker.locator(
        '[data-testid="template-option"][data-template-name="order_update"]'
    ).click()
    form = picker.get_by_test_id("template-form")
    await expect(form).to_have_attribute("data-template-name", "order_update")
    order = f"A-{tag}"
    await form.get_by_label("Header {{1}}").fill(order)
    body = form.get_by_test_id("template-body-input")
    await expect(body).to_have_count(3)
    await body.nth(0).fill("Ines")
    await body.nth(1).fill(order)
    await body.nth(2).fill("tomorrow")
    await form.get_by_test_id("template-button-input").first.fill(order)
    expected = f"Hi Ines, your order {order} is on its way and should arrive tomorrow."
    await expect(form.get_by_test_id("template-preview-body")).to_have_text(expected)
    await expect(form.get_by_test_id("template-preview-header")).to_have_text(f"Order {order}")
    await page.screenshot(path=str(ARTIFACTS / "template-picker-filled.png"))
    await form.get_by_test_id("template-submit").click()
    await expect(picker).to_be_hidden()

    bubble = page.locator(
        '[data-testid="message-bubble"][data-direction="outbound"][data-type="template"]'
    )
    await expect(bubble).to_have_count(1)
    await expect(
        bubble.locator('[data-testid="message-tag"][data-tag="template"]')
    ).to_contain_text("order_update")
    await expect(bubble).to_have_attribute("data-status", SENT, timeout=15_000)
    # Still template-only: a template does not reopen the window, only the customer can.
    await expect(composer).to_have_attribute("data-mode", "template")

    sent = await sim_get(stack, "/_sim/sent", phone_number_id=WA_NUMBER)
    ours = [s for s in sent if (s["recipient_id"] or "").lstrip("+") == wa_id]
    assert len(ours) == 1, ours
    call = ours[0]
    assert call["status_code"] == 200, call
    template = call["body"]["template"]
    assert call["body"]["type"] == "template"
    assert template["name"] == "order_update"
    assert template["language"]["code"] == "en_US"
    components = {c["type"]: c for c in template["components"]}
    assert [p["text"] for p in components["body"]["parameters"]] == ["Ines", order, "tomorrow"]
    assert [p["text"] for p in components["header"]["parameters"]] == [order]


async def test_messenger_after_24_hours_replies_as_human_agent_and_not_after_7_days(
    stack: Stack, browser: Browser
) -> None:
    tag = uuid.uuid4().hex[:6]
    question = f"Any news on my refund? {tag}"
    customer = await messenger_writes(stack, question, "Tomas", "Berg")
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await login(page, stack)
    conversation_id = await open_conversation(page, question)

    await age_conversation(conversation_id, timedelta(days=3))
    await page.reload()
    composer = page.get_by_test_id("composer")
    await expect(composer).to_have_attribute("data-mode", "human_agent")
    banner = page.get_by_test_id("composer-mode-banner")
    await expect(banner).to_have_attribute("data-mode", "human_agent")
    await expect(banner).to_contain_text("HUMAN_AGENT tag until")
    await expect(page.get_by_test_id("composer-tag")).to_have_text("HUMAN_AGENT")
    await expect(page.get_by_test_id("window-badge")).to_have_attribute(
        "data-window-state", "human_agent"
    )
    await page.screenshot(path=str(ARTIFACTS / "composer-human-agent.png"))

    reply = f"Your refund was issued today ({tag})."
    await page.get_by_test_id("composer-input").fill(reply)
    await page.get_by_test_id("composer-send").click()
    bubble = page.get_by_test_id("message-bubble").filter(has_text=reply)
    await expect(bubble).to_have_attribute("data-direction", "outbound")
    await expect(
        bubble.locator('[data-testid="message-tag"][data-tag="human_agent"]')
    ).to_have_text("Human agent")
    await expect(bubble).to_have_attribute("data-status", SENT, timeout=15_000)

    sent = await sim_get(stack, "/_sim/sent", page_id=stack.page_id)
    ours = [s for s in sent if s["recipient_id"] == customer["psid"]]
    assert len(ours) == 1, ours
    assert ours[0]["status_code"] == 200
    assert ours[0]["body"]["messaging_type"] == "MESSAGE_TAG"
    assert ours[0]["body"]["tag"] == "HUMAN_AGENT"
    assert ours[0]["body"]["message"]["text"] == reply

    # Another customer last wrote 8 days ago: Messenger allows nothing at all.
    late = f"Hello? {tag}"
    other = await messenger_writes(stack, late, "Wen", "Zhao")
    other_id = await open_conversation(page, late)
    await age_conversation(other_id, timedelta(days=8))
    await page.reload()
    await expect(composer).to_have_attribute("data-mode", "blocked")
    banner = page.get_by_test_id("composer-mode-banner")
    await expect(banner).to_have_attribute("data-mode", "blocked")
    await expect(banner).to_contain_text("Over 7 days since the customer last wrote")
    await expect(page.get_by_test_id("composer-input")).to_be_disabled()
    await expect(page.get_by_test_id("composer-input")).to_have_attribute(
        "placeholder", re.compile("not possible until the customer writes again")
    )
    await expect(page.get_by_test_id("composer-send")).to_be_disabled()
    await expect(page.get_by_test_id("composer-attach")).to_be_disabled()
    await expect(page.get_by_test_id("window-badge")).to_have_attribute(
        "data-window-state", "closed"
    )
    await page.screenshot(path=str(ARTIFACTS / "composer-blocked.png"))
    # A file dropped on the conversation is refused with the same reason, not staged.
    await drop_file(page, "photo.png", noise_png(8, 8))
    await expect(page.get_by_test_id("composer-error")).to_contain_text(
        "Files cannot be sent now. Over 7 days since the customer last wrote"
    )
    await expect(page.get_by_test_id("composer-attachment")).to_have_count(0)
    assert [
        s for s in await sim_get(stack, "/_sim/sent") if s["recipient_id"] == other["psid"]
    ] == []
    await expect(
        page.locator('[data-testid="message-bubble"][data-direction="outbound"]')
    ).to_have_count(0)


async def test_a_message_meta_refused_is_shown_failed_and_retried(
    stack: Stack, browser: Browser
) -> None:
    tag = uuid.uuid4().hex[:6]
    question = f"Can I change my delivery address? {tag}"
    customer = await messenger_writes(stack, question, "Lena", "Fischer")
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await login(page, stack)
    await open_conversation(page, question)

    fault = await sim_post(
        stack,
        "/_sim/faults",
        {
            "endpoint": "send",
            "page_id": stack.page_id,
            "code": 551,
            "error_subcode": 1545041,
            "message": "This person isn't available right now.",
            "http_status": 400,
        },
    )
    reply = f"Yes: send us the new address ({tag})."
    await page.get_by_test_id("composer-input").fill(reply)
    await page.get_by_test_id("composer-send").click()
    bubble = page.get_by_test_id("message-bubble").filter(has_text=reply)
    await expect(bubble).to_have_attribute("data-status", "failed", timeout=15_000)
    error = bubble.get_by_test_id("message-error")
    await expect(error).to_contain_text(
        "Not delivered: This person isn't available right now (messages off, blocked or deactivated)."
    )
    await page.screenshot(path=str(ARTIFACTS / "message-failed.png"))

    # The fault was for one send: it is used up, Meta would accept the message now.
    assert fault["id"] not in [f["id"] for f in await sim_get(stack, "/_sim/faults")]
    await error.get_by_test_id("message-retry").click()
    await expect(bubble).to_have_attribute("data-status", SENT, timeout=15_000)
    await expect(bubble.get_by_test_id("message-error")).to_have_count(0)
    # One bubble: the retry sent the same message again, it did not add another.
    await expect(page.get_by_test_id("message-bubble").filter(has_text=reply)).to_have_count(1)

    sent = await sim_get(stack, "/_sim/sent", page_id=stack.page_id)
    attempts = [
        s
        for s in sent
        if s["recipient_id"] == customer["psid"]
        and s["body"].get("message", {}).get("text") == reply
    ]
    assert [a["status_code"] for a in attempts] == [400, 200], attempts
