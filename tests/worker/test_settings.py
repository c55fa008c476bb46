"""arq reads a settings class's own attributes only: each worker must name its Redis and queue."""

from __future__ import annotations

import pytest

from api.config import get_settings
from api.jobs import QUEUE_NAME, WEBHOOK_QUEUE_NAME
from worker.main import WebhookWorkerSettings, WorkerSettings


@pytest.mark.parametrize(
    ("settings", "queue"),
    [(WorkerSettings, QUEUE_NAME), (WebhookWorkerSettings, WEBHOOK_QUEUE_NAME)],
)
def test_each_worker_settings_class_carries_its_own_redis_and_queue(
    settings: type, queue: str
) -> None:
    own = vars(settings)
    assert own["queue_name"] == queue
    redis = own["redis_settings"]
    assert redis.database == int(get_settings().redis.url.rsplit("/", 1)[1])
    assert {"on_startup", "on_shutdown", "functions", "poll_delay"} <= set(own)
