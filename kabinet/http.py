"""HTTP mechanics shared by the services and the gateway.

RFC 9457 problems for every error, a body size limit, correlation ids and
request metrics in one middleware.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kabinet import context, metrics
from kabinet.domain import KabinetError

PROBLEM = "application/problem+json"
log = structlog.get_logger("kabinet.http")


def problem(status: int, title: str, detail: str = "", **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail or title}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[-1] if loc else "")


async def _on_kabinet_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, KabinetError)
    rule = getattr(exc, "rule", None)  # the published rule a refusal names, if any
    response = problem(exc.status, type(exc).__name__, exc.message, field=exc.field, rule=rule)
    response.headers.update(getattr(exc, "headers", None) or {})  # e.g. Retry-After
    return response


async def _on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
    fields = ", ".join(e["field"] for e in errors)
    return problem(
        422,
        "Invalid request",
        f"invalid fields: {fields}",
        errors=errors,
        field=errors[0]["field"] if errors else None,
    )


async def _on_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = problem(exc.status_code, str(exc.detail), str(exc.detail))
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(KabinetError, _on_kabinet_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)


class BodyTooLarge(Exception):
    pass


class EdgeMiddleware:
    """Correlation id in and out, body size limit, latency metric, access log."""

    def __init__(self, app: ASGIApp, service: str, max_body_bytes: int) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(service=self.service)
        correlation = context.bind(headers.get(context.CORRELATION_HEADER.lower()))
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (context.CORRELATION_HEADER.encode(), correlation.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            await self._too_large(scope, receive, send)
            status = 413
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            metrics.HTTP_LATENCY.labels(self.service, scope["method"], path, str(status)).observe(
                time.perf_counter() - started
            )

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            "Request body too large",
            f"the body exceeds {self.max_body_bytes} bytes",
            field="body",
        )
        await response(scope, receive, send)
