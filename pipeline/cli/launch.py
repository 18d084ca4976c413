"""The very first code of `baocao`: Ctrl-C or SIGTERM while Python is still importing ends quietly."""

from __future__ import annotations

import os
import signal
import sys


def _early(signum: int, frame: object) -> None:
    try:
        os.write(2, "Đã dừng theo yêu cầu.\n".encode())
    except OSError:
        pass
    os._exit(130 if signum == signal.SIGINT else 143)


def main() -> int:
    """Run the command; its modules are imported only once these handlers are in place."""
    signal.signal(signal.SIGINT, _early)
    signal.signal(signal.SIGTERM, _early)
    from pipeline.cli.main import main as run  # after the handlers: an import interrupted ends quietly

    return run(sys.argv[1:])
