"""First paint of the dashboard's ``/runs`` page in a real headless Chromium: target under 0.5 s.

Run: ``.venv/bin/python benchmarks/bench_first_paint.py [--store PATH] [--repeats N]``.

It starts ``spigot serve`` in a child process on a free 127.0.0.1 port (over ``--store``, or a
temporary store with 20 small synthetic runs), then opens ``/runs`` ``N`` times, each in a fresh
browser context (empty cache, as a first visit), and reads the Performance API: ``first-paint``,
``first-contentful-paint``, ``domContentLoadedEventEnd`` and ``loadEventEnd`` of the navigation,
and when the runs table was drawn (the page sets ``data-ready``). One warm visit (cache filled)
follows. ``/world`` (the page with a map, so with plotly.js) is measured once for comparison.
Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

TARGET_S = 0.5
_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
_TIMINGS = """() => {
  const paint = Object.fromEntries(performance.getEntriesByType("paint").map(e => [e.name, e.startTime]));
  const nav = performance.getEntriesByType("navigation")[0];
  return {fp: paint["first-paint"], fcp: paint["first-contentful-paint"],
          dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          bytes: performance.getEntriesByType("resource").reduce((s, r) => s + r.transferSize, 0)
                 + nav.transferSize,
          ready: Number(document.body.dataset.readyAt || NaN)};
}"""


def _seed(folder: Path, runs: int = 20) -> None:
    from spigot.store import RunStore

    store = RunStore(folder)
    time_axis = np.arange("2025-01-06", "2025-04-01", 7, dtype="datetime64[D]")
    for i in range(runs):
        ds = xr.Dataset({"lost_output_usd": (("draw",), np.linspace(0, 1e6, 8) * (i + 1),
                                             {"units": "USD"}),
                         "price": (("time",), np.linspace(1, 2, time_axis.size), {"units": "USD/t"})},
                        coords={"draw": np.arange(8), "time": time_axis})
        manifest = {"scenario": {"name": f"bench-{i}"}, "dataset": {"name": "toy"}, "seed": i,
                    "draws": 8}
        store.save(ds, manifest, f"name: bench-{i}\ndataset: toy\n")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(store: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "spigot", "serve", "--store", str(store),
                                "--port", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the dashboard did not start within 60 s")


def _visit(browser: Any, url: str, context: Any = None) -> dict[str, float]:
    own = context is None
    context = context or browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.add_init_script("""document.addEventListener("DOMContentLoaded", () => {
        new MutationObserver(() => { if (document.body.dataset.ready && !document.body.dataset.readyAt)
          document.body.dataset.readyAt = String(performance.now()); })
          .observe(document.body, {attributes: true}); });""")
    page.goto(url, wait_until="load")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    page.wait_for_function("document.body.dataset.readyAt !== undefined")
    timings: dict[str, float] = page.evaluate(_TIMINGS)
    page.close()
    if own:
        context.close()
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("Chromium is not installed ('make browser' installs it)")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp) / "store"
        if args.store is None:
            _seed(store)
        port = _free_port()
        server = _serve(store, port)
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=_ARGS)
                _visit(browser, f"{base}/runs")  # the server's first answers fill its caches
                cold = [_visit(browser, f"{base}/runs") for _ in range(args.repeats)]
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                _visit(browser, f"{base}/runs", context)
                warm = _visit(browser, f"{base}/runs", context)
                context.close()
                world = _visit(browser, f"{base}/world")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)

    def median(key: str) -> float:
        return statistics.median(t[key] for t in cold) / 1000

    print(f"/runs, {args.repeats} cold visits (fresh browser context each), median:")
    print(f"  first paint            {median('fp'):.3f} s")
    print(f"  first contentful paint {median('fcp'):.3f} s")
    print(f"  DOMContentLoaded       {median('dcl'):.3f} s")
    print(f"  runs table drawn       {median('ready'):.3f} s")
    print(f"  transferred            {statistics.median(t['bytes'] for t in cold) / 1024:.0f} KiB")
    print(f"  slowest first paint    {max(t['fp'] for t in cold) / 1000:.3f} s")
    print(f"/runs warm (cached): first paint {warm['fp'] / 1000:.3f} s, "
          f"DOMContentLoaded {warm['dcl'] / 1000:.3f} s")
    print(f"/world cold (plotly.js, map): first paint {world['fp'] / 1000:.3f} s, "
          f"DOMContentLoaded {world['dcl'] / 1000:.3f} s, map drawn {world['ready'] / 1000:.3f} s")
    ok = median("fp") < TARGET_S
    print(f"target: first paint of /runs under {TARGET_S} s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
