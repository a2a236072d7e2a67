# syntax=docker/dockerfile:1
# One image for every stock-bot service. Each compose service builds its own target: the layers
# are shared (one dependency layer, one source layer); a target only sets the service's CMD and
# HEALTHCHECK. tini is PID 1 (signals reach the service, zombies are reaped; no supervisord).
# No key, token or password is baked in: they come from the environment at run time.

FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    STOCKBOT_HOME=/var/lib/stockbot \
    MPLCONFIGDIR=/tmp/matplotlib

RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

# a system user that owns the runtime volume and nothing else (the source stays root-owned)
RUN groupadd --system --gid 10001 stockbot \
    && useradd --system --uid 10001 --gid stockbot --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin stockbot \
    && mkdir -p /var/lib/stockbot \
    && chown stockbot:stockbot /var/lib/stockbot \
    && chmod 0750 /var/lib/stockbot

WORKDIR /app

# dependencies first, from the pinned lock, in their own layer: source edits do not reinstall them
COPY requirements.lock /app/requirements.lock
RUN pip install -r /app/requirements.lock

COPY . /app
RUN python -m compileall -q src services scripts

USER stockbot
VOLUME ["/var/lib/stockbot"]
ENTRYPOINT ["tini", "--"]

# --- services (compose: build.target) ---------------------------------------------------------

# supervisor -> engine child; stop_grace_period in compose must exceed STOCKBOT_KILL_TIMEOUT_S
FROM base AS engine
HEALTHCHECK --interval=30s --timeout=15s --start-period=90s --retries=3 \
    CMD ["python", "scripts/status.py"]
CMD ["python", "services/supervisor/deploy_supervisor.py"]

FROM base AS uw-daemon
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 \
    CMD ["python", "scripts/healthcheck_daemon.py"]
CMD ["python", "services/uw-daemon/uw_flow_daemon.py"]

FROM base AS intel-worker
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "scripts/healthcheck_worker.py", "--role", "intel-worker"]
CMD ["python", "services/intel-worker/worker.py"]

FROM base AS telemetry-worker
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "scripts/healthcheck_worker.py", "--role", "telemetry-worker"]
CMD ["python", "services/telemetry-worker/worker.py"]

# rq cron evaluates schedules in local time: the scheduler runs in New York time
FROM base AS scheduler
ENV TZ=America/New_York
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "scripts/healthcheck_worker.py", "--role", "scheduler"]
CMD ["rq", "cron", "--connection-class", "src.jobs.connection.ResilientRedis", "services/scheduler/cron_config.py"]

# basic auth from RQ_DASHBOARD_USERNAME / RQ_DASHBOARD_PASSWORD (generated into the volume if unset)
FROM base AS rq-dashboard
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import http.client as h; c = h.HTTPConnection('127.0.0.1', 9181, timeout=5); c.request('GET', '/'); raise SystemExit(0 if c.getresponse().status in (200, 401) else 1)"]
CMD ["sh", "deploy/docker/rq-dashboard.sh"]

# UW (8765) + Alpaca (8766) simulators; idle unless STOCKBOT_MODE=sim (see compose.yaml)
FROM base AS market-sim
ENV STOCKBOT_SIM_HOST=0.0.0.0
HEALTHCHECK --interval=5s --timeout=5s --start-period=20s --retries=5 \
    CMD ["python", "-c", "import os, socket; [socket.create_connection(('127.0.0.1', p), 3).close() for p in (8765, 8766)] if os.environ.get('STOCKBOT_MODE', 'sim') == 'sim' else None"]
CMD ["sh", "deploy/docker/market-sim.sh"]
