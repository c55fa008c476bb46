"""The fixed simulated world loaded at start and on every ``DELETE /_sim/state``.

Parley's tests and demo seed rely on these exact ids; change them only together.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from metasim.state import Page, SimState, utc_now
from metasim.templates import add_samples
from metasim.world import Business, ConversationMessage, PhoneNumber, SimUser, Waba

ANA_ID = "10000000000001"
BEN_ID = "10000000000002"

LIMA_BIKES_PAGE_ID = "105000000000001"
LIMA_OUTLET_PAGE_ID = "105000000000002"
LIMA_CAFE_PAGE_ID = "105000000000003"
OKAFOR_PAGE_ID = "105000000000009"

LIMA_GROUP_ID = "200000000000001"
OKAFOR_HOLDINGS_ID = "200000000000002"

LIMA_WABA_ID = "300000000000001"
LIMA_PARTNERS_WABA_ID = "300000000000002"
OKAFOR_WABA_ID = "300000000000009"

LIMA_NUMBER_ID = "400000000000001"
LIMA_SUPPORT_NUMBER_ID = "400000000000002"
LIMA_UK_NUMBER_ID = "400000000000003"
OKAFOR_NUMBER_ID = "400000000000009"

USERS = (
    SimUser(
        id=ANA_ID,
        name="Ana Lima",
        page_ids=[LIMA_BIKES_PAGE_ID, LIMA_OUTLET_PAGE_ID, LIMA_CAFE_PAGE_ID],
        business_ids=[LIMA_GROUP_ID],
    ),
    # Ben also manages "Lima Bikes", so Parley can meet a page already connected elsewhere.
    SimUser(
        id=BEN_ID,
        name="Ben Okafor",
        page_ids=[OKAFOR_PAGE_ID, LIMA_BIKES_PAGE_ID],
        business_ids=[OKAFOR_HOLDINGS_ID],
    ),
)

PAGES = (
    (LIMA_BIKES_PAGE_ID, "Lima Bikes", "Bicycle Shop"),
    (LIMA_OUTLET_PAGE_ID, "Lima Bikes Outlet", "Bicycle Shop"),
    (LIMA_CAFE_PAGE_ID, "Lima Cafe", "Cafe"),
    (OKAFOR_PAGE_ID, "Okafor Foods", "Restaurant"),
)

BUSINESSES = (
    Business(LIMA_GROUP_ID, "Lima Group", [LIMA_WABA_ID], [LIMA_PARTNERS_WABA_ID]),
    Business(OKAFOR_HOLDINGS_ID, "Okafor Holdings", [OKAFOR_WABA_ID], []),
)

WABAS = (
    (LIMA_WABA_ID, "Lima Bikes WhatsApp", "USD", "1"),
    (LIMA_PARTNERS_WABA_ID, "Lima Partners", "GBP", "56"),
    (OKAFOR_WABA_ID, "Okafor WhatsApp", "NGN", "100"),
)

NUMBERS = (
    (LIMA_NUMBER_ID, LIMA_WABA_ID, "+1 555-010-0001", "Lima Bikes", "GREEN"),
    (LIMA_SUPPORT_NUMBER_ID, LIMA_WABA_ID, "+1 555-010-0002", "Lima Bikes Support", "YELLOW"),
    (LIMA_UK_NUMBER_ID, LIMA_PARTNERS_WABA_ID, "+44 20 7946 0003", "Lima UK", "GREEN"),
    (OKAFOR_NUMBER_ID, OKAFOR_WABA_ID, "+234 1 555 0009", "Okafor Foods", "GREEN"),
)


@dataclass(frozen=True)
class HistoryThread:
    """A past Messenger conversation of a fixture page: (days ago, from page?, text)."""

    psid: str
    first_name: str
    last_name: str
    messages: tuple[tuple[float, bool, str], ...]


# "Lima Bikes" conversation history for the Conversations API back-fill.
LIMA_BIKES_HISTORY = (
    HistoryThread(
        "7100000000000001",
        "Marta",
        "Souza",
        (
            (9.0, False, "Hi! Do you service e-bikes?"),
            (8.9, True, "We do: bring it in any weekday morning."),
            (8.5, False, "Great, see you Tuesday."),
            (8.4, True, "See you then!"),
        ),
    ),
    HistoryThread(
        "7100000000000002",
        "Tom",
        "Becker",
        (
            (5.0, False, "Is the gravel bike in the window still available?"),
            (4.8, True, "Yes, in size M and L."),
        ),
    ),
    HistoryThread(
        "7100000000000003",
        "Yuki",
        "Sato",
        (
            (1.5, False, "My order hasn't arrived yet."),
            (1.4, False, "Order number 4412."),
            (1.0, True, "Sorry about that, it ships tomorrow."),
        ),
    ),
)


def load_fixtures(state: SimState) -> None:
    """Fill an empty state with the fixture world (users, pages, businesses, WABAs...)."""
    for user in USERS:
        state.users[user.id] = SimUser(
            user.id, user.name, list(user.page_ids), list(user.business_ids)
        )
    for page_id, name, category in PAGES:
        state.pages[page_id] = Page(id=page_id, name=name, access_token=None, category=category)
    for business in BUSINESSES:
        state.businesses[business.id] = Business(
            business.id,
            business.name,
            list(business.owned_waba_ids),
            list(business.client_waba_ids),
        )
    for waba_id, name, currency, timezone_id in WABAS:
        state.wabas[waba_id] = Waba(waba_id, name, currency, timezone_id)
        add_samples(state, waba_id)
    for number_id, waba_id, display, verified_name, quality in NUMBERS:
        state.numbers[number_id] = PhoneNumber(number_id, waba_id, display, verified_name, quality)
    _load_history(state, LIMA_BIKES_PAGE_ID, LIMA_BIKES_HISTORY)


def _load_history(state: SimState, page_id: str, threads: tuple[HistoryThread, ...]) -> None:
    now = utc_now()
    for thread in threads:
        state.upsert_customer(page_id, thread.psid, thread.first_name, thread.last_name)
        conversation = state.conversation_with(page_id, thread.psid)
        for index, (days_ago, from_page, text) in enumerate(thread.messages):
            at = now - timedelta(days=days_ago)
            mid = _fixture_mid(page_id, thread.psid, index)
            conversation.messages.append(ConversationMessage(mid, at, from_page, text))


def _fixture_mid(page_id: str, psid: str, index: int) -> str:
    """A stable, Messenger-shaped message id for fixture history."""
    digest = hashlib.sha256(f"{page_id}:{psid}:{index}".encode()).hexdigest()
    return f"m_fixture{index}{digest[:40]}"
