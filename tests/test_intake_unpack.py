"""Odd inbox entries, one named case each: names, links, vanishing files, empty containers, formats."""

from __future__ import annotations

import datetime as dt
import io
import os
import time
import unicodedata
import zipfile
import zlib
from pathlib import Path

import pytest

import pipeline.intake.decrypt as decrypt
import pipeline.intake.unpack as unpack
from pipeline.intake.decrypt import EXCEL_MENU, LIBREOFFICE_MENU
from pipeline.intake.limits import Limits
from pipeline.intake.unpack import SEP, Member, iter_entries, iter_members, members_of
from intake_files import make_msg, make_nested_msg, make_tnef, make_xlsb, xlsb_from_xlsx, xlsb_sheet
from test_guard import cfb, make_ods, make_xlsx, raw_zip
from test_unpack import eml_with, write, zip_of

XLSX = make_xlsx(rows=10)


def members(root: Path, passwords: dict[str, str] | None = None) -> dict[str, Member]:
    found = list(iter_members(root, passwords=passwords))
    index = {m.path: m for m in found}
    assert len(index) == len(found)  # every display path is unique
    return index


def code(member: Member) -> str | None:
    return member.rejection.code if member.rejection else None


def detail(member: Member) -> str:
    return dict(member.rejection.params).get("detail", "") if member.rejection else ""


# --------------------------------------------------------------------------- names

def test_undecodable_file_names_are_shown_with_replacement_characters(tmp_path: Path) -> None:
    for raw in (b"B\xe1o c\xe1o \xff.xlsx", b"B\xe1o c\xe1o \xfe.xlsx"):
        (tmp_path / os.fsdecode(raw)).write_bytes(XLSX)
    found = members(tmp_path)
    assert set(found) == {"B\ufffdo c\ufffdo \ufffd.xlsx", "B\ufffdo c\ufffdo \ufffd (2).xlsx"}
    assert all(m.rejection is None and m.data == XLSX for m in found.values())
    assert all(p.encode("utf-8") for p in found)  # printable and writable anywhere


def test_nfd_and_nfc_twins_are_kept_apart(tmp_path: Path) -> None:
    write(tmp_path / unicodedata.normalize("NFD", "Sở Y tế.xlsx"), XLSX)
    write(tmp_path / "Sở Y tế.xlsx", XLSX)
    assert sorted(members(tmp_path)) == ["Sở Y tế (2).xlsx", "Sở Y tế.xlsx"]


def test_zip_member_with_a_false_utf8_flag_is_read(tmp_path: Path) -> None:
    archive = raw_zip([("Bao cao X.xlsx", XLSX, 0, zlib.crc32(XLSX), len(XLSX))], utf8_flag=True)
    archive = archive.replace(b"Bao cao X.xlsx", b"Bao cao \xff.xlsx")
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(io.BytesIO(archive))  # the standard library gives up on the whole archive
    write(tmp_path / "gui.zip", archive)
    [member] = members(tmp_path).values()
    assert (member.path, member.kind, member.rejection) == ("gui.zip » Bao cao \ufffd.xlsx", "xlsx", None)


# --------------------------------------------------------------------------- links, devices, vanishing files

def test_links(tmp_path: Path) -> None:
    inbox, outside = tmp_path / "inbox", tmp_path / "secret"
    write(inbox / "a.xlsx", XLSX)
    write(outside / "luong.xlsx", XLSX)
    (inbox / "ban-sao.xlsx").symlink_to(inbox / "a.xlsx")
    (inbox / "thu-muc").symlink_to(inbox, target_is_directory=True)
    (inbox / "ra-ngoai.xlsx").symlink_to(outside / "luong.xlsx")
    (inbox / "ra-ngoai").symlink_to(outside, target_is_directory=True)
    (inbox / "vong").symlink_to(inbox / "vong")
    os.mkfifo(inbox / "ong.xlsx")
    found = members(inbox)
    assert {p: code(m) for p, m in found.items()} == {
        "a.xlsx": None, "ban-sao.xlsx": None, "thu-muc": "symlink-folder", "ra-ngoai.xlsx": "symlink-outside",
        "ra-ngoai": "symlink-outside", "vong": "unreadable-file", "ong.xlsx": "unreadable-file"}
    assert found["ban-sao.xlsx"].data == XLSX  # a link inside the inbox is one more name for a file there


def test_file_that_vanishes_after_the_walk(tmp_path: Path) -> None:
    write(tmp_path / "a.xlsx", XLSX)
    [(entry, display)] = list(iter_entries(tmp_path))
    (tmp_path / "a.xlsx").unlink()
    [member] = list(members_of(entry, display))
    assert (member.path, code(member)) == ("a.xlsx", "file-changed")


def test_file_replaced_by_a_link_after_the_walk_is_not_followed(tmp_path: Path) -> None:
    write(tmp_path / "a.xlsx", XLSX)
    write(tmp_path / "khac" / "b.xlsx", XLSX)
    [(entry, display), _] = list(iter_entries(tmp_path))
    (tmp_path / "a.xlsx").unlink()
    (tmp_path / "a.xlsx").symlink_to(tmp_path / "khac" / "b.xlsx")
    [member] = list(members_of(entry, display))
    assert code(member) == "unreadable-file" and member.data == b""


def test_file_that_changes_while_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "a.xlsx", XLSX)
    real = os.fstat
    calls = []

    def growing(fd: int) -> os.stat_result:
        st = real(fd)
        calls.append(fd)
        if len(calls) == 2:  # the check after reading: the file grew meanwhile
            return os.stat_result((*tuple(st)[:6], st.st_size + 10, *tuple(st)[7:10]))
        return st

    monkeypatch.setattr(unpack.os, "fstat", growing)
    [member] = members(tmp_path).values()
    assert code(member) == "file-changed"


# --------------------------------------------------------------------------- empty, broken and foreign files

@pytest.mark.parametrize(("entries", "reason"), [
    ({}, "tệp nén rỗng"),
    ({"__MACOSX/._bao cao.xlsx": b"\0\5\26\7", "__MACOSX/": b""}, "__MACOSX"),
    ({"bao cao/": b"", "bao cao/con/": b""}, "thư mục rỗng"),
    ({".DS_Store": b"\0\0\0\1Bud1", "Thumbs.db": b"x", "~$bao cao.xlsx": b"x"}, "tệp ẩn"),
])
def test_zip_with_nothing_usable_is_accounted_for(tmp_path: Path, entries: dict[str, bytes], reason: str) -> None:
    write(tmp_path / "gui.zip", zip_of(entries))
    [member] = members(tmp_path).values()
    assert (member.path, code(member)) == ("gui.zip", "empty-archive")
    assert reason in detail(member)


def test_empty_zip_inside_an_email_and_junk_only_email(tmp_path: Path) -> None:
    write(tmp_path / "thu.eml", eml_with({"bao-cao.zip": zip_of({})}))
    [member] = members(tmp_path).values()
    assert (member.path, code(member)) == ("thu.eml » bao-cao.zip", "empty-archive")
    assert member.senders == ("syt@example.gov.vn",)


@pytest.mark.parametrize("name", ["YTE_so-y-te_2015.xlsx", "cong van.pdf", "bao cao"])
def test_zero_bytes_is_a_broken_download_whatever_its_name(tmp_path: Path, name: str) -> None:
    write(tmp_path / name, b"")
    assert [code(m) for m in members(tmp_path).values()] == ["corrupt-file"]


def test_truncated_xlsx_is_corrupt_even_when_only_its_first_part_survived(tmp_path: Path) -> None:
    head = zip_of({"[Content_Types].xml": b"<Types/>" * 50, "xl/workbook.xml": b"<workbook/>" * 500})
    write(tmp_path / "YTE.xlsx", head[: len(head) // 3])
    [member] = members(tmp_path).values()
    assert code(member) == "corrupt-file"


DOCX = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})


@pytest.mark.parametrize(("name", "data", "what"), [
    ("scan.pdf", b"%PDF-1.4\n%%EOF\n", "bản PDF"),
    ("anh.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64), "ảnh chụp"),
    ("anh.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "ảnh (PNG)"),
    ("bao cao.docx", DOCX, "văn bản Word (.docx)"),
    ("bao cao.doc", cfb({"WordDocument": b"\xec\xa5" + bytes(100)}), "Word 97-2003"),
    ("bao cao.rar", b"Rar!\x1a\x07\x01\x00" + bytes(64), "RAR"),
    ("bao cao.7z", b"7z\xbc\xaf\x27\x1c" + bytes(64), "7-Zip"),
    ("bao cao.xlsx.lnk", b"L\x00\x00\x00\x01\x14\x02\x00" + bytes(64), "lối tắt"),
    ("setup.exe", b"MZ\x90\x00" + bytes(64), "chương trình"),
    ("ghi chu.txt", "Báo cáo gửi sau".encode(), "văn bản thuần (.txt)"),
    ("bao cao.dat", bytes(range(256)), "không rõ định dạng (.dat)"),
])
def test_not_a_spreadsheet_says_what_the_file_is(tmp_path: Path, name: str, data: bytes, what: str) -> None:
    write(tmp_path / name, data)
    [member] = members(tmp_path).values()
    assert code(member) == "not-a-spreadsheet" and what in detail(member)
    assert member.rejection is not None and "đề nghị" in member.rejection.message_vi.lower()


@pytest.mark.parametrize(("name", "data", "want", "what"), [
    ("YTE.csv", "Mã HĐ;Tình trạng\nHD01;Đã hoàn thành\n".encode("utf-8-sig"), "csv-export", ""),
    ("YTE.xls", b"STT,Noi dung\n1,Tap huan\n2,Hoi thao\n", "csv-export", ""),
    ("YTE.xls", b'<html xmlns:x="urn:schemas-microsoft-com:office:excel"><body><table></table></body></html>',
     "web-page-export", "Trang web"),
    ("YTE.xml", b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook xmlns="urn:schemas-'
                b'microsoft-com:office:spreadsheet"></Workbook>', "web-page-export", "XML 2003"),
    ("YTE.xlsx", b"<!DOCTYPE html><html><body>Session expired</body></html>", "web-page-export", "tải tệp"),
])
def test_exports_are_recognised_and_named(tmp_path: Path, name: str, data: bytes, want: str, what: str) -> None:
    write(tmp_path / name, data)
    [member] = members(tmp_path).values()
    assert code(member) == want and what in detail(member)
    assert member.rejection is not None and "đề nghị" in member.rejection.message_vi.lower()


# --------------------------------------------------------------------------- binary workbooks

def test_xlsb_is_guarded_and_read(tmp_path: Path) -> None:
    write(tmp_path / "ok.xlsb", xlsb_from_xlsx(XLSX))
    write(tmp_path / "far.xlsb", make_xlsb({"S": xlsb_sheet([[1]], dimension=(1_048_575, 16_383))}))
    write(tmp_path / "far-cell.xlsb", make_xlsb({"S": xlsb_sheet([[1]], dimension=(0, 0), far=(1_000_000, 16_000))}))
    many = make_xlsb({f"S{i}": xlsb_sheet([[i]]) for i in range(60)})
    write(tmp_path / "many.xlsb", many)
    cut = make_xlsb({"S": xlsb_sheet([["x" * 200]])})
    write(tmp_path / "cut.xlsb", _truncate_part(cut, "xl/worksheets/sheet1.bin", 30))
    found = members(tmp_path)
    assert {p: code(m) for p, m in found.items()} == {
        "ok.xlsb": None, "far.xlsb": "too-many-cells", "far-cell.xlsb": "too-many-cells",
        "many.xlsb": "too-many-sheets", "cut.xlsb": "corrupt-file"}
    assert found["ok.xlsb"].kind == "xlsb"


def _truncate_part(data: bytes, part: str, keep: int) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            dst.writestr(name, body[:keep] if name == part else body)
    return out.getvalue()


# --------------------------------------------------------------------------- Outlook containers

def test_msg_attachments_date_sender_and_embedded_message(tmp_path: Path) -> None:
    write(tmp_path / "Bao cao.msg", make_msg([("Báo cáo Sở Y tế.xlsx", XLSX)], embedded=XLSX))
    write(tmp_path / "trong.msg", make_msg([]))
    found = members(tmp_path)
    assert {p: code(m) for p, m in found.items()} == {
        "Bao cao.msg » Báo cáo Sở Y tế.xlsx": None, "Bao cao.msg » bao-cao-chuyen-tiep.xlsx": None,
        "trong.msg": "no-attachment"}
    first = found["Bao cao.msg » Báo cáo Sở Y tế.xlsx"]
    assert first.data == XLSX and first.senders == ("vanthu.yte@daklak.example",)
    assert first.email_date == dt.datetime(2015, 12, 12, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def test_msg_nesting_is_bounded(tmp_path: Path) -> None:
    write(tmp_path / "ok.msg", make_nested_msg(3, XLSX))
    write(tmp_path / "sau.msg", make_nested_msg(40, XLSX))
    write(tmp_path / "rat-sau.msg", make_nested_msg(300, XLSX))  # too deep for the OLE2 reader itself
    start = time.perf_counter()
    found = members(tmp_path)
    assert time.perf_counter() - start < 3
    assert {p: code(m) for p, m in found.items()} == {"ok.msg » a.xlsx": None, "sau.msg » …": "too-deeply-nested",
                                                      "rat-sau.msg": "corrupt-file"}


def test_damaged_msg_is_corrupt(tmp_path: Path) -> None:
    good = make_msg([("a.xlsx", XLSX)])
    write(tmp_path / "hong.msg", good[:4096])
    assert [code(m) for m in members(tmp_path).values()] == ["corrupt-file"]


def test_winmail_dat_in_an_email(tmp_path: Path) -> None:
    tnef = make_tnef([("bao cao.xlsx", XLSX)], sent=dt.datetime(2025, 3, 3, 23, 50))
    write(tmp_path / "thu.eml", eml_with({"winmail.dat": tnef}))
    write(tmp_path / "winmail.dat", make_tnef([]))
    found = members(tmp_path)
    inner = found["thu.eml » winmail.dat » bao cao.xlsx"]
    assert (inner.kind, inner.rejection, inner.data) == ("xlsx", None, XLSX)
    # the e-mail's date (with its time zone) wins over winmail.dat's own, which has none
    assert inner.email_date == dt.datetime(2025, 3, 3, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert inner.senders == ("syt@example.gov.vn",)
    assert code(found["winmail.dat"]) == "no-attachment"


def test_hostile_winmail_dat_is_bounded(tmp_path: Path) -> None:
    import struct

    tiny = b"".join(struct.pack("<BHHI", 1, 0x8004, 1, 1) + b"x" + struct.pack("<H", ord("x")) for _ in range(60_000))
    write(tmp_path / "winmail.dat", struct.pack("<IH", 0x223E9F78, 1) + tiny)
    start = time.perf_counter()
    [member] = members(tmp_path).values()
    assert code(member) == "too-deeply-nested" and time.perf_counter() - start < 2


def test_containers_nested_in_each_other_share_one_budget(tmp_path: Path) -> None:
    inner = zip_of({f"part{i}.bin": bytes(3 << 20) for i in range(4)})
    msg = make_msg([("gui.zip", zip_of({f"z{i}.zip": inner for i in range(4)}))])
    write(tmp_path / "thu.eml", eml_with({"thu.msg": msg}))
    found = list(iter_members(tmp_path, Limits(max_total_uncompressed=30 << 20, max_ratio=10_000)))
    # a zip in a .msg in an e-mail: two inner zips fit in the one budget, the rest are refused
    assert {m.path.rsplit(SEP, 1)[-1]: code(m) for m in found if code(m) != "not-a-spreadsheet"} == {
        "z2.zip": "zip-bomb", "z3.zip": "zip-bomb"}
    assert len(found) == 10 and sum(len(m.data) for m in found if m.path.endswith(".bin")) <= 30 << 20


# --------------------------------------------------------------------------- passwords

def _encrypted(data: bytes, password: str) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def test_encrypted_workbook_names_the_program_that_made_it(tmp_path: Path) -> None:
    write(tmp_path / "excel.xlsx", _encrypted(XLSX, "123"))
    write(tmp_path / "calc.ods", make_ods(manifest_extra="<manifest:encryption-data/>"))
    found = members(tmp_path)
    assert code(found["excel.xlsx"]) == code(found["calc.ods"]) == "encrypted"
    assert detail(found["excel.xlsx"]) == EXCEL_MENU and detail(found["calc.ods"]) == LIBREOFFICE_MENU


def test_password_recorded_by_the_officer_opens_the_file(tmp_path: Path) -> None:
    write(tmp_path / "thu.eml", eml_with({"bao cao.xlsx": _encrypted(XLSX, "Bí mật 1")}))
    write(tmp_path / "b.xlsx", _encrypted(XLSX, "đúng"))
    found = members(tmp_path, {"thu.eml » bao cao.xlsx": "Bí mật 1", "b.xlsx": "sai"})
    opened = found["thu.eml » bao cao.xlsx"]
    assert (opened.kind, opened.rejection, opened.data) == ("xlsx", None, XLSX)
    assert [n.code for n in opened.notices] == ["opened-with-password"]
    assert code(found["b.xlsx"]) == "wrong-password"


def test_key_derivation_is_bounded_before_it_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "a.xlsx", _encrypted(XLSX, "x"))
    monkeypatch.setattr(decrypt, "MAX_SPIN_COUNT", 1_000)  # Excel writes 100,000 rounds
    [member] = members(tmp_path, {"a.xlsx": "x"}).values()
    assert code(member) == "corrupt-file"


def test_a_name_written_like_a_member_path_never_shares_it(tmp_path: Path) -> None:
    write(tmp_path / "a.zip", zip_of({"b.xlsx": XLSX, "c » d.xlsx": XLSX}))
    write(tmp_path / "a.zip » b.xlsx", XLSX)
    assert set(members(tmp_path)) == {"a.zip › b.xlsx", "a.zip » b.xlsx", "a.zip » c › d.xlsx"}
