"""The command every Parley process runs, in one table.

`make dev` (scripts/dev.py), the container images and compose file (docker/) and the
scale-out test all start processes from here, so what runs in production is what runs in
development every day. A test checks that the Dockerfiles and docker/compose.yml run
exactly these commands.
"""

from __future__ import annotations

from dataclasses import dataclass

# uvicorn waits this long for in-flight requests (and open sockets) on SIGTERM before it
# closes them; container stop timeouts are set above it.
GRACEFUL_SHUTDOWN_SECONDS = 20
UVICORN = (
    "uvicorn",
    "--no-access-log",
    "--timeout-graceful-shutdown",
    str(GRACEFUL_SHUTDOWN_SECONDS),
)


@dataclass(frozen=True)
class Process:
    name: str
    # A console script first (`python -m <argv[0]>` runs the same), or "python" itself.
    argv: tuple[str, ...]
    http: bool = False  # takes --host/--port
    health_path: str | None = None  # liveness
    ready_path: str | None = None  # readiness


PROCESSES: dict[str, Process] = {
    process.name: process
    for process in (
        Process(
            "api",
            (*UVICORN, "--factory", "api.main:create_app"),
            http=True,
            health_path="/api/healthz",
            ready_path="/api/readyz",
        ),
        Process(
            "realtime",
            (*UVICORN, "--factory", "realtime.main:create_app"),
            http=True,
            health_path="/realtime/healthz",
            ready_path="/realtime/readyz",
        ),
        Process("worker", ("arq", "worker.main.WorkerSettings")),
        Process("webhook-worker", ("arq", "worker.main.WebhookWorkerSettings")),
        Process(
            "metasim",
            (*UVICORN, "metasim.main:app"),
            http=True,
            health_path="/_sim/healthz",
            ready_path="/_sim/healthz",
        ),
        # One-shot steps before a release's processes start (never run by the api itself):
        # the schema, then the attachments bucket and its CORS rules for browser uploads.
        Process("migrate", ("alembic", "upgrade", "head")),
        Process("storage-setup", ("python", "-m", "api.cli", "storage-setup")),
    )
}


def command(
    name: str, *, python: str | None = None, host: str | None = None, port: int | None = None
) -> list[str]:
    """The argv for process `name`; with `python`, run by that interpreter (`python -m ...`:
    a virtualenv's interpreter without its scripts on PATH); HTTP processes take host and
    port."""
    process = PROCESSES[name]
    argv = list(process.argv)
    if process.http and port is not None:
        argv += ["--host", host or "127.0.0.1", "--port", str(port)]
    if python:
        argv = [python, *argv[1:]] if argv[0] == "python" else [python, "-m", *argv]
    return argv
