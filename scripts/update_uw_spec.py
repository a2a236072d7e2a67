"""Regenerate `unusual_whales_api/api_spec.yaml` from UW's official OpenAPI document.

The client validates every call against this file (contract 4.8), so it must be the vendor's
own path set, slimmed to what a client needs: servers, security, paths, methods, parameters with
their schemas and enums, and response schemas. Prose (descriptions, summaries, examples) is dropped
so diffs between vendor releases show only what changes behaviour. Output is deterministic: the same
input gives the same bytes.

    python scripts/update_uw_spec.py --from ../shared/reference/unusual_whales_openapi.yaml
    python scripts/update_uw_spec.py            # fetch from UW's published URL
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

DEFAULT_URL = "https://api.unusualwhales.com/api/openapi"
DEFAULT_OUT = REPO_ROOT / "unusual_whales_api" / "api_spec.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PROSE_KEYS = frozenset({"description", "summary", "example", "examples", "externalDocs", "x-codeSamples"})
MIN_PATHS = 150
SCHEMA_REF = "#/components/schemas/"


class _NoDatesLoader(yaml.SafeLoader):
    """SafeLoader that keeps `2024-01-18` as a string, so the document stays JSON-compatible."""


_NoDatesLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


def load_document(text: str) -> dict[str, Any]:
    doc = yaml.load(text, Loader=_NoDatesLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(doc, dict):
        raise ValueError("the OpenAPI document is not a mapping")
    return doc


def validate_openapi(doc: dict[str, Any]) -> list[str]:
    """Raise ValueError unless doc has the OpenAPI 3 structure a client relies on.

    The vendor document deviates from the strict schema in ways that do not matter to a
    client (operations with empty `responses`, unescaped `/` in schema names), so strict
    validation is reported as warnings; the structure checked here is fatal.
    """
    version = str(doc.get("openapi", ""))
    if not version.startswith("3."):
        raise ValueError(f"not an OpenAPI 3 document (openapi={version!r})")
    if not isinstance(doc.get("info"), dict):
        raise ValueError("missing info object")
    paths = doc.get("paths")
    if not isinstance(paths, dict) or len(paths) < MIN_PATHS:
        raise ValueError(f"unexpectedly small path set: {len(paths) if isinstance(paths, dict) else 0}")
    for template, item in paths.items():
        if not isinstance(template, str) or not template.startswith("/") or not isinstance(item, dict):
            raise ValueError(f"bad path item {template!r}")
        declared = set(re.findall(r"{([^{}]+)}", template))
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            if not isinstance(op, dict):
                raise ValueError(f"{method.upper()} {template}: operation is not a mapping")
            params = [*(item.get("parameters") or []), *(op.get("parameters") or [])]
            in_path = set()
            for p in params:
                if (
                    not isinstance(p, dict)
                    or not p.get("name")
                    or p.get("in") not in ("path", "query", "header", "cookie")
                ):
                    raise ValueError(f"{method.upper()} {template}: bad parameter {p!r}")
                if p["in"] == "path":
                    in_path.add(p["name"])
            if declared - in_path:
                raise ValueError(
                    f"{method.upper()} {template}: undeclared path parameter(s) {sorted(declared - in_path)}"
                )
    return _strict_warnings(doc)


def _strict_warnings(doc: dict[str, Any]) -> list[str]:
    try:
        from openapi_spec_validator import validate

        validate(doc)
        return []
    except Exception as exc:  # noqa: BLE001 - the strict validator is advisory here
        return [f"strict OpenAPI validation: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"]


def strip_schema(schema: Any) -> Any:
    """A schema without prose; property *names* are kept even when they read like prose keys."""
    if isinstance(schema, list):
        return [strip_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in PROSE_KEYS or key == "title":
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: strip_schema(sub) for name, sub in value.items()}
        else:
            out[key] = strip_schema(value)
    return out


def _param(p: dict[str, Any]) -> dict[str, Any]:
    kept = {k: p[k] for k in ("name", "in", "required", "style", "explode", "deprecated") if k in p}
    if "schema" in p:
        kept["schema"] = strip_schema(p["schema"])
    return kept


def _responses(responses: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code, resp in (responses or {}).items():
        if not isinstance(resp, dict):
            continue
        r: dict[str, Any] = {"description": ""}  # required by OpenAPI, prose dropped
        content = {}
        for mime, media in (resp.get("content") or {}).items():
            content[mime] = (
                {"schema": strip_schema(media.get("schema"))} if isinstance(media, dict) and "schema" in media else {}
            )
        if content:
            r["content"] = content
        out[str(code)] = r
    return out


def _operation(op: dict[str, Any], shared_params: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if op.get("operationId"):
        out["operationId"] = op["operationId"]
    params = [_param(p) for p in [*shared_params, *(op.get("parameters") or [])] if isinstance(p, dict)]
    if params:
        out["parameters"] = params
    if op.get("security") is not None:
        out["security"] = op["security"]
    out["responses"] = _responses(op.get("responses") or {})
    return out


def _refs(obj: Any, found: set[str]) -> None:
    if isinstance(obj, dict):
        ref = obj.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
            found.add(ref[len(SCHEMA_REF) :].replace("~1", "/").replace("~0", "~"))
        for v in obj.values():
            _refs(v, found)
    elif isinstance(obj, list):
        for v in obj:
            _refs(v, found)


def slim(doc: dict[str, Any]) -> dict[str, Any]:
    """The client's view of the document: same paths and schemas, no prose."""
    paths: dict[str, Any] = {}
    for template, item in sorted((doc.get("paths") or {}).items()):
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        ops = {m: _operation(item[m], shared) for m in HTTP_METHODS if isinstance(item.get(m), dict)}
        if ops:
            paths[template] = ops
    all_schemas = (doc.get("components") or {}).get("schemas") or {}
    needed: set[str] = set()
    _refs(paths, needed)
    pending = list(needed)
    while pending:  # transitive closure of referenced schemas
        name = pending.pop()
        sub: set[str] = set()
        _refs(all_schemas.get(name), sub)
        for s in sub - needed:
            needed.add(s)
            pending.append(s)
    components: dict[str, Any] = {
        "schemas": {n: strip_schema(all_schemas[n]) for n in sorted(needed) if n in all_schemas},
    }
    sec = (doc.get("components") or {}).get("securitySchemes")
    if sec:
        components["securitySchemes"] = strip_schema(sec)
    info = doc.get("info") or {}
    return {
        "openapi": doc.get("openapi"),
        "info": {"title": info.get("title", "Unusual Whales API"), "version": str(info.get("version", ""))},
        "servers": [{"url": s.get("url")} for s in doc.get("servers") or [] if isinstance(s, dict)],
        "security": doc.get("security") or [],
        "paths": paths,
        "components": components,
    }


def render(doc: dict[str, Any]) -> bytes:
    header = "# Generated by scripts/update_uw_spec.py from the official Unusual Whales OpenAPI document.\n"
    header += "# Do not edit by hand; regenerate instead.\n"
    body = yaml.safe_dump(doc, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1000)
    return (header + body).encode("utf-8")


def fetch(url: str, timeout: float = 30.0) -> str:
    import requests

    resp = requests.get(url, timeout=(5.0, timeout))
    resp.raise_for_status()
    return resp.text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="source", type=Path, help="local copy of the official OpenAPI document")
    ap.add_argument("--url", default=DEFAULT_URL, help="where UW publishes the document")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if the output would change")
    args = ap.parse_args(argv)
    try:
        text = args.source.read_text(encoding="utf-8") if args.source else fetch(args.url)
        doc = load_document(text)
        for warning in validate_openapi(doc):
            print(f"update_uw_spec: warning: {warning}", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - a CLI: report and exit non-zero
        print(f"update_uw_spec: cannot use the input: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    data = render(slim(doc))
    if args.check:
        same = args.out.exists() and args.out.read_bytes() == data
        print("update_uw_spec: up to date" if same else "update_uw_spec: out of date")
        return 0 if same else 1
    from src.core.jsonio import atomic_write_bytes

    atomic_write_bytes(args.out, data)
    print(f"update_uw_spec: wrote {args.out} ({len(doc.get('paths') or {})} paths, {len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
