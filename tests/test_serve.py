"""The explorer (`indexdsl serve`): its JSON endpoints in-process, and its page in
headless Chromium.  The test that matters: the file "save as" writes, run with
`indexdsl run`, ranks every unit exactly as the page showed."""

from __future__ import annotations

import json
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from indexdsl.pipeline import run_file
from indexdsl.serve.server import make_server
from indexdsl.serve.session import Explorer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def indices(tmp_path: Path) -> Path:
    """A copy of the example indices: save-as writes beside the index file."""
    shutil.copytree(ROOT / "indices", tmp_path / "indices")
    return tmp_path / "indices"


@pytest.fixture
def served(indices: Path, request):
    """(base URL, explorer) of a server on a free port for the index in the mark."""
    name = getattr(request, "param", "asem_full.idx")
    explorer = Explorer.open(indices / name, samples=50)
    server = make_server(explorer, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", explorer
    server.shutdown()
    server.server_close()


def call(url: str, body=None, raw: bytes | None = None) -> tuple[int, dict]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def file_ranks(path: Path) -> list[int]:
    result, _ = run_file(path)
    return [int(r) for r in result.units.ranks[result.graph.root]]


@pytest.mark.parametrize("served", ["asem_full.idx", "bri.idx"], indirect=True)
def test_the_saved_file_ranks_as_the_page_showed(served, indices):
    base, explorer = served
    status, index = call(f"{base}/api/index")
    assert status == 200 and index["ranks"] == file_ranks(explorer.path)
    root = index["framework"]
    first = root["children"][0]
    weights = {root["name"]: [700] + [300] * (len(root["children"]) - 1)}
    inner = next(c for c in root["children"] if len(c.get("children", ())) > 1)
    weights[inner["name"]] = list(range(1, len(inner["children"]) + 1))
    choices = {}
    for choice in index["choices"]:
        if choice["role"] in ("aggregator", "normaliser"):
            choices[choice["role"]] = len(choice["options"]) - 1  # the last alternative
    status, page = call(f"{base}/api/rank", {"weights": weights, "choices": choices})
    assert status == 200, page
    assert page["ranks"] != index["ranks"]  # the changes move the ranking
    assert page["movers"] and first["name"]
    status, saved = call(
        f"{base}/api/save", {"name": "explored.idx", "weights": weights, "choices": choices}
    )
    assert status == 200, saved
    written = indices / "explored.idx"
    assert file_ranks(written) == page["ranks"]
    # the original is untouched, and a second save does not overwrite without asking
    assert (indices / explorer.path.name).read_bytes() == (
        ROOT / "indices" / explorer.path.name
    ).read_bytes()
    status, refused = call(f"{base}/api/save", {"name": "explored.idx", "weights": weights})
    assert status == 400 and "exists" in refused["error"]


def test_the_saved_text_keeps_comments_and_reads_like_the_file(served, indices):
    base, explorer = served  # asem_full: extends asem.idx, framework from a metadata table
    status, saved = call(f"{base}/api/save", {"name": "plain.idx", "weights": {}})
    assert status == 200
    text = (indices / "plain.idx").read_text()
    assert text.startswith("# Written by `indexdsl serve` from asem_full.idx")
    assert "framework {" in text and "extends" not in text
    assert file_ranks(indices / "plain.idx") == file_ranks(explorer.path)


@pytest.mark.parametrize("served", ["bri.idx"], indirect=True)
def test_an_inline_framework_keeps_its_comments(served, indices):
    base, _ = served
    status, index = call(f"{base}/api/index")
    root = index["framework"]
    weights = {root["name"]: [1] * len(root["children"])}
    assert call(f"{base}/api/save", {"name": "equal.idx", "weights": weights})[0] == 200
    text = (indices / "equal.idx").read_text()
    assert "# Robustness" in text  # a comment of bri.idx
    assert text.count(" 1/6") == len(root["children"])


def test_bad_requests_are_answered_400_with_a_reason(served):
    base, explorer = served
    cases = [
        ({"weights": {"nosuch": [1, 2]}}, "not a node"),
        ({"weights": {"asem_full": [1]}}, "give 2 weights"),
        ({"weights": {"asem_full": [0, 0]}}, "not all 0"),
        ({"weights": {"asem_full": ["a", 1]}}, "whole numbers"),
        ({"choices": {"aggregator": 9}}, "no option 9"),
        ({"weights": []}, "are objects"),
    ]
    for body, expected in cases:
        status, answer = call(f"{base}/api/rank", body)
        assert status == 400 and expected in answer["error"], (body, answer)
    status, answer = call(f"{base}/api/rank", raw=b"{not json")
    assert status == 400 and answer["error"].startswith("bad request")
    for name, expected in (
        ("asem_full.idx", "never writes over"),
        ("../x.idx", "file name"),
        ("x.txt", "file name"),
    ):
        status, answer = call(f"{base}/api/save", {"name": name})
        assert status == 400 and expected in answer["error"]
    assert call(f"{base}/nosuch.js")[0] == 404


def test_the_server_listens_on_localhost_only(served):
    base, _ = served
    assert base.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(base + "/", timeout=30) as response:
        page = response.read().decode()
        policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "http://" not in page and "https://" not in page  # nothing fetched elsewhere


# ---- the page, in headless Chromium -------------------------------------------------------


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.skipif(
    chromium() is None, reason="no Chromium installed (Debian: apt-get install chromium)"
)
def test_moving_a_weight_in_the_page_ranks_as_the_saved_file(served, indices):
    playwright = pytest.importorskip("playwright.sync_api")
    base, explorer = served
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/")
            page.wait_for_selector("body[data-updated='0']")
            assert page.locator("#ranking tbody tr").count() == len(explorer.data.keys)
            # move the first weight of the index to 900 points
            number = page.locator("input[type=number]").first
            number.fill("900")
            number.dispatch_event("change")
            page.wait_for_selector("body[data-updated='1']")
            shown = {
                row.get_attribute("data-unit"): int(row.locator("td").first.inner_text())
                for row in page.locator("#ranking tbody tr").all()
            }
            assert "re-ranked in" in page.locator("#timing").inner_text()
            page.fill("#save-name", "from-the-page.idx")
            page.click("#save button")
            # (the page's security policy forbids evaluating strings: wait on a selector)
            page.wait_for_selector("#saved:has-text('saved as')")
            assert not errors, errors
        finally:
            browser.close()
    result, _ = run_file(indices / "from-the-page.idx")
    ranks = dict(
        zip(result.data.keys, (int(r) for r in result.units.ranks[result.graph.root]), strict=True)
    )
    assert ranks == shown
    assert ranks != dict(
        zip(explorer.data.keys, (int(r) for r in explorer.nominal_ranks), strict=True)
    )


def test_requests_from_another_origin_are_refused(served):
    """A page elsewhere that resolves its own name to 127.0.0.1 (DNS rebinding) sends
    its own Host; a form of another site posts without JSON: both are refused."""
    base, _ = served
    request = urllib.request.Request(base + "/api/index", headers={"Host": "evil.example:80"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    assert info.value.code == 403
    form = urllib.request.Request(
        base + "/api/save", data=b"name=x.idx",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(form, timeout=30)
    assert info.value.code == 415
