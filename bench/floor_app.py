"""The ingest benchmark's floor: a bare ASGI endpoint that reads the body, verifies its
`X-Hub-Signature-256` with the project's own verifier and answers 200, nothing else (no
framework, no database, no queue). Served by uvicorn with the api's flags:

    META_APP_SECRET=... python -m uvicorn --no-access-log ... bench.floor_app:app

Any path and method is treated as Meta's POST, so the load generator is the same for both.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.webhooks.signature import is_valid_signature

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SECRET = os.environ.get("META_APP_SECRET", "")
OK = b'{"status":"received"}'
DENIED = b'{"code":"invalid_signature"}'
HEADER = b"x-hub-signature-256"


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] != "http":
        return
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    signature = next((v.decode("latin-1") for k, v in scope["headers"] if k == HEADER), None)
    ok = is_valid_signature(b"".join(chunks), signature, SECRET)
    body = OK if ok else DENIED
    await send(
        {
            "type": "http.response.start",
            "status": 200 if ok else 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
