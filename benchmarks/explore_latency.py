"""Latency of the explorer (issue 14); results are recorded in docs/performance.md.

    uv run python benchmarks/explore_latency.py                      # indices/asem_full.idx
    uv run python benchmarks/explore_latency.py --screenshot docs/images/explore-asem.png

Starts the explorer's server in this process (as `indexdsl serve` does) and measures:

- server: the time the server reports for re-ranking (`milliseconds` of
  `POST /api/rank`: one replication of the batched engine and the movers), over
  --changes random weight changes of the index's top-level nodes;
- round trip: the same requests timed from the client (HTTP included);
- page (needs Chromium and Playwright's Python package): from a weight typed into
  the page to the ranking shown, over 20 changes in headless Chromium.

Prints the median and the largest of each.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

from indexdsl.serve.server import make_server
from indexdsl.serve.session import Explorer


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def page_latency(base: str, changes: int, screenshot: Path | None) -> list[float]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return []
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/")
        page.wait_for_selector("body[data-updated='0']")
        number = page.locator("input[type=number]").first
        for k in range(1, changes + 1):
            started = time.perf_counter()
            number.fill(str(100 + 37 * k))
            number.dispatch_event("change")
            page.wait_for_selector(f"body[data-updated='{k}']")
            times.append(time.perf_counter() - started)
        if screenshot is not None:
            page.locator("#ranking tbody tr").nth(0).click()
            page.screenshot(path=str(screenshot), full_page=False)
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=Path("indices/asem_full.idx"))
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args()
    explorer = Explorer.open(args.file)
    server = make_server(explorer, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    root = explorer.model.root
    rng = np.random.default_rng(1)
    served, round_trip = [], []
    for _ in range(args.changes):
        weights = {root.name: [int(w) for w in rng.integers(1, 1000, len(root.children))]}
        started = time.perf_counter()
        answer = post(base + "/api/rank", {"weights": weights})
        round_trip.append(time.perf_counter() - started)
        served.append(answer["milliseconds"] / 1000)
    page = page_latency(base, 20, args.screenshot)
    server.shutdown()
    ms = 1000
    print(f"{args.file}: {len(explorer.data.keys)} units")
    for name, times in (("server", served), ("round trip", round_trip), ("page", page)):
        if times:
            print(f"  {name:10}: median {statistics.median(times) * ms:.1f} ms, "
                  f"largest {max(times) * ms:.1f} ms ({len(times)} changes)")  # fmt: skip
        else:
            print(f"  {name:10}: not measured (no Chromium)")


if __name__ == "__main__":
    main()
