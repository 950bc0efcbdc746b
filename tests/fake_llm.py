"""A real HTTP server on 127.0.0.1 that speaks the chat-completions API (DESIGN rule 13).

Not a mock of the SDK: the app's `openai` client really connects, sends JSON
and parses what comes back. Every request is recorded (path, headers, JSON
body), so a test can prove what left the server, or that nothing did.

    with FakeLLM() as fake:             # or the `fake_llm` fixture
        fake.reply = "Stock is 12.5 g."
        fake.behaviours = [Behaviour(status=500), Behaviour()]  # one per request, then `default`
        ... settings with OPENAI_BASE_URL=fake.url ...
        assert len(fake.requests) == 2
"""
from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Behaviour:
    """How the server answers one request.

    status: HTTP status (non-200 sends an OpenAI-style error body);
    delay: seconds to wait before answering (to trigger client timeouts);
    text: the reply text (None: use FakeLLM.reply);
    body: a raw body to send instead of a completion (e.g. malformed JSON);
    choices: False sends `"choices": []`;
    usage: the usage object, or None to leave usage out.
    """

    status: int = 200
    delay: float = 0.0
    text: str | None = None
    body: str | None = None
    choices: bool = True
    usage: dict | None = field(default_factory=lambda: {"prompt_tokens": 900, "completion_tokens": 250,
                                                         "total_tokens": 1150})


@dataclass
class Recorded:
    path: str
    headers: dict
    body: dict | None

    @property
    def prompt(self) -> str:
        """Every message's content joined: what the model was shown."""
        messages = (self.body or {}).get("messages", [])
        return "\n".join(str(message.get("content", "")) for message in messages)


class FakeLLM:
    """A threaded chat-completions server on 127.0.0.1:<free port>."""

    def __init__(self):
        self.reply = "A short summary."
        self.default = Behaviour()
        self.behaviours: list[Behaviour] = []
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL to put into OPENAI_BASE_URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "FakeLLM":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeLLM":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _next(self) -> Behaviour:
        with self._lock:
            return self.behaviours.pop(0) if self.behaviours else self.default

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                fake._record(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                behaviour = fake._next()
                if behaviour.delay and fake._stopping.wait(behaviour.delay):
                    return
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                if behaviour.status != 200:
                    return self._send(behaviour.status, {"error": {
                        "message": f"fake error {behaviour.status}", "type": "fake", "code": None}})
                if behaviour.body is not None:
                    return self._send(200, behaviour.body)
                return self._send(200, fake._completion(behaviour, body))

            def _send(self, status: int, payload) -> None:
                data = payload if isinstance(payload, str) else json.dumps(payload)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data.encode())))
                    self.end_headers()
                    self.wfile.write(data.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to do

        return Handler

    def _completion(self, behaviour: Behaviour, request: dict | None) -> dict:
        text = self.reply if behaviour.text is None else behaviour.text
        choices = [{"index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text}}] if behaviour.choices else []
        payload = {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1_700_000_000,
                   "model": (request or {}).get("model", "fake-model"), "choices": choices}
        if behaviour.usage is not None:
            payload["usage"] = behaviour.usage
        return payload


def refused_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def fake_llm():
    """A started FakeLLM, stopped after the test."""
    with FakeLLM() as fake:
        yield fake
