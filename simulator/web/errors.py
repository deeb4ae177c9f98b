"""What every FastAPI face shares: errors as 4xx with the field named, in one shape."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from simulator.contracts.errors import Conflict, ExtractInvalid, Forbidden, loc


class Refused(Exception):
    """A request refused before the service looks at it (401, 403, 413, 415, 400), naming the field."""

    def __init__(self, status: int, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.status, self.field, self.reason = status, field, reason


def rejection(status: int, field: str, reason: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": [{"field": field, "reason": reason}]}, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ExtractInvalid)
    async def _invalid(_: Request, exc: ExtractInvalid):
        return JSONResponse(status_code=422, content={"detail": [e.model_dump() for e in exc.errors]})

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict):
        return rejection(409, "extract_id", str(exc))

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden):
        return rejection(403, exc.field, exc.reason)

    @app.exception_handler(Refused)
    async def _refused(_: Request, exc: Refused):
        return rejection(exc.status, exc.field, exc.reason,
                         {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):  # Starlette's own 404 / 405, in qofsim's shape
        field = {405: "method", 404: "path"}.get(exc.status_code, "request")
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:  # every method the path has (FastAPI answers for one route of several)
            allowed = sorted({m for r in app.routes if getattr(r, "methods", None) and hasattr(r, "path_regex")
                              and r.path_regex.match(request.url.path) for m in r.methods})
            headers["Allow"] = ", ".join(allowed)
        return rejection(exc.status_code, field, f"{request.method} {request.url.path}: {exc.detail}", headers or None)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_: Request, exc: RequestValidationError):
        detail = [{"field": loc(tuple(p for p in e["loc"] if p != "body")), "reason": e["msg"]} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": detail})
