"""A tiny counting UW stand-in (werkzeug, port 0) for client unit tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from src.core.paths import Paths
from src.core.settings import Settings


@dataclass
class CountingServer:
    url: str
    hits: list[dict[str, Any]] = field(default_factory=list)
    # queue of (status, body bytes, headers) to answer with; empty -> 200 {"data": []}
    script: list[tuple[int, bytes, dict[str, str]]] = field(default_factory=list)
    daily_count: int | None = None

    def answer(self, status: int = 200, body: Any = None, raw: bytes | None = None, **headers: str) -> None:
        payload = raw if raw is not None else orjson.dumps({"data": []} if body is None else body)
        self.script.append((status, payload, headers))


@pytest.fixture
def uw_server() -> Iterator[CountingServer]:
    holder: dict[str, CountingServer] = {}
    lock = threading.Lock()

    @Request.application
    def app(request: Request) -> Response:
        srv = holder["srv"]
        with lock:
            srv.hits.append(
                {"path": request.path, "args": dict(request.args), "auth": request.headers.get("Authorization")}
            )
            status, body, headers = srv.script.pop(0) if srv.script else (200, b'{"data": []}', {})
        hdrs = {"Content-Type": "application/json", **{k.replace("_", "-"): v for k, v in headers.items()}}
        return Response(body, status=status, headers=hdrs)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    holder["srv"] = CountingServer(url=f"http://127.0.0.1:{server.server_port}")
    try:
        yield holder["srv"]
    finally:
        server.shutdown()
        t.join(timeout=5)


def make_settings(url: str, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "uw_api_key": "test-uw-key-123456",
        "uw_base_url": url,
        "uw_backoff_base_s": 0.0,
        "uw_max_wait_s": 0.0,
        "uw_connect_timeout_s": 1.0,
        "uw_read_timeout_s": 2.0,
    }
    base.update(overrides)
    return Settings(**base)


@pytest.fixture
def settings_for():
    return make_settings


@pytest.fixture
def paths(home: Paths) -> Paths:
    return home
