"""docker/: the images and the compose file run what `make dev` runs, and run it safely.

No Docker engine runs here, so `make docker-check` lints the Dockerfiles (hadolint) and
validates docker/compose.yml against the Compose specification's schema; these tests check
what the files mean: every process's command is scripts/processes.py's, health checks probe
the real readiness endpoints, images run as non-root, every variable is documented, the
proxy routes like the development server and sends the SPA's own security headers.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from api.config import Settings, WorkerHTTPSettings
from scripts.processes import GRACEFUL_SHUTDOWN_SECONDS, PROCESSES, command

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
CADDYFILE = DOCKER / "web" / "Caddyfile"
ENTRYPOINT = DOCKER / "web" / "entrypoint.sh"

# The image each process runs in (compose service name = process name).
IMAGE_OF = {
    "api": "api",
    "migrate": "api",
    "storage-setup": "api",
    "realtime": "realtime",
    "worker": "worker",
    "webhook-worker": "worker",
    "metasim": "metasim",
}
PYTHON_IMAGES = ("api", "realtime", "worker", "metasim")
# Variables the third-party images themselves read (not Parley settings).
IMAGE_VARIABLES = re.compile(
    r"^(POSTGRES_\w+|GF_\w+|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|S3_EXTERNAL_URL)$"
)
# uvicorn's own variable (which proxies may set X-Forwarded-*), documented in docker/.env.example.
SERVER_VARIABLES = {"FORWARDED_ALLOW_IPS"}
# Containers listen on every interface of their own network namespace.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104
INTERPOLATION = re.compile(r"(?<!\$)\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


# --- Reading the files -------------------------------------------------------------------


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    instructions: list[tuple[str, str]]  # (INSTRUCTION, arguments), continuations joined

    @classmethod
    def read(cls, path: Path) -> Dockerfile:
        logical: list[str] = []
        pending = ""
        for line in path.read_text().splitlines():
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            pending += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
            if not line.endswith("\\"):
                logical.append(pending)
                pending = ""
        pairs = [[*text.split(None, 1), ""][:2] for text in logical]
        return cls(path, [(word.upper(), rest) for word, rest in pairs])

    def last(self, instruction: str) -> str:
        values = [rest for word, rest in self.instructions if word == instruction]
        assert values, f"{self.path.name} has no {instruction}"
        return values[-1]

    def all(self, instruction: str) -> list[str]:
        return [rest for word, rest in self.instructions if word == instruction]

    @property
    def cmd(self) -> list[str]:
        value = json.loads(self.last("CMD"))
        assert isinstance(value, list)
        return [str(item) for item in value]

    @property
    def healthcheck(self) -> list[str]:
        options, _, test = self.last("HEALTHCHECK").partition(" CMD ")
        assert "--interval" in options, options
        value = json.loads(test)
        assert isinstance(value, list)
        return [str(item) for item in value]


def dockerfile(image: str) -> Dockerfile:
    return Dockerfile.read(DOCKER / f"{image}.Dockerfile")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = YAML(typ="safe").load(DOCKER / "compose.yml")
    assert isinstance(data, dict)
    return data


def services(compose: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    result = compose["services"]
    assert isinstance(result, dict)
    return result


def documented(path: Path) -> set[str]:
    """Variables an env file documents, set or commented out (`# NAME=value`)."""
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]*)=", path.read_text(), flags=re.M))


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation, enough for this file: ${V}, ${V:-default}, ${V:?error}, $$."""

    def one(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        current = env.get(name, "")
        if operator == ":?" and not current:
            raise LookupError(f"{name}: {argument}")
        return current or (argument if operator == ":-" else "")

    return INTERPOLATION.sub(one, value).replace("$$", "$")


def run(argv: list[str], env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Our own scripts and tools (sh, node, this Python), with only `env` and PATH."""
    environment = {"PATH": os.environ["PATH"], **(env or {})}
    return subprocess.run(  # noqa: S603 - fixed argv of our own files
        argv, env=environment, capture_output=True, text=True, timeout=60
    )


def block(text: str, header: str) -> str:
    """The body of the `{ ... }` block that follows `header` in a Caddyfile."""
    start = text.index(header)
    opening = text.index("{", start + len(header) - 1)
    depth = 0
    for index in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[opening + 1 : index]
    raise AssertionError(f"unbalanced block after {header!r}")


# --- Commands: what runs is what `make dev` runs ------------------------------------------


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_every_process_runs_in_compose_with_the_command_make_dev_runs(
    compose: dict[str, Any], name: str
) -> None:
    service = services(compose)[name]
    assert service["command"] == command(name, host=ALL_INTERFACES, port=8000)
    expected = f"docker/{IMAGE_OF[name]}.Dockerfile"
    assert service["build"] == {"context": "..", "dockerfile": expected}
    assert service["image"] == f"parley-{IMAGE_OF[name]}"


@pytest.mark.parametrize("image", PYTHON_IMAGES)
def test_each_image_runs_its_process_command_by_default(image: str) -> None:
    assert dockerfile(image).cmd == command(image, host=ALL_INTERFACES, port=8000)


def test_the_web_image_builds_the_spa_and_serves_it_with_the_caddyfile() -> None:
    web = dockerfile("web")
    assert "npm run build" in web.all("RUN")
    assert "--from=spa /frontend/dist /srv" in web.all("COPY")
    assert web.cmd == ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
    assert json.loads(web.last("ENTRYPOINT")) == ["/usr/local/bin/parley-web"]


def test_the_python_images_share_one_base_with_runtime_dependencies_only() -> None:
    marker = re.compile(r"# --- The Python base.*?# --- End of the Python base\.", re.S)
    bases = {
        image: marker.findall((DOCKER / f"{image}.Dockerfile").read_text())
        for image in PYTHON_IMAGES
    }
    assert all(len(found) == 1 for found in bases.values()), bases
    assert len({found[0] for found in bases.values()}) == 1, (
        "the Python base differs between images"
    )
    base = bases["api"][0]
    assert "--constraint requirements.lock" in base and "--group" not in base
    uv = re.search(r"^uv==(\S+)$", (ROOT / "requirements.lock").read_text(), flags=re.M)
    assert uv is not None and f"uv=={uv.group(1)}" in base, "pin the lock's uv version"


# --- Health, shutdown, privileges ----------------------------------------------------------


@pytest.mark.parametrize("image", ["api", "realtime", "metasim"])
def test_http_images_check_their_readiness_endpoint(image: str) -> None:
    path = PROCESSES[image].ready_path
    assert path is not None
    check = dockerfile(image).healthcheck
    assert check == ["python", "/app/healthcheck.py", f"http://127.0.0.1:8000{path}"]
    assert dockerfile(image).all("EXPOSE") == ["8000"]


def test_both_workers_check_readiness_on_their_own_http_port(compose: dict[str, Any]) -> None:
    defaults = WorkerHTTPSettings.model_fields
    worker_port = defaults["http_port"].default
    webhook_port = defaults["webhook_http_port"].default
    image = dockerfile("worker")
    assert image.healthcheck[-1] == f"http://127.0.0.1:${{WORKER_HTTP_PORT:-{worker_port}}}/readyz"
    assert "WORKER_HTTP_HOST=0.0.0.0" in image.all("ENV"), "Prometheus scrapes over the network"
    override = services(compose)["webhook-worker"]["healthcheck"]["test"]
    url = f"http://127.0.0.1:$${{WEBHOOK_WORKER_HTTP_PORT:-{webhook_port}}}/readyz"
    assert override == ["CMD", "python", "/app/healthcheck.py", url]


def test_every_long_running_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        if service.get("restart") == "no":
            continue  # one-shot steps
        check = service.get("healthcheck")
        built = service.get("build", {}).get("dockerfile")
        image_check = built and Dockerfile.read(ROOT / built).all("HEALTHCHECK")
        assert (check and not check.get("disable")) or image_check, f"{name} has no health check"


def test_one_shot_steps_finish_before_the_processes_start(compose: dict[str, Any]) -> None:
    every = services(compose)
    for name in ("migrate", "storage-setup"):
        assert every[name]["restart"] == "no"
    for name, needs in {
        "api": ("migrate", "storage-setup"),
        "worker": ("migrate", "storage-setup"),
        "webhook-worker": ("migrate", "storage-setup"),
        "realtime": ("migrate",),
    }.items():
        for step in needs:
            condition = every[name]["depends_on"][step]["condition"]
            assert condition == "service_completed_successfully", (name, step)


def test_stop_grace_periods_outlast_graceful_shutdown(compose: dict[str, Any]) -> None:
    import worker.main

    budget = max(GRACEFUL_SHUTDOWN_SECONDS, worker.main.JOB_COMPLETION_WAIT_SECONDS)
    for name in ("api", "realtime", "worker", "webhook-worker"):
        grace = services(compose)[name]["stop_grace_period"]
        assert re.fullmatch(r"\d+s", grace), grace
        assert int(grace[:-1]) >= budget + 5, f"{name}: SIGKILL would cut the graceful shutdown"


@pytest.mark.parametrize("image", [*PYTHON_IMAGES, "web"])
def test_images_run_as_a_non_root_user(image: str) -> None:
    user = dockerfile(image).last("USER").split(":")[0]
    assert user.isdigit() and int(user) >= 1000, user


def test_parley_processes_drop_every_capability(compose: dict[str, Any]) -> None:
    for name in IMAGE_OF:
        service = services(compose)[name]
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name


def test_only_the_proxy_is_published(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        ports = [str(port) for port in service.get("ports", [])]
        if name == "web":
            assert [port.rsplit(":", 1)[-1] for port in ports] == ["8080", "8443", "8443/udp"]
        else:
            assert all(port.startswith("127.0.0.1:") for port in ports), (name, ports)


# --- Settings: every variable documented, and the wiring accepted by api/config.py --------


def test_every_compose_variable_is_in_the_compose_env_example(compose: dict[str, Any]) -> None:
    raw = (DOCKER / "compose.yml").read_text()
    example = DOCKER / ".env.example"
    names = {match.group(1) for match in INTERPOLATION.finditer(raw)}
    assert names - documented(example) == set()
    required = {m.group(1) for m in INTERPOLATION.finditer(raw) if m.group(2) == ":?"}
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example.read_text(), flags=re.M))
    assert required - listed == set(), "required variables must be uncommented lines to fill in"


def test_every_variable_given_to_a_container_is_documented(compose: dict[str, Any]) -> None:
    settings = documented(ROOT / ".env.example")
    compose_only = documented(DOCKER / ".env.example")
    for name, service in services(compose).items():
        environment = service.get("environment") or {}
        for variable in environment:
            known = (
                variable in settings
                or IMAGE_VARIABLES.match(variable) is not None
                or (variable in SERVER_VARIABLES and variable in compose_only)
                or (name == "web" and variable in compose_only)
            )
            assert known, f"{name}: {variable} is documented nowhere"
    for image in PYTHON_IMAGES:
        for line in dockerfile(image).all("ENV"):
            for variable in re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", line):
                if not variable.startswith(("PYTHON", "PATH")):
                    assert variable in settings, f"{image}.Dockerfile: {variable} undocumented"


def test_profile_services_require_nothing_the_default_stack_does_not(
    compose: dict[str, Any],
) -> None:
    """Compose interpolates every service before it applies profiles: a `${X:?}` only a
    profile needs would stop `docker compose up` for everyone."""
    raw = (DOCKER / "compose.yml").read_text()
    default_required: set[str] = set()
    for service in services(compose).values():
        if not service.get("profiles"):
            default_required |= set(re.findall(r"\$\{(\w+):\?", json.dumps(service)))
    everywhere = set(re.findall(r"\$\{(\w+):\?", raw))
    assert everywhere == default_required


def test_the_compose_wiring_is_a_valid_production_configuration(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    example = re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", (DOCKER / ".env.example").read_text(), re.M)
    env = {name: value or "x" for name, value in example}
    env.update(
        PUBLIC_BASE_URL="https://inbox.example.com",
        STORAGE_PUBLIC_ENDPOINT_URL="https://files.example.com",
        POSTGRES_PASSWORD="0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        AUTH_JWT_SECRET="b" * 64,
        ENCRYPTION_KEYS="k1:" + "a" * 43 + "=",
        META_APP_SECRET="3f1e0c9a8b7d6e5f",
        META_VERIFY_TOKEN="5e6f7a8b9c0d",
        LEGAL_CONTACT_EMAIL="privacy@example.com",
    )
    values = compose["x-parley-environment"]
    for name in list(os.environ):
        if name in values or name.startswith(("DATABASE_", "STORAGE_", "R2_")):
            monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, interpolate(str(value), env))
    monkeypatch.chdir(DOCKER)  # no .env there: only the environment counts
    settings = Settings()
    assert settings.environment == "production"
    assert settings.database.url.startswith("postgresql+asyncpg://parley:0f1e")
    assert settings.database.url.endswith("@postgres:5432/parley")
    assert settings.storage.resolved_endpoint_url == "http://seaweedfs:8333"
    assert settings.storage_cors_origins == ["https://inbox.example.com"]
    with pytest.raises(LookupError, match="POSTGRES_PASSWORD"):
        interpolate(values["DATABASE_URL"], {**env, "POSTGRES_PASSWORD": ""})


def test_prometheus_scrapes_every_process_where_it_listens(compose: dict[str, Any]) -> None:
    config = YAML(typ="safe").load(DOCKER / "prometheus" / "prometheus.yml")
    targets = {
        name: discovery["port"]
        for job in config["scrape_configs"]
        for discovery in job.get("dns_sd_configs", [])
        for name in discovery["names"]
    }
    workers = WorkerHTTPSettings.model_fields
    assert targets == {
        "api": 8000,
        "realtime": 8000,
        "worker": workers["http_port"].default,
        "webhook-worker": workers["webhook_http_port"].default,
    }
    mounts = services(compose)["prometheus"]["volumes"]
    assert "./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in mounts


def test_grafana_is_provisioned_with_prometheus_and_the_dashboards(compose: dict[str, Any]) -> None:
    volumes = services(compose)["grafana"]["volumes"]
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in volumes
    assert "./grafana/dashboards:/var/lib/grafana/dashboards:ro" in volumes
    provisioning = DOCKER / "grafana" / "provisioning"
    source = YAML(typ="safe").load(provisioning / "datasources" / "prometheus.yml")
    assert source["datasources"][0]["url"] == "http://prometheus:9090"
    provider = YAML(typ="safe").load(provisioning / "dashboards" / "parley.yml")
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    assert list((DOCKER / "grafana" / "dashboards").glob("*.json")), "no dashboard to load"


# --- The proxy -----------------------------------------------------------------------------


def test_the_proxy_routes_api_and_socketio_like_the_development_server() -> None:
    caddyfile = CADDYFILE.read_text()
    vite = (ROOT / "frontend" / "vite.config.ts").read_text()
    proxied = re.findall(
        r'^\s*"(/[\w.]+)": \{ target: `http://\$\{host\}:\$\{(\w+)Port\}`', vite, re.M
    )
    assert proxied == [("/api", "api"), ("/socket.io", "realtime")]
    site = block(caddyfile, "{$PARLEY_SITE_ADDRESS} {")
    for matcher, prefix, upstream in (
        ("@api", "/api", "api"),
        ("@socketio", "/socket.io", "realtime"),
    ):
        assert f"{matcher} path {prefix} {prefix}/*" in site
        assert f"dynamic a {upstream} 8000" in block(site, f"handle {matcher} {{")
        assert command(upstream, port=8000)[-1] == "8000"
    upstreams = re.findall(r"dynamic a (\S+)", site)
    assert upstreams == ["api", "realtime"], "only /api and /socket.io reach the processes"
    spa = block(site, "\thandle {")
    assert "root * /srv" in spa and "try_files {path} /index.html" in spa and "file_server" in spa


def test_socketio_needs_no_sticky_sessions_because_the_spa_uses_websockets_only() -> None:
    realtime = (ROOT / "frontend" / "src" / "lib" / "realtime.ts").read_text()
    assert re.search(r'transports: \["websocket"\]', realtime), (
        "long-polling needs sticky sessions: add lb_policy cookie to the Caddyfile first"
    )
    socketio = block(block(CADDYFILE.read_text(), "{$PARLEY_SITE_ADDRESS} {"), "handle @socketio {")
    assert "lb_policy least_conn" in socketio


def run_entrypoint(env: Mapping[str, str]) -> dict[str, str]:
    result = run(["sh", str(ENTRYPOINT), "env"], env)
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def caddy_headers(derived: Mapping[str, str]) -> dict[str, str]:
    """The SPA's headers of the Caddyfile, with Caddy's {$VAR} / {$VAR:default} filled in."""
    spa = block(block(CADDYFILE.read_text(), "{$PARLEY_SITE_ADDRESS} {"), "\thandle {")
    lines = block(spa, "header {").strip().splitlines()
    headers = {}
    for line in (line.strip() for line in lines):
        if not line.startswith("-"):
            name, value = shlex.split(line)
            headers[name] = re.sub(
                r"\{\$(\w+)(?::([^}]*))?\}", lambda m: derived.get(m[1]) or m[2] or "", value
            )
    return headers


def node_headers(env: Mapping[str, str]) -> dict[str, str]:
    script = (
        "const m = await import(process.argv[1]);"
        "const env = JSON.parse(process.argv[2]);"
        "console.log(JSON.stringify(m.securityHeaders({ publicOrigin: env.PUBLIC_BASE_URL,"
        " storageOrigins: m.storageOriginsFromEnv(env) })));"
    )
    module = (ROOT / "frontend" / "security-headers.mjs").as_uri()
    argv = ["node", "--input-type=module", "-e", script, module, json.dumps(env)]
    result = run(argv, {"HOME": os.environ.get("HOME", "/")})
    assert result.returncode == 0, result.stderr
    headers = json.loads(result.stdout)
    assert isinstance(headers, dict)
    return {str(key): str(value) for key, value in headers.items()}


DEPLOYMENTS = {
    "bundled store, TLS by Caddy": {
        "PUBLIC_BASE_URL": "https://inbox.example.com",
        "STORAGE_ENDPOINT_URL": "http://seaweedfs:8333",
        "STORAGE_PUBLIC_ENDPOINT_URL": "https://files.example.com",
    },
    "on one machine, plain http": {
        "PUBLIC_BASE_URL": "http://localhost",
        "STORAGE_ENDPOINT_URL": "http://seaweedfs:8333",
        "STORAGE_PUBLIC_ENDPOINT_URL": "http://files.localhost",
    },
    "R2 by account id, odd spellings": {
        "PUBLIC_BASE_URL": "HTTPS://Inbox.Example.COM:443/app/",
        "R2_ACCOUNT_ID": "0123abcd",
    },
    "ports and paths": {
        "PUBLIC_BASE_URL": "https://inbox.example.com:8443/",
        "STORAGE_ENDPOINT_URL": "https://s3.example.net/",
        "STORAGE_PUBLIC_ENDPOINT_URL": "https://cdn.example.net:9000/bucket?x=1",
    },
}


@pytest.mark.parametrize("deployment", sorted(DEPLOYMENTS))
def test_the_spa_gets_the_headers_of_security_headers_mjs(deployment: str) -> None:
    env = DEPLOYMENTS[deployment]
    assert caddy_headers(run_entrypoint(env)) == node_headers(env)


def test_the_proxy_serves_the_bundled_store_under_its_public_name() -> None:
    derived = run_entrypoint(DEPLOYMENTS["bundled store, TLS by Caddy"])
    assert derived["PARLEY_SITE_ADDRESS"] == "https://inbox.example.com"
    assert derived["PARLEY_STORAGE_PROXY"] == "on"
    assert derived["STORAGE_SITE_ADDRESS"] == "https://files.example.com"
    assert derived["PARLEY_STORAGE_UPSTREAM"] == "http://seaweedfs:8333"
    on = (DOCKER / "web" / "storage-on.caddy").read_text()
    assert "{$STORAGE_SITE_ADDRESS} {" in on and "reverse_proxy {$PARLEY_STORAGE_UPSTREAM}" in on
    assert "import storage-{$PARLEY_STORAGE_PROXY}.caddy" in CADDYFILE.read_text()


def test_an_external_store_is_left_to_the_browser() -> None:
    env = {
        "PUBLIC_BASE_URL": "https://inbox.example.com",
        "STORAGE_ENDPOINT_URL": "https://acct.r2.cloudflarestorage.com",
        "STORAGE_PUBLIC_ENDPOINT_URL": "https://acct.r2.cloudflarestorage.com/",
    }
    derived = run_entrypoint(env)
    assert derived["PARLEY_STORAGE_PROXY"] == "off"
    assert derived["PARLEY_STORAGE_ORIGIN"] == "https://acct.r2.cloudflarestorage.com"


def test_behind_a_tls_proxy_caddy_serves_plain_http_for_the_same_names() -> None:
    env = {**DEPLOYMENTS["bundled store, TLS by Caddy"], "PROXY_TLS": "off"}
    derived = run_entrypoint(env)
    assert derived["PARLEY_SITE_ADDRESS"] == "http://inbox.example.com"
    assert derived["STORAGE_SITE_ADDRESS"] == "http://files.example.com"
    assert derived["PARLEY_WS_ORIGIN"] == "wss://inbox.example.com", "browsers still use TLS"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "inbox.example.com"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://inbox.example.com"}, "STORAGE_PUBLIC_ENDPOINT_URL"),
        ({**DEPLOYMENTS["on one machine, plain http"], "PROXY_TLS": "yes"}, "PROXY_TLS"),
    ],
)
def test_the_proxy_refuses_to_start_misconfigured(env: dict[str, str], message: str) -> None:
    result = run(["sh", str(ENTRYPOINT), "true"], env)
    assert result.returncode != 0
    assert message in result.stderr


# --- The health check script and the build context ------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = {"/ok": (200, b"{}"), "/down": (503, b'{"checks": {"redis": "down"}}')}.get(
            self.path, (404, b"")
        )
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def healthcheck(url: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, str(ROOT / "scripts" / "healthcheck.py"), url], env)


def test_the_health_check_passes_on_2xx_and_reads_its_port_from_the_environment(
    http_port: int,
) -> None:
    assert (
        healthcheck("http://127.0.0.1:${CHECK_PORT:-1}/ok", CHECK_PORT=str(http_port)).returncode
        == 0
    )
    assert healthcheck(f"http://127.0.0.1:${{UNSET_PORT:-{http_port}}}/ok").returncode == 0


def test_the_health_check_fails_and_says_why(http_port: int) -> None:
    down = healthcheck(f"http://127.0.0.1:{http_port}/down")
    assert down.returncode == 1 and "HTTP 503" in down.stderr and "redis" in down.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    refused = healthcheck(f"http://127.0.0.1:{closed}/ok")
    assert refused.returncode == 1 and "refused" in refused.stderr.lower()
    assert healthcheck("not-a-url").returncode == 2


def test_the_build_context_leaves_secrets_and_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", "docker/.env", ".venv", ".data", ".git", "**/node_modules"} <= ignored
