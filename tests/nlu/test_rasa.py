"""The Rasa backend against a fake Rasa HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from nlu.rasa import RasaNLU


class FakeRasa(BaseHTTPRequestHandler):
    mode = "ok"
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeRasa.seen.append({"path": self.path, "body": body})
        if FakeRasa.mode == "slow":
            time.sleep(1.0)
        if FakeRasa.mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        payload = {
            "text": body["text"],
            "intent": {"name": "faq_housing", "confidence": 0.87},
            "entities": [],
            "intent_ranking": [{"name": "faq_housing", "confidence": 0.87},
                               {"name": "faq_residence_registration", "confidence": 0.1}],
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def rasa_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeRasa.mode, FakeRasa.seen = "ok", []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_intents_come_from_rasa_and_the_language_from_us(real_nlu, rasa_url):
    backend = RasaNLU(rasa_url, real_nlu, token="s3cret", timeout=0.5)
    parsed = backend.parse("come funziona il centro per l'impiego")
    assert (parsed.intent, parsed.confidence, parsed.language) == ("faq_housing", 0.87, "it")
    result = parsed.to_dict()
    assert result["intent"] == {"name": "faq_housing", "confidence": 0.87}
    assert result["backend"] == "rasa" and result["language"]["code"] == "it"
    assert FakeRasa.seen[0]["path"] == "/model/parse?token=s3cret"
    backend.close()


@pytest.mark.parametrize("mode", ["error", "slow"])
def test_a_failing_or_slow_server_falls_back_to_the_embedded_model(real_nlu, rasa_url, mode):
    FakeRasa.mode = mode
    backend = RasaNLU(rasa_url, real_nlu, timeout=0.3)
    result = backend.parse("dove si fa il codice fiscale")
    assert result.to_dict()["backend"] == "embedded"
    assert result.intent == "faq_tax_code"
    assert backend.failures == 1
    backend.close()


def test_an_unreachable_server_falls_back(real_nlu):
    backend = RasaNLU("http://127.0.0.1:9", real_nlu, timeout=0.3)
    assert backend.parse("grazie mille").to_dict()["backend"] == "embedded"
    backend.close()


def test_the_emergency_safety_net_stays_local(real_nlu, rasa_url):
    backend = RasaNLU(rasa_url, real_nlu)
    assert backend.parse("mio marito mi picchia").intent == "emergency"
    backend.close()
