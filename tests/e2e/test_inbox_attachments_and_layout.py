"""An agent attaches images (file picker with a progress bar, and drag and drop) and they
reach WhatsApp as uploaded media; the inbox on a laptop and on a phone."""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.e2e.conftest import ARTIFACTS, Stack
from tests.e2e.sim import (
    WA_NUMBER,
    drop_file,
    login,
    messenger_writes,
    noise_png,
    open_conversation,
    sim_get,
    unique_wa_id,
    whatsapp_writes,
)

pytestmark = pytest.mark.e2e

SENT = re.compile(r"^(sent|delivered|read)$")
MID_WAY = re.compile(r"(?<![0-9])[1-9][0-9]?%")  # 1..99 %: the upload is under way
MID_WAY_VALUE = re.compile(r"^[1-9][0-9]?$")


async def test_images_upload_with_progress_and_reach_whatsapp_as_media(
    stack: Stack, browser: Browser
) -> None:
    wa_id, tag = unique_wa_id(), uuid.uuid4().hex[:6]
    question = f"Can you send me the receipt? {tag}"
    await whatsapp_writes(stack, question, wa_id, "Ama Owusu")
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await login(page, stack)
    await open_conversation(page, question)

    # Through the file picker, on a slow uplink so the progress can be seen.
    receipt = noise_png(300, 300)  # ~270 KB
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 90_000},
    )
    await page.get_by_test_id("composer-file-input").set_input_files(
        {"name": "receipt.png", "mimeType": "image/png", "buffer": receipt}
    )
    staged = page.get_by_test_id("composer-attachment")
    progress = staged.get_by_test_id("composer-attachment-progress")
    await expect(progress).to_be_visible()
    await expect(staged).to_have_attribute("data-state", "uploading")
    await expect(staged).to_contain_text(MID_WAY)
    await expect(progress).to_have_attribute("aria-valuenow", MID_WAY_VALUE)
    await page.screenshot(path=str(ARTIFACTS / "composer-upload-progress.png"))
    # Nothing can be sent until the file is stored.
    await expect(page.get_by_test_id("composer-send")).to_be_disabled()
    await expect(staged).to_have_attribute("data-state", "ready", timeout=15_000)
    await expect(progress).to_have_count(0)
    await cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    caption = f"Here is your receipt ({tag})."
    await page.get_by_test_id("composer-input").fill(caption)
    await page.get_by_test_id("composer-send").click()
    await expect(staged).to_have_count(0)

    images = page.locator(
        '[data-testid="message-bubble"][data-direction="outbound"][data-type="image"]'
    )
    first = images.filter(has_text=caption)
    await expect(first).to_have_attribute("data-status", SENT, timeout=15_000)
    await expect_image_loaded(first, 300)

    # By drag and drop onto the conversation.
    photo = noise_png(160, 120)
    await drop_file(page, "shelf.png", photo)
    dropped = page.get_by_test_id("composer-attachment")
    await expect(dropped).to_contain_text("shelf.png")
    await expect(dropped).to_have_attribute("data-state", "ready", timeout=15_000)
    await page.get_by_test_id("composer-send").click()
    await expect(images).to_have_count(2)
    await expect(images.nth(1)).to_have_attribute("data-status", SENT, timeout=15_000)
    await expect_image_loaded(images.nth(1), 160)
    await page.screenshot(path=str(ARTIFACTS / "attachments-sent.png"))

    # Meta got each file uploaded once, then a send naming the uploaded media's id.
    uploads = [
        c
        for c in await sim_get(stack, "/_sim/calls")
        if c["kind"] == "media_upload" and c["phone_number_id"] == WA_NUMBER
    ]
    sends = [
        s
        for s in await sim_get(stack, "/_sim/sent", phone_number_id=WA_NUMBER)
        if (s["recipient_id"] or "").lstrip("+") == wa_id
    ]
    assert [s["status_code"] for s in sends] == [200, 200], sends
    for send, content, text in ((sends[0], receipt, caption), (sends[1], photo, None)):
        assert send["body"]["type"] == "image"
        media = send["media"]
        assert media["sha256"] == hashlib.sha256(content).hexdigest()
        assert media["file_size"] == len(content)
        assert send["body"]["image"]["id"] == media["id"]
        assert send["body"]["image"].get("caption") == text
        upload = [u for u in uploads if u["response"].get("id") == media["id"]]
        assert len(upload) == 1, upload
        assert upload[0]["status_code"] == 200
        assert upload[0]["id"] < send["id"]


async def expect_image_loaded(bubble: Locator, width: int) -> None:
    """The bubble's image came from storage and decoded to the picture that was sent."""
    attachment = bubble.locator('[data-testid="attachment"][data-kind="image"]')
    await expect(attachment).to_have_attribute("data-state", "stored")
    image = attachment.locator("img")
    await expect(image).to_be_visible(timeout=15_000)
    await expect(image).to_have_js_property("complete", True)
    assert await image.evaluate("i => i.naturalWidth") == width


async def expect_header_fits(page: Page, first_action: str) -> None:
    """The thread header's window badge is whole and clear of the actions after it."""
    badge = page.get_by_test_id("window-badge")
    await expect(badge).to_be_visible()
    box = await badge.bounding_box()
    action = await page.get_by_test_id(first_action).bounding_box()
    assert box is not None and action is not None
    assert box["x"] + box["width"] <= action["x"], (box, action)
    clipped = "b => [...b.querySelectorAll('span')].some(s => s.scrollWidth > s.clientWidth)"
    assert await badge.evaluate(clipped) is False


async def test_the_inbox_on_a_laptop_and_on_a_phone(stack: Stack, browser: Browser) -> None:
    tag = uuid.uuid4().hex[:6]
    texts = {
        "messenger": f"Do you deliver to Porto? {tag}",
        "whatsapp": f"Is the blue jacket back in stock? {tag}",
        "vip": f"I'd like to order 40 jackets for my team {tag}",
    }
    await messenger_writes(stack, texts["messenger"], "Rui", "Costa")
    await whatsapp_writes(stack, texts["whatsapp"], unique_wa_id(), "Zanele Dube")
    await messenger_writes(stack, texts["vip"], "Maya", "Levi")

    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await login(page, stack)
    await open_conversation(page, texts["vip"])
    # The agent takes the big order and labels it.
    await page.get_by_test_id("assignee-trigger").click()
    await page.get_by_test_id("assign-me").click()
    await page.get_by_test_id("labels-trigger").click()
    await page.get_by_placeholder("Find or create a label…").fill("wholesale")
    await page.keyboard.press("Enter")
    await page.keyboard.press("Escape")
    vip = page.get_by_test_id("conversation-item").filter(has_text=texts["vip"])
    await expect(vip.get_by_test_id("label-chip")).to_have_text("wholesale")
    await expect(vip.get_by_test_id("assignee-avatar")).to_be_visible()

    await open_conversation(page, texts["whatsapp"])
    await expect(page.get_by_test_id("inbox-list-pane")).to_be_visible()
    await expect(page.get_by_test_id("inbox-thread-pane")).to_be_visible()
    await expect(page.get_by_test_id("thread-back")).to_be_hidden()
    await expect(page.get_by_test_id("folder-switcher")).to_contain_text(re.compile(r"All.*\d"))
    await expect_header_fits(page, "labels-trigger")
    await page.screenshot(path=str(ARTIFACTS / "inbox-laptop.png"))
    await page.get_by_test_id("folder-switcher").click()
    folders = page.locator('[data-testid="folder-nav"]:visible')  # the menu's, not the sidebar's
    for view in ("mine", "unassigned", "all"):
        link = folders.locator(f'[data-testid="folder-link"][data-view="{view}"]')
        await expect(link.get_by_test_id("folder-count")).to_have_text(re.compile(r"^\d+$"))
    mine = folders.locator('[data-testid="folder-link"][data-view="mine"]')
    await expect(mine.get_by_test_id("folder-count")).to_have_text(re.compile(r"^[1-9]\d*$"))
    await page.screenshot(path=str(ARTIFACTS / "inbox-laptop-folders.png"))

    # A phone: one pane at a time.
    phone = await browser.new_page(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    await login(phone, stack)
    inbox = phone.get_by_test_id("inbox")
    await expect(inbox).to_have_attribute("data-phone-pane", "list")
    await expect(phone.get_by_test_id("inbox-list-pane")).to_be_visible()
    await expect(phone.get_by_test_id("inbox-thread-pane")).to_be_hidden()
    item = phone.get_by_test_id("conversation-item").filter(has_text=texts["vip"])
    await expect(item).to_be_visible(timeout=10_000)
    await phone.screenshot(path=str(ARTIFACTS / "inbox-phone-list.png"))

    await item.tap()
    await expect(inbox).to_have_attribute("data-phone-pane", "thread")
    await expect(phone.get_by_test_id("inbox-list-pane")).to_be_hidden()
    await expect(phone.get_by_test_id("inbox-thread-pane")).to_be_visible()
    await expect(
        phone.get_by_test_id("message-bubble").filter(has_text=texts["vip"])
    ).to_be_visible()
    await expect(phone.get_by_test_id("composer")).to_be_visible()
    back = phone.get_by_test_id("thread-back")
    await expect(back).to_be_visible()
    await expect_header_fits(phone, "thread-actions-mobile")
    await phone.screenshot(path=str(ARTIFACTS / "inbox-phone-thread.png"))

    await back.tap()
    await expect(inbox).to_have_attribute("data-phone-pane", "list")
    await expect(phone.get_by_test_id("inbox-list-pane")).to_be_visible()
    await expect(phone.get_by_test_id("inbox-thread-pane")).to_be_hidden()
    await expect(item).to_be_visible()
