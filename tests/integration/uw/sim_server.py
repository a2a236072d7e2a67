"""Start the real UW simulator in-process on an ephemeral port (shared by the UW integration tests)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from werkzeug.serving import make_server

from src.sim.uw_sim import create_app


@dataclass
class RunningSim:
    url: str
    app: Any

    def faults(self, mode: str, paths: list[str] | None = None, count: int | None = None, **extra: Any) -> None:
        body = {"mode": mode, "paths": paths or [], "count": count, **extra}
        requests.post(f"{self.url}/_sim/faults", json=body, timeout=5).raise_for_status()

    def stats(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_sim/stats", timeout=5).json()


@contextmanager
def running_sim(clock: Any = None, **kwargs: Any) -> Iterator[RunningSim]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(clock=clock, **kwargs)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield RunningSim(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        requests.post(f"http://127.0.0.1:{server.server_port}/_sim/faults", json={"mode": "none"}, timeout=5)
        server.shutdown()
        t.join(timeout=5)
