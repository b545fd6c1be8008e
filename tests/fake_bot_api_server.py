"""A Bot API server on 127.0.0.1 for tests that run the assistant as real processes.

It answers like the Bot API (through :class:`tests.fakes.FakeBotAPI`) and records every call.
"""

from __future__ import annotations

import email.policy
import json
import threading
import time
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes import FakeBotAPI, decode_params


def multipart_fields(content_type: str, body: bytes) -> dict[str, Any]:
    """The fields of a multipart/form-data body: text fields by name, a file's bytes as
    ``<name>:bytes`` (as :class:`tests.fakes.FakeBotAPI` records them)."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name and not part.get_filename():
            fields[str(name)] = part.get_payload(decode=True).decode("utf-8")
        elif name:
            fields[f"{name}:bytes"] = part.get_payload(decode=True)
    return fields


class FakeBotApiServer:
    def __init__(self) -> None:
        self.api = FakeBotAPI()
        self.lock = threading.Lock()
        self.slow_methods: dict[str, float] = {}  # method -> seconds before answering
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:
                    return  # the client died mid-request (kill -9): Telegram got nothing
                body = raw.decode("utf-8", "replace")
                ctype = self.headers.get("Content-Type", "")
                params: dict[str, Any] = {}
                if "json" in ctype:
                    params = json.loads(body or "{}")
                elif "urlencoded" in ctype:
                    params = dict(parse_qsl(body))
                elif "multipart" in ctype:  # a file upload (sendDocument)
                    params = multipart_fields(ctype, raw)
                method, _, query = self.path.rsplit("/", 1)[-1].partition("?")
                params = decode_params({**dict(parse_qsl(query)), **params})
                with outer.lock:
                    outer.api.calls.append((method, params))
                    result = outer.api._result(method, params)
                if method == "getUpdates" and not result:
                    time.sleep(0.05)  # a long poll with nothing to give
                elif method in outer.slow_methods:
                    time.sleep(outer.slow_methods[method])
                data = json.dumps({"ok": True, "result": result}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client process was killed (the kill -9 test)

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

    def offer(self, *updates: dict[str, Any]) -> None:
        """Updates for getUpdates to hand out (until a higher offset acknowledges them)."""
        with self.lock:
            self.api.updates.extend(updates)

    def pending(self) -> int:
        with self.lock:
            return len(self.api.updates)
