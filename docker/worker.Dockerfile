# Parley's arq workers: `worker` (sends, media, imports, token checks, retention; the default
# command) and `webhook-worker` (Meta's deliveries, on their own queue) run this one image
# with their own command. Built from the repository root:
#   docker build -f docker/worker.Dockerfile -t parley-worker .
# Both commands are the ones `make dev` runs (scripts/processes.py; tests/test_docker.py).

# --- The Python base, the same in every Python image (tests/test_docker.py keeps the copies
# --- identical, so BuildKit builds it once and every image shares its layers).
FROM python:3.11-slim-bookworm AS venv
WORKDIR /build
RUN pip install --no-cache-dir uv==0.13.9
COPY pyproject.toml requirements.lock ./
# Runtime dependencies only, at the versions of the lock (its dev group stays out).
RUN uv pip compile --quiet --no-header pyproject.toml --constraint requirements.lock -o runtime.txt \
    && uv venv --quiet /opt/venv \
    && uv pip sync --quiet --python /opt/venv/bin/python runtime.txt

FROM python:3.11-slim-bookworm AS base
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 parley \
    && useradd --system --no-log-init --uid 10001 --gid parley --no-create-home parley
WORKDIR /app
COPY --from=venv /opt/venv /opt/venv
COPY scripts/healthcheck.py ./
# --- End of the Python base.

FROM base AS worker
COPY alembic.ini ./
COPY migrations ./migrations
COPY api ./api
COPY worker ./worker
# Each worker serves /healthz, /readyz and /metrics on its own port (worker/http.py):
# WORKER_HTTP_PORT (9101) for `worker`, WEBHOOK_WORKER_HTTP_PORT (9102) for
# `webhook-worker`; on every interface, so Prometheus can scrape it over the network.
ENV WORKER_HTTP_HOST=0.0.0.0
USER 10001:10001
EXPOSE 9101 9102
# Readiness of `worker`; docker/compose.yml points the webhook worker's at its own port.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "http://127.0.0.1:${WORKER_HTTP_PORT:-9101}/readyz"]
CMD ["arq", "worker.main.WorkerSettings"]
