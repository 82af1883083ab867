"""`spigot serve` as a user starts it: on 127.0.0.1, serving the store it was given."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import seed_store


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_binds_localhost_and_serves_the_store(tmp_path: Path) -> None:
    run_ids = seed_store(tmp_path / "store")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "spigot", "serve", "--port", str(port), "--store",
         str(tmp_path / "store")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out, err = proc.communicate(timeout=10) if proc.poll() is not None else ("", "")
                    pytest.fail(f"spigot serve did not start: {out}\n{err}")
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        assert "store" not in health.json()  # the health check says nothing about the machine
        runs = httpx.get(f"http://127.0.0.1:{port}/api/runs", timeout=10).json()
        assert {r["run_id"] for r in runs} == set(run_ids)
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in out


def test_serve_rejects_a_bad_port() -> None:
    proc = subprocess.run([sys.executable, "-m", "spigot", "serve", "--port", "70000"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "--port" in proc.stderr
    assert "65535" in proc.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_serve_refuses_a_non_local_bind_without_expose(host: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "spigot", "serve", "--host", host],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert f"refusing to listen on a non-local interface without --expose: got {host!r}" \
        in proc.stderr
    assert "--token" in proc.stderr


def test_serve_refuses_a_short_token() -> None:
    proc = subprocess.run([sys.executable, "-m", "spigot", "serve", "--token", "abc"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "access token too short" in proc.stderr


def test_serve_warns_when_exposed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    import uvicorn

    from spigot.cli.app import main

    started: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(app=app, **kw))
    code = main(["serve", "--host", "0.0.0.0", "--expose", "--allow-host", "spigot.lan",
                 "--token", "generate", "--store", str(tmp_path / "store")])
    err = capsys.readouterr().err
    assert code == 0
    assert started["host"] == "0.0.0.0"  # nothing was bound: uvicorn.run is replaced
    assert "WARNING: the dashboard listens on 0.0.0.0" in err
    assert "localhost, 127.0.0.1, ::1, spigot.lan" in err
    assert "access token: open http://0.0.0.0:8050/?token=" in err
