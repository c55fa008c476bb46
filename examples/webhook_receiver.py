"""A minimal receiver for Parley's outgoing webhooks (Python standard library only).

    python examples/webhook_receiver.py --port 9000 --secret whsec_...

It checks `Parley-Signature: t=<unix time>,v1=<hex>` (HMAC-SHA256 with the endpoint's
secret over f"{t}.{raw body}"), refuses a timestamp more than five minutes away (a replayed
delivery), prints each verified event and answers 204. Anything else gets 400/401, which
Parley logs and retries with backoff.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


def verify(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """True if `header` signs `body` with `secret` and is fresh."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def make_handler(secret: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not verify(secret, self.headers.get("Parley-Signature", ""), body):
                self.send_response(401)
                self.end_headers()
                print("rejected: bad or stale signature", flush=True)
                return
            event = json.loads(body)
            print(f"{event['type']} {event['id']}: {json.dumps(event['data'])[:300]}", flush=True)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per event above is enough

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="the endpoint's whsec_... secret")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.secret))
    print(f"listening on http://127.0.0.1:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
