"""The Grafana dashboard and the Prometheus configuration in docker/ match the series the
processes really expose, and the metrics settings are documented."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from arq.connections import ArqRedis
from prometheus_client import REGISTRY

from api.config import MetricsSettings, WorkerHTTPSettings
from api.jobs import QUEUE_NAME, WEBHOOK_QUEUE_NAME
from api.observability import metrics

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "docker" / "grafana" / "dashboards" / "parley.json"
PROMETHEUS = ROOT / "docker" / "prometheus" / "prometheus.yml"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
# Every series issue 8 asks for has a panel.
REQUIRED = {
    "parley_webhook_deliveries_total",
    "parley_webhook_ingest_lag_seconds_bucket",
    "parley_webhook_events_total",
    "parley_queue_depth",
    "parley_job_queue_latency_seconds_bucket",
    "parley_job_duration_seconds_bucket",
    "parley_graph_requests_total",
    "parley_graph_request_duration_seconds_bucket",
    "parley_messages_sent_total",
    "parley_http_request_duration_seconds_bucket",
    "parley_http_requests_total",
    "parley_socket_connections",
    "parley_socket_connects_total",
    "parley_socket_events_total",
}


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def expressions(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in panels(dashboard) for t in p.get("targets", [])]


async def exposed_series(redis: ArqRedis) -> set[str]:
    """Every series name this process's registry can expose (the queue depth too, which
    only a refresh from Redis fills)."""
    await metrics.QUEUE_DEPTH.refresh(redis, [QUEUE_NAME, WEBHOOK_QUEUE_NAME])
    names = set()
    for family in REGISTRY.collect():
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


async def test_every_dashboard_query_names_a_real_series(redis: ArqRedis) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    used = {name for expr in expressions(dashboard) for name in re.findall(r"parley_\w+", expr)}
    assert used, "the dashboard queries nothing"
    assert used <= await exposed_series(redis), "unknown series in the dashboard"
    assert used >= REQUIRED, "a series has no panel"


def test_the_dashboard_is_importable_grafana_json() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert 36 <= dashboard["schemaVersion"] <= 41
    (variable,) = dashboard["templating"]["list"]
    assert variable["type"] == "datasource" and variable["query"] == "prometheus"
    assert variable["current"]["value"] == "prometheus"  # the provisioned data source's uid
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        box = panel["gridPos"]
        assert box["x"] + box["w"] <= 24
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}"
            assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"])


def test_prometheus_scrapes_every_process_on_its_port() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    workers = WorkerHTTPSettings.model_fields
    expected = {
        "api": ("api", 8000),
        "realtime": ("realtime", 8000),
        "worker": ("worker", workers["http_port"].default),
        "webhook-worker": ("webhook-worker", workers["webhook_http_port"].default),
    }
    jobs = {
        job["job_name"]: (sd["names"][0], sd["port"])
        for job in config["scrape_configs"]
        for sd in job["dns_sd_configs"]
    }
    assert jobs == expected
    assert all(
        job.get("metrics_path", "/metrics") == "/metrics" for job in config["scrape_configs"]
    )


@pytest.mark.parametrize(
    "variable",
    [
        "WORKER_HTTP_HOST",
        "WORKER_HTTP_PORT",
        "WEBHOOK_WORKER_HTTP_PORT",
        *(f"METRICS_{name.upper()}" for name in MetricsSettings.model_fields),
    ],
)
def test_every_metrics_setting_is_documented(variable: str) -> None:
    assert re.search(rf"^#? ?{variable}=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    assert f"`{variable}`" in (ROOT / "README.md").read_text()
