"""Benchmark the desk (`baocao web`) on a copy of the sample workspace; prints a small table.

    .venv/bin/python benchmarks/web.py                # 40 board renders, 5 uploads
    .venv/bin/python benchmarks/web.py --renders 100 --uploads 8

- board render: server time of GET /nam/2015 (the Server-Timing header the desk sets around the
  whole request, guard included) and the loopback round trip, over the 31 agencies of the sample
  year, once the board holds its check.
- upload → board: from sending one new return (a filled workbook, POST as the page sends it)
  to the board showing it as the agency's counted file (polling the status the page polls, then
  the board fragment the page fetches), and on to the end of the background step (the check
  workbook, feedback copies and drafts written). Each round uploads a later version of the same
  agency's report, so the board has something new to show every time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def _request(port: int, cookie: str, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=body, headers={"Host": f"127.0.0.1:{port}", "Cookie": cookie, **(headers or {})})
    answer = conn.getresponse()
    data = answer.read()
    conn.close()
    return answer.status, {k.lower(): v for k, v in answer.getheaders()}, data


def _status(port: int, cookie: str) -> dict[str, object]:
    return dict(json.loads(_request(port, cookie, "GET", "/trang-thai?nam=2015")[2]))


def _idle(port: int, cookie: str) -> None:
    while True:
        s = _status(port, cookie)
        if s["job"] is None and s["ready"]:
            return
        time.sleep(0.02)


def _ms(values: list[float]) -> str:
    q = statistics.quantiles(values, n=20) if len(values) >= 2 else values * 19
    return f"{statistics.median(values):.1f} ms median, {q[18]:.1f} ms p95 (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=40)
    parser.add_argument("--uploads", type=int, default=5)
    args = parser.parse_args()

    from conftest import filled_return, multipart

    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        ws.mkdir()
        shutil.copy(ROOT / "baocao.toml", ws / "baocao.toml")
        for folder in ("plan", "templates"):
            shutil.copytree(ROOT / folder, ws / folder)
        shutil.copytree(ROOT / "inbox" / "2015", ws / "inbox" / "2015")
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "pipeline", "-w", str(ws), "web", "--no-browser", "--port",
                                   "0", "--year", "2015"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            address = time.perf_counter() - started
            port = int(url.split(":")[2].split("/")[0])
            token = url.split("token=")[1]
            _, headers, _ = _request(port, "", "GET", f"/?token={token}")
            cookie = headers["set-cookie"].split(";")[0]
            _idle(port, cookie)
            first = time.perf_counter() - started

            server_ms, trip_ms = [], []
            for _ in range(args.renders):
                t = time.perf_counter()
                status, headers, body = _request(port, cookie, "GET", "/nam/2015")
                trip_ms.append((time.perf_counter() - t) * 1000)
                assert status == 200 and b'data-code="KHDT"' in body
                server_ms.append(float(headers["server-timing"].split("dur=")[1]))

            board_s, done_s = [], []
            for i in range(args.uploads):
                name, data = filled_return("KHDT", day=(dt.date(2015, 12, 1) + dt.timedelta(days=i)).isoformat())
                body, kind = multipart([(name, data)])
                t = time.perf_counter()
                status, _, answer = _request(port, cookie, "POST", "/nam/2015/tai-len", body,
                                             {"Content-Type": kind, "Origin": f"http://127.0.0.1:{port}",
                                              "Accept": "application/json"})
                saved = json.loads(answer)["saved"][0]
                while True:  # as the page does: poll the status, then fetch the board when a new version is in
                    if _status(port, cookie)["version"]:
                        fragment = _request(port, cookie, "GET", "/nam/2015/bang")[2].decode()
                        row = fragment.split('data-code="KHDT"')[1].split("</tr>")[0]
                        if saved in row:
                            break
                    time.sleep(0.02)
                board_s.append(time.perf_counter() - t)
                _idle(port, cookie)
                done_s.append(time.perf_counter() - t)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(30)

    print("| the desk on the sample year (31 agencies, 33 files) | measured |")
    print("|---|---:|")
    print(f"| `baocao web` start to address printed | {address:.2f} s |")
    print(f"| start to first board filled (check with outputs) | {first:.2f} s |")
    print(f"| board render, server time | {_ms(server_ms)} |")
    print(f"| board render, loopback round trip | {_ms(trip_ms)} |")
    print(f"| upload of one return → board shows it | {statistics.median(board_s):.2f} s median, "
          f"{max(board_s):.2f} s max (n={len(board_s)}) |")
    print(f"| upload → check workbook, feedback copies, drafts written | {statistics.median(done_s):.2f} s median |")


if __name__ == "__main__":
    main()
