"""Who may use the desk: whoever holds this start's token, from the desk's own pages.

- A random token per start, printed with the address; the first visit with `?token=` sets a
  cookie (HttpOnly, SameSite=Strict, named after the port so two desks never mix) and redirects
  to the address without it. Every request, static files included, needs the cookie or the token.
- The Host header must name the address the desk listens on (no DNS rebinding).
- Only GET, HEAD and POST; a POST must come from the desk's own origin (Origin, else Referer;
  Sec-Fetch-Site when the browser sends it), which stops cross-site forms and scripts.
- Every answer forbids framing, sniffing and scripts from elsewhere (Content-Security-Policy).
"""

from __future__ import annotations

import html
import secrets
import time
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, quote, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_PARAM = "token"
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = (
    (b"content-security-policy", _CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # "same-origin", not "no-referrer": with no-referrer browsers send `Origin: null` on the desk's own forms
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


def new_token() -> str:
    """A fresh token for one start of the desk."""
    return secrets.token_urlsafe(24)


def cookie_name(port: int) -> str:
    return f"baocao_{port}"


def _page(status: int, title: str, text: str) -> tuple[int, bytes]:
    body = (f"<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto;line-height:1.5\">"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>")
    return status, body.encode("utf-8")


REFUSED_TOKEN = _page(403, "Cần mã truy cập",
                      "Trang làm việc chỉ mở được bằng đúng địa chỉ mà lệnh “baocao web” in ra trong cửa sổ dòng lệnh "
                      "(có đoạn ?token=…). Hãy chép cả địa chỉ đó vào trình duyệt. Mỗi lần chạy lại lệnh, địa chỉ đổi.")
REFUSED_ORIGIN = _page(403, "Yêu cầu bị từ chối",
                       "Thao tác này chỉ làm được từ chính trang làm việc baocao, không từ trang web khác. Hãy quay "
                       "lại trang làm việc và bấm lại.")
REFUSED_HOST = _page(400, "Địa chỉ không đúng",
                     "Hãy mở trang làm việc bằng đúng địa chỉ mà lệnh “baocao web” in ra.")
REFUSED_METHOD = _page(405, "Thao tác không được phép", "Trang làm việc chỉ nhận các thao tác xem và gửi biểu mẫu.")


class Guard:
    """ASGI middleware in front of every route: token, host, method and origin checks, security headers."""

    def __init__(self, app: ASGIApp, token: str, port: int, hosts: Iterable[str], any_host: bool = False) -> None:
        self.app = app
        self.token = token
        self.cookie = cookie_name(port)
        self.hosts = {f"{h}:{port}" for h in hosts}
        self.any_host = any_host  # listening beyond this PC: the Host is whatever address colleagues typed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # the desk has none; nothing passes without the checks below
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":  # lifespan
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if not self.any_host and host not in self.hosts:
            await _answer(send, REFUSED_HOST)
            return
        method = scope["method"]
        if method not in ("GET", "HEAD", "POST"):
            await _answer(send, REFUSED_METHOD)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = next((v for k, v in query if k == TOKEN_PARAM), None)
        if given is not None and secrets.compare_digest(given.encode(), self.token.encode()) and method == "GET":
            # the address printed by the command: keep the token in a cookie, and out of the address bar and history
            rest = urlencode([(k, v) for k, v in query if k != TOKEN_PARAM])
            path = scope.get("raw_path") or quote(scope["path"]).encode()
            await _redirect(send, path.decode("latin-1") + (f"?{rest}" if rest else ""),
                            f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict")
            return
        if not self._has_cookie(headers.get("cookie", "")):
            await _answer(send, REFUSED_TOKEN)
            return
        if method == "POST" and not _same_origin(headers, host):
            await _answer(send, REFUSED_ORIGIN)
            return

        started = time.perf_counter()

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Server-Timing: how long the desk took, for the benchmark and the browser's developer tools
                took = f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS, (b"server-timing", took)]
            await send(message)

        await self.app(scope, receive, secured)

    def _has_cookie(self, header: str) -> bool:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except Exception:  # a malformed Cookie header is no token
            return False
        morsel = jar.get(self.cookie)
        return morsel is not None and secrets.compare_digest(morsel.value.encode(), self.token.encode())


def _same_origin(headers: dict[str, str], host: str) -> bool:
    """The request comes from a page of this very desk."""
    own = f"http://{host}"
    site = headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    origin = headers.get("origin")
    if origin is not None:
        return origin == own
    referer = headers.get("referer")
    return referer is not None and (referer == own or referer.startswith(own + "/"))


async def _answer(send: Send, page: tuple[int, bytes]) -> None:
    status, body = page
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str, cookie: str) -> None:
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1", "replace")), (b"set-cookie", cookie.encode()),
                            (b"content-length", b"0"), (b"cache-control", b"no-store"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": b""})
