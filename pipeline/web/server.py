"""Serving the desk: bind the address, say it, open the browser, run until Ctrl-C."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

import uvicorn

from pipeline.model.errors import UsageError
from pipeline.web.app import LOOPBACK, create_app
from pipeline.web.desk import Desk
from pipeline.web.security import new_token
from pipeline.workspace.inbox import tidy_uploads
from pipeline.workspace.load import load_workspace


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # no SO_REUSEADDR: on Windows it would let a second desk share the port
        sock.bind((host, port))
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise UsageError(f"không mở được cổng {port} trên {host} ({exc.strerror or exc}). Hãy chọn cổng khác bằng "
                         "--port, hoặc bỏ --port để dùng một cổng còn trống.") from None
    return sock


def serve(root: Path, year: int | None, host: str, port: int, open_browser: bool,
          say: Callable[[str], None], warn: Callable[[str], None], workers: int | None = None,
          upload_limit: int | None = None) -> None:
    """Run the desk on `host:port` (port 0: any free one) until interrupted; `say` gets the address first."""
    ws = load_workspace(root)  # a broken settings file is said now, as by every other command
    year = year or ws.settings.year
    for y in range(ws.plan.start_year, ws.plan.end_year + 1):
        tidy_uploads(ws.settings.inbox(y))
    sock = _bind(host, port)
    port = sock.getsockname()[1]
    token = new_token()
    loopback = host in ("127.0.0.1", "localhost", "::1")
    shown = "127.0.0.1" if host in ("127.0.0.1", "localhost") else host
    url = f"http://{shown if ':' not in shown else f'[{shown}]'}:{port}/?token={token}"
    desk = Desk(ws.settings.root, year, workers)
    app = create_app(desk, token, port, (*LOOPBACK, host), any_host=not loopback, upload_limit=upload_limit)
    say(url)
    if not loopback:
        warn(f"Cảnh báo: trang làm việc mở cho mọi máy nối được tới địa chỉ {host} (không chỉ máy này). Ai có địa chỉ "
             "kèm mã truy cập ở trên đều xem và thay đổi được thư mục làm việc; kết nối không được mã hoá.")
    say(f"Trang làm việc năm {year} của {ws.settings.root}. Bấm Ctrl-C để dừng.")
    desk.request_check(year)  # the board fills while the browser opens
    if open_browser:
        threading.Timer(0.3, lambda: webbrowser.open(url)).start()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=3,
                            server_header=False)
    server = uvicorn.Server(config)

    def stop(signum: int, frame: object) -> None:
        server.should_exit = True

    # Ctrl-C at any moment, even before uvicorn's own handlers are in place (asyncio would otherwise take the
    # first one for itself), ends the desk: uvicorn sees should_exit and shuts down cleanly.
    with contextlib.suppress(ValueError):  # only the main thread may set handlers
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
    try:
        server.run(sockets=[sock])
    finally:
        with contextlib.suppress(OSError):
            sock.close()
