# Parley's realtime gateway (python-socketio under uvicorn), serving /socket.io. Built from the
# repository root:
#   docker build -f docker/realtime.Dockerfile -t parley-realtime .
# Its command is the one `make dev` runs (scripts/processes.py; tests/test_docker.py).

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

FROM base AS realtime
# The migrations let readiness check that the database has this release's schema.
COPY alembic.ini ./
COPY migrations ./migrations
COPY api ./api
COPY realtime ./realtime
USER 10001:10001
EXPOSE 8000
# Readiness: PostgreSQL and Redis answer (realtime/main.py).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/app/healthcheck.py", "http://127.0.0.1:8000/realtime/readyz"]
CMD ["uvicorn", "--no-access-log", "--timeout-graceful-shutdown", "20", "--factory", "realtime.main:create_app", "--host", "0.0.0.0", "--port", "8000"]
