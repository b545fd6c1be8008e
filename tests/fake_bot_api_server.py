"""A Bot API server on 127.0.0.1 for tests that run the assistant as real processes.

It answers like the Bot API (through :class:`tests.fakes.FakeBotAPI`) and records every call.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes import FakeBotAPI, decode_params


class FakeBotApiServer:
    def __init__(self) -> None:
        self.api = FakeBotAPI()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                ctype = self.headers.get("Content-Type", "")
                params: dict[str, Any] = {}
                if "json" in ctype:
                    params = json.loads(body or "{}")
                elif "urlencoded" in ctype:
                    params = dict(parse_qsl(body))
                params = decode_params(params)
                method = self.path.rsplit("/", 1)[-1]
                with outer.lock:
                    outer.api.calls.append((method, params))
                    result = outer.api._result(method, params)
                data = json.dumps({"ok": True, "result": result}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeBotApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self.lock:
            return self.api.sent(method)
