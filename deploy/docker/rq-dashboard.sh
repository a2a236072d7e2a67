#!/bin/sh
# rq-dashboard behind basic auth. Credentials come from RQ_DASHBOARD_USERNAME / RQ_DASHBOARD_PASSWORD;
# with no password set, one is generated once into the volume (mode 0600) and its location printed
# (never the password itself). Binds 0.0.0.0 inside the container; compose publishes it on
# 127.0.0.1:9181 of the host only.
set -eu
if [ -z "${RQ_DASHBOARD_PASSWORD:-}" ]; then
    f="${STOCKBOT_HOME:-/var/lib/stockbot}/state/rq_dashboard_password"
    if [ ! -s "$f" ]; then
        mkdir -p "$(dirname "$f")"
        (umask 077 && python -c 'import secrets; print(secrets.token_urlsafe(18))' > "$f")
    fi
    RQ_DASHBOARD_PASSWORD="$(cat "$f")"
    echo "rq-dashboard: RQ_DASHBOARD_PASSWORD not set; using the generated one in $f" \
         "(read it with: docker compose exec rq-dashboard cat $f)"
fi
RQ_DASHBOARD_USERNAME="${RQ_DASHBOARD_USERNAME:-admin}"
export RQ_DASHBOARD_USERNAME RQ_DASHBOARD_PASSWORD
exec rq-dashboard --bind 0.0.0.0 --port 9181 --redis-url "${REDIS_URL:-redis://redis:6379/0}"
