"""The desk's pieces without a server: saving uploads into the inbox, writing decisions, the board's rows."""

from __future__ import annotations

import datetime as dt
import threading
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT
from pipeline import cycle
from pipeline.model.vocab import AgencyState, Outcome
from pipeline.web.views import agency_files, board_rows, findings_of, select_rows, totals
from pipeline.workspace.decisions import DECISIONS_FILE, Override, load_decisions, load_passwords, record_decision, \
    withdraw_decision
from pipeline.workspace.inbox import InboxWriter, TooLarge, safe_name
from pipeline.workspace.load import Workspace
from pipeline.workspace.outbox import Busy, workspace_lock


@pytest.mark.parametrize(("given", "saved"), [
    ("YTE_so-y-te_2015.xlsx", "YTE_so-y-te_2015.xlsx"),
    ("../../x.xlsx", "x.xlsx"),
    ("..\\..\\Windows\\x.xlsx", "x.xlsx"),
    ("C:\\Users\\can-bo\\Desktop\\Báo cáo Sở Y tế.xlsx", "Báo cáo Sở Y tế.xlsx"),
    ("Bao\x00cao\x1b[31m.xlsx", "Baocao[31m.xlsx"),
    ("report\u202egpj.xlsx", "reportgpj.xlsx"),  # a right-to-left override hiding the real extension
    (".hidden.xlsx", "hidden.xlsx"),  # a hidden name would be skipped by the check
    ("~$YTE.xlsx", "YTE.xlsx"),  # an Excel lock file's name, skipped too
    ("CON.xlsx", "_CON.xlsx"),
    ('a<b>:c"|?*.xlsx', "a_b__c____.xlsx"),
    ("bao cao.xlsx.  ", "bao cao.xlsx"),
    ("", "tep-tai-len"),
    ("...", "tep-tai-len"),
    ("Ba\u0301o ca\u0301o.xlsx", "Báo cáo.xlsx"),  # decomposed accents composed (NFC)
])
def test_upload_names_are_made_safe(given: str, saved: str) -> None:
    assert safe_name(given) == saved


def test_a_long_name_keeps_its_extension() -> None:
    name = safe_name("Báo cáo " * 40 + ".xlsx")
    assert len(name) <= 120 and name.endswith(".xlsx")


def _save(folder: Path, name: str, data: bytes, limit: int = 1000) -> tuple[str, str]:
    with InboxWriter(folder, name, limit) as w:
        w.write(data[:3])
        w.write(data[3:])
        saved = w.commit()
    return saved.name, saved.same_as


def test_uploads_never_overwrite_and_are_kept_byte_for_byte(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox" / "2015"
    assert _save(inbox, "a.xlsx", b"first") == ("a.xlsx", "")
    assert _save(inbox, "a.xlsx", b"second") == ("a (2).xlsx", "")
    assert _save(inbox, "A.XLSX", b"third") == ("A (3).XLSX", "")  # Windows sees one name in any case
    assert _save(inbox, "b.xlsx", b"second") == ("a (2).xlsx", "a (2).xlsx")  # the same bytes: not saved again
    assert (inbox / "a.xlsx").read_bytes() == b"first"
    assert (inbox / "a (2).xlsx").read_bytes() == b"second"
    assert sorted(p.name for p in inbox.iterdir()) == ["A (3).XLSX", "a (2).xlsx", "a.xlsx"]  # no temporary left


def test_an_upload_over_the_limit_leaves_nothing(tmp_path: Path) -> None:
    inbox = tmp_path / "2015"
    with InboxWriter(inbox, "big.xlsx", 10) as w:
        w.write(b"x" * 8)
        with pytest.raises(TooLarge):
            w.write(b"x" * 8)
    assert list(inbox.iterdir()) == []


DECISIONS = """# Quyết định của cán bộ tổng hợp.

[[exclude]]
year = 2014
file = "old.xlsx"   # năm trước
reason = "Bản thử"

[[password]]
year = 2015
file = "TUPHAP_so-tu-phap_2015.xlsx"
password = "123456"
reason = "Sở Tư pháp báo qua điện thoại"
"""


def test_decisions_are_added_and_withdrawn_keeping_the_officers_file(tmp_path: Path) -> None:
    root, outbox = tmp_path, tmp_path / "outbox"
    (root / DECISIONS_FILE).write_text(DECISIONS, encoding="utf-8")
    record_decision(root, outbox, Override("exclude", 2015, "Copy of YTE_so-y-te_2015.xlsx", "Bản sao\nchép nhầm"))
    record_decision(root, outbox, Override("choose", 2015, "So GDDT/Bao cao (1).xlsx", "Bản chính thức"))
    # choosing another version of the same agency replaces the earlier choice
    record_decision(root, outbox, Override("choose", 2015, "So GDDT/GDDT_so-gd-dt_2015.xlsx", "Sở xác nhận lại"),
                    withdraw=["So GDDT/Bao cao (1).xlsx"])
    text = (root / DECISIONS_FILE).read_text(encoding="utf-8")
    assert "# năm trước" in text and "# Quyết định của cán bộ tổng hợp." in text  # comments kept
    assert load_passwords(root, 2015) == (("TUPHAP_so-tu-phap_2015.xlsx", "123456"),)
    assert load_decisions(root, 2015) == [
        Override("exclude", 2015, "Copy of YTE_so-y-te_2015.xlsx", "Bản sao chép nhầm"),  # one line
        Override("choose", 2015, "So GDDT/GDDT_so-gd-dt_2015.xlsx", "Sở xác nhận lại")]
    withdraw_decision(root, outbox, "exclude", 2015, "Copy of YTE_so-y-te_2015.xlsx")
    assert [d.action for d in load_decisions(root, 2015)] == ["choose"]
    assert load_decisions(root, 2014) == [Override("exclude", 2014, "old.xlsx", "Bản thử")]
    assert not list(root.glob(".decisions.toml.*"))  # written atomically: no temporary left
    tomllib.loads((root / DECISIONS_FILE).read_text(encoding="utf-8"))


def test_a_decision_needs_a_reason_and_waits_for_the_lock(tmp_path: Path) -> None:
    from pipeline.model.errors import UsageError

    with pytest.raises(UsageError):
        record_decision(tmp_path, tmp_path / "outbox", Override("exclude", 2015, "a.xlsx", "   "))
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with workspace_lock(tmp_path / "outbox"):
            held.set()
            release.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    held.wait(10)
    try:
        with pytest.raises(Busy):
            record_decision(tmp_path, tmp_path / "outbox", Override("exclude", 2015, "a.xlsx", "Lý do"), wait=0.2)
    finally:
        release.set()
        other.join()
    assert not (tmp_path / DECISIONS_FILE).exists()


@pytest.fixture(scope="module")
def sample_check(sample: Workspace) -> cycle.CheckResult:
    return cycle.inspect(sample, 2015)


def test_board_rows_of_the_sample_year(sample: Workspace, sample_check: cycle.CheckResult) -> None:
    rows = board_rows(sample, sample_check)
    by_code = {r.code: r for r in rows}
    assert [r.code for r in rows] == [a.agency for a in sample_check.agencies]  # every expected agency, in order
    assert by_code["KHDT"].state == AgencyState.MISSING and by_code["KHDT"].file == ""
    assert by_code["TUPHAP"].state == AgencyState.REJECTED and by_code["TUPHAP"].errors == 4
    assert by_code["GDDT"].files == 2  # a resubmission: the older file no longer counts as errors
    assert by_code["GDDT"].errors == 0
    t = totals(rows, sample_check, dt.date(2015, 12, 10))
    assert (t.expected, t.received, t.missing, t.refused) == (31, 29, 1, 1)
    assert t.on_time + t.late == t.received and t.days_left == 5 and t.deadline_text == "còn 5 ngày"
    assert [r.code for r in select_rows(rows, "chua-xong")] == ["TUPHAP", "KHDT"]
    assert select_rows(rows, "", "tư pháp")[0].code == "TUPHAP"  # found without caring for accents or case
    assert select_rows(rows, "", "", "tinh-trang")[0].state == AgencyState.REJECTED
    assert [r.code for r in select_rows(rows, "muon", sort="ngay", descending=True)] == \
        [r.code for r in sorted((r for r in rows if r.state == AgencyState.LATE), key=lambda r: r.received or 0,
                                reverse=True)]


def test_agency_page_data_of_the_sample(sample: Workspace, sample_check: cycle.CheckResult) -> None:
    files = agency_files(sample, sample_check, "TUPHAP", [])
    assert [(f.path, f.outcome, f.can_exclude, f.can_choose) for f in files] == \
        [("TUPHAP_so-tu-phap_2015.xlsx", Outcome.REJECTED, True, False)]
    assert files[0].inbox_rel == "inbox/2015/TUPHAP_so-tu-phap_2015.xlsx"
    found = findings_of(sample, sample_check, files)
    assert ("not-a-number", "Báo cáo", "K6") in {(f.code, f.sheet, f.cell) for f in found}
    assert found[0].severity == "error"  # errors first
    # a superseded version that was refused cannot be chosen; a duplicate of a good one can
    assert [(f.outcome, f.can_choose) for f in agency_files(sample, sample_check, "GDDT", [])] == \
        [(Outcome.ACCEPTED, False), (Outcome.SUPERSEDED, False)]
    assert [(f.outcome, f.can_choose) for f in agency_files(sample, sample_check, "YTE", [])] == \
        [(Outcome.DUPLICATE, True), (Outcome.ACCEPTED, False)]
    decided = agency_files(sample, sample_check, "YTE", [Override("exclude", 2015, "Copy of YTE_so-y-te_2015.xlsx",
                                                                  "x")])
    assert decided[0].decision is not None and not decided[0].can_exclude and not decided[0].can_choose
    others = agency_files(sample, sample_check, None, [], others=True)
    assert others and all(f.path not in {a.file for a in sample_check.agencies} for f in others)


def test_the_sample_workspace_is_untouched() -> None:
    assert not (ROOT / "inbox" / "2015" / ".baocao-tai-len").exists()


def test_the_desk_checks_in_the_background_and_follows_the_inbox(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from conftest import desk_workspace
    from pipeline.web import desk as desk_module
    from pipeline.web.desk import Desk

    monkeypatch.setattr(desk_module, "_WATCH_EVERY", 0.0)
    root = desk_workspace(tmp_path / "ws", ("YTE_so-y-te_2015.xlsx",))
    desk = Desk(root, 2015, workers=1)
    desk.request_check(2015)
    desk.request_check(2015)  # asked again while running: one more check after it, not one each
    desk.request_check(2015)
    assert desk.wait_idle(120)
    first = desk.snapshot(2015)
    assert first is not None and first.files_written and len(first.result.outcomes) == 1
    assert desk.last() is not None and desk.last().outcome == "ok"  # type: ignore[union-attr]
    desk.look(2015)  # nothing changed: no new check
    assert desk.running() is None
    # a file saved into the inbox from Explorer: the desk sees it and checks again
    shutil.copy(ROOT / "inbox" / "2015" / "NOIVU_so-noi-vu_2015.xlsx", root / "inbox" / "2015")
    desk.look(2015)
    assert desk.wait_idle(120)
    second = desk.snapshot(2015)
    assert second is not None and len(second.result.outcomes) == 2 and second.version > first.version
    # a broken registry: the check fails with the officer's message, the board keeps the last result,
    # and the desk does not retry until the files change again
    registry = root / "plan" / "agencies.csv"
    good = registry.read_bytes()
    registry.write_bytes(b"code,name\n")
    desk.look(2015)
    assert desk.wait_idle(120)
    failed = desk.last()
    assert failed is not None and failed.outcome == "error" and "agencies.csv" in failed.message
    assert desk.snapshot(2015) == second
    desk.look(2015)
    assert desk.running() is None and desk.last() == failed
    registry.write_bytes(good)
    desk.look(2015)
    assert desk.wait_idle(120)
    assert desk.last() is not None and desk.last().outcome == "ok"  # type: ignore[union-attr]
