"""``/docs``: the JSON API's reference, read from the app's own OpenAPI description and
rendered on the server like every other page.

Not Swagger UI: its scripts and styles come from a CDN, which the dashboard's
Content-Security-Policy rightly refuses and which an intranet often cannot reach. This page
needs no script and no host but the dashboard; the machine-readable description stays at
``/openapi.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kpiboard.web.context import Ctx
from kpiboard.web.templating import render_page

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Field:
    name: str
    where: str  # path, query, header, or body
    type: str
    required: bool


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    fields: tuple[Field, ...]
    responses: tuple[str, ...]

    @property
    def anchor(self) -> str:
        return f"{self.method}-{self.path}".lower().replace("/", "-").strip("-")


@router.get("/docs", response_class=HTMLResponse)
def api_reference(request: Request, ctx: Ctx) -> Response:
    spec = request.app.openapi()
    return render_page(
        ctx,
        request,
        "apidocs.html",
        operations=operations(spec),
        api_title=spec["info"]["title"],
        api_version=spec["info"]["version"],
        org=None,
        month=None,
    )


def operations(spec: dict[str, Any]) -> list[Operation]:
    """Every operation of an OpenAPI description, in its order."""
    schemas = spec.get("components", {}).get("schemas", {})
    return [
        Operation(
            method.upper(),
            path,
            op.get("summary", ""),
            (*_parameters(op), *_body(op, schemas)),
            tuple(sorted(op.get("responses", {}))),
        )
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    ]


def _parameters(op: dict[str, Any]) -> list[Field]:
    return [
        Field(p["name"], p["in"], _type(p.get("schema", {})), bool(p.get("required")))
        for p in op.get("parameters", [])
    ]


def _body(op: dict[str, Any], schemas: dict[str, Any]) -> list[Field]:
    content = op.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    required = set(schema.get("required", []))
    return [
        Field(name, "body", _type(prop), name in required)
        for name, prop in schema.get("properties", {}).items()
    ]


def _type(schema: dict[str, Any]) -> str:
    """A JSON Schema's type in a word or two (``string``, ``integer or null``)."""
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"])
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    return str(schema.get("type", "any"))
