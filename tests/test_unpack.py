"""Tests for pipeline.intake.unpack: walking the inbox read-only and expanding zips and e-mails."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import unicodedata
import zipfile
import zlib
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

import pipeline.intake.unpack as unpack
from pipeline.intake.limits import Limits
from pipeline.intake.unpack import SEP, Member, iter_members

try:  # helpers shared with the guard tests (pytest puts tests/ on sys.path in its default mode)
    from test_guard import cfb, deflated_zeros, make_xls, make_xlsx, raw_zip
except ImportError:  # pragma: no cover - importlib import mode
    from tests.test_guard import cfb, deflated_zeros, make_xls, make_xlsx, raw_zip

XLSX = make_xlsx(rows=10)
XLSX_MIME = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
SENT = datetime(2025, 3, 3, 9, 15, tzinfo=timezone(timedelta(hours=7)))


def zip_of(members: dict[str, bytes]) -> bytes:
    """A zip written by zipfile; names are taken verbatim, even hostile ones."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in members.items():
            z.writestr(zipfile.ZipInfo(name), body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def eml_with(attachments: dict[str, bytes], date: str = "Mon, 03 Mar 2025 09:15:00 +0700") -> bytes:
    """An e-mail built like a mail client would, non-ASCII names encoded per RFC 2231."""
    msg = EmailMessage()
    msg["From"] = "Sở Y tế <syt@example.gov.vn>"
    msg["To"] = "tonghop@example.gov.vn"
    msg["Subject"] = "Báo cáo năm 2025"
    msg["Date"] = date
    msg.set_content("Kính gửi Văn phòng,\nSở Y tế gửi báo cáo đính kèm.")
    for name, body in attachments.items():
        maintype, subtype = XLSX_MIME if name.endswith(".xlsx") else ("application", "octet-stream")
        msg.add_attachment(body, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(policy=policy.default)


def eml_rfc2047(name: str, body: bytes) -> bytes:
    """An e-mail as Outlook writes it: RFC 2047 encoded-word inside a quoted filename."""
    encoded = base64.b64encode(name.encode("utf-8")).decode("ascii")
    payload = base64.encodebytes(body).decode("ascii")
    return (
        "From: syt@example.gov.vn\r\nTo: tonghop@example.gov.vn\r\nSubject: =?UTF-8?B?QsOhbyBjw6Fv?=\r\n"
        "Date: Tue, 04 Mar 2025 08:00:00 +0700\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n'
        "--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nXin gửi.\r\n"
        f'--XYZ\r\nContent-Type: application/vnd.ms-excel; name="=?UTF-8?B?{encoded}?="\r\n'
        f'Content-Disposition: attachment; filename="=?UTF-8?B?{encoded}?="\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{payload}\r\n--XYZ--\r\n"
    ).encode("utf-8")


def snapshot(root: Path) -> dict[str, tuple[int, float, str]]:
    """Every file under root with size, mtime and content hash."""
    result = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            st = path.stat()
            result[str(path.relative_to(root))] = (st.st_size, st.st_mtime, hashlib.sha256(path.read_bytes()).hexdigest())
    return result


def write(path: Path, data: bytes) -> Path:
    """Create a file (and its folders)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def by_path(members: list[Member]) -> dict[str, Member]:
    """Index members by display path, asserting paths are unique."""
    index = {m.path: m for m in members}
    assert len(index) == len(members)
    return index


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    """A realistic inbox/2025 folder with good, bad and junk files."""
    root = tmp_path / "inbox" / "2025"
    write(root / "Sở Y tế" / "bao cao.xlsx", XLSX)
    write(root / "Sở Y tế" / ".DS_Store", b"\0\0\0\1Bud1")
    write(root / "Sở Y tế" / "~$bao cao.xlsx", b"\x0bofficer")
    write(root / "Thumbs.db", cfb({"Catalog": b"\0" * 10}))
    write(root / "Sở Tài chính" / "cong van.pdf", b"%PDF-1.4\n%%EOF\n")
    write(root / "Sở Tài chính" / "cong van.docx", zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}))
    write(root / "thu.eml", eml_with({"Báo cáo Sở Y tế.xlsx": XLSX}))
    write(root / "thu-outlook.eml", eml_rfc2047("Biểu 02 - Sở Xây dựng.xlsx", XLSX))
    write(root / "thu-trong.eml", eml_with({}))
    write(root / "thu-zip.eml", eml_with({"bao-cao.zip": zip_of({"bao cao.xlsx": XLSX})}))
    write(root / "gui.zip", zip_of({"so-yte/bao cao.xls": make_xls(), "inner.zip": zip_of({"x.xlsx": XLSX})}))
    write(root / "evil.zip", zip_of({"../evil.xlsx": XLSX, "ok.xlsx": XLSX}))
    write(root / "mat-khau.xlsx", cfb({"EncryptionInfo": bytes(300), "EncryptedPackage": bytes(5000)}))
    write(root / "hong.xlsx", XLSX[: len(XLSX) // 2])
    bomb = raw_zip([("bao cao.xlsx", deflated_zeros(1024), 8, 0, 1000)])
    write(root / "bom.zip", bomb)
    return root


def test_walk_reports_everything_in_sorted_order(inbox: Path) -> None:
    members = list(iter_members(inbox))
    paths = [m.path for m in members]
    tops = [p.split(SEP)[0] for p in paths]
    distinct = [t for i, t in enumerate(tops) if i == 0 or tops[i - 1] != t]
    assert distinct == [
        "bom.zip", "evil.zip", "gui.zip", "hong.xlsx", "mat-khau.xlsx",
        "Sở Tài chính/cong van.docx", "Sở Tài chính/cong van.pdf", "Sở Y tế/bao cao.xlsx",
        "thu-outlook.eml", "thu-trong.eml", "thu-zip.eml", "thu.eml",
    ]
    assert not any(".DS_Store" in p or "~$" in p or "Thumbs.db" in p for p in paths)
    on_disk = {
        str(p.relative_to(inbox))
        for p in inbox.rglob("*")
        if p.is_file() and not p.name.startswith((".", "~$")) and p.name != "Thumbs.db"
    }
    assert on_disk == set(tops)  # every real file is accounted for
    assert all(unicodedata.is_normalized("NFC", p) for p in paths)
    assert all(m.rejection is None or unicodedata.is_normalized("NFC", m.rejection.message_vi) for m in members)


def test_members_have_the_expected_kinds_and_verdicts(inbox: Path) -> None:
    members = by_path(list(iter_members(inbox)))
    good = members["Sở Y tế/bao cao.xlsx"]
    assert (good.kind, good.rejection, good.email_date, good.data) == ("xlsx", None, None, XLSX)
    assert members["Sở Tài chính/cong van.pdf"].kind == "other"
    assert members["Sở Tài chính/cong van.docx"].kind == "other"
    pdf = members["Sở Tài chính/cong van.pdf"].rejection
    assert pdf is not None and pdf.code == "not-a-spreadsheet" and "PDF" in pdf.message_vi
    encrypted = members["mat-khau.xlsx"]
    assert encrypted.kind == "encrypted" and encrypted.rejection is not None
    assert encrypted.rejection.code == "encrypted"
    broken = members["hong.xlsx"]
    assert broken.rejection is not None and broken.rejection.code == "corrupt-file"
    bomb = members["bom.zip"]
    assert bomb.kind == "zip" and bomb.rejection is not None and bomb.rejection.code == "zip-bomb"


def test_eml_attachment_with_rfc2231_name(inbox: Path) -> None:
    raw = (inbox / "thu.eml").read_bytes()
    assert b"filename*" in raw  # really encoded per RFC 2231, not plain UTF-8
    members = by_path(list(iter_members(inbox)))
    attachment = members["thu.eml » Báo cáo Sở Y tế.xlsx"]
    assert attachment.kind == "xlsx"
    assert attachment.rejection is None
    assert attachment.data == XLSX
    assert attachment.email_date == SENT
    assert attachment.email_date is not None and attachment.email_date.utcoffset() == timedelta(hours=7)


def test_eml_attachment_with_rfc2047_name(inbox: Path) -> None:
    members = by_path(list(iter_members(inbox)))
    attachment = members["thu-outlook.eml » Biểu 02 - Sở Xây dựng.xlsx"]
    assert attachment.kind == "xlsx" and attachment.rejection is None
    assert attachment.email_date == datetime(2025, 3, 4, 8, 0, tzinfo=timezone(timedelta(hours=7)))


def test_eml_without_attachment_is_reported(inbox: Path) -> None:
    member = by_path(list(iter_members(inbox)))["thu-trong.eml"]
    assert member.kind == "eml"
    assert member.rejection is not None and member.rejection.code == "no-attachment"
    assert member.email_date == SENT


def test_zip_attached_to_eml_is_expanded(inbox: Path) -> None:
    member = by_path(list(iter_members(inbox)))["thu-zip.eml » bao-cao.zip » bao cao.xlsx"]
    assert member.kind == "xlsx" and member.rejection is None
    assert member.email_date == SENT


def test_zip_members_and_nested_zip(inbox: Path) -> None:
    members = by_path(list(iter_members(inbox)))
    xls = members["gui.zip » so-yte/bao cao.xls"]
    assert xls.kind == "xls" and xls.rejection is None
    nested = members["gui.zip » inner.zip » x.xlsx"]
    assert nested.kind == "xlsx" and nested.rejection is None and nested.data == XLSX
    assert "gui.zip" not in members  # a good container is replaced by its members


def test_path_traversal_member_is_refused_and_nothing_is_written(inbox: Path, tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    members = by_path(list(iter_members(inbox)))
    evil = members["evil.zip » ../evil.xlsx"]
    assert evil.rejection is not None and evil.rejection.code == "unsafe-path"
    assert evil.data == b""
    assert members["evil.zip » ok.xlsx"].rejection is None
    assert snapshot(tmp_path) == before
    assert not (inbox / "evil.xlsx").exists() and not (inbox.parent / "evil.xlsx").exists()


def test_inbox_is_not_modified(inbox: Path) -> None:
    before = snapshot(inbox)
    list(iter_members(inbox))
    assert snapshot(inbox) == before


def test_mtime_comes_from_the_inbox_file(inbox: Path) -> None:
    stamp = datetime(2025, 2, 28, 16, 30, tzinfo=timezone.utc).timestamp()
    os.utime(inbox / "gui.zip", (stamp, stamp))
    members = [m for m in iter_members(inbox) if m.path.startswith("gui.zip")]
    assert members and all(m.mtime == datetime(2025, 2, 28, 16, 30, tzinfo=timezone.utc) for m in members)
    assert all(m.mtime.tzinfo is not None for m in members)


def test_zip_nesting_depth_is_bounded(tmp_path: Path) -> None:
    level3 = zip_of({"c.zip": zip_of({"deep.xlsx": XLSX})})
    write(tmp_path / "a.zip", zip_of({"b.zip": level3}))
    write(tmp_path / "ok.zip", zip_of({"b.zip": zip_of({"x.xlsx": XLSX})}))
    members = by_path(list(iter_members(tmp_path)))
    deep = members["a.zip » b.zip » c.zip"]
    assert deep.rejection is not None and deep.rejection.code == "too-deeply-nested"
    assert members["ok.zip » b.zip » x.xlsx"].rejection is None


def test_zip_names_without_utf8_flag(tmp_path: Path) -> None:
    # 7-Zip and macOS often write UTF-8 names without setting the UTF-8 flag.
    archive = raw_zip([("Báo cáo.xlsx", XLSX, 0, zlib.crc32(XLSX), len(XLSX))], utf8_flag=False)
    assert zipfile.ZipFile(io.BytesIO(archive)).namelist() != ["Báo cáo.xlsx"]  # zipfile alone gets it wrong
    write(tmp_path / "gui.zip", archive)
    members = list(iter_members(tmp_path))
    assert [m.path for m in members] == ["gui.zip » Báo cáo.xlsx"]
    assert members[0].kind == "xlsx" and members[0].rejection is None


def test_nfd_file_names_are_normalised(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Sở Nội vụ.xlsx")
    write(tmp_path / nfd, XLSX)
    [member] = list(iter_members(tmp_path))
    assert member.path == "Sở Nội vụ.xlsx"


def test_duplicate_attachment_names_are_kept_apart(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.vn", "b@example.vn", "x"
    msg["Date"] = "Mon, 03 Mar 2025 09:15:00 +0700"
    msg.set_content("x")
    for _ in range(2):
        msg.add_attachment(XLSX, maintype=XLSX_MIME[0], subtype=XLSX_MIME[1], filename="bao cao.xlsx")
    write(tmp_path / "thu.eml", msg.as_bytes())
    assert [m.path for m in iter_members(tmp_path)] == ["thu.eml » bao cao.xlsx", "thu.eml » bao cao (2).xlsx"]


def test_unreadable_files_become_rejections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "a.xlsx", XLSX)
    write(tmp_path / "b.xlsx", XLSX)
    write(tmp_path / "c.xlsx", XLSX)
    os.mkfifo(tmp_path / "d.fifo")
    (tmp_path / "e.xlsx").symlink_to(tmp_path / "missing.xlsx")
    real_open = open

    def fake_open(file: object, *args: object, **kwargs: object) -> object:
        if str(file).endswith("b.xlsx"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(unpack, "open", fake_open, raising=False)
    members = by_path(list(iter_members(tmp_path)))
    assert set(members) == {"a.xlsx", "b.xlsx", "c.xlsx", "d.fifo", "e.xlsx"}
    assert members["a.xlsx"].rejection is None and members["c.xlsx"].rejection is None
    for name in ("b.xlsx", "d.fifo", "e.xlsx"):
        rejection = members[name].rejection
        assert rejection is not None and rejection.code == "unreadable-file", name


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_permission_denied_for_real(tmp_path: Path) -> None:
    target = write(tmp_path / "a.xlsx", XLSX)
    target.chmod(0)
    try:
        [member] = list(iter_members(tmp_path))
    finally:
        target.chmod(0o644)
    assert member.rejection is not None and member.rejection.code == "unreadable-file"


def test_unexpected_error_does_not_stop_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "a.xlsx", XLSX)
    write(tmp_path / "b.xlsx", XLSX)
    real_sniff = unpack.sniff

    def flaky(data: bytes, name: str) -> str:
        if name == "a.xlsx":
            raise RuntimeError("parser bug")
        return real_sniff(data, name)

    monkeypatch.setattr(unpack, "sniff", flaky)
    members = by_path(list(iter_members(tmp_path)))
    rejection = members["a.xlsx"].rejection
    assert rejection is not None and rejection.code == "unexpected-error"
    assert members["b.xlsx"].rejection is None


def test_oversized_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    write(tmp_path / "big.xlsx", XLSX)
    [member] = list(iter_members(tmp_path, Limits(max_file_bytes=1000)))
    assert member.rejection is not None and member.rejection.code == "file-too-large"
    assert member.data == b""


def test_nested_bombs_share_one_budget(tmp_path: Path) -> None:
    inner = zip_of({f"part{i}.bin": bytes(3 << 20) for i in range(4)})  # 12 MiB per inner zip
    write(tmp_path / "gui.zip", zip_of({f"z{i}.zip": inner for i in range(4)}))
    limits = Limits(max_total_uncompressed=30 << 20, max_ratio=10_000)
    assert (tmp_path / "gui.zip").stat().st_size < 1 << 20
    members = list(iter_members(tmp_path, limits))
    refused = [m for m in members if m.rejection is not None and m.rejection.code != "not-a-spreadsheet"]
    assert refused and {m.rejection.code for m in refused if m.rejection} <= {"zip-bomb", "too-much-content"}
    accepted = [m for m in members if m not in refused]  # the .bin parts, read and found not to be workbooks
    assert len(accepted) == 8  # two inner zips fit in the budget, the others are refused
    assert sum(len(m.data) for m in accepted) <= 30 << 20


def test_empty_inbox_and_unreadable_folder(tmp_path: Path) -> None:
    assert list(iter_members(tmp_path)) == []
    missing = list(iter_members(tmp_path / "khong-co"))
    assert len(missing) == 1 and missing[0].rejection is not None
    assert missing[0].rejection.code == "unreadable-folder"
