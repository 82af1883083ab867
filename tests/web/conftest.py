"""A live dashboard on 127.0.0.1 (uvicorn in a background thread) over a seeded run store."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from spigot.store import RunStore
from spigot.web import create_app
from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest

TOY_SCENARIO = """\
name: toy-squeeze
description: Licences on Dy oxide and magnets leaving China, in the toy world.
dataset: toy
start: 2025-01-06
horizon_weeks: 26
draws: 64
seed: 1
policies:
  - type: ExportLicence
    id: lic
    exporter: CHN
    commodities: [dy_oxide, ndfeb_magnet]
    destinations: all
    start: 2025-02-03
    processing_time:
      unit: working_days
      distribution: {dist: lognormal, median: 45, sigma: 0.35, min: 5, max: 90}
    approval:
      default: 0.6
"""


@dataclass
class LiveServer:
    """A running dashboard."""

    url: str
    store: RunStore
    server: uvicorn.Server
    thread: threading.Thread

    def client(self) -> httpx.Client:
        """An HTTP client for this server."""
        return httpx.Client(base_url=self.url, timeout=60)

    def stop(self) -> None:
        """Shut the server down (bounded wait)."""
        self.server.should_exit = True
        self.thread.join(timeout=30)


def start_server(store_path: Path, **options: Any) -> LiveServer:
    """Start the dashboard on a free localhost port and wait until it answers."""
    app = create_app(store_path, **options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    live = LiveServer(f"http://127.0.0.1:{port}", RunStore(store_path), server, thread)
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            live.stop()
            raise RuntimeError("the dashboard did not start within 30 s")
        time.sleep(0.02)
    return live


def wait_for_job(client: httpx.Client, job_id: str, limit: float = 240.0,
                 seen: list[Any] | None = None) -> dict[str, Any]:
    """Poll a job until it is done or failed (bounded); return its last status (a sweep job's
    ``done`` counts are appended to ``seen``)."""
    deadline = time.monotonic() + limit
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()
        if seen is not None:
            seen.append(job.get("done"))
        if job["status"] in ("done", "failed"):
            return dict(job)
        if time.monotonic() > deadline:
            pytest.fail(f"job {job_id} did not finish within {limit} s: {job}")
        time.sleep(0.1)


def seed_store(path: Path) -> list[str]:
    """Two synthetic runs (oldest first)."""
    store = RunStore(path)
    return [store.save(fake_dataset(seed=1), fake_manifest(seed=1), SCENARIO_TEXT),
            store.save(fake_dataset(seed=2), fake_manifest(seed=2), SCENARIO_TEXT)]


@pytest.fixture(scope="module")
def live_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    """Start servers on demand; all are stopped at the end of the module."""
    started: list[LiveServer] = []

    def make(**options: Any) -> LiveServer:
        folder = tmp_path_factory.mktemp("store")
        seed_store(folder)
        live = start_server(folder, **options)
        started.append(live)
        return live

    yield make
    for live in started:
        live.stop()
