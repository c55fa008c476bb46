"""The receiver the README hands integrators (examples/webhook_receiver.py) accepts exactly
what Parley signs: a fresh, untampered body with the endpoint's secret."""

from __future__ import annotations

import time

from api.outgoing.signing import generate_secret, signature_header
from examples.webhook_receiver import TOLERANCE_SECONDS, verify

BODY = b'{"id":"e1","type":"message.created","data":{}}'


def test_accepts_what_parley_signs() -> None:
    secret = generate_secret()
    assert verify(secret, signature_header(secret, BODY), BODY)


def test_rejects_tampering_wrong_secret_and_replays() -> None:
    secret = generate_secret()
    header = signature_header(secret, BODY)
    assert not verify(secret, header, BODY + b" ")
    assert not verify(generate_secret(), header, BODY)
    stale = signature_header(secret, BODY, int(time.time()) - TOLERANCE_SECONDS - 5)
    assert not verify(secret, stale, BODY)
    assert not verify(secret, "", BODY)
    assert not verify(secret, "t=abc,v1=00", BODY)
