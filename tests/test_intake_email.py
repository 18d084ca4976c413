"""E-mail parsing is bounded: hostile parameters, huge headers, deep and wide nesting stay fast."""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.intake.mime import param, read_letter, split_params
from pipeline.intake.unpack import Member, iter_members
from test_guard import make_xlsx
from test_unpack import eml_rfc2047, eml_with, write

XLSX = make_xlsx(rows=5)
HEAD = "From: Sở Y tế <VanThu.YTe@DakLak.example>\r\nTo: a@b.vn\r\nDate: Mon, 03 Mar 2025 09:15:00 +0700\r\n" \
       "MIME-Version: 1.0\r\n"


def _timed(tmp_path: Path, data: bytes) -> tuple[list[Member], float]:
    write(tmp_path / "thu.eml", data)
    start = time.perf_counter()
    found = list(iter_members(tmp_path))
    return found, time.perf_counter() - start


def test_many_filename_segments_take_linear_time(tmp_path: Path) -> None:
    segments = "".join(f";\r\n filename*{i}*=%41%42" for i in range(40_000))
    data = (HEAD + "Content-Type: multipart/mixed; boundary=XYZ\r\n\r\n--XYZ\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Disposition: attachment{segments}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\n--XYZ--\r\n").encode()
    assert len(data) > 1_000_000
    found, seconds = _timed(tmp_path, data)
    assert seconds < 2, seconds  # the standard library's modern policy takes about a minute
    [member] = found
    assert member.path.startswith("thu.eml » ABAB") and member.rejection is not None


def test_huge_headers(tmp_path: Path) -> None:
    words = " ".join(["=?utf-8?b?QsOhbyBjw6Fv?="] * 60_000)
    data = (f"Subject: {words}\r\nX-Long: {'x' * 2_000_000}\r\n" + HEAD
            + "Content-Type: multipart/mixed; boundary=XYZ\r\n\r\n--XYZ\r\n"
            f'Content-Disposition: attachment; filename="{words[:1_000_000]}"\r\n\r\nabc\r\n--XYZ--\r\n').encode()
    found, seconds = _timed(tmp_path, data)
    assert seconds < 2, seconds
    assert len(found) == 1 and len(found[0].path) < 1_200


def test_deep_nesting_is_refused_quickly(tmp_path: Path) -> None:
    body = "".join(f"Content-Type: multipart/mixed; boundary=B{i}\r\n\r\n--B{i}\r\n" for i in range(3_000))
    body += "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a.bin\r\n\r\nAAAA\r\n"
    found, seconds = _timed(tmp_path, (HEAD + body).encode())
    assert seconds < 2, seconds
    assert [m.rejection.code for m in found if m.rejection] == ["too-deeply-nested"]


def test_nesting_deeper_than_mail_clients_write_is_cut(tmp_path: Path) -> None:
    body = "".join(f"Content-Type: multipart/mixed; boundary=B{i}\r\n\r\n--B{i}\r\n" for i in range(40))
    body += "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a.bin\r\n\r\nAAAA\r\n"
    body += "".join(f"--B{i}--\r\n" for i in reversed(range(40)))
    found, _ = _timed(tmp_path, (HEAD + body).encode())
    assert [(m.path, m.rejection.code if m.rejection else None) for m in found] == [
        ("thu.eml » …", "too-deeply-nested")]


def test_thousands_of_attachments_are_capped(tmp_path: Path) -> None:
    parts = "".join(f"--B\r\nContent-Disposition: attachment; filename=a{i}.txt\r\n\r\nx\r\n" for i in range(2_100))
    data = (HEAD + f"Content-Type: multipart/mixed; boundary=B\r\n\r\n{parts}--B--\r\n").encode()
    found, seconds = _timed(tmp_path, data)
    assert seconds < 5, seconds
    assert len(found) == 2_001 and found[-1].rejection is not None
    assert found[-1].rejection.code == "too-much-content"


def test_names_dates_and_senders_survive_the_bounded_parser(tmp_path: Path) -> None:
    write(tmp_path / "a.eml", eml_with({"Báo cáo Sở Y tế.xlsx": XLSX}))
    write(tmp_path / "b.eml", eml_rfc2047("Biểu 02 - Sở Xây dựng.xlsx", XLSX))
    forwarded = (HEAD.replace("VanThu.YTe@DakLak.example", "tonghop@so.example") +
                 "Content-Type: multipart/mixed; boundary=OUT\r\n\r\n--OUT\r\nContent-Type: text/plain\r\n\r\nFw\r\n"
                 "--OUT\r\nContent-Type: message/rfc822\r\n\r\n" + eml_with({"x.xlsx": XLSX}).decode()
                 + "\r\n--OUT--\r\n")
    write(tmp_path / "c.eml", forwarded.encode())
    found = {m.path: m for m in iter_members(tmp_path)}
    assert found["a.eml » Báo cáo Sở Y tế.xlsx"].data == XLSX
    assert found["b.eml » Biểu 02 - Sở Xây dựng.xlsx"].rejection is None
    assert found["a.eml » Báo cáo Sở Y tế.xlsx"].senders == ("syt@example.gov.vn",)
    # a message forwarded as an attachment: its own sender is known too
    assert found["c.eml » x.xlsx"].senders == ("tonghop@so.example", "syt@example.gov.vn")


def test_parameter_parsing() -> None:
    head, params = split_params('attachment; filename="a;b \\"c\\".xlsx"; size=10')
    assert head == "attachment" and param(params, "filename") == 'a;b "c".xlsx'
    _, params = split_params("attachment; filename*0*=utf-8''B%C3%A1o%20c; filename*1*=%C3%A1o.xlsx")
    assert param(params, "filename") == "Báo cáo.xlsx"
    _, params = split_params("attachment; filename*=windows-1258''B%E1o%20c%E1o.xlsx")
    assert param(params, "filename") == "Báo cáo.xlsx"
    _, params = split_params("attachment; filename*=x-unknown''%FF.xlsx")
    assert param(params, "filename") == "\ufffd.xlsx"


def test_top_level_message_that_is_itself_the_attachment() -> None:
    data = (HEAD + "Content-Type: application/vnd.ms-excel\r\nContent-Disposition: attachment; filename=a.xls\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\n").encode()
    letter = read_letter(data)
    assert [(p.name, p.payload) for p in letter.parts] == [("a.xls", b"ABC")]
    assert letter.senders == ("vanthu.yte@daklak.example",)


def test_raw_8bit_attachment_names(tmp_path: Path) -> None:
    def one(name: bytes) -> bytes:
        return (HEAD.encode() + b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
                b'Content-Disposition: attachment; filename="' + name + b'"\r\nContent-Transfer-Encoding: base64\r\n'
                b"\r\nQUJD\r\n--B--\r\n")
    write(tmp_path / "utf8.eml", one("Báo cáo.xlsx".encode()))
    write(tmp_path / "cp1258.eml", one("Báo cáo.xlsx".encode("cp1258")))
    write(tmp_path / "junk.eml", one(b"B\x81o c\x81o.xlsx"))  # neither UTF-8 nor the Windows code page
    found = sorted(m.path for m in iter_members(tmp_path))
    assert found == ["cp1258.eml » Báo cáo.xlsx", "junk.eml » B\ufffdo c\ufffdo.xlsx", "utf8.eml » Báo cáo.xlsx"]
