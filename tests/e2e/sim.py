"""Arranging the world for browser tests: customers writing through metasim, what metasim
recorded, and windows aged in the database. The agent's own actions always go through
the UI; these only set the scene and check what reached Meta."""

from __future__ import annotations

import base64
import secrets
import struct
import zlib
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
from playwright.async_api import Page, expect

from tests.e2e.conftest import E2E_DB, Stack

WA_NUMBER = "109000000000001"


def unique_wa_id() -> str:
    """A WhatsApp user nobody else in the session writes as."""
    return "1555" + "".join(secrets.choice("0123456789") for _ in range(8))


async def sim_post(stack: Stack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.post(f"{stack.metasim}{path}", json=body)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def sim_get(stack: Stack, path: str, **params: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.get(f"{stack.metasim}{path}", params=params)
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def messenger_writes(stack: Stack, text: str, first: str, last: str) -> dict[str, Any]:
    """A new Messenger customer writes to the demo page."""
    result = await sim_post(
        stack,
        "/_sim/messenger/deliver",
        {"page_id": stack.page_id, "text": text, "first_name": first, "last_name": last},
    )
    assert result["delivered"] is True, result
    return result


async def whatsapp_writes(stack: Stack, text: str, wa_id: str, name: str) -> dict[str, Any]:
    """A WhatsApp user writes to the demo number."""
    result = await sim_post(
        stack,
        "/_sim/whatsapp/deliver",
        {"phone_number_id": WA_NUMBER, "text": text, "wa_id": wa_id, "name": name},
    )
    assert result["delivered"] is True, result
    return result


async def age_conversation(conversation_id: str, by: timedelta) -> None:
    """Move the conversation's history `by` into the past, as if the customer wrote then."""
    connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{E2E_DB}")
    try:
        async with connection.transaction():
            updated = await connection.execute(
                "UPDATE conversations SET last_inbound_at = last_inbound_at - $2::interval,"
                " last_message_at = last_message_at - $2::interval WHERE id = $1::uuid",
                conversation_id,
                by,
            )
            assert updated == "UPDATE 1", updated
            await connection.execute(
                "UPDATE messages SET sort_at = sort_at - $2::interval,"
                " created_at = created_at - $2::interval,"
                " provider_timestamp = provider_timestamp - $2::interval"
                " WHERE conversation_id = $1::uuid",
                conversation_id,
                by,
            )
    finally:
        await connection.close()


async def login(page: Page, stack: Stack) -> None:
    await page.goto(f"{stack.web}/login")
    await page.get_by_test_id("login-email").fill(stack.email)
    await page.get_by_test_id("login-password").fill(stack.password)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("conversation-list")).to_be_visible()


async def open_conversation(page: Page, text: str) -> str:
    """Open the conversation whose preview shows `text` (it arrives live); its id."""
    item = page.get_by_test_id("conversation-item").filter(has_text=text)
    await expect(item).to_be_visible(timeout=10_000)
    await item.click()
    await expect(page.get_by_test_id("message-bubble").filter(has_text=text)).to_be_visible()
    conversation_id = await item.get_attribute("data-conversation-id")
    assert conversation_id
    return conversation_id


def noise_png(width: int, height: int) -> bytes:
    """A real PNG of random pixels: it does not compress, so its size is ~3 bytes a pixel."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + secrets.token_bytes(width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 1))
        + chunk(b"IEND", b"")
    )


DROP_FILES = """
async ({ name, b64, step }) => {
  if (step === "enter") {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    window.__drop = new DataTransfer();
    window.__drop.items.add(new File([bytes], name, { type: "image/png" }));
  }
  const target = document.querySelector('[data-testid="thread"]');
  const types = step === "enter" ? ["dragenter", "dragover"] : ["drop"];
  for (const type of types) {
    target.dispatchEvent(
      new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: window.__drop }),
    );
  }
}
"""


async def drop_file(page: Page, name: str, content: bytes) -> None:
    """Drag a file over the thread (the overlay shows), then drop it."""
    b64 = base64.b64encode(content).decode()
    await page.evaluate(DROP_FILES, {"name": name, "b64": b64, "step": "enter"})
    await expect(page.get_by_test_id("drop-overlay")).to_be_visible()
    await page.evaluate(DROP_FILES, {"name": name, "b64": "", "step": "drop"})
    await expect(page.get_by_test_id("drop-overlay")).to_be_hidden()
