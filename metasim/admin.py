"""The ``/_sim`` control API: register pages, deliver webhooks, inspect and reset."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from metasim.deps import SettingsDep, StateDep
from metasim.errors import AdminError, GraphError
from metasim.schemas import (
    ID_PATTERN,
    DeliverIn,
    DeliverOut,
    FaultIn,
    Items,
    Ok,
    PageIn,
    PageList,
    PageListItem,
    PageOut,
)
from metasim.state import SENT_KINDS, Page, SimState
from metasim.webhooks import DeliveryRequest, deliver_message

router = APIRouter(prefix="/_sim", tags=["sim"])

PageIdPath = Annotated[str, Path(pattern=ID_PATTERN)]

# A 1x1 transparent PNG, served as every customer's profile picture.
_PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)


@router.get("/healthz")
async def healthz() -> Ok:
    """Liveness probe."""
    return Ok()


@router.put("/pages/{page_id}")
async def put_page(page_id: PageIdPath, body: PageIn, state: StateDep) -> PageOut:
    """Register a page or update its name/token (idempotent)."""
    async with state.lock:
        page = _upsert_page(state, page_id, body)
    return PageOut(id=page.id, name=page.name)


@router.get("/pages")
async def list_pages(state: StateDep) -> PageList:
    """All known pages (fixtures and registered ones) with their webhook subscriptions."""
    async with state.lock:
        pages = [
            PageListItem(
                id=p.id,
                name=p.name,
                category=p.category,
                subscribed_fields=list(p.subscriptions.get(state.app_id, [])),
                subscribed_apps={app: list(fields) for app, fields in p.subscriptions.items()},
            )
            for p in state.pages.values()
        ]
    return PageList(items=pages)


@router.post("/messenger/deliver")
async def deliver(body: DeliverIn, state: StateDep, settings: SettingsDep) -> DeliverOut:
    """Deliver a customer's text message to the webhook URL, signed like Meta does."""
    request = DeliveryRequest(**body.model_dump())
    delivery = await deliver_message(state, settings, request)
    return DeliverOut(
        delivered=delivery.delivered,
        status_code=delivery.status_code,
        mid=delivery.refs["mid"],
        psid=delivery.refs["psid"],
        error=delivery.error,
    )


@router.get("/deliveries")
async def list_deliveries(state: StateDep) -> Items:
    """Every webhook delivery attempted, oldest first, with the exact signed body."""
    async with state.lock:
        return Items(items=[d.to_json() for d in state.deliveries])


@router.get("/sent")
async def list_sent(
    state: StateDep,
    page_id: str | None = None,
    recipient_id: str | None = None,
    phone_number_id: str | None = None,
    kind: str | None = None,
) -> Items:
    """Recorded Messenger and WhatsApp sends (failed ones too), oldest first, filtered."""
    async with state.lock:
        calls = [
            c.to_json()
            for c in state.calls
            if c.kind in SENT_KINDS
            and kind in (None, c.kind)
            and page_id in (None, c.page_id)
            and phone_number_id in (None, c.phone_number_id)
            and recipient_id in (None, c.recipient_id)
        ]
    return Items(items=calls)


@router.get("/calls")
async def list_calls(state: StateDep) -> Items:
    """Every recorded Graph call (sends and node reads), oldest first."""
    async with state.lock:
        return Items(items=[c.to_json() for c in state.calls])


@router.post("/faults", status_code=status.HTTP_201_CREATED)
async def add_fault(body: FaultIn, state: StateDep) -> dict[str, object]:
    """Queue a Graph error for the next ``count`` calls of ``endpoint`` (default: sends)."""
    error = GraphError(
        message=body.message,
        code=body.code,
        error_subcode=body.error_subcode,
        type=body.type,
        http_status=body.http_status,
        is_transient=body.is_transient,
    )
    async with state.lock:
        return state.add_fault(body.page_id, error, body.count, body.endpoint).to_json()


@router.get("/faults")
async def list_faults(state: StateDep) -> Items:
    """Faults still queued, with how many uses each has left."""
    async with state.lock:
        return Items(items=[f.to_json() for f in state.faults])


@router.delete("/state")
async def reset_state(state: StateDep) -> Ok:
    """Forget everything (pages, tokens, calls, faults, deliveries...) and reload fixtures."""
    async with state.lock:
        state.reset()
    return Ok()


@router.get("/profile_pic/{psid}", response_class=Response)
async def profile_pic(psid: str) -> Response:
    """The picture behind every ``profile_pic`` URL (a 1x1 PNG)."""
    return Response(content=_PIXEL_PNG, media_type="image/png")


def _upsert_page(state: SimState, page_id: str, body: PageIn) -> Page:
    if page_id == "me":
        raise AdminError(422, "invalid_page_id", "'me' is reserved for /{version}/me/...")
    owner = state.token_owner(body.access_token)
    if owner is not None and owner != f"page {page_id}":
        raise AdminError(409, "token_in_use", f"that access token belongs to {owner}")
    return state.upsert_page(page_id, body.name, body.access_token)
