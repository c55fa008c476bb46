"""Public legal pages: `GET /api/legal/privacy`, `/terms`, `/data-deletion` (the URLs Meta's
app review asks for). No sign-in; listed in `api.auth.permissions.PUBLIC_ROUTES`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import SettingsDep
from api.errors import NotFound
from api.legal.pages import CSP, PAGES, render

router = APIRouter(prefix="/legal", tags=["legal"])


@router.get(
    "/{page}",
    response_class=HTMLResponse,
    responses={
        200: {"content": {"text/html": {}}, "description": "The page as a whole HTML document"}
    },
)
async def legal_page(page: str, settings: SettingsDep) -> HTMLResponse:
    """The operator's privacy policy (`privacy`), terms of service (`terms`) or data-deletion
    instructions (`data-deletion`), as a self-contained HTML page."""
    rendered = render(page, settings)
    if rendered is None:
        raise NotFound(f"There is no legal page {page!r}; try one of: {', '.join(PAGES)}.")
    return HTMLResponse(
        rendered.html,
        headers={
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "public, max-age=300",
        },
    )
