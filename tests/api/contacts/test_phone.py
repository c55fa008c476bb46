"""Phone numbers typed by people, normalised to E.164 or refused with a reason."""

from __future__ import annotations

import pytest

from api.contacts.phone import InvalidPhoneNumber, parse_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+15550100001", "+15550100001"),
        ("+1 (555) 010-0001", "+15550100001"),
        ("+1.555.010.0001", "+15550100001"),
        ("  +44 20 7946 0003 ", "+442079460003"),
        ("0044 20 7946 0003", "+442079460003"),
        ("+55 11 91234-5678", "+5511912345678"),
        ("+234 1 555 0009", "+23415550009"),
        ("+683 4002", "+6834002"),  # Niue: among the shortest
        ("+49/30/1234567", "+49301234567"),
        ("+971 50 123 4567", "+971501234567"),
    ],
)
def test_international_numbers_are_normalised_to_e164(raw: str, e164: str) -> None:
    number = parse_phone(raw)
    assert number.e164 == e164
    assert number.digits == e164[1:]  # the wa_id form: no +


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "Enter a phone number"),
        ("   ", "Enter a phone number"),
        ("07911 123456", "international format"),  # national format, no country code
        ("5550100001", "international format"),
        ("+1 555 0100 ext 12", "no letters"),
        ("call me", "no letters"),
        ("+44 20 7946 0003 #2", "only hold digits"),
        ("++442079460003", "only hold digits"),
        ("+123", "7 to 15 digits"),
        ("+4420794600031234567", "7 to 15 digits"),
        ("+0123456789", "not a country calling code"),
        ("+2801234567", "not a country calling code"),  # 28x is unassigned
        ("+80012345678", "not a country calling code"),  # freephone, not a phone
        ("+1 055 010 0001", "+1 number"),  # area codes never start with 0 or 1
        ("+1 155 010 0001", "+1 number"),
        ("+1555010000", "+1 number"),  # 9 digits after +1
    ],
)
def test_anything_else_is_refused_with_a_reason(raw: str, says: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as refused:
        parse_phone(raw)
    assert says in str(refused.value)
