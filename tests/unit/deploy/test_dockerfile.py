"""Dockerfile, .dockerignore and the systemd units, checked by parsing."""

from __future__ import annotations

import fnmatch
import re

import pytest

from tests.unit.deploy.deployfiles import (
    SERVICES,
    compose,
    dockerfile,
    duration_s,
    exec_form,
    healthcheck_cmd,
    repo_file,
    unit,
)

SECRET_NAME = re.compile(r"(KEY|SECRET|PASSWORD|TOKEN)", re.I)


@pytest.fixture(scope="module")
def stages():
    return dockerfile()


def test_base_is_slim_python_311_with_tini_as_pid1(stages) -> None:
    base = stages[0]
    assert base.base == "python:3.11-slim"
    assert any("install" in r and "tini" in r for r in base.all("RUN"))
    assert [exec_form(e) for e in base.all("ENTRYPOINT")] == [["tini", "--"]]
    assert not any("supervisord" in arg for s in stages for _, arg in s.instructions)
    for s in stages[1:]:
        assert s.base == "base", s.name  # every service image is the shared base
        assert not s.all("ENTRYPOINT"), s.name  # so tini stays PID 1 everywhere


def test_non_root_user_owns_only_the_volume(stages) -> None:
    base = stages[0]
    users = base.all("USER")
    assert users and users[-1] not in ("root", "0")
    for s in stages[1:]:
        assert s.all("USER") == [] or s.all("USER")[-1] not in ("root", "0"), s.name
    chowns = [r for r in base.all("RUN") if "chown" in r]
    assert len(chowns) == 1 and "stockbot:stockbot /var/lib/stockbot" in chowns[0]
    assert not any("--chown" in c for c in base.all("COPY"))  # the source stays root-owned
    assert base.all("VOLUME") == ['["/var/lib/stockbot"]']
    assert any("STOCKBOT_HOME=/var/lib/stockbot" in e for e in base.all("ENV"))


def test_dependencies_installed_from_the_lock_before_the_source(stages) -> None:
    order = [(kw, arg) for kw, arg in stages[0].instructions if kw in ("COPY", "RUN")]
    lock_copy = next(i for i, (kw, a) in enumerate(order) if kw == "COPY" and a.startswith("requirements.lock"))
    pip = next(i for i, (kw, a) in enumerate(order) if kw == "RUN" and "pip install -r" in a)
    src_copy = next(i for i, (kw, a) in enumerate(order) if kw == "COPY" and a.startswith(". "))
    assert lock_copy < pip < src_copy
    assert "requirements.lock" in order[pip][1]


def test_every_service_target_has_cmd_and_healthcheck(stages) -> None:
    by_name = {s.name: s for s in stages}
    services = compose()["services"]
    for name in SERVICES:
        if name == "redis":
            continue
        target = by_name[services[name]["build"]["target"]]
        assert len(target.all("CMD")) == 1, name
        hcs = target.all("HEALTHCHECK")
        assert len(hcs) == 1 and "NONE" not in hcs[0], name
        # the image's own CMD is the command compose runs
        assert exec_form(target.all("CMD")[0]) == services[name]["command"], name
    assert healthcheck_cmd(by_name["engine"].all("HEALTHCHECK")[0]) == ["python", "scripts/status.py"]
    assert healthcheck_cmd(by_name["uw-daemon"].all("HEALTHCHECK")[0]) == ["python", "scripts/healthcheck_daemon.py"]
    for role in ("intel-worker", "telemetry-worker"):
        assert healthcheck_cmd(by_name[role].all("HEALTHCHECK")[0])[-2:] == ["--role", role]
    assert any("TZ=America/New_York" in e for e in by_name["scheduler"].all("ENV"))


def test_no_secrets_baked_in(stages) -> None:
    for s in stages:
        for kw, arg in s.instructions:
            if kw in ("ENV", "ARG"):
                for token in re.split(r"\s+", arg):
                    key, _, value = token.partition("=")
                    assert not (SECRET_NAME.search(key) and value), f"{s.name}: {kw} {token}"
            if kw in ("COPY", "ADD"):
                assert ".env" not in arg.split()[0], arg


def _ignored(patterns: list[str], path: str) -> bool:
    ignored = False
    for p in patterns:
        neg = p.startswith("!")
        pat = p[1:] if neg else p
        if fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(path, pat.removeprefix("**/")) or path.startswith(pat + "/"):
            ignored = not neg
    return ignored


def test_dockerignore_keeps_secrets_and_runtime_data_out() -> None:
    lines = [ln.strip() for ln in repo_file(".dockerignore").read_text().splitlines()]
    patterns = [ln for ln in lines if ln and not ln.startswith("#")]
    for path in (".env", ".env.local", ".git/config", ".venv/bin/python", "var/state/x.json", "tests/conftest.py"):
        assert _ignored(patterns, path), path
    for path in (
        ".env.example",
        "src/jobs/registry.py",
        "requirements.lock",
        "deploy/docker/rq-dashboard.sh",
        "services/engine/main.py",
        "scripts/status.py",
        "config/sector_profiles.json",
    ):
        assert not _ignored(patterns, path), path


def test_uw_flow_daemon_unit_is_a_restarting_single_service() -> None:
    u = unit("deploy/systemd/uw-flow-daemon.service")
    svc = u["Service"]
    assert svc["Restart"] == "always"
    assert "services/uw-daemon/uw_flow_daemon.py" in svc["ExecStart"]
    assert svc["WorkingDirectory"].startswith("/")
    assert svc["EnvironmentFile"].startswith("/etc/")
    assert int(u["Unit"]["StartLimitBurst"]) >= 1 and duration_s(u["Unit"]["StartLimitIntervalSec"] + "s") > 0
    assert svc["User"] not in ("root", "0") and "Environment" in svc
    assert u["Install"]["WantedBy"] == "multi-user.target"


def test_stock_bot_unit_wraps_compose_up_and_down() -> None:
    u = unit("deploy/systemd/stock-bot.service")
    svc = u["Service"]
    assert "docker compose" in svc["ExecStart"] and " up " in svc["ExecStart"] + " "
    assert "docker compose" in svc["ExecStop"] and " down" in svc["ExecStop"]
    assert "docker.service" in u["Unit"]["Requires"]
    slowest = max(duration_s(s.get("stop_grace_period", "10s")) for s in compose()["services"].values())
    assert float(svc["TimeoutStopSec"]) > slowest
    assert "--env-file /etc/stock-bot/stock-bot.env" in svc["ExecStart"]


def test_deploy_readme_covers_install_upgrade_rollback_backup() -> None:
    text = repo_file("deploy/README.md").read_text().lower()
    for heading in ("install from a bare ubuntu", "upgrade", "rollback", "backup"):
        assert heading in text, heading
    assert "systemctl enable --now stock-bot" in text and "uw-flow-daemon" in text
