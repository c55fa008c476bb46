"""The Python images' HEALTHCHECK: GET one URL of this container, healthy on a 2xx answer.

    python /app/healthcheck.py 'http://127.0.0.1:${WORKER_HTTP_PORT:-9101}/readyz'

The slim images carry no curl or wget, and a shell one-liner would hide the answer: this
prints what went wrong (the status and the first bytes of the body, e.g. which readiness
check failed), which `docker inspect` shows. `${VAR}` and `${VAR:-default}` in the URL are
read from the container's environment, so one image serves processes whose port is a
setting. Standard library only.
"""

from __future__ import annotations

import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

TIMEOUT_SECONDS = 4.0
VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def expand(url: str, env: Mapping[str, str]) -> str:
    """`${NAME}` and `${NAME:-default}` from `env` (an empty value takes the default)."""
    return VARIABLE.sub(lambda m: env.get(m["name"]) or (m["default"] or ""), url)


def check(url: str, timeout: float = TIMEOUT_SECONDS) -> str | None:
    """None when `url` answers 2xx, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - local URL
            status = int(response.status)
            body = response.read(300)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(300)
    except OSError as exc:  # refused, timed out, name not resolved
        return f"{url}: {exc}"
    if 200 <= status < 300:
        return None
    return f"{url}: HTTP {status} {body.decode('utf-8', 'replace').strip()}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or not args[0].startswith(("http://", "https://")):
        print("usage: healthcheck.py <http URL>", file=sys.stderr)
        return 2
    problem = check(expand(args[0], os.environ))
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
