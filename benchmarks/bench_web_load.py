"""Load on the dashboard's read routes: requests/s and latency at 30 and 50 concurrent clients.

Starts ``spigot serve`` on 127.0.0.1 (a separate process, as a user runs it) over a fresh store
of 20 runs, then lets N clients send read requests back to back for a fixed time: the run list,
one run, a comparison of two runs, a run's report, the runs page and the health check, in turn.
Prints, per level: requests, requests/s, p50, p95 and max latency, errors, the p95 of each
route, the load average of the machine before and after, and the CPU seconds the server and the
load generator used (the machines this is built for have two cores, often shared, and the clients
run on the same cores as the server).

The 20 runs are one real simulation (toy world, 64 draws x 26 weeks) saved 20 times through the
store API, so the reports are real-sized without simulating 20 times.

Run: ``.venv/bin/python benchmarks/bench_web_load.py [--seconds 15] [--clients 30 50]``.
Target (issue 15): p95 < 1 s for reads at 50 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import h11
import httpx

SCENARIO = """\
name: bench-toy
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
    approval:
      default: 0.6
"""


def fill_store(path: Path, runs: int) -> list[str]:
    """Simulate once and save the results ``runs`` times; return the run ids."""
    import spigot as sp
    from spigot.scenarios import load_text
    from spigot.store import RunStore

    results = sp.simulate(load_text(SCENARIO, "bench"), seed=1)
    store = RunStore(path)
    return [store.save_results(results, SCENARIO) for _ in range(runs)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(store: Path) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "spigot", "serve", "--port", str(port),
                             "--store", str(store)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"spigot serve did not start: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.2)


def routes(ids: list[str]) -> list[tuple[str, str]]:
    """(name, path) of the read requests, cycled by every client."""
    out: list[tuple[str, str]] = []
    for i, run_id in enumerate(ids):
        other = ids[(i + 1) % len(ids)]
        out += [("runs", "/api/runs"), ("run", f"/api/runs/{run_id}"),
                ("compare", f"/api/compare?a={run_id}&b={other}"),
                ("report", f"/api/runs/{run_id}/report"), ("page", "/runs"),
                ("health", "/api/health")]
    return out


class _Connection:
    """One keep-alive HTTP/1.1 connection driven by h11 (a few times lighter than httpx, so the
    load generator, which shares the cores with the server, takes less of them)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.conn = h11.Connection(our_role=h11.CLIENT)

    async def get(self, path: str) -> int:
        if self.writer is None or self.conn.our_state is not h11.IDLE:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.conn = h11.Connection(our_role=h11.CLIENT)
        assert self.reader is not None
        request = h11.Request(method="GET", target=path,
                              headers=[("Host", f"{self.host}:{self.port}")])
        self.writer.write(self.conn.send(request) + self.conn.send(h11.EndOfMessage()))
        status = 0
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(await self.reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                self.writer = None
                break
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
        else:
            self.writer = None
        return status


async def load(url: str, paths: list[tuple[str, str]], clients: int,
               seconds: float) -> tuple[list[tuple[str, float]], int, float]:
    """``clients`` concurrent clients for ``seconds``; (route, latency) pairs, errors, time."""
    results: list[tuple[str, float]] = []
    errors = 0
    stop = time.monotonic() + seconds
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    async def worker(k: int) -> None:
        nonlocal errors
        connection = _Connection(host, port)
        i = k * 7
        while time.monotonic() < stop:
            name, path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                ok = await connection.get(path) == 200
            except (OSError, h11.ProtocolError):
                ok, connection = False, _Connection(host, port)
            results.append((name, time.perf_counter() - started))
            errors += not ok

    began = time.monotonic()
    await asyncio.gather(*(worker(k) for k in range(clients)))
    return results, errors, time.monotonic() - began


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 \
        else (values[0] if values else float("nan"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[30, 50])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="spigot-bench-") as tmp:
        store = Path(tmp) / "store"
        t0 = time.perf_counter()
        ids = fill_store(store, args.runs)
        print(f"store: {len(ids)} runs in {time.perf_counter() - t0:.1f} s")
        proc, url = start_server(store)
        try:
            paths = routes(ids)
            for _, path in paths[:6 * len(ids)]:  # warm: every report built once
                httpx.get(url + path, timeout=120)
            print(f"{'clients':>7} {'requests':>9} {'req/s':>7} {'p50 s':>7} {'p95 s':>7} "
                  f"{'max s':>7} {'errors':>6}  load avg (1 min) before/after  CPU s server/"
                  "client  p95 by route")
            for clients in args.clients:
                before = os.getloadavg()[0]
                cpu_server, cpu_client = _cpu_seconds(proc.pid), time.process_time()
                results, errors, elapsed = asyncio.run(load(url, paths, clients, args.seconds))
                after = os.getloadavg()[0]
                cpu_server = _cpu_seconds(proc.pid) - cpu_server
                cpu_client = time.process_time() - cpu_client
                lat = [t for _, t in results]
                by_route = {name: _pct([t for n, t in results if n == name], 95)
                            for name in dict.fromkeys(n for n, _ in results)}
                shown = ", ".join(f"{n} {v:.3f}" for n, v in by_route.items())
                print(f"{clients:>7} {len(lat):>9} {len(lat) / elapsed:>7.1f} {_pct(lat, 50):>7.3f} "
                      f"{_pct(lat, 95):>7.3f} {max(lat):>7.3f} {errors:>6}  {before:.2f} / "
                      f"{after:.2f}  {cpu_server:.1f}/{cpu_client:.1f}  {shown}", flush=True)
        finally:
            proc.terminate()
            proc.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
