"""Parsers for the deployment files the deploy tests check (compose, Dockerfile, Procfile, units)."""

from __future__ import annotations

import configparser
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from src.core.paths import REPO_ROOT

SERVICES = (
    "redis",
    "engine",
    "uw-daemon",
    "intel-worker",
    "telemetry-worker",
    "scheduler",
    "rq-dashboard",
    "market-sim",
)
_INTERP = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose-style ${VAR}, ${VAR:-default}, ${VAR-default} against env (no .env = {})."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def sub(m: re.Match[str]) -> str:
        name, op, default = m.group(1), m.group(2), m.group(3) or ""
        if op == ":-":
            return env.get(name) or default
        if op == "-":
            return env.get(name, default)
        return env.get(name, "")

    return _INTERP.sub(sub, value.replace("$$", "\0")).replace("\0", "$")


def interpolated_vars(text: str) -> set[str]:
    return {m.group(1) for m in _INTERP.finditer(text)}


def duration_s(text: str | int) -> float:
    if isinstance(text, int):
        return float(text)
    total = 0.0
    for num, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text):
        total += float(num) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [arg for kw, arg in self.instructions if kw == keyword]


def dockerfile() -> list[Stage]:
    """Stages of the Dockerfile with their (KEYWORD, argument) instructions, continuations joined."""
    lines, buf = [], ""
    for raw in (REPO_ROOT / "Dockerfile").read_text().splitlines():
        s = raw.strip()
        if not buf and (not s or s.startswith("#")):
            continue
        if s.startswith("#"):
            continue
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        lines.append(buf + s)
        buf = ""
    stages: list[Stage] = []
    for line in lines:
        kw, _, arg = line.partition(" ")
        kw = kw.upper()
        if kw == "FROM":
            parts = arg.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else f"stage{len(stages)}"
            stages.append(Stage(name=name, base=parts[0]))
        elif stages:
            stages[-1].instructions.append((kw, arg.strip()))
    return stages


def exec_form(arg: str) -> list[str] | None:
    """JSON exec form of CMD/ENTRYPOINT/HEALTHCHECK CMD, else None."""
    arg = arg.strip()
    if arg.startswith("["):
        return json.loads(arg)
    return None


def healthcheck_cmd(arg: str) -> list[str]:
    """`HEALTHCHECK --opts CMD [...]` -> the command list."""
    _, _, cmd = arg.partition("CMD ")
    form = exec_form(cmd)
    return form if form is not None else shlex.split(cmd)


def procfile() -> dict[str, str]:
    out = {}
    for line in (REPO_ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, cmd = line.partition(":")
            out[name.strip()] = cmd.strip()
    return out


def unit(path: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read_string((REPO_ROOT / path).read_text())
    return cp


def dotenv_example() -> dict[str, str]:
    out = {}
    for line in (REPO_ROOT / ".env.example").read_text().splitlines():
        s = line.strip()
        if s and not s.startswith("#") and "=" in s:
            k, _, v = s.partition("=")
            out[k.strip()] = v.strip()
    return out


def repo_file(rel: str) -> Path:
    return REPO_ROOT / rel
