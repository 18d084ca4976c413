"""The desk as an ASGI application: the routes behind the guard, with Vietnamese error pages."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from pipeline.intake.limits import Limits
from pipeline.web.desk import Desk
from pipeline.web.routes import Pages, error_page, routes
from pipeline.web.security import Guard

LOOPBACK = ("127.0.0.1", "localhost")


def create_app(desk: Desk, token: str, port: int, hosts: Iterable[str] = LOOPBACK, any_host: bool = False,
               upload_limit: int | None = None) -> Starlette:
    """The desk's application for one start: `token` is required on every request (see pipeline.web.security)."""
    pages = Pages(desk, limits=Limits(max_file_bytes=upload_limit) if upload_limit else Limits())

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return error_page(pages, request, status)

    async def unexpected(request: Request, exc: Exception) -> Response:
        return error_page(pages, request, 500)

    app = Starlette(routes=routes(pages), exception_handlers={HTTPException: http_error, Exception: unexpected},
                    middleware=[Middleware(Guard, token=token, port=port, hosts=tuple(hosts), any_host=any_host)])
    app.state.pages = pages
    return app
