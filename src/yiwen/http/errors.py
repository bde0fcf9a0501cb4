"""The one place where errors become HTTP responses: a JSON body with a code and a message."""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from yiwen.core.errors import DomainError
from yiwen.core.i18n import has_message, pick_language, register_messages, translate
from yiwen.store.protocol import StoreUnavailable

log = logging.getLogger("yiwen.http")

register_messages(
    {
        "store_unavailable": (
            "店铺系统暂时无法连接，请稍后重试",
            "The shop cannot be reached, please retry",
        ),
        "service_restarting": (
            "客服系统正在重启，消息未保存，请稍后重发",
            "The service is restarting; the message was not saved, please send it again",
        ),
    }
)

STATUS_BY_KIND = {
    "invalid": 422,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "gone": 410,
    "too_large": 413,
    "rate_limited": 429,
    "unavailable": 503,
}

STARLETTE_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def error_response(
    request: Request,
    status: int,
    code: str,
    *,
    params: dict[str, object] | None = None,
    extra: dict[str, object] | None = None,
) -> JSONResponse:
    language = pick_language(request.headers.get("accept-language"))
    safe_params = {k: str(v) for k, v in (params or {}).items()}
    body: dict[str, object] = {
        "error": {"code": code, "message": translate(code, language, **safe_params)}
    }
    if extra:
        body["error"].update(extra)  # type: ignore[union-attr]
    return JSONResponse(body, status_code=status)


def _describe_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, object]]]:
    details: list[dict[str, object]] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        details.append({"field": ".".join(loc), "type": err.get("type", "")})
    first = details[0]["field"] if details else ""
    return str(first) or "body", details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return error_response(request, STATUS_BY_KIND[exc.kind], exc.code, params=exc.params)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return error_response(request, 400, "malformed_json")
        field, details = _describe_validation(exc)
        return error_response(
            request, 422, "invalid_request", params={"detail": field}, extra={"fields": details}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STARLETTE_CODES.get(exc.status_code)
        if code is None:
            detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
            code = detail if has_message(detail) else "invalid_request"
        response = error_response(request, exc.status_code, code, params={"detail": ""})
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(StoreUnavailable)
    async def _store_down(request: Request, exc: StoreUnavailable) -> JSONResponse:
        log.warning("store unavailable: %s", exc)
        response = error_response(request, 503, "store_unavailable")
        response.headers["Retry-After"] = str(max(1, int(exc.retry_after)))
        return response

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # Text the database cannot hold (PostgreSQL refuses NUL characters): the
        # transaction is already rolled back, and it is the caller's input.
        log.info("refused unstorable input on %s %s: %s", request.method, request.url.path, exc)
        return error_response(request, 422, "invalid_request", params={"detail": "text"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal_error")
