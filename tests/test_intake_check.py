"""The check on odd inbox entries: every one accounted for, refused files owned, the right request drafted."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

import corpus as c
from pipeline.check.run import run_check
from pipeline.cli.main import cli
from pipeline.generate.workbooks import generate
from pipeline.intake.unpack import SEP, iter_entries
from pipeline.workspace.load import load_workspace
from intake_files import make_msg, make_tnef, xlsb_from_xlsx
from test_guard import cfb, make_ods
from test_intake_unpack import _encrypted
from test_unpack import zip_of

YTE, GDDT, LAK, TUPHAP, NOIVU = ("YTE_so-y-te_2015.xlsx", "GDDT_so-gd-dt_2015.xlsx", "LAK_ubnd-huyen-lak_2015.xlsx",
                                 "TUPHAP_so-tu-phap_2015.xlsx", "NOIVU_so-noi-vu_2015.xlsx")


@pytest.fixture(scope="module")
def blanks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    from conftest import ROOT

    out = tmp_path_factory.mktemp("mau")
    generate(load_workspace(ROOT), c.YEAR, out_dir=out)
    return {p.name: p.read_bytes() for p in (out / "mau").glob("*.xlsx")}


def _inbox(workspace_dir: Path) -> Path:
    inbox = workspace_dir / "inbox" / str(c.YEAR)
    inbox.mkdir(parents=True, exist_ok=True)
    return inbox


def _put(inbox: Path, name: str, data: bytes) -> None:
    (inbox / name).parent.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_bytes(data)


def _eml(sender: str, attachments: dict[str, bytes], date: str = "Sat, 12 Dec 2015 08:00:00 +0700") -> bytes:
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Date"] = sender, "tonghop@daklak.example", "Báo cáo", date
    msg.set_content("Gửi báo cáo.")
    for name, body in attachments.items():
        msg.add_attachment(body, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes(policy=policy.default)


def test_every_odd_entry_gets_exactly_one_outcome(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    inbox = _inbox(workspace_dir)
    good = c.filled(blanks[YTE])
    _put(inbox, YTE, good)
    _put(inbox, os.fsdecode(b"B\xe1o c\xe1o \xff.xlsx"), good)
    _put(inbox, "rong.zip", zip_of({}))
    _put(inbox, "mac.zip", zip_of({"__MACOSX/._a.xlsx": b"\0\5\26\7"}))
    _put(inbox, "thu-muc.zip", zip_of({"a/": b""}))
    _put(inbox, "trong.eml", _eml("a@b.vn", {}))
    _put(inbox, "rong.xlsx", b"")
    _put(inbox, "hong.xlsx", good[:2000])
    _put(inbox, "scan.pdf", b"%PDF-1.4\n")
    _put(inbox, "bang.csv", b"a,b\n1,2\n")
    _put(inbox, "web.xls", b"<html><body></body></html>")
    _put(inbox, "winmail.dat", make_tnef([]))
    _put(inbox, "ngoai.xlsx", b"")  # replaced by a link out of the inbox below
    (inbox / "ngoai.xlsx").unlink()
    (inbox / "ngoai.xlsx").symlink_to(workspace_dir / "baocao.toml")
    (inbox / "vong").symlink_to(inbox, target_is_directory=True)
    os.mkfifo(inbox / "ong")
    entries = list(iter_entries(inbox))
    result = CliRunner().invoke(cli, ["-w", str(workspace_dir), "check", "--year", "2015", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 1, result.output  # errors to act on, never an internal error (3)
    data = json.loads(result.output)
    assert sum(data["counts"].values()) == data["files_found"] == len(data["files"])
    paths = [f["path"] for f in data["files"]]
    assert len(set(paths)) == len(paths)
    for _, display in entries:  # every walked entry has at least one outcome
        assert any(p == display or p.startswith(display + SEP) for p in paths), display
    codes = {f["file"]: f["code"] for f in data["findings"]}
    assert {codes[p] for p in ("rong.zip", "mac.zip", "thu-muc.zip")} == {"empty-archive"}
    assert (codes["rong.xlsx"], codes["hong.xlsx"], codes["trong.eml"]) == ("corrupt-file", "corrupt-file",
                                                                             "no-attachment")
    assert (codes["ngoai.xlsx"], codes["vong"], codes["ong"]) == ("symlink-outside", "symlink-folder",
                                                                 "unreadable-file")
    assert (codes["bang.csv"], codes["web.xls"]) == ("csv-export", "web-page-export")
    assert "B\ufffdo c\ufffdo \ufffd.xlsx" in paths
    assert (workspace_dir / "outbox" / "2015" / "kiem-tra" / "kiem-tra-2015.xlsx").is_file()


def _run(workspace_dir: Path) -> tuple[dict[str, tuple[str, str | None, set[str]]], dict[str, str]]:
    result = run_check(load_workspace(workspace_dir), c.YEAR, workers=1)
    files = {f.path: f for f in result.files}
    out = {o.path: (str(o.outcome), o.agency, {x.code for x in files[o.path].findings}) for o in result.outcomes}
    return out, {a.agency: str(a.state) for a in result.agencies}


def test_refused_files_belong_to_whoever_sent_them(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    inbox = _inbox(workspace_dir)
    _put(inbox, "YTE_so-y-te_2015.xlsx", c.filled(blanks[YTE])[:3000])  # truncated download, named
    _put(inbox, "Fw bao cao.eml", _eml("Sở Tư pháp <VanThu.TuPhap@daklak.example>",  # registered sender
                                       {"bao cao.xlsx": _encrypted(c.filled(blanks[TUPHAP]), "1")}))
    _put(inbox, "GDDT_2015.zip", zip_of({"bao cao.xlsx": b""}))  # the container's name
    _put(inbox, "thu-lak.eml", _eml("khong-ro@gmail.example", {"a.xlsx": c.filled(blanks[LAK]), "b.xlsx": b"PK\3\4"}))
    _put(inbox, "So Noi vu/bao cao.pdf", b"%PDF-1.4\n")  # the folder the officer saved it in
    _put(inbox, "Cong van.pdf", b"%PDF-1.4\n")  # no evidence at all
    files, states = _run(workspace_dir)
    assert files == {
        "YTE_so-y-te_2015.xlsx": ("rejected", "YTE", {"corrupt-file"}),
        "Fw bao cao.eml » bao cao.xlsx": ("rejected", "TUPHAP", {"encrypted"}),
        "GDDT_2015.zip » bao cao.xlsx": ("rejected", "GDDT", {"corrupt-file"}),
        "thu-lak.eml » a.xlsx": ("accepted", "LAK", set()),
        # the same e-mail brought a readable workbook: the broken copy beside it is replaced by it
        "thu-lak.eml » b.xlsx": ("superseded", "LAK", {"corrupt-file"}),
        "So Noi vu/bao cao.pdf": ("not-a-spreadsheet", "NOIVU", {"not-a-spreadsheet"}),
        "Cong van.pdf": ("not-a-spreadsheet", None, {"not-a-spreadsheet"}),
    }
    assert {k: states[k] for k in ("YTE", "TUPHAP", "GDDT", "NOIVU", "LAK", "TAICHINH")} == {
        "YTE": "unreadable", "TUPHAP": "unreadable", "GDDT": "unreadable", "NOIVU": "unreadable",
        "LAK": "on-time", "TAICHINH": "missing"}


def test_unreadable_agency_is_asked_for_the_exact_fix(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    inbox = _inbox(workspace_dir)
    _put(inbox, YTE, c.filled(blanks[YTE])[:3000])
    _put(inbox, TUPHAP, _encrypted(c.filled(blanks[TUPHAP]), "1"))
    _put(inbox, "GDDT_so-gd-dt_2015.csv", b"a;b\n1;2\n")
    result = CliRunner().invoke(cli, ["-w", str(workspace_dir), "check", "--year", "2015"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "Gửi nhưng không đọc được (3)" in result.output
    drafts = workspace_dir / "outbox" / "2015" / "kiem-tra" / "thu"
    bodies = {}
    for agency in ("YTE", "TUPHAP", "GDDT"):
        assert not (drafts / f"{agency}_nhac-nop_2015.eml").exists()  # they did send: no reminder
        msg = email.message_from_bytes((drafts / f"{agency}_gui-lai_2015.eml").read_bytes(), policy=policy.default)
        assert "tonghop" not in str(msg["To"]) and "không mở được" in str(msg["Subject"])
        bodies[agency] = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "hỏng hoặc không đầy đủ" in bodies["YTE"] and "gửi lại" in bodies["YTE"]
    assert "Bảo vệ sổ làm việc" in bodies["TUPHAP"]  # Excel's menu, since Excel's container
    assert "Lưu thành > Sổ làm việc Excel (*.xlsx)" in bodies["GDDT"]
    book = __import__("openpyxl").load_workbook(workspace_dir / "outbox" / "2015" / "kiem-tra" / "kiem-tra-2015.xlsx")
    states = [row[2] for row in book["Tình trạng nộp"].iter_rows(values_only=True)]
    assert states.count("Gửi nhưng không đọc được") == 3


def test_password_in_decisions_opens_the_workbook(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    inbox = _inbox(workspace_dir)
    _put(inbox, "bao cao.xlsx", _encrypted(c.filled(blanks[TUPHAP]), "Mật khẩu 1"))
    _put(inbox, YTE, _encrypted(c.filled(blanks[YTE]), "đúng"))
    (workspace_dir / "decisions.toml").write_text(
        '[[password]]\nyear = 2015\nfile = "bao cao.xlsx"\npassword = "Mật khẩu 1"\n'
        'reason = "Sở Tư pháp báo qua điện thoại"\n\n'
        f'[[password]]\nyear = 2015\nfile = "{YTE}"\npassword = "sai"\nreason = "Đoán"\n', encoding="utf-8")
    files, states = _run(workspace_dir)
    assert files["bao cao.xlsx"] == ("accepted-with-warnings", "TUPHAP", {"opened-with-password"})
    assert files[YTE] == ("rejected", "YTE", {"wrong-password"})
    assert states["TUPHAP"] == "on-time" and states["YTE"] == "unreadable"


def test_password_entry_needs_its_fields(workspace_dir: Path) -> None:
    from pipeline.model.errors import ConfigError
    from pipeline.workspace.decisions import load_passwords

    (workspace_dir / "decisions.toml").write_text('[[password]]\nyear = 2015\nfile = "a.xlsx"\npassword = "x"\n',
                                                  encoding="utf-8")
    with pytest.raises(ConfigError, match="reason"):
        load_passwords(workspace_dir, 2015)
    (workspace_dir / "decisions.toml").write_text('[[password]]\nyear = 2015\nfile = "a.xlsx"\npassword = 123\n'
                                                  'reason = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="ngoặc kép"):
        load_passwords(workspace_dir, 2015)


def test_outlook_and_binary_workbooks_are_checked_like_any_other(workspace_dir: Path,
                                                                 blanks: dict[str, bytes]) -> None:
    inbox = _inbox(workspace_dir)
    _put(inbox, "Bao cao So Y te.msg", make_msg([("Báo cáo.xlsx", c.filled(blanks[YTE]))]))
    tnef = make_tnef([("bao cao.xlsx", c.filled(blanks[TUPHAP]))], sent=dt.datetime(2015, 12, 20, 9, 0))
    _put(inbox, "thu.eml", _eml("vanthu.tuphap@daklak.example", {"winmail.dat": tnef},
                                date="Sun, 20 Dec 2015 09:00:00 +0700"))
    _put(inbox, "GDDT.xlsb", xlsb_from_xlsx(c.filled(blanks[GDDT])))
    result = run_check(load_workspace(workspace_dir), c.YEAR, workers=1)
    got = {o.path: (str(o.outcome), o.agency) for o in result.outcomes}
    assert got == {"Bao cao So Y te.msg » Báo cáo.xlsx": ("accepted", "YTE"),
                   "thu.eml » winmail.dat » bao cao.xlsx": ("accepted", "TUPHAP"),
                   "GDDT.xlsb": ("accepted-with-warnings", "GDDT")}
    xlsb_codes = {f.code for f in result.findings() if f.file == "GDDT.xlsb"}
    assert "legacy-format" in xlsb_codes and xlsb_codes <= {"legacy-format", "date-as-text"}
    states = {a.agency: a for a in result.agencies}
    assert states["YTE"].received == dt.date(2015, 12, 12)  # the .msg's own date
    assert str(states["TUPHAP"].state) == "late" and states["TUPHAP"].received == dt.date(2015, 12, 20)
    merged = result.counted()
    assert {p for p, _ in merged} == set(got)


def test_a_folder_inside_the_inbox_that_links_elsewhere_is_not_followed(workspace_dir: Path, tmp_path: Path,
                                                                        blanks: dict[str, bytes]) -> None:
    inbox = _inbox(workspace_dir)
    other = tmp_path / "ngoai"
    other.mkdir()
    (other / YTE).write_bytes(c.filled(blanks[YTE]))
    (inbox / "ngoai").symlink_to(other, target_is_directory=True)
    files, states = _run(workspace_dir)
    assert files == {"ngoai": ("rejected", None, {"symlink-outside"})} and states["YTE"] == "missing"


def test_encrypted_ods_names_libreoffice(workspace_dir: Path) -> None:
    inbox = _inbox(workspace_dir)
    _put(inbox, "NOIVU_so-noi-vu_2015.ods", make_ods(manifest_extra="<manifest:encryption-data/>"))
    _put(inbox, "old.xls", cfb({"EncryptedPackage": bytes(100)}))
    result = run_check(load_workspace(workspace_dir), c.YEAR, workers=1)
    [ods] = [f for f in result.findings() if f.file.endswith(".ods")]
    assert ods.code == "encrypted" and "LibreOffice" in ods.message_vi and "Excel" not in ods.message_vi
    assert "[[password]]" not in ods.message_vi  # a recorded password cannot open an .ods
    assert {a.agency: str(a.state) for a in result.agencies}["NOIVU"] == "unreadable"


def test_parallel_check_attributes_the_same(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    inbox = _inbox(workspace_dir)
    for i in range(20):
        _put(inbox, f"{i:02d}/{YTE}", c.filled(blanks[YTE])[: 2000 + i])
    ws = load_workspace(workspace_dir)
    serial = run_check(ws, c.YEAR, workers=1)
    parallel = run_check(ws, c.YEAR, workers=2)
    assert [(o.path, o.agency) for o in serial.outcomes] == [(o.path, o.agency) for o in parallel.outcomes]
    assert {o.agency for o in parallel.outcomes} == {"YTE"}


def test_a_scan_instead_of_the_workbook_gets_the_blank_workbook_again(workspace_dir: Path,
                                                                      blanks: dict[str, bytes]) -> None:
    ws = load_workspace(workspace_dir)
    generate(ws, c.YEAR)
    _put(_inbox(workspace_dir), "YTE_bao-cao-2015 (ban quet).pdf", b"%PDF-1.4\n")
    result = CliRunner().invoke(cli, ["-w", str(workspace_dir), "check", "--year", "2015"], catch_exceptions=False)
    assert result.exit_code == 1
    draft = workspace_dir / "outbox" / "2015" / "kiem-tra" / "thu" / "YTE_gui-lai_2015.eml"
    msg = email.message_from_bytes(draft.read_bytes(), policy=policy.default)
    body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "bản PDF" in body and "Biểu mẫu trống được gửi kèm" in body
    assert [a.get_filename() for a in msg.iter_attachments()] == [YTE]  # type: ignore[attr-defined]


def test_file_gone_before_its_feedback_copy_is_written(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    from pipeline.outputs.check_outputs import write_check_outputs

    inbox = _inbox(workspace_dir)
    _put(inbox, GDDT, c.filled(blanks[GDDT], "errors"))
    ws = load_workspace(workspace_dir)
    result = run_check(ws, c.YEAR, workers=1)  # bytes are never kept: read again for the copy
    (inbox / GDDT).unlink()
    year = workspace_dir / "outbox" / "2015"
    written = write_check_outputs(ws, result, year)
    assert (year / written["Tệp kiểm tra"]).is_file()
    import openpyxl

    copies = list((year / "kiem-tra" / "phan-hoi").glob("*.xlsx"))  # the list of findings alone
    assert len(copies) == 1 and openpyxl.load_workbook(copies[0]).sheetnames == ["Lỗi cần sửa"]
