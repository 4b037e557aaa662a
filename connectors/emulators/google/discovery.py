"""Checks requests and answers against Google's discovery documents (the ones the client
library ships in ``googleapiclient/discovery_cache/documents``): the method exists for the
path and verb, every parameter is known and of its type, required ones are there, and a body
matches its schema (no unknown property, every value of its type, ``int64`` as a string).
Errors must have Google's error body."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import googleapiclient  # type: ignore[import-untyped]

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
APIS = ("admin.directory_v1", "drive.v3", "licensing.v1")


class Method:
    def __init__(
        self,
        name: str,
        http: str,
        pattern: re.Pattern[str],
        desc: dict[str, Any],
        doc: dict[str, Any],
    ) -> None:
        self.name, self.http, self.pattern, self.desc, self.doc = name, http, pattern, desc, doc


def _pattern(template: str) -> re.Pattern[str]:
    out, position = "", 0
    for m in re.finditer(r"\{(\+?)(\w+)\}", template):
        out += re.escape(template[position : m.start()])
        out += f"(?P<{m.group(2)}>.+)" if m.group(1) else f"(?P<{m.group(2)}>[^/]+)"
        position = m.end()
    return re.compile(out + re.escape(template[position:]) + "$")


class Discovery:
    """The methods of the APIs the Google target uses."""

    def __init__(self, apis: tuple[str, ...] = APIS) -> None:
        self.methods: list[Method] = []
        for api in apis:
            doc = json.loads((DOCUMENTS / f"{api}.json").read_text(encoding="utf-8"))
            self._walk(doc, doc.get("resources", {}), doc["servicePath"])
        # the most literal template first: ``customer/{c}/orgunits/{+p}`` beats ``{+name}``
        self.methods.sort(key=lambda m: -len(re.sub(r"\(\?P<\w+>[^)]*\)", "", m.pattern.pattern)))

    def _walk(self, doc: dict[str, Any], resources: dict[str, Any], prefix: str) -> None:
        for resource in resources.values():
            for name, desc in resource.get("methods", {}).items():
                template = "/" + prefix + desc["path"]
                self.methods.append(
                    Method(desc.get("id", name), desc["httpMethod"], _pattern(template), desc, doc)
                )
            self._walk(doc, resource.get("resources", {}), prefix)

    def find(self, http: str, path: str) -> tuple[Method, dict[str, str]] | None:
        for method in self.methods:
            if method.http != http:
                continue
            m = method.pattern.match(path)
            if m:
                return method, m.groupdict()
        return None

    def check_request(
        self, http: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[Method | None, list[str]]:
        found = self.find(http, path)
        if found is None:
            return None, [f"{http} {path}: no such method in the discovery documents"]
        method, path_params = found
        where = method.name
        problems: list[str] = []
        params = {**method.doc.get("parameters", {}), **method.desc.get("parameters", {})}
        given = {**query, **path_params}
        for name, value in given.items():
            spec = params.get(name)
            if spec is None:
                problems.append(f"{where}: unknown parameter {name}")
                continue
            problems += [f"{where}: parameter {name}: {p}" for p in _scalar(value, spec)]
        for name, spec in params.items():
            if spec.get("required") and name not in given:
                problems.append(f"{where}: required parameter {name} missing")
        request = method.desc.get("request")
        if request is None and body not in (None, b"", {}):
            problems.append(f"{where}: a body where the method takes none")
        elif request is not None:
            if body is None:
                problems.append(f"{where}: no request body")
            else:
                problems += [f"{where}: request{p}" for p in validate(body, request, method.doc)]
        return method, problems

    def check_answer(self, method: Method, status: int, answer: Any) -> list[str]:
        where = method.name
        if status >= 400:
            return [f"{where}: answer {status}: {p}" for p in error_problems(status, answer)]
        response = method.desc.get("response")
        if response is None:
            return [] if answer in (None, b"", {}) else [f"{where}: a body where none is due"]
        if answer is None:
            return [f"{where}: no answer body"]
        return [f"{where}: answer{p}" for p in validate(answer, response, method.doc)]


def error_problems(status: int, answer: Any) -> list[str]:
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        return ["no Google error body"]
    problems = []
    if error.get("code") != status:
        problems.append("error.code differs from the status")
    if not isinstance(error.get("message"), str):
        problems.append("error.message missing")
    errors = error.get("errors")
    if not isinstance(errors, list) or not all(
        isinstance(e, dict) and {"domain", "reason", "message"} <= set(e) for e in errors
    ):
        problems.append("error.errors must list domain, reason and message")
    return problems


def _scalar(value: str, spec: dict[str, Any]) -> list[str]:
    kind = spec.get("type", "string")
    if kind == "integer":
        try:
            number = int(value)
        except ValueError:
            return [f"{value!r} is not an integer"]
        if "minimum" in spec and number < int(spec["minimum"]):
            return [f"{number} below {spec['minimum']}"]
        if "maximum" in spec and number > int(spec["maximum"]):
            return [f"{number} above {spec['maximum']}"]
    elif kind == "boolean" and value not in ("true", "false"):
        return [f"{value!r} is not a boolean"]
    if "enum" in spec and value not in spec["enum"]:
        return [f"{value!r} not one of {spec['enum']}"]
    return []


def validate(value: Any, schema: dict[str, Any], doc: dict[str, Any], where: str = "") -> list[str]:
    """Problems of ``value`` against a discovery schema (``$ref`` resolved in ``doc``)."""
    if "$ref" in schema:
        return validate(value, doc["schemas"][schema["$ref"]], doc, where)
    kind = schema.get("type", "any")
    if kind == "any" or value is None:
        return []
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        problems = []
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in properties:
                problems += validate(item, properties[name], doc, f"{where}.{name}")
            elif extra is not None:
                problems += validate(item, extra, doc, f"{where}.{name}")
            else:
                problems.append(f"{where}.{name}: not in the schema")
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array"]
        items = schema.get("items", {})
        return [
            p for n, item in enumerate(value) for p in validate(item, items, doc, f"{where}[{n}]")
        ]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string"]
        if schema.get("format") in ("int64", "uint64") and not re.fullmatch(r"-?\d+", value):
            return [f"{where}: expected an int64 string"]
        if "enum" in schema and value not in schema["enum"]:
            return [f"{where}: {value!r} not one of the enum"]
        return []
    if kind == "integer":
        return (
            []
            if isinstance(value, int) and not isinstance(value, bool)
            else [f"{where}: expected an integer"]
        )
    if kind == "number":
        return (
            []
            if isinstance(value, int | float) and not isinstance(value, bool)
            else [f"{where}: expected a number"]
        )
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: expected a boolean"]
    return []
