"""Error answers of the dashboard: JSON under ``/api``, an HTML page elsewhere, same message.

The JSON shape (docs/dashboard.md, "JSON API")::

    {"detail": "<one-paragraph reason>", "problems": [{"message", "file", "line", "field",
     "value", "expected", "hint", "text"}, ...]}

``problems`` is present for invalid input. Pages (``/world``, ``/runs/<id>`` ...) answer the same
status with ``templates/error.html``, which shows the same ``detail`` and problems.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spigot._version import __version__
from spigot.errors import InputError, SpigotError
from spigot.sim.cost import RunTooLargeError
from spigot.store import StoreBusyError, UnknownRunError
from spigot.web.intake import ScenarioTooLargeError
from spigot.web.jobs import QueueFullError

__all__ = ["error_response", "install_error_handlers", "problems_json"]

logger = logging.getLogger(__name__)

_TITLES = {400: "Bad request", 401: "Access token needed", 403: "Forbidden", 404: "Not found",
           405: "Method not allowed", 413: "Too large", 422: "Invalid input",
           429: "Too many runs queued", 500: "Internal error", 503: "Busy"}


def problems_json(exc: InputError) -> list[dict[str, Any]]:
    """The problems of an input error as JSON values."""
    return [{"message": p.message, "file": p.file, "line": p.line, "field": p.field,
             "value": None if p.value is None else str(p.value), "expected": p.expected,
             "hint": p.hint, "text": p.describe()} for p in exc.problems]


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api") or path == "/openapi.json"


def error_response(request: Request, templates: Jinja2Templates, status: int,
                   body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """``body`` as JSON for the API, or as the error page for a page route."""
    if _wants_json(request):
        return JSONResponse(body, status_code=status, headers=headers)
    context = {"version": __version__, "store": "", "status": status,
               "title": _TITLES.get(status, f"Error {status}"), "detail": body.get("detail", ""),
               "problems": body.get("problems", [])}
    try:
        return templates.TemplateResponse(request, "error.html", context, status_code=status,
                                          headers=headers)
    except Exception:  # the page itself failed: still answer with the message
        logger.exception("error page failed")
        return HTMLResponse(f"<h1>Error {status}</h1><p>{body.get('detail', '')}</p>",
                            status_code=status, headers=headers)


def install_error_handlers(app: FastAPI, templates: Jinja2Templates) -> None:
    """Answer every error with the documented shape (JSON or page), 500s included."""

    @app.exception_handler(SpigotError)
    async def _spigot_error(request: Request, exc: SpigotError) -> Response:
        headers = None
        if isinstance(exc, UnknownRunError):
            status = 404
        elif isinstance(exc, QueueFullError):
            status, headers = 429, {"Retry-After": str(exc.retry_after)}
        elif isinstance(exc, ScenarioTooLargeError):
            status = 413
        elif isinstance(exc, RunTooLargeError | InputError):
            status = 422
        elif isinstance(exc, StoreBusyError):
            status, headers = 503, {"Retry-After": "5"}
        else:
            logger.error("internal error on %s: %s", request.url.path, exc)
            status = 500
        body: dict[str, Any] = {"detail": str(exc)}
        if isinstance(exc, InputError):
            body["problems"] = problems_json(exc)
        return error_response(request, templates, status, body, headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"not found: there is no page or API route {request.url.path!r}"
        elif exc.status_code == 405:
            detail = f"method {request.method} is not allowed on {request.url.path!r}"
        return error_response(request, templates, exc.status_code, {"detail": detail},
                              getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        parts, errors = [], []
        for err in exc.errors():
            where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query"))
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
            errors.append({"loc": [str(x) for x in err.get("loc", ())],
                           "msg": str(err.get("msg"))})
        return error_response(request, templates, 422,
                              {"detail": "; ".join(parts), "errors": errors})

    app.add_middleware(InternalErrors, templates=templates)  # call before other middleware


def _internal_body(exc: BaseException) -> dict[str, Any]:
    return {"detail": f"internal error ({type(exc).__name__}): this is a bug in spigot; the "
                      "server's log has the details."}


class InternalErrors:
    """Answer an unexpected exception with a 500 in the documented shape (JSON or page).

    Unlike Starlette's last-resort handler it does not re-raise, so the server keeps the
    client's connection open; the traceback goes to the log.
    """

    def __init__(self, app: ASGIApp, templates: Jinja2Templates) -> None:
        self.app = app
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            logger.error("internal error on %s", scope.get("path"), exc_info=exc)
            if started:
                raise
            request = Request(scope)
            response = error_response(request, self.templates, 500, _internal_body(exc))
            await response(scope, receive, send)
