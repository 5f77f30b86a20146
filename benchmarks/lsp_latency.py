"""Latency of the language server (issue 14); results are recorded in docs/performance.md.

    uv run python benchmarks/lsp_latency.py                 # indices/asem_full.idx, 30 edits
    uv run python benchmarks/lsp_latency.py --file indices/bri.idx --edits 50

Starts `indexdsl lsp` as an editor would (pygls's client over stdin/stdout), opens the
index file, then makes --edits changes one after another, each a full-text change that
alternately adds and removes a comment line at the end of the file (every change is
checked in full: the server keeps nothing from one version to the next).  For each
change it measures, from sending `didChange`:

- static: until the first `publishDiagnostics` of that version (parse, `extends`, the
  framework table, every check pass; includes the server's pause of 50 ms that waits
  for the end of a burst of typing);
- data: until the second one (the tables loaded and the index evaluated: the data
  checks).

Prints the median and the largest of each.  Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient


async def measure(path: Path, edits: int) -> tuple[list[float], list[float]]:
    client = LanguageClient("indexdsl-benchmark", "1")
    arrivals: dict[int, list[float]] = {}
    changed = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def keep(params: types.PublishDiagnosticsParams) -> None:
        arrivals.setdefault(params.version or 0, []).append(time.perf_counter())
        changed.set()

    await client.start_io(sys.executable, "-m", "indexdsl.cli", "lsp")
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=Path.cwd().as_uri()
        )
    )
    client.initialized(types.InitializedParams())
    uri = path.resolve().as_uri()
    text = path.read_text(encoding="utf-8")

    async def both(version: int) -> None:
        while len(arrivals.get(version, [])) < 2:
            changed.clear()
            await asyncio.wait_for(changed.wait(), 30)

    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "indexdsl", 1, text))
    )
    await both(1)
    static, data = [], []
    variants = _variants(text)
    for version in range(2, edits + 2):
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [types.TextDocumentContentChangeWholeDocument(text=variants[version % 2])],
            )
        )
        await both(version)
        static.append(arrivals[version][0] - sent)
        data.append(arrivals[version][1] - sent)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return static, data


def _variants(text: str) -> tuple[str, str]:
    """Two versions of the file: as it is, and with a comment line added at its end
    (the whole file is checked again either way)."""
    return text, text + "\n# edited\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=Path("indices/asem_full.idx"))
    parser.add_argument("--edits", type=int, default=30)
    args = parser.parse_args()
    static, data = asyncio.run(measure(args.file, args.edits))
    ms = 1000
    print(f"{args.file}: {len(static)} edits")
    print(f"  static diagnostics: median {statistics.median(static) * ms:.0f} ms, "
          f"largest {max(static) * ms:.0f} ms")  # fmt: skip
    print(f"  data diagnostics:   median {statistics.median(data) * ms:.0f} ms, "
          f"largest {max(data) * ms:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
