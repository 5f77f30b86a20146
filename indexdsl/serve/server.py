"""``indexdsl serve FILE``: the explorer's web server, on 127.0.0.1 only.

The standard library's threading HTTP server is enough for one user on one machine:
it serves the page (``static/``: HTML, CSS and plain JavaScript, nothing fetched from
anywhere else) and four JSON endpoints:

- ``GET /api/index``: the index, its framework, its choices, the file's ranking and
  the rank intervals;
- ``POST /api/rank`` ``{"weights": {node: [points…]}, "choices": {role: option}}``:
  the ranking with those weights and choices, and the movers;
- ``POST /api/save`` ``{"name": "x.idx", "weights": …, "choices": …, "overwrite":
  false}``: the choices written as a new index file beside the original;
- ``GET /api/file?name=x.idx``: a saved file's text.

A request the explorer cannot carry out is answered 400 with ``{"error": message}``;
nothing reaches the page as a Python traceback.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from indexdsl.serve.session import ExploreError, Explorer

HOST = "127.0.0.1"
#: largest request body read (the weights of a large framework fit easily)
MAX_BODY = 1 << 20
_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript"}
#: the page may load only its own files; no frame, no plugin, no other origin
_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _handler(explorer: Explorer, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "indexdsl-serve"

        def log_message(self, format, *args):  # noqa: A002 - quiet: no line per request
            pass

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", _POLICY)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, value) -> None:
            self._send(status, json.dumps(value, allow_nan=False).encode(), "application/json")

        def _refused(self) -> bool:
            """A request from another origin: a Host that is not this server (a page
            elsewhere resolving its own name to 127.0.0.1, "DNS rebinding"), or a POST
            that is not JSON (a form of another site)."""
            port = self.server.server_address[1]
            if self.headers.get("Host") not in (f"127.0.0.1:{port}", f"localhost:{port}"):
                self._json(HTTPStatus.FORBIDDEN, {"error": "this server answers 127.0.0.1 only"})
                return True
            kind = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if self.command == "POST" and kind != "application/json":
                self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send JSON"})
                return True
            return False

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            if self._refused():
                return
            url = urlparse(self.path)
            if url.path == "/api/index":
                with lock:
                    self._json(HTTPStatus.OK, explorer.describe())
                return
            if url.path == "/api/file":
                name = parse_qs(url.query).get("name", [""])[0]
                target = explorer.path.parent / name
                if "/" in name or not name.endswith(".idx") or not target.is_file():
                    self._json(HTTPStatus.NOT_FOUND, {"error": f"no file `{name}`"})
                    return
                self._send(HTTPStatus.OK, target.read_bytes(), "text/plain")
                return
            name = "index.html" if url.path in ("/", "/index.html") else url.path.lstrip("/")
            if "/" in name or Path(name).suffix not in _TYPES:
                self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
                return
            asset = resources.files("indexdsl.serve") / "static" / name
            if not asset.is_file():
                self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
                return
            self._send(HTTPStatus.OK, asset.read_bytes(), _TYPES[Path(name).suffix])

        def do_POST(self) -> None:  # noqa: N802
            if self._refused():
                return
            url = urlparse(self.path)
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= MAX_BODY:
                    raise ExploreError("send a JSON body of at most 1 MiB")
                body = json.loads(self.rfile.read(length))
                if not isinstance(body, dict):
                    raise ExploreError("send a JSON object")
                weights, choices = body.get("weights", {}), body.get("choices", {})
                if not isinstance(weights, dict) or not isinstance(choices, dict):
                    raise ExploreError("`weights` and `choices` are objects")
                with lock:
                    if url.path == "/api/rank":
                        answer = explorer.ranking(weights, choices)
                    elif url.path == "/api/save":
                        answer = explorer.save(
                            str(body.get("name", "")), weights, choices, bool(body.get("overwrite"))
                        )
                    else:
                        self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
                        return
            except (ExploreError, ValueError, TypeError) as exc:
                message = str(exc) if isinstance(exc, ExploreError) else f"bad request: {exc}"
                self._json(HTTPStatus.BAD_REQUEST, {"error": message})
                return
            except OSError as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": f"cannot write: {exc.strerror}"})
                return
            self._json(HTTPStatus.OK, answer)

    return Handler


def make_server(explorer: Explorer, port: int = 0) -> ThreadingHTTPServer:
    """The server, bound to 127.0.0.1 (``port`` 0: any free port); not started."""
    server = ThreadingHTTPServer((HOST, port), _handler(explorer, threading.Lock()))
    server.daemon_threads = True
    return server
