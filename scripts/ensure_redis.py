"""Make sure a Redis answers at REDIS_URL; start a local redis-server if none does.

Used by `.ci/run`, `make test` and `make run`; exits non-zero if no Redis can be had.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from urllib.parse import urlparse

import redis


def ping(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def main() -> int:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if ping(url):
        return 0
    exe = shutil.which("redis-server")
    parsed = urlparse(url)
    if exe is None or parsed.hostname not in ("127.0.0.1", "localhost", None):
        print(f"no Redis at {url} and no local redis-server to start", file=sys.stderr)
        return 1
    port = str(parsed.port or 6379)
    subprocess.run(
        [exe, "--daemonize", "yes", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no"],
        check=False,
    )
    for _ in range(50):
        if ping(url):
            print(f"started redis-server on port {port}")
            return 0
        time.sleep(0.1)
    print(f"redis-server did not answer at {url}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
