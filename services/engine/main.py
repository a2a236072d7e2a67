"""Engine entrypoint. Importing this file does nothing (contract 1.1, 1.3).

Only `python services/engine/main.py`, started by the supervisor (contract 1.2), runs the
loop. SIGTERM/SIGINT finish the cycle in flight, write a final heartbeat and exit 0.
"""

from __future__ import annotations

import signal
import sys
import threading


def main() -> int:
    from src.core.clock import clock_from_env
    from src.core.errors import ConfigError
    from src.core.events import emit
    from src.core.paths import Paths
    from src.core.settings import load_settings
    from src.engine.cycle import Engine
    from src.engine.pipeline import build_steps

    try:
        settings = load_settings()
    except ConfigError as err:
        print(f"engine: {err}", file=sys.stderr)
        emit("engine", "engine_config_invalid", "critical", error=str(err))
        return 2
    paths = Paths(settings.home.resolve()).ensure()
    clock = clock_from_env()
    try:
        startup, steps = build_steps(settings, paths, clock)
    except ConfigError as err:  # bad strategy config or broker endpoint: refuse to start, say why
        print(f"engine: {err}", file=sys.stderr)
        emit("engine", "engine_config_invalid", "critical", paths=paths, error=str(err))
        return 2
    engine = Engine(settings, paths, clock, steps, startup)

    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    emit("engine", "engine_loop_started", "info", paths=paths, mode=settings.mode.value)
    engine.run_forever(stop)
    emit("engine", "engine_loop_stopped", "info", paths=paths, cycles=engine.cycle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
