"""Shared fixtures: the sample workspace, copied so tests never write into the repo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.check.result import CheckResult
from pipeline.consolidate.merge import Merged, merge
from pipeline.model.agencies import Registry
from pipeline.workspace.registry import load_registry
from pipeline.workspace.load import Workspace, load_workspace

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "plan" / "nguon" / "qd2130-2014.txt"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(ROOT / "plan" / "agencies.csv")


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    """A fresh copy of the sample workspace's settings, plan and templates."""
    dest = tmp_path / "ws"
    dest.mkdir()
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    shutil.copytree(ROOT / "plan", dest / "plan")
    if (ROOT / "templates").is_dir():
        shutil.copytree(ROOT / "templates", dest / "templates")
    (dest / "inbox").mkdir()
    (dest / "outbox").mkdir()
    return dest


@pytest.fixture(scope="session")
def sample() -> Workspace:
    """The bundled sample workspace, read-only."""
    return load_workspace(ROOT)


def merged_of(result: CheckResult, ws: Workspace) -> Merged:
    """The merged tables of a check's counted files."""
    return merge(result.counted(), ws.plan)


# --- the desk in the browser (tests/test_web*.py): a real `baocao web` in a subprocess -------------------------

import http.client  # noqa: E402
import os  # noqa: E402
import json as _json  # noqa: E402
import signal as _signal  # noqa: E402
import subprocess as _subprocess  # noqa: E402
import sys as _sys  # noqa: E402
import time as _time  # noqa: E402
from dataclasses import dataclass as _dataclass  # noqa: E402
from urllib.parse import urlsplit as _urlsplit  # noqa: E402


def desk_workspace(dest: Path, inbox_files: tuple[str, ...] | None = None) -> Path:
    """A copy of the sample workspace for the desk: the whole 2015 inbox, or only the files named."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    shutil.copytree(ROOT / "plan", dest / "plan")
    shutil.copytree(ROOT / "templates", dest / "templates")
    inbox = dest / "inbox" / "2015"
    if inbox_files is None:
        shutil.copytree(ROOT / "inbox" / "2015", inbox)
    else:
        inbox.mkdir(parents=True)
        for name in inbox_files:
            shutil.copy(ROOT / "inbox" / "2015" / name, inbox / name)
    (dest / "outbox").mkdir()
    return dest


@_dataclass
class Desk:
    """A running `baocao web`: its address with the token, and a cookie once `login` was called."""

    process: _subprocess.Popen[str]
    url: str
    root: Path
    stderr: Path
    cookie: str = ""

    @property
    def port(self) -> int:
        return int(_urlsplit(self.url).port or 0)

    @property
    def base(self) -> str:
        return self.url.split("/?")[0]

    @property
    def token(self) -> str:
        return self.url.split("token=")[1]

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                cookie: bool = True) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if cookie and self.cookie:
            sent["Cookie"] = self.cookie
        conn.request(method, path, body=body, headers=sent)
        answer = conn.getresponse()
        data = answer.read()
        conn.close()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, data

    def login(self) -> None:
        status, headers, _ = self.request("GET", "/?token=" + self.token, cookie=False)
        assert status == 303, status
        self.cookie = headers["set-cookie"].split(";")[0]

    def post(self, path: str, body: bytes, content_type: str, origin: str | None = "self",
             accept: str = "text/html") -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": content_type, "Accept": accept}
        if origin is not None:
            headers["Origin"] = f"http://127.0.0.1:{self.port}" if origin == "self" else origin
        return self.request("POST", path, body, headers)

    def status(self) -> dict[str, object]:
        code, _, data = self.request("GET", "/trang-thai?nam=2015")
        assert code == 200
        return dict(_json.loads(data))

    def wait(self, timeout: float = 90.0) -> dict[str, object]:
        """Until no step runs and the year has a result."""
        end = _time.monotonic() + timeout
        while _time.monotonic() < end:
            s = self.status()
            if s["job"] is None and s["ready"]:
                return s
            _time.sleep(0.1)
        raise AssertionError(f"the desk is still busy: {s}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(_signal.SIGINT)
        try:
            return self.process.wait(20)
        except _subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(5)


def start_desk(root: Path, *args: str) -> Desk:
    """Start `baocao web --no-browser --port 0` on `root`; the first line it prints is the address."""
    err = root.parent / f"web-{root.name}.err"
    env = {**os.environ, "BAOCAO_LOG": str(root.parent / "baocao-loi.log")}
    with open(err, "w", encoding="utf-8") as stderr:
        process = _subprocess.Popen([_sys.executable, "-m", "pipeline", "-w", str(root), "web", "--no-browser",
                                     "--port", "0", "--year", "2015", *args], stdout=_subprocess.PIPE,
                                    stderr=stderr, text=True, env=env)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:") and "?token=" in url, (url, err.read_text(encoding="utf-8"))
    return Desk(process, url, root, err)


def multipart(files: list[tuple[str, bytes]], field: str = "tep") -> tuple[bytes, str]:
    """A multipart/form-data body with these files, as a browser sends it (names in UTF-8)."""
    boundary = "----baocao-test-boundary-7d2f"
    out = b""
    for name, data in files:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode("utf-8") + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def filled_return(code: str, change: object = None, day: str = "2015-12-10") -> tuple[str, bytes]:
    """(file name, bytes) of the sample's 2015 workbook for `code`, filled as the agency would."""
    import datetime as dt
    import tempfile

    from corpus import edit
    from fill import Fill, fill_workbook
    from pipeline.generate.workbooks import generate

    with tempfile.TemporaryDirectory() as tmp:
        generate(load_workspace(ROOT), 2015, out_dir=Path(tmp))
        blank = next((Path(tmp) / "mau").glob(f"{code}_*_2015.xlsx"))
        data = fill_workbook(blank.read_bytes(), Fill(2015, dt.date.fromisoformat(day), 11, "clean", progress=0.6))
        name = blank.name
    if change is not None:
        data = edit(data, change)  # type: ignore[arg-type]
    return name, data
