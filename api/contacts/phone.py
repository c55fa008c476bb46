"""Phone numbers typed by people, checked and normalised to E.164 (`+<country><number>`).

A small validator rather than a dependency: it accepts the usual ways of writing an
international number (spaces, dashes, dots, parentheses, a leading `+` or `00`), requires
an assigned country calling code and E.164's length (at most 15 digits), and checks the
North American plan's length and area code. Whether the number has WhatsApp is only known to Meta: a
template to a number without it fails with 131026.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_DIGITS = 7  # +683 XXXX (Niue) is among the shortest
MAX_DIGITS = 15  # E.164
SEPARATORS = re.compile(r"[\s\-.()/]")
NANP = re.compile(r"1[2-9]\d{9}")  # area codes never start with 0 or 1

# ITU-T E.164 country calling codes in use for telephone numbers (not satellite or
# international freephone ones). Country codes are prefix-free, so at most one matches.
COUNTRY_CODES = frozenset(
    {"1", "7"}
    | {str(c) for c in (20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49)}
    | {str(c) for c in (51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66)}
    | {str(c) for c in (81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98)}
    | {str(c) for c in (211, 212, 213, 216, 218, *range(220, 259), *range(260, 270))}
    | {str(c) for c in (290, 291, 297, 298, 299, *range(350, 360), *range(370, 384))}
    | {str(c) for c in (385, 386, 387, 389, 420, 421, 423, *range(500, 510), *range(590, 600))}
    | {str(c) for c in (670, *range(672, 684), *range(685, 693))}
    | {str(c) for c in (850, 852, 853, 855, 856, 880, 886, *range(960, 969), *range(970, 978))}
    | {str(c) for c in (992, 993, 994, 995, 996, 998)}
)


class InvalidPhoneNumber(ValueError):
    """Why a phone number was refused, in words for the person who typed it."""


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    e164: str  # +15550100001

    @property
    def digits(self) -> str:
        """The number as WhatsApp ids write it: no `+` (a `wa_id`)."""
        return self.e164[1:]


def country_code(digits: str) -> str | None:
    return next((digits[:n] for n in (1, 2, 3) if digits[:n] in COUNTRY_CODES), None)


def parse_phone(raw: str) -> PhoneNumber:
    """`+1 (555) 010-0001`, `0044 20 7946 0003` → E.164; `InvalidPhoneNumber` otherwise."""
    text = raw.strip()
    if not text:
        raise InvalidPhoneNumber("Enter a phone number.")
    if re.search(r"[A-Za-z]", text):
        raise InvalidPhoneNumber(
            "A phone number has digits only (no letters or extensions), e.g. +44 20 7946 0003."
        )
    compact = SEPARATORS.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact.startswith("+"):
        raise InvalidPhoneNumber(
            "Write the number in international format with its country code, e.g. +44 20 7946 0003."
        )
    digits = compact[1:]
    if not digits.isdigit():
        raise InvalidPhoneNumber("A phone number may only hold digits after the leading +.")
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise InvalidPhoneNumber(
            f"An international number has {MIN_DIGITS} to {MAX_DIGITS} digits with its "
            f"country code; this one has {len(digits)}."
        )
    code = country_code(digits)
    if code is None:
        raise InvalidPhoneNumber(f"+{digits[:3]}… is not a country calling code.")
    if code == "1" and not NANP.fullmatch(digits):
        raise InvalidPhoneNumber(
            "A +1 number has 10 digits after the country code, and its area code does not "
            "start with 0 or 1."
        )
    return PhoneNumber("+" + digits)
