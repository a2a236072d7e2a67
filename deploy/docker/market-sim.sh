#!/bin/sh
# The market simulators run only in sim mode. In paper/live mode this container idles (healthy),
# so `docker compose up` needs no profile switch: sim is the default when no .env exists.
set -eu
if [ "${STOCKBOT_MODE:-sim}" = "sim" ]; then
    exec python services/market-sim/run_sim.py
fi
echo "market-sim: STOCKBOT_MODE=${STOCKBOT_MODE} - simulators not started (idle)"
exec sleep infinity
