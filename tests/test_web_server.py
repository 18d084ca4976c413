"""`baocao web` as a server, over real HTTP: the token, same-origin changes, uploads into the inbox, downloads."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Desk, desk_workspace, filled_return, multipart, start_desk
from corpus import row_of, setcell

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    root = desk_workspace(tmp_path_factory.mktemp("web") / "ws", ("YTE_so-y-te_2015.xlsx",
                                                                   "TUPHAP_so-tu-phap_2015.xlsx"))
    running = start_desk(root, "--max-upload-mb", "1")
    running.login()
    running.wait()
    yield running
    code = running.stop()
    assert code == 0, running.stderr.read_text(encoding="utf-8")
    assert "Đã dừng trang làm việc." in running.stderr.read_text(encoding="utf-8")
    assert "Traceback" not in running.stderr.read_text(encoding="utf-8")


def test_the_address_comes_first_and_only_this_pc_is_served(desk: Desk) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[A-Za-z0-9_-]{32}", desk.url)
    status, _, body = desk.request("GET", "/nam/2015", headers={"Host": "attacker.example:80"})
    assert status == 400 and "Địa chỉ không đúng" in body.decode()  # DNS rebinding: a foreign Host is refused


def test_no_token_is_refused(desk: Desk) -> None:
    for path in ("/", "/nam/2015", "/trang-thai?nam=2015", "/tai-nguyen/desk.js", "/nam/2015/tai?tep=baocao.toml"):
        status, _, body = desk.request("GET", path, cookie=False)
        assert status == 403 and "Cần mã truy cập" in body.decode(), path
    status, _, _ = desk.request("GET", "/nam/2015?token=wrong", cookie=False)
    assert status == 403
    status, _, _ = desk.request("GET", "/nam/2015", headers={"Cookie": f"baocao_{desk.port}=wrong"}, cookie=False)
    assert status == 403


def test_the_token_becomes_a_strict_cookie_and_leaves_the_address(desk: Desk) -> None:
    status, headers, _ = desk.request("GET", f"/nam/2015?loc=muon&token={desk.token}", cookie=False)
    assert status == 303 and headers["location"] == "/nam/2015?loc=muon"
    cookie = headers["set-cookie"]
    assert cookie.startswith(f"baocao_{desk.port}={desk.token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    status, headers, body = desk.request("GET", "/nam/2015")
    assert status == 200 and "Báo cáo năm 2015" in body.decode()
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_changes_only_by_post_from_the_desk_itself(desk: Desk) -> None:
    before = desk.status()
    body, kind = multipart([("foreign.xlsx", b"not a workbook")])
    for origin in ("http://attacker.example", "null", f"http://localhost:{desk.port + 1}"):
        status, _, answer = desk.post("/nam/2015/tai-len", body, kind, origin=origin)
        assert status == 403 and "Yêu cầu bị từ chối" in answer.decode(), origin
    status, _, _ = desk.post("/nam/2015/tai-len", body, kind, origin=None)  # neither Origin nor Referer
    assert status == 403
    status, _, _ = desk.request("POST", "/nam/2015/kiem-tra", b"", {"Origin": f"http://127.0.0.1:{desk.port}",
                                                                    "Sec-Fetch-Site": "cross-site"})
    assert status == 403
    for method in ("PUT", "DELETE", "PATCH"):
        assert desk.request(method, "/nam/2015/tai-len", body, {"Content-Type": kind})[0] == 405
    assert desk.request("GET", "/nam/2015/tai-len")[0] == 405  # an upload is never a GET
    assert not (desk.root / "inbox" / "2015" / "foreign.xlsx").exists()
    assert desk.status()["version"] == before["version"]


def test_an_upload_named_with_a_path_lands_inside_the_inbox(desk: Desk) -> None:
    name, data = filled_return("NOIVU")
    body, kind = multipart([("../../x.xlsx", data), (f"..\\..\\{name}", data + b"\n")])
    status, _, answer = desk.post("/nam/2015/tai-len", body, kind, accept="application/json")
    assert status == 200, answer
    inbox = desk.root / "inbox" / "2015"
    assert (inbox / "x.xlsx").read_bytes() == data  # byte for byte
    assert (inbox / name).is_file()
    assert not (desk.root / "x.xlsx").exists() and not (desk.root.parent / "x.xlsx").exists()
    assert not list(inbox.glob(".*"))  # no temporary file left behind
    desk.wait()
    # the same bytes again: not saved twice; a clash of names: a suffix, never an overwrite
    body, kind = multipart([("copy.xlsx", data), ("x.xlsx", data + b" ")])
    status, _, answer = desk.post("/nam/2015/tai-len", body, kind, accept="application/json")
    text = answer.decode()
    assert "giống hệt tệp “x.xlsx”" in text and "x (2).xlsx" in text
    assert (inbox / "x.xlsx").read_bytes() == data and not (inbox / "copy.xlsx").exists()
    desk.wait()


def test_an_oversized_upload_is_refused_with_a_message(desk: Desk) -> None:
    inbox = desk.root / "inbox" / "2015"
    before = sorted(p.name for p in inbox.iterdir())
    body, kind = multipart([("big.xlsx", b"x" * (1024 * 1024 + 10))])
    status, _, answer = desk.post("/nam/2015/tai-len", body, kind, accept="application/json")
    assert status == 200 and "lớn hơn 1 MB nên không được lưu" in answer.decode()
    status, headers, _ = desk.post("/nam/2015/tai-len", b"x" * (5 * 1024 * 1024), kind, accept="application/json")
    assert status == 413  # over the cap for one request: refused by its length, before reading
    assert sorted(p.name for p in inbox.iterdir()) == before  # nothing written, not even a temporary file
    # the form without the page script: the message comes on the board
    status, headers, _ = desk.post("/nam/2015/tai-len", body, kind)
    assert status == 303
    assert "lớn hơn 1 MB" in desk.request("GET", headers["location"])[2].decode()


def test_agency_text_is_shown_as_text(desk: Desk) -> None:
    name, data = filled_return("TTTT", setcell("Báo cáo", lambda book: f"K{row_of(book)}", SCRIPT))
    body, kind = multipart([(f"{SCRIPT}.xlsx", data)])
    assert desk.post("/nam/2015/tai-len", body, kind, accept="application/json")[0] == 200
    desk.wait()
    page = desk.request("GET", "/nam/2015/don-vi/TTTT")[2].decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # in the finding's message and the file's name
    assert SCRIPT not in page
    board = desk.request("GET", "/nam/2015")[2].decode()
    assert SCRIPT not in board


def test_downloads_stay_inside_the_years_folders(desk: Desk) -> None:
    status, headers, data = desk.request("GET", "/nam/2015/tai?tep=outbox/2015/kiem-tra/kiem-tra-2015.xlsx")
    assert status == 200 and data[:2] == b"PK"
    assert headers["content-disposition"].startswith("attachment")
    status, headers, _ = desk.request("GET", "/nam/2015/tai?tep=inbox/2015/x.xlsx")
    assert status == 200 and headers["content-disposition"].startswith("attachment")  # never shown by the browser
    for rel in ("baocao.toml", "../baocao.toml", "outbox/2015/../../baocao.toml", "/etc/passwd", "outbox/.baocao.lock",
                "plan/agencies.csv", "inbox/2016/x.xlsx", "outbox/2015/kiem-tra"):
        status, _, _ = desk.request("GET", "/nam/2015/tai?tep=" + rel)
        assert status == 404, rel
    (desk.root / "inbox" / "2015" / "link.xlsx").symlink_to(desk.root / "baocao.toml")
    assert desk.request("GET", "/nam/2015/tai?tep=inbox/2015/link.xlsx")[0] == 404  # a link out is not followed


def test_a_decision_is_written_and_shown(desk: Desk) -> None:
    form = "action=exclude&file=TUPHAP_so-tu-phap_2015.xlsx&reason=S%E1%BB%9F+g%E1%BB%ADi+nh%E1%BA%A7m&back=/nam/2015/don-vi/TUPHAP"
    status, headers, _ = desk.post("/nam/2015/quyet-dinh", form.encode(), "application/x-www-form-urlencoded")
    assert status == 303 and headers["location"] == "/nam/2015/don-vi/TUPHAP"
    data = tomllib.loads((desk.root / "decisions.toml").read_text(encoding="utf-8"))
    assert data["exclude"] == [{"year": 2015, "file": "TUPHAP_so-tu-phap_2015.xlsx", "reason": "Sở gửi nhầm"}]
    desk.wait()
    page = desk.request("GET", "/nam/2015/don-vi/TUPHAP")[2].decode()
    assert "Đã loại khỏi tổng hợp" in page and "Sở gửi nhầm" in page
    # without a reason nothing is written; a file the check never saw is refused
    for bad in ("action=exclude&file=YTE_so-y-te_2015.xlsx&reason=+", "action=exclude&file=nope.xlsx&reason=x"):
        desk.post("/nam/2015/quyet-dinh", bad.encode(), "application/x-www-form-urlencoded")
    assert len(tomllib.loads((desk.root / "decisions.toml").read_text(encoding="utf-8"))["exclude"]) == 1
    withdraw = "action=withdraw-exclude&file=TUPHAP_so-tu-phap_2015.xlsx"
    desk.post("/nam/2015/quyet-dinh", withdraw.encode(), "application/x-www-form-urlencoded")
    assert "exclude" not in tomllib.loads((desk.root / "decisions.toml").read_text(encoding="utf-8"))
    desk.wait()


def test_a_second_long_step_is_refused_as_busy(desk: Desk) -> None:
    first = desk.post("/nam/2015/viet-bao-cao", b"", "application/x-www-form-urlencoded", accept="application/json")
    second = desk.post("/nam/2015/tao-bieu-mau", b"", "application/x-www-form-urlencoded", accept="application/json")
    assert first[0] == second[0] == 200
    assert b'"busy":""' in first[2].replace(b" ", b"")
    assert "Đang bận" in second[2].decode()
    s = desk.wait()
    last = s["last"]
    assert isinstance(last, dict) and last["outcome"] == "ok", last
    assert (desk.root / "outbox" / "2015" / "bao-cao-2015.docx").is_file()


def test_unknown_pages_are_vietnamese(desk: Desk) -> None:
    status, _, body = desk.request("GET", "/nam/2015/don-vi/KHONGCO")
    assert status == 404 and "Không tìm thấy" in body.decode()
    status, _, body = desk.request("GET", "/khong-co")
    assert status == 404 and "Không tìm thấy" in body.decode()


def test_a_broken_settings_file_is_said_at_start(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = desk_workspace(tmp_path / "ws", ())
    (root / "baocao.toml").write_text("province = \n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pipeline", "-w", str(root), "web", "--no-browser"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("Lỗi: ") and "baocao.toml" in done.stderr and "Traceback" not in done.stderr


def test_ctrl_c_at_once_stops_the_desk_cleanly(tmp_path: Path) -> None:
    running = start_desk(desk_workspace(tmp_path / "ws", ("YTE_so-y-te_2015.xlsx",)))
    assert running.stop() == 0  # SIGINT right after the address, while the first check runs
    err = running.stderr.read_text(encoding="utf-8")
    assert "Đã dừng trang làm việc." in err and "Traceback" not in err


def test_another_address_is_served_only_when_asked_with_a_warning(tmp_path: Path) -> None:
    import http.client
    import signal
    import subprocess
    import sys

    root = desk_workspace(tmp_path / "ws", ())
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "-w", str(root), "web", "--no-browser", "--host",
                                "127.0.0.2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.2:")
        port = int(url.split(":")[2].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.2", port, timeout=30)
        conn.request("GET", "/nam/2015", headers={"Host": f"127.0.0.2:{port}"})
        assert conn.getresponse().status == 403  # still the token
        conn.close()
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Cảnh báo: trang làm việc mở cho mọi máy" in err and "Traceback" not in err


def test_choosing_a_version_makes_it_the_counted_file(desk: Desk) -> None:
    name, data = filled_return("YTE", day="2015-11-02")  # an earlier version than the one in the inbox
    body, kind = multipart([("YTE ban dau.xlsx", data)])
    assert desk.post("/nam/2015/tai-len", body, kind, accept="application/json")[0] == 200
    desk.wait()
    page = desk.request("GET", "/nam/2015/don-vi/YTE")[2].decode()
    assert "Dùng bản này để tổng hợp…" in page
    form = "action=choose&file=YTE+ban+dau.xlsx&reason=B%E1%BA%A3n+ch%C3%ADnh+th%E1%BB%A9c&back=/nam/2015/don-vi/YTE"
    assert desk.post("/nam/2015/quyet-dinh", form.encode(), "application/x-www-form-urlencoded")[0] == 303
    data_toml = tomllib.loads((desk.root / "decisions.toml").read_text(encoding="utf-8"))
    assert data_toml["choose"] == [{"year": 2015, "file": "YTE ban dau.xlsx", "reason": "Bản chính thức"}]
    desk.wait()
    board = desk.request("GET", "/nam/2015")[2].decode()
    row = board.split('data-code="YTE"')[1].split("</tr>")[0]
    assert "YTE ban dau.xlsx" in row  # the chosen version counts now
    check_book = desk.root / "outbox" / "2015" / "kiem-tra" / "kiem-tra-2015.xlsx"
    import openpyxl

    texts = [str(c.value) for ws in openpyxl.load_workbook(check_book, read_only=True).worksheets
             for r in ws.iter_rows() for c in r if c.value]
    assert any("Bản chính thức" in t for t in texts)  # the decision is in the check workbook, as from Notepad
