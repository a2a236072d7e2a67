"""compose.yaml, checked by parsing: services, volume, health, exposure, secrets, sim by default."""

from __future__ import annotations

import re

import pytest

from src.core.settings import Settings
from tests.unit.deploy.deployfiles import (
    SERVICES,
    compose,
    dockerfile,
    dotenv_example,
    duration_s,
    interpolate,
    interpolated_vars,
    procfile,
    repo_file,
)

HOME = "/var/lib/stockbot"
STOCKBOT = [s for s in SERVICES if s != "redis"]
SECRET_NAME = re.compile(r"(KEY|SECRET|PASSWORD|TOKEN)", re.I)
NOT_SECRET_DEFAULTS = {"", "sim", "sim-key"}  # placeholders the simulators accept


@pytest.fixture(scope="module")
def spec() -> dict:
    return compose()


@pytest.fixture(scope="module")
def no_env(spec: dict) -> dict:
    """The model as `docker compose up` sees it with no .env and an empty environment."""
    return interpolate(spec, {})


def test_every_service_present(spec: dict) -> None:
    assert set(spec["services"]) == set(SERVICES)


def test_one_named_volume_at_stockbot_home_everywhere(spec: dict) -> None:
    assert "stockbot-home" in spec["volumes"]
    for name in STOCKBOT:
        svc = spec["services"][name]
        mounts = [v for v in svc["volumes"] if v.startswith("stockbot-home:")]
        assert mounts == [f"stockbot-home:{HOME}"], name
        assert svc["environment"]["STOCKBOT_HOME"] == HOME, name
    redis = spec["services"]["redis"]
    assert not any(v.startswith("stockbot-home:") for v in redis.get("volumes", []))


def test_redis_persists_and_is_checked(spec: dict) -> None:
    redis = spec["services"]["redis"]
    cmd = redis["command"]
    assert cmd[cmd.index("--appendonly") + 1] == "yes"
    assert any(v.endswith(":/data") for v in redis["volumes"])
    assert "ping" in " ".join(redis["healthcheck"]["test"])


def test_every_long_running_service_has_healthcheck_restart_and_log_limits(spec: dict) -> None:
    for name, svc in spec["services"].items():
        hc = svc.get("healthcheck") or {}
        assert hc.get("test") and not hc.get("disable"), name
        assert svc["restart"] == "unless-stopped", name
        assert svc["logging"]["driver"] == "json-file", name
        assert svc["logging"]["options"]["max-size"] and int(svc["logging"]["options"]["max-file"]) >= 1, name


def test_healthchecks_use_the_contract_probes(spec: dict) -> None:
    def probe(name: str) -> str:
        return " ".join(spec["services"][name]["healthcheck"]["test"])

    assert "scripts/status.py" in probe("engine")
    assert "scripts/healthcheck_daemon.py" in probe("uw-daemon")
    assert "healthcheck_worker.py --role intel-worker" in probe("intel-worker")
    assert "healthcheck_worker.py --role telemetry-worker" in probe("telemetry-worker")
    assert "healthcheck_worker.py --role scheduler" in probe("scheduler")
    for rel in ("scripts/healthcheck_daemon.py", "scripts/healthcheck_worker.py"):
        assert repo_file(rel).is_file()


def test_nothing_published_but_the_dashboard_on_localhost(spec: dict) -> None:
    for name, svc in spec["services"].items():
        ports = svc.get("ports", [])
        if name != "rq-dashboard":
            assert ports == [], name
        for p in ports:
            assert str(p).startswith("127.0.0.1:"), p
        assert "network_mode" not in svc, name
    assert spec["services"]["rq-dashboard"]["ports"] == ["127.0.0.1:9181:9181"]


def test_dashboard_credentials_come_from_the_environment(spec: dict, no_env: dict) -> None:
    env = spec["services"]["rq-dashboard"]["environment"]
    assert env["RQ_DASHBOARD_USERNAME"].startswith("${RQ_DASHBOARD_USERNAME")
    assert env["RQ_DASHBOARD_PASSWORD"] == "${RQ_DASHBOARD_PASSWORD:-}"
    script = repo_file("deploy/docker/rq-dashboard.sh").read_text()
    assert "RQ_DASHBOARD_PASSWORD" in script and "token_urlsafe" in script
    assert "exec rq-dashboard" in script


def test_depends_on_waits_for_health_and_engine_never_needs_redis(spec: dict) -> None:
    for name, svc in spec["services"].items():
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in spec["services"], (name, dep)
            assert cond["condition"] == "service_healthy", (name, dep)
    assert "redis" not in spec["services"]["engine"].get("depends_on", {})
    for name in ("intel-worker", "telemetry-worker", "scheduler", "rq-dashboard"):
        assert "redis" in spec["services"][name]["depends_on"], name


def test_stop_grace_period_exceeds_supervisor_kill_timeout(spec: dict, no_env: dict) -> None:
    kill_timeout = Settings().kill_timeout_s
    configured = float(no_env["services"]["engine"]["environment"]["STOCKBOT_KILL_TIMEOUT_S"])
    assert configured == kill_timeout == 10
    assert duration_s(spec["services"]["engine"]["stop_grace_period"]) > kill_timeout + 5
    for name, svc in spec["services"].items():
        if "stop_grace_period" in svc:
            assert duration_s(svc["stop_grace_period"]) >= 10, name


def test_no_env_file_means_sim_mode_against_market_sim(no_env: dict, spec: dict) -> None:
    assert "profiles" not in spec["services"]["market-sim"]  # always in the model (idles unless sim)
    for name in STOCKBOT:
        env = no_env["services"][name]["environment"]
        if name == "rq-dashboard":
            continue
        assert env["STOCKBOT_MODE"] == "sim", name
        assert env["UW_BASE_URL"] == "http://market-sim:8765", name
        assert env["ALPACA_BASE_URL"] == "http://market-sim:8766", name
        assert env["REDIS_URL"] == "redis://redis:6379/0", name
    sim = repo_file("deploy/docker/market-sim.sh").read_text()
    assert 'if [ "${STOCKBOT_MODE:-sim}" = "sim" ]' in sim and "services/market-sim/run_sim.py" in sim
    assert no_env["services"]["market-sim"]["environment"]["STOCKBOT_SIM_HOST"] == "0.0.0.0"


def test_paper_values_from_env_reach_the_services(spec: dict) -> None:
    env = {"STOCKBOT_MODE": "paper", "UW_BASE_URL": "https://api.example", "ALPACA_BASE_URL": "https://paper.example"}
    got = interpolate(spec, env)["services"]["engine"]["environment"]
    assert got["STOCKBOT_MODE"] == "paper" and got["UW_BASE_URL"] == "https://api.example"


def test_no_secret_values_in_compose(spec: dict) -> None:
    for name, svc in spec["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            if not SECRET_NAME.search(key):
                continue
            m = re.fullmatch(r"\$\{" + key + r"(?::-(.*))?\}", str(value))
            assert m, f"{name}.{key} must come from the environment, got {value!r}"
            assert (m.group(1) or "") in NOT_SECRET_DEFAULTS, f"{name}.{key} default looks like a secret"
    text = repo_file("compose.yaml").read_text()
    assert not re.search(r"(sk|pk)_[A-Za-z0-9]{16,}|[A-Za-z0-9]{32,}", text)


def test_env_example_documents_every_interpolated_setting_without_values() -> None:
    documented = dotenv_example()
    used = interpolated_vars(repo_file("compose.yaml").read_text())
    assert used <= set(documented), sorted(used - set(documented))
    for key, value in documented.items():
        if SECRET_NAME.search(key):
            assert value == "", f".env.example must not hold a value for {key}"
    assert documented["STOCKBOT_MODE"] == "sim"


def test_scheduler_is_rq_cron_in_new_york_time(spec: dict) -> None:
    sched = spec["services"]["scheduler"]
    assert sched["environment"]["TZ"] == "America/New_York"
    cmd = sched["command"]
    assert cmd[:2] == ["rq", "cron"] and cmd[-1] == "services/scheduler/cron_config.py"
    assert cmd[cmd.index("--connection-class") + 1] == "src.jobs.connection.ResilientRedis"


def test_build_targets_exist_and_images_are_tagged(spec: dict) -> None:
    targets = {s.name for s in dockerfile()}
    for name in STOCKBOT:
        svc = spec["services"][name]
        assert svc["build"]["context"] == "." and svc["build"]["target"] in targets, name
        assert svc["image"] == f"stock-bot/{name}:${{STOCKBOT_IMAGE_TAG:-latest}}", name


def test_compose_and_procfile_run_the_same_commands(spec: dict) -> None:
    procs = procfile()
    assert set(procs) == set(STOCKBOT)
    for name in STOCKBOT:
        cmd = spec["services"][name]["command"]
        main = next(c for c in cmd if c.endswith(".py") or c == "rq-dashboard" or c.endswith(".sh"))
        if main.endswith(".sh"):  # wrapper scripts exec the same program
            main = {"market-sim": "services/market-sim/run_sim.py", "rq-dashboard": "rq-dashboard"}[name]
            assert main in repo_file(cmd[-1]).read_text()
        assert main in procs[name], (name, main)
    assert "TZ=America/New_York" in procs["scheduler"]
    assert "--bind 127.0.0.1 --port 9181" in procs["rq-dashboard"]
