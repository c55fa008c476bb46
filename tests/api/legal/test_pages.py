"""The public legal pages Meta's app review asks for: rendered from the operator's
templates with their settings filled in, self-contained, locked down by their CSP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from api.config import get_settings
from api.legal.pages import render

PAGES = ("privacy", "terms", "data-deletion")


@pytest.fixture
def operator(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LEGAL_COMPANY_NAME", "Lima Bikes <Ltd> & Co")
    monkeypatch.setenv("LEGAL_CONTACT_EMAIL", "privacy@lima.example")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://inbox.lima.example")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("page", PAGES)
async def test_each_page_renders_with_the_operators_values(
    client: httpx.AsyncClient, operator: None, page: str
) -> None:
    response = await client.get(f"/api/legal/{page}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    html = response.text
    assert html.startswith("<!doctype html>")
    # Filled in (and escaped): no placeholder left, no markup from a setting.
    assert not re.search(r"\{\{\s*\w+\s*\}\}", html)
    assert "Lima Bikes &lt;Ltd&gt; &amp; Co" in html and "<Ltd>" not in html
    assert '<a href="mailto:privacy@lima.example">privacy@lima.example</a>' in html
    # Self-contained: inline CSS only, nothing loaded from anywhere, no script.
    assert "<style>" in html and "<script" not in html.lower()
    assert not re.search(r"<link|<img|src=", html)
    # The operator's comments stay out of the page.
    assert "<!--" not in html and "placeholders" not in html
    assert re.search(r"<h1>[^<]+</h1>", html)


async def test_the_privacy_policy_covers_what_meta_asks_for(
    client: httpx.AsyncClient, operator: None
) -> None:
    html = (await client.get("/api/legal/privacy")).text
    for topic in ("Messenger", "WhatsApp", "Why we process it", "How long we keep it"):
        assert topic in html
    assert "https://inbox.lima.example/api/legal/data-deletion" in html


async def test_the_data_deletion_page_explains_how_and_names_the_callback(
    client: httpx.AsyncClient, operator: None
) -> None:
    html = (await client.get("/api/legal/data-deletion")).text
    callback = "https://inbox.lima.example/api/meta/data-deletion"
    assert f'<a href="{callback}">{callback}</a>' in html
    assert "Remove" in html and "Delete workspace" in html and "30 days" in html


async def test_an_unknown_page_is_404(client: httpx.AsyncClient) -> None:
    for page in ("cookies", "..%2Fprivacy", "privacy.md", "PRIVACY"):
        response = await client.get(f"/api/legal/{page}")
        assert response.status_code == 404, page
        assert response.json()["error"] == "not_found"


def test_markdown_is_escaped_and_links_only_http_or_mail() -> None:
    from api.legal import pages

    title, body = pages._markdown(
        "# Hello <b>\n\nA [link](https://ok.example/a?b=1&c=2) and "
        "[bad](javascript:alert(1)) and **bold**.\n\n- one\n- two"
    )
    assert title == "Hello <b>"
    assert "<h1>Hello &lt;b&gt;</h1>" in body
    assert '<a href="https://ok.example/a?b=1&amp;c=2">link</a>' in body
    assert "javascript:" not in body.split("[bad]")[0] and 'href="javascript' not in body
    assert "<strong>bold</strong>" in body
    assert "<ul><li>one</li><li>two</li></ul>" in body


def test_no_page_for_a_name_outside_the_list() -> None:
    assert render("../../etc/passwd", get_settings()) is None
