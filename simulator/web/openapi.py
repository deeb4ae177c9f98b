"""The OpenAPI document says what the server does: every error status a route can answer, each with
the one error body qofsim sends ({"detail": [{"field", "reason"}]}), and which roles it admits."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from simulator.contracts import Extract, Rejection

REF = "#/components/schemas/Rejection"

# POST /extracts at GPES and CQRS reads the body itself (its exact bytes are checksummed, stored and
# forwarded untouched), so FastAPI cannot document it from a parameter: this says what it is
EXTRACT_BODY = {"requestBody": {"required": True, "description": "the extract's exact bytes",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Extract"}}}}}


def route_roles(route: APIRoute) -> tuple[str, ...] | None:
    """The roles a route admits (None: open to anyone, e.g. /health)."""
    stack = list(route.dependant.dependencies)
    while stack:
        d = stack.pop()
        roles = getattr(d.call, "roles", None)
        if roles:
            return tuple(roles)
        stack.extend(d.dependencies)
    return None


def document_errors(app: FastAPI) -> None:
    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        full = Rejection.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(full.pop("$defs", {}))
        schemas["Rejection"] = full
        extract = Extract.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(extract.pop("$defs", {}))
        schemas["Extract"] = extract
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for route in app.routes:
            if not isinstance(route, APIRoute):
                continue
            roles = route_roles(route)
            for method in route.methods:
                op = doc["paths"][route.path_format][method.lower()]
                errors = {"422": "refused, naming the field; nothing stored"}
                if roles:
                    op["x-roles"] = list(roles)
                    op["description"] = (op.get("description", "") + f"\n\nRoles: {', '.join(roles)}.").strip()
                    errors |= {"401": "no bearer token, or not a valid one",
                               "403": "a role or owner that may not do this (the reason says which)"}
                if "{" in route.path_format:
                    errors["404"] = "no such thing at this path"
                if method in ("POST", "PUT", "PATCH"):
                    errors |= {"400": "not UTF-8 or not JSON (the position given)", "413": "body over the limit",
                               "415": "not application/json"}
                for status, text in errors.items():
                    op["responses"].setdefault(status, {"description": text})
                for status, given in op["responses"].items():  # every error in the one shape qofsim sends
                    if status.startswith("4"):
                        given["content"] = {"application/json": {"schema": {"$ref": REF}}}
        app.openapi_schema = doc
        return doc

    app.openapi = openapi
