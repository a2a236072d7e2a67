"""The UW OpenAPI spec as the client sees it: path templates, their operations and parameters.

Contract 4.8: every UW call is checked against `unusual_whales_api/api_spec.yaml` before anything
else happens, so a hallucinated path or parameter fails loudly in our code instead of as a silent
404 at UW. The file is parsed once per process (lazily, never at import).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from src.core.paths import REPO_ROOT

SPEC_PATH = REPO_ROOT / "unusual_whales_api" / "api_spec.yaml"
SCHEMA_REF = "#/components/schemas/"
# tickers: upper-case letters, digits, dot, dash (BRK.B, BF-B); never a slash or `..`
TICKER_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,14}$")
# any other path segment value (dates, expiries, ids, names): no separators, no traversal
SEGMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:,&'\-]{0,99}$")
TICKER_PARAMS = frozenset({"ticker", "npm_ticker"})
_PLACEHOLDER = re.compile(r"{[^{}/]*}|<[^<>/]*>")


class SpecError(Exception):
    """The spec file is missing or unusable."""


@dataclass(frozen=True)
class Param:
    name: str
    location: str
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    path_params: dict[str, Param]
    query_params: dict[str, Param]
    response_schema: dict[str, Any] | None
    regex: re.Pattern[str] = field(compare=False)
    literal_segments: int = 0


@dataclass(frozen=True)
class Match:
    operation: Operation
    path_values: dict[str, str]


def normalize_template(path: str) -> str:
    """`/api/stock/{ticker}/x`, `/api/stock/{sym}/x`, `/api/stock/<t>/x` -> `/api/stock/{}/x`."""
    return _PLACEHOLDER.sub("{}", path.split("?", 1)[0])


class UWSpec:
    """Compiled view of the spec; `match(method, path)` finds the operation of a concrete path."""

    def __init__(self, doc: dict[str, Any]) -> None:
        if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
            raise SpecError("spec has no paths mapping")
        self.doc = doc
        self.schemas: dict[str, Any] = (doc.get("components") or {}).get("schemas") or {}
        self.servers = [s.get("url") for s in doc.get("servers") or [] if isinstance(s, dict)]
        self.operations: dict[tuple[str, str], Operation] = {}
        for template, item in doc["paths"].items():
            if not isinstance(item, dict):
                continue
            for method, op in item.items():
                if isinstance(op, dict):
                    self.operations[(method.upper(), template)] = self._compile(method.upper(), template, op)
        self.normalized = {normalize_template(t) for (_, t) in self.operations}
        self._by_method: dict[str, list[Operation]] = {}
        for (method, _), op in self.operations.items():
            self._by_method.setdefault(method, []).append(op)
        for ops in self._by_method.values():  # most literal first: `/x/{a}/tickers` beats `/x/{a}/{b}`
            ops.sort(key=lambda o: (-o.literal_segments, o.template))

    @property
    def templates(self) -> list[str]:
        return sorted({t for (_, t) in self.operations})

    def resolve(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        """Follow `$ref`s to the schema they name (bounded, cycles stop at depth 20)."""
        while isinstance(schema, dict) and "$ref" in schema and depth < 20:
            ref = str(schema["$ref"])
            name = ref[len(SCHEMA_REF) :].replace("~1", "/").replace("~0", "~") if ref.startswith(SCHEMA_REF) else ""
            schema = self.schemas.get(name, {})
            depth += 1
        return schema if isinstance(schema, dict) else {}

    def _compile(self, method: str, template: str, op: dict[str, Any]) -> Operation:
        path_params: dict[str, Param] = {}
        query_params: dict[str, Param] = {}
        for p in op.get("parameters") or []:
            if not isinstance(p, dict) or "name" not in p:
                continue
            param = Param(str(p["name"]), str(p.get("in")), bool(p.get("required")), self.resolve(p.get("schema")))
            if param.location == "path":
                path_params[param.name] = param
            elif param.location == "query":
                query_params[param.name] = param
        pattern, literals = "^", 0
        for seg in template.strip("/").split("/"):
            m = re.fullmatch(r"{([^{}]+)}", seg)
            if m:
                pattern += f"/(?P<{_group(m.group(1))}>[^/]+)"
            else:
                pattern += "/" + re.escape(seg)
                literals += 1
        resp = ((op.get("responses") or {}).get("200") or {}).get("content") or {}
        schema = (resp.get("application/json") or {}).get("schema")
        return Operation(
            method, template, path_params, query_params, schema, re.compile(pattern + "$"), literal_segments=literals
        )

    def match(self, method: str, path: str) -> Match | None:
        for op in self._by_method.get(method.upper(), []):
            m = op.regex.match(path)
            if m:
                values = {_ungroup(k): unquote(v) for k, v in m.groupdict().items()}
                return Match(op, values)
        return None

    def has_template(self, text: str) -> bool:
        """True when `text` (a literal path, template or `/prefix/`) names a spec path."""
        text = text.split("?", 1)[0]
        norm = normalize_template(text)
        if norm in self.normalized:
            return True
        if text.endswith("/"):
            return any(t.startswith(norm) for t in self.normalized)
        if "{" not in norm:
            return self.match("GET", text) is not None or any(self.match(m, text) for m in self._by_method)
        return False


def _group(name: str) -> str:
    return "p_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _ungroup(group: str) -> str:
    return group[2:]


def check_path_value(param: Param, value: str) -> str | None:
    """Why a path parameter value is unsafe or invalid, or None when it is fine."""
    if ".." in value or "/" in value or "\\" in value or any(ord(c) < 32 for c in value):
        return "path traversal or separator in path parameter"
    if param.name in TICKER_PARAMS:
        return None if TICKER_RE.fullmatch(value) else "ticker must be upper-case letters, digits, '.' or '-'"
    enum = param.schema.get("enum")
    if enum and value not in [str(e) for e in enum]:
        return f"not one of {list(enum)[:10]}"
    pattern = param.schema.get("pattern")
    if pattern and not re.search(str(pattern), value):
        return "does not match the declared pattern"
    return None if SEGMENT_RE.fullmatch(value) else "unsafe characters in path parameter"


def check_query_value(param: Param, value: Any, spec: UWSpec) -> str | None:
    """Why a query value does not fit its declared schema, or None."""
    schema = param.schema
    values = value if isinstance(value, (list, tuple)) else [value]
    if schema.get("type") == "array":
        schema = spec.resolve(schema.get("items") or {})
    for v in values:
        if v is None:
            return "None is not a value"
        enum = schema.get("enum")
        if enum and str(v) not in [str(e) for e in enum] and v not in enum:
            return f"not one of {list(enum)[:10]}"
        if schema.get("type") == "integer":
            try:
                n = int(str(v))
            except ValueError:
                return "not an integer"
            if "minimum" in schema and n < schema["minimum"]:
                return f"below minimum {schema['minimum']}"
            if "maximum" in schema and n > schema["maximum"]:
                return f"above maximum {schema['maximum']}"
    return None


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> UWSpec:
    try:
        doc = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"cannot read UW spec {path}: {type(exc).__name__}") from None
    return UWSpec(doc)


def load_spec(path: Path | None = None) -> UWSpec:
    """The compiled spec (parsed once per file version); SpecError when missing or corrupt."""
    p = Path(path or SPEC_PATH)
    try:
        mtime = p.stat().st_mtime_ns
    except OSError:
        raise SpecError(f"UW spec missing: {p}") from None
    return _load(str(p), mtime)
