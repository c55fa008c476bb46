"""The public legal pages (privacy policy, terms of service, data-deletion instructions),
rendered from the operator's templates in the top-level `legal/` folder.

A template is plain text in a small Markdown subset, so an operator can edit it without
knowing HTML: `#`/`##`/`###` headings, paragraphs (separated by a blank line), `- ` list
items, `**bold**`, `[text](https://link)` and bare https:// links, and the placeholders
`{{company_name}}`, `{{contact_email}}` and `{{app_url}}` (settings LEGAL_COMPANY_NAME,
LEGAL_CONTACT_EMAIL, PUBLIC_BASE_URL); `<!-- comments -->` are left out. Everything is HTML-escaped first, so a template
cannot inject markup; the page is self-contained (inline CSS only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from api.config import Settings

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "legal"
PAGES = {"privacy": "privacy.md", "terms": "terms.md", "data-deletion": "data-deletion.md"}
CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+|mailto:[^\s)]+|/[^\s)]*)\)")
_BARE_URL = re.compile(r"(?<![\"=>])(https?://[^\s<]+[^\s<.,;:!?)])")
_EMAIL = re.compile(r"(?<![\w.:/>\"])([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")

STYLE = """
body{margin:0;background:#f7f7f8;color:#1f2328;font:16px/1.6 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:46rem;margin:0 auto;padding:2.5rem 1.25rem 4rem;background:#fff;
min-height:100vh;box-sizing:border-box}
h1{font-size:1.9rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.3rem;margin:2rem 0 .5rem}h3{font-size:1.1rem;margin:1.5rem 0 .4rem}
p,ul{margin:.6rem 0}li{margin:.25rem 0}a{color:#0b57d0}
footer{margin-top:3rem;padding-top:1rem;border-top:1px solid #e4e4e7;color:#6b7280;
font-size:.9rem}
@media (prefers-color-scheme:dark){body{background:#111214;color:#e6e6e6}
main{background:#18191b}a{color:#8ab4f8}footer{border-color:#2c2d30;color:#9ca3af}}
""".strip()


@dataclass(frozen=True, slots=True)
class LegalPage:
    title: str
    html: str


def values(settings: Settings) -> dict[str, str]:
    return {
        "company_name": settings.legal.company_name,
        "contact_email": settings.legal.contact_email,
        "app_url": settings.public_base_url.rstrip("/"),
    }


def render(page: str, settings: Settings) -> LegalPage | None:
    """The page as a whole HTML document; None for a page that does not exist."""
    name = PAGES.get(page)
    if name is None:
        return None
    source = _COMMENT.sub("", (TEMPLATES_DIR / name).read_text(encoding="utf-8"))
    filled = _PLACEHOLDER.sub(lambda m: values(settings).get(m.group(1), m.group(0)), source)
    title, body = _markdown(filled)
    links = " · ".join(
        f'<a href="{escape(slug)}">{escape(label)}</a>'
        for slug, label in (
            ("privacy", "Privacy policy"),
            ("terms", "Terms of service"),
            ("data-deletion", "Data deletion"),
        )
    )
    company = escape(settings.legal.company_name)
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · {company}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}<footer>{company} · {links}</footer></main></body></html>"
    )
    return LegalPage(title=title, html=document)


def _markdown(text: str) -> tuple[str, str]:
    """The first heading (the title) and the body as HTML."""
    blocks = re.split(r"\n\s*\n", text.strip())
    title, parts = "", []
    for block in blocks:
        lines = [line.rstrip() for line in block.strip().splitlines()]
        if all(line.lstrip().startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line.lstrip()[2:])}</li>" for line in lines)
            parts.append(f"<ul>{items}</ul>")
            continue
        heading = re.match(r"^(#{1,3})\s+(.*)$", lines[0])
        if heading:
            level, content = len(heading.group(1)), heading.group(2)
            title = title or content
            parts.append(f"<h{level}>{_inline(content)}</h{level}>")
            lines = lines[1:]
            if not lines:
                continue
        parts.append(f"<p>{_inline(' '.join(line.strip() for line in lines))}</p>")
    return title, "\n".join(parts)


def _inline(text: str) -> str:
    html = escape(text, quote=True)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    html = _LINK.sub(r'<a href="\2">\1</a>', html)
    html = _BARE_URL.sub(r'<a href="\1">\1</a>', html)
    return _EMAIL.sub(r'<a href="mailto:\1">\1</a>', html)
