"""The check on a corpus of named files, one per case, each asserted to its exact outcome and codes."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import corpus as c
from conftest import merged_of
from pipeline.check.result import CheckResult
from pipeline.check.run import run_check
from pipeline.cli.main import cli
from pipeline.read import book as reader
from pipeline.model.vocab import Status
from pipeline.generate.workbooks import generate
from pipeline.workspace.load import Workspace, load_workspace
from test_guard import cfb, deflated_zeros, raw_zip

YTE, GDDT, LAK, TUPHAP = "YTE_so-y-te_2015.xlsx", "GDDT_so-gd-dt_2015.xlsx", "LAK_ubnd-huyen-lak_2015.xlsx", \
    "TUPHAP_so-tu-phap_2015.xlsx"


@pytest.fixture(scope="module")
def blanks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    from conftest import ROOT

    ws = load_workspace(ROOT)
    out = tmp_path_factory.mktemp("mau")
    generate(ws, c.YEAR, out_dir=out)
    generate(ws, 2014, out_dir=out / "2014")
    files = {p.name: p.read_bytes() for p in (out / "mau").glob("*.xlsx")}
    files.update({"2014/" + p.name: p.read_bytes() for p in (out / "2014" / "mau").glob("*.xlsx")})
    return files


def _ws(workspace_dir: Path) -> Workspace:
    return load_workspace(workspace_dir)


def _check_one(workspace_dir: Path, name: str, data: bytes) -> tuple[str, set[str], object]:
    inbox = workspace_dir / "inbox" / str(c.YEAR)
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_bytes(data)
    result = run_check(_ws(workspace_dir), c.YEAR, workers=1)
    assert len(result.outcomes) == 1, [o.path for o in result.outcomes]
    return result.outcomes[0].outcome, {f.code for f in result.findings()}, result


EDITS: list[tuple[str, str, Callable[[object], None] | None, str, list[tuple[str, str, str]]]] = [
    # name, base workbook, change, outcome, findings (code, sheet, cell); the lead row is 16
    ("clean.xlsx", YTE, None, "accepted", []),
    ("district-clean.xlsx", LAK, None, "accepted", []),
    ("identity-stripped.xlsx", YTE, c.drop_meta, "accepted-with-warnings", [("no-identity", "", "")]),
    ("identity-contradicts-name.xlsx", YTE, c.setcell(c.SHEET_INFO, "C4", "Sở Tư pháp"), "rejected",
     [("agency-mismatch", "Thông tin đơn vị", "C4")]),
    ("older-template.xlsx", YTE, c.meta("template_version", "0"), "accepted-with-warnings", [("older-template", "", "")]),
    ("wrong-plan.xlsx", YTE, c.meta("plan_id", "qd999-2010"), "rejected", [("wrong-plan", "", "")]),
    ("lead-status-missing.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.STATUS), None), "rejected",
     [("missing-status", "Báo cáo", "H16")]),
    ("result-missing.xlsx", YTE, c.chain(c.setcell(c.SHEET_REPORT, c.lead(c.STATUS), "Đã hoàn thành"),
                                         c.setcell(c.SHEET_REPORT, c.lead(c.RESULT), None)), "rejected",
     [("missing-result", "Báo cáo", "I16")]),
    ("reporter-missing.xlsx", YTE, c.setcell(c.SHEET_INFO, "C7", None), "rejected", [("missing-reporter", "Thông tin đơn vị", "C7")]),
    ("date-missing.xlsx", YTE, c.setcell(c.SHEET_INFO, "C11", None), "rejected", [("missing-report-date", "Thông tin đơn vị", "C11")]),
    ("date-as-text.xlsx", YTE, c.setcell(c.SHEET_INFO, "C11", "10/12/2015"), "accepted-with-warnings",
     [("date-as-text", "Thông tin đơn vị", "C11")]),
    ("status-no-marks.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.STATUS), "da hoan thanh"),
     "accepted-with-warnings", [("status-normalised", "Báo cáo", "H16")]),
    ("status-short.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.STATUS), "hoàn thành"), "accepted-with-warnings",
     [("status-normalised", "Báo cáo", "H16")]),
    ("status-invalid.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.STATUS), "xong rồi ạ"), "rejected",
     [("status-invalid", "Báo cáo", "H16")]),
    ("status-na-by-a-department.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.partner(c.STATUS), "Không phát sinh"),
     "rejected", [("status-not-applicable-not-allowed", "Báo cáo", "H6")]),
    ("number-negative.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.PEOPLE), -5), "rejected", [("number-negative", "Báo cáo", "K16")]),
    ("number-words.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.PEOPLE), "nhiều"), "rejected", [("not-a-number", "Báo cáo", "K16")]),
    ("number-thousands-text.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.PEOPLE), "1.500"),
     "accepted-with-warnings", [("number-as-text", "Báo cáo", "K16")]),  # a count has no fraction: 1.500 can only be 1500
    ("number-vn-text.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.PEOPLE), "1.500.000"), "accepted-with-warnings",
     [("number-as-text", "Báo cáo", "K16")]),
    ("number-decimal-comma.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.MONEY), "1,5"), "accepted-with-warnings",
     [("number-as-text", "Báo cáo", "L16")]),
    ("number-ambiguous.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.MONEY), "1.5"), "accepted-with-warnings",
     [("number-ambiguous", "Báo cáo", "L16")]),
    ("number-with-unit.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.MONEY), "2 triệu"), "accepted-with-warnings",
     [("number-unit-converted", "Báo cáo", "L16")]),
    ("formula-no-value.xlsx", YTE, c.formula, "rejected", [("formula-no-value", "Báo cáo", "J16")]),
    ("formula-error.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.EVENTS), "#DIV/0!"), "rejected",
     [("formula-error", "Báo cáo", "J16")]),
    ("legacy-tcvn3.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.RESULT), "Tæ chøc tËp huÊn cho c¸n bé"),
     "accepted-with-warnings", [("legacy-encoding", "Báo cáo", "I16")]),
    ("context-edited.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead("D"), "Nội dung khác hẳn"), "accepted-with-warnings",
     [("context-changed", "Báo cáo", "D16")]),
    ("lead-row-deleted.xlsx", YTE, c.delete_lead_row, "rejected", [("row-missing", "Báo cáo", "")]),
    ("row-duplicated.xlsx", YTE, c.duplicate_lead_row, "rejected", [("row-duplicated", "Báo cáo", "B22")]),
    ("rows-reordered.xlsx", YTE, c.swap_rows, "accepted-with-warnings", [("rows-reordered", "Báo cáo", "")]),
    ("sheet-renamed.xlsx", YTE, c.rename_report, "accepted-with-warnings", [("sheet-renamed", "Bao cao nam 2015", "")]),
    ("other-activity.xlsx", YTE, c.add_other, "accepted", []),
    ("agency-text-formula.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.RESULT), "=HYPERLINK(\"http://x\")"),
     "accepted", []),
]


@pytest.mark.parametrize(("name", "base", "change", "outcome", "expected"), EDITS, ids=[e[0] for e in EDITS])
def test_edited_workbook(workspace_dir: Path, blanks: dict[str, bytes], name: str, base: str,
                         change: Callable[[object], None] | None, outcome: str,
                         expected: list[tuple[str, str, str]]) -> None:
    data = c.filled(blanks[base])
    if change is not None:
        data = c.edit(data, change)
    got, _, result = _check_one(workspace_dir, name, data)
    assert isinstance(result, CheckResult)
    assert (got, sorted((f.code, f.sheet, f.cell) for f in result.findings())) == (outcome, expected)
    assert result.files[0].agency == ("LAK" if base == LAK else "YTE")


# What agencies really send (the reading issue), one named file per case, on Sở Y tế's workbook:
# its lead activity HD14 is row 16 of "Báo cáo" (status H16, result I16, events J16, people K16,
# money L16); rows 6-21 hold its 16 activities. Each case: the outcome, every finding at its cell,
# the agency, and for a file that counts, figures as they reach the merged table ("*" = totals).
R, INFO, OTHER, GENERAL = c.SHEET_REPORT, c.SHEET_INFO, c.SHEET_OTHER, c.SHEET_GENERAL
CLEAN_TOTALS = {"events": 32, "people": 4420, "money_state": 385.8, "money_other": 26.1}
Change = Callable[[bytes], bytes]


def _edit(change: Callable[[object], None]) -> Change:
    return lambda data: c.edit(data, change)


def _sums_as_formulas(data: bytes) -> bytes:
    return c.with_formulas(c.edit(data, c.add_totals(None)), R, {f"{k}22": f"SUM({k}6:{k}21)" for k in "JKLM"})


READING: list[tuple[str, str, Change, str, list[tuple[str, str, str]], dict[tuple[str, str], float | None]]] = [
    # 1. count columns: no fraction, so a separator groups thousands; money keeps its decimal comma
    ("count-thousands-comma.xlsx", YTE, _edit(c.setcell(R, "K16", "1,207")), "accepted-with-warnings",
     [("number-thousands-comma", "Báo cáo", "K16")], {("HD14", "people"): 1207, ("*", "people"): 4420}),
    ("count-thousands-dot.xlsx", YTE, _edit(c.setcell(R, "K16", "1.207")), "accepted-with-warnings",
     [("number-as-text", "Báo cáo", "K16")], {("HD14", "people"): 1207}),
    ("count-with-fraction.xlsx", YTE, _edit(c.setcell(R, "J16", "4,5")), "rejected",
     [("number-not-whole", "Báo cáo", "J16")], {}),
    ("money-english-comma.xlsx", YTE, _edit(c.setcell(R, "L16", "185,900")), "accepted-with-warnings",
     [("number-ambiguous", "Báo cáo", "L16")], {("HD14", "money_state"): 185.9}),
    ("money-in-dong.xlsx", YTE, _edit(c.setcell(R, "L16", "185.900.000 đồng")), "accepted-with-warnings",
     [("number-unit-converted", "Báo cáo", "L16")], {("HD14", "money_state"): 185.9}),
    ("money-in-dong-no-unit.xlsx", YTE, _edit(c.setcell(R, "L16", 185900000)), "rejected",
     [("money-implausible", "Báo cáo", "L16")], {}),
    # 2. totals rows: never merged, compared with the rows
    ("totals-row.xlsx", YTE, _edit(c.add_totals()), "accepted-with-warnings",
     [("totals-row", "Báo cáo", "A22")], {("*", k): v for k, v in CLEAN_TOTALS.items()}),
    ("totals-row-sum-formulas.xlsx", YTE, _sums_as_formulas, "accepted-with-warnings",
     [("totals-row", "Báo cáo", "J22")], {("*", k): v for k, v in CLEAN_TOTALS.items()}),
    ("totals-row-disagrees.xlsx", YTE, _edit(c.add_totals("Cộng", {"K": 9999})), "accepted-with-warnings",
     [("totals-disagree", "Báo cáo", "K22"), ("totals-row", "Báo cáo", "A22")], {("*", "people"): 4420}),
    ("totals-row-other-sheet.xlsx", YTE,
     _edit(c.chain(c.add_other, c.setcell(OTHER, "B7", "Trao học bổng"), c.setcell(OTHER, "G7", 20),
                   c.add_totals("Tổng", sheet_name=OTHER))), "accepted-with-warnings",
     [("totals-row", "Hoạt động khác", "A8")], {("*", "people"): 3210 + 300 + 20}),  # plan rows + the two others
    # 3. renamed sheets, found by content
    ("sheets-translated.xlsx", YTE, _edit(c.translate_sheets), "accepted-with-warnings",
     [("sheet-renamed", "Agency", ""), ("sheet-renamed", "Assessment", ""), ("sheet-renamed", "Other activities", ""),
      ("sheet-renamed", "Report", "")], {("HD14", "people"): 1207, ("*", "people"): 4420}),
    ("sheets-translated-identity-lost.xlsx", YTE, _edit(c.chain(c.translate_sheets, c.drop_meta)),
     "accepted-with-warnings",
     [("no-identity", "", ""), ("sheet-renamed", "Agency", ""), ("sheet-renamed", "Assessment", ""),
      ("sheet-renamed", "Other activities", ""), ("sheet-renamed", "Report", "")], {("HD14", "events"): 4}),
    # 6. a rejected file gets the one error that matters; legacy typing is reported wherever converted
    ("wrong-year.xlsx", "2014/YTE_so-y-te_2014.xlsx", lambda data: data, "rejected", [("wrong-year", "", "")], {}),
    ("wrong-plan-and-more.xlsx", YTE, _edit(c.chain(c.meta("plan_id", "qd999-2010"), c.setcell(R, "H16", None))),
     "rejected", [("wrong-plan", "", "")], {}),
    ("agency-mismatch-and-more.xlsx", YTE,
     _edit(c.chain(c.setcell(INFO, "C4", "Sở Tư pháp"), c.setcell(INFO, "C7", None))), "rejected",
     [("agency-mismatch", "Thông tin đơn vị", "C4")], {}),
    ("legacy-everywhere.xlsx", YTE,
     _edit(c.chain(c.setcell(R, "H16", c.tcvn3("Đang thực hiện")), c.setcell(R, "I16", c.tcvn3("Tổ chức tập huấn")),
                   c.setcell(R, "K16", c.tcvn3("1.207 người")), c.setcell(INFO, "C8", c.tcvn3("Chuyên viên chính")),
                   c.setcell(GENERAL, "C5", c.tcvn3("Kinh phí còn hạn chế")))), "accepted-with-warnings",
     [("legacy-encoding", "Báo cáo", "H16"), ("legacy-encoding", "Báo cáo", "I16"), ("legacy-encoding", "Báo cáo", "K16"),
      ("legacy-encoding", "Thông tin đơn vị", "C8"), ("legacy-encoding", "Đánh giá chung", "C5"),
      ("number-as-text", "Báo cáo", "K16")], {("HD14", "people"): 1207}),
    # 7. merged cells: the value belongs to the first cell; the others are flagged at their own cells
    ("merged-result-three-rows.xlsx", YTE, _edit(c.merge(R, "I16:I18")), "rejected",
     [("merged-cell", "Báo cáo", "I17"), ("merged-cell-missing", "Báo cáo", "I18")], {}),
    ("merged-money-two-rows.xlsx", YTE, _edit(c.merge(R, "L16:L17")), "accepted-with-warnings",
     [("merged-cell", "Báo cáo", "L17")], {("HD14", "money_state"): 185.9, ("HD15", "money_state"): None,
                                           ("*", "money_state"): 385.8}),
    ("merged-across-columns.xlsx", YTE, _edit(c.merge(R, "J16:K16")), "accepted-with-warnings",
     [("merged-cell", "Báo cáo", "K16")], {("HD14", "events"): 4, ("HD14", "people"): None}),
    # identity cases the rules never reach
    ("not-assigned.xlsx", YTE, _edit(c.chain(c.drop_meta, c.setcell(INFO, "C4", "Sở Xây dựng"))), "rejected",
     [("no-identity", "", ""), ("not-assigned", "", "")], {}),
    ("assignments-changed.xlsx", YTE, _edit(c.meta("activity_ids", "HD02,HD03")), "accepted-with-warnings",
     [("assignments-changed", "", "")], {("HD14", "events"): 4}),
]


@pytest.mark.parametrize(("name", "base", "change", "outcome", "expected", "figures"), READING,
                         ids=[case[0] for case in READING])
def test_what_agencies_really_send(workspace_dir: Path, blanks: dict[str, bytes], name: str, base: str,
                                   change: Change, outcome: str, expected: list[tuple[str, str, str]],
                                   figures: dict[tuple[str, str], float | None]) -> None:
    got, _, result = _check_one(workspace_dir, name, change(c.filled(blanks[base])))
    assert isinstance(result, CheckResult)
    assert got == outcome
    assert sorted((f.code, f.sheet, f.cell) for f in result.findings()) == expected
    assert result.files[0].agency == ("XAYDUNG" if name == "not-assigned.xlsx" else "YTE")
    assert bool(result.counted()) == (outcome != "rejected")
    if figures:
        merged = merged_of(result, _ws(workspace_dir))
        rows = merged.rows.set_index("activity_id")
        for (aid, key), value in figures.items():
            shown = merged.totals()[key] if aid == "*" else rows.at[aid, key]
            assert (None if shown != shown else shown) == pytest.approx(value), (aid, key)
        assert not (merged.others["source_file"].eq(name) & merged.others["sheet"].eq("Báo cáo")).any()


def test_empty_submission(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    got, found, _ = _check_one(workspace_dir, "empty.xlsx", blanks[YTE])
    assert got == "rejected"
    assert {"empty-submission", "missing-reporter", "missing-report-date", "missing-status"} <= found


def test_district_may_mark_not_applicable(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    data = c.edit(c.filled(blanks[LAK]), c.setcell(c.SHEET_REPORT, "H6", "Không phát sinh"))
    assert _check_one(workspace_dir, "kps.xlsx", data)[:2] == ("accepted", set())


def test_agency_text_stays_text(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    data = c.edit(c.filled(blanks[YTE]), c.setcell(c.SHEET_REPORT, c.lead(c.RESULT), "+1 -2+3 @SUM(A1)"))
    result = _check_one(workspace_dir, "text.xlsx", data)[2]
    assert "+1 -2+3 @SUM(A1)" in set(merged_of(result, _ws(workspace_dir)).rows["result"])


@pytest.mark.parametrize(
    ("name", "make", "outcome", "codes"),
    [
        ("macro.xlsm", lambda b: c.macro(c.filled(b)), "accepted-with-warnings", {"macro-workbook"}),
        ("sent.zip", lambda b: c.zipped(YTE, c.filled(b)), "accepted", set()),
        ("forwarded.eml", lambda b: c.eml("Báo cáo Sở Y tế.xlsx", c.filled(b)), "accepted", set()),
        ("scan.pdf", lambda b: b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "not-a-spreadsheet",
         {"not-a-spreadsheet"}),
        ("truncated.xlsx", lambda b: c.filled(b)[:3000], "rejected", {"corrupt-file"}),
        ("locked.xlsx", lambda b: cfb({"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(200),
                                       "EncryptedPackage": bytes(5000)}), "rejected", {"encrypted"}),
        ("bomb.xlsx", lambda b: raw_zip([("xl/worksheets/sheet1.xml", deflated_zeros(300), 8, 1000, 1000)]),
         "rejected", {"zip-bomb"}),
        ("lzma.zip", lambda b: raw_zip([("a.xlsx", b"x" * 10, 14, 0, 10)]), "rejected", {"unsupported-compression"}),
    ],
)
def test_formats_and_hostile_files(workspace_dir: Path, blanks: dict[str, bytes], name: str,
                                   make: Callable[[bytes], bytes], outcome: str, codes: set[str]) -> None:
    got, found, _ = _check_one(workspace_dir, name, make(blanks[YTE]))
    assert (got, found) == (outcome, codes)


def test_zip_with_path_traversal(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    data = c.zipped("x", c.filled(blanks[YTE]), inner="../../evil.xlsx")
    inbox = workspace_dir / "inbox" / str(c.YEAR)
    inbox.mkdir(parents=True)
    (inbox / "evil.zip").write_bytes(data)
    result = run_check(_ws(workspace_dir), c.YEAR, workers=1)
    assert [o.outcome for o in result.outcomes] == ["rejected"]
    assert {f.code for f in result.findings()} == {"unsafe-path"}
    assert not (workspace_dir / "evil.xlsx").exists()


def test_superseded_duplicate_and_decisions(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    inbox = workspace_dir / "inbox" / str(c.YEAR)
    inbox.mkdir(parents=True)
    first = c.filled(blanks[YTE], "errors", day=dt.date(2015, 12, 1))
    second = c.filled(blanks[YTE], day=dt.date(2015, 12, 5))
    (inbox / "a-first.xlsx").write_bytes(first)
    (inbox / "b-second.xlsx").write_bytes(second)
    (inbox / "c-copy.xlsx").write_bytes(second)
    (inbox / "tuphap.xlsx").write_bytes(c.filled(blanks[TUPHAP]))
    (inbox / "Thumbs.db").write_bytes(b"x")
    ws = _ws(workspace_dir)
    result = run_check(ws, c.YEAR, workers=1)
    got = {o.path: o.outcome for o in result.outcomes}
    assert got["a-first.xlsx"] == "superseded"
    assert {got["b-second.xlsx"], got["c-copy.xlsx"]} == {"accepted", "duplicate"}
    assert got["tuphap.xlsx"] == "accepted"
    assert len(got) == 4  # Thumbs.db is not a return
    states = {a.agency: a.state for a in result.agencies}
    assert states["YTE"] == "on-time" and states["TUPHAP"] == "on-time" and states["GDDT"] == "missing"
    assert result.exit_code == 1
    (workspace_dir / "decisions.toml").write_text(
        '[[choose]]\nyear = 2015\nfile = "c-copy.xlsx"\nreason = "Bản gửi qua công văn"\n\n'
        '[[choose]]\nyear = 2015\nfile = "a-first.xlsx"\nreason = "Bản đầu"\n\n'
        '[[exclude]]\nyear = 2015\nfile = "tuphap.xlsx"\nreason = "Đơn vị xin rút lại"\n\n'
        '[[exclude]]\nyear = 2015\nfile = "khong-co.xlsx"\nreason = "Gõ nhầm"\n', encoding="utf-8")
    result = run_check(ws, c.YEAR, workers=1)
    got = {o.path: o.outcome for o in result.outcomes}
    assert got["tuphap.xlsx"] == "rejected"
    assert got["c-copy.xlsx"] == "accepted" and got["b-second.xlsx"] == "duplicate"
    assert sorted(f.code for f in result.overrides) == ["chosen-by-officer", "chosen-has-errors", "decision-unmatched",
                                                        "excluded-by-officer"]


def test_merged_totals_equal_sums_over_accepted_files(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    inbox = workspace_dir / "inbox" / str(c.YEAR)
    inbox.mkdir(parents=True)
    expected = {"events": 0.0, "people": 0.0}
    for i, name in enumerate((YTE, GDDT, LAK, TUPHAP)):
        data = c.filled(blanks[name], seed=i)
        (inbox / name).write_bytes(data)
        import openpyxl, io  # noqa: E401

        sheet = openpyxl.load_workbook(io.BytesIO(data))["Báo cáo"]
        for r in range(6, sheet.max_row + 1):
            expected["events"] += sheet[f"J{r}"].value or 0
            expected["people"] += sheet[f"K{r}"].value or 0
    result = run_check(_ws(workspace_dir), c.YEAR, workers=1)
    assert all(o.outcome == "accepted" for o in result.outcomes)
    merged = merged_of(result, _ws(workspace_dir))
    totals = merged.totals()
    assert totals["events"] - float(merged.others["events"].sum()) == expected["events"]
    assert totals["people"] - float(merged.others["people"].sum()) == expected["people"]
    assert merged.rows["status"].dropna().isin(
        [Status.NOT_STARTED, Status.IN_PROGRESS, Status.DONE, Status.NOT_APPLICABLE]).all()


def test_cli_check_json_and_outputs(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    inbox = workspace_dir / "inbox" / str(c.YEAR)
    inbox.mkdir(parents=True)
    (inbox / "gddt.xlsx").write_bytes(c.filled(blanks[GDDT], "errors"))
    (inbox / "yte.xlsx").write_bytes(c.filled(blanks[YTE]))
    before = {p: p.read_bytes() for p in inbox.iterdir()}
    result = CliRunner().invoke(cli, ["-w", str(workspace_dir), "check", "--year", "2015", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert sum(data["counts"].values()) == data["files_found"] == 2
    assert {p: p.read_bytes() for p in inbox.iterdir()} == before  # the inbox is never changed
    out = workspace_dir / "outbox" / "2015" / "kiem-tra"
    assert (out / "kiem-tra-2015.xlsx").is_file()
    feedback = out / "phan-hoi" / "GDDT_so-gd-dt_2015_can-sua.xlsx"
    import openpyxl

    book = openpyxl.load_workbook(feedback)
    assert book.sheetnames[0] == "Lỗi cần sửa"
    marked = [f for f in data["findings"] if f["file"] == "gddt.xlsx" and f["cell"] and f["sheet"] == "Báo cáo"]
    assert marked and all(book["Báo cáo"][f["cell"]].comment is not None for f in marked)
    assert (out / "thu" / "GDDT_phan-hoi_2015.eml").is_file()
    assert len(list((out / "thu").glob("*_nhac-nop_2015.eml"))) == len(data["agencies"]) - 2


@pytest.mark.skipif(c.SOFFICE is None, reason="LibreOffice không có trên máy")
def test_libreoffice_resaves_read_the_same(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    data = c.filled(blanks[YTE], "errors")
    inbox = workspace_dir / "inbox" / str(c.YEAR)
    inbox.mkdir(parents=True)
    (inbox / "yte.xlsx").write_bytes(data)
    base = run_check(_ws(workspace_dir), c.YEAR, workers=1)
    expected = sorted((f.code, f.sheet, f.cell) for f in base.findings())
    for target in ("xlsx", "xls", "ods"):
        converted = c.convert({"yte-lo.xlsx": data}, target)
        for p in inbox.iterdir():
            p.unlink()
        name, body = next(iter(converted.items()))
        (inbox / ("lo-" + name)).write_bytes(body)
        result = run_check(_ws(workspace_dir), c.YEAR, workers=1)
        got = sorted((f.code, f.sheet, f.cell) for f in result.findings() if f.code != "legacy-format")
        assert got == expected, target
        ws = _ws(workspace_dir)
        assert merged_of(result, ws).rows.drop(columns=["source_file"]).equals(
            merged_of(base, ws).rows.drop(columns=["source_file"]))


@pytest.mark.skipif(c.SOFFICE is None, reason="LibreOffice không có trên máy")
def test_reading_cases_resaved_by_libreoffice_read_the_same(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    """Merged ranges, totals rows and renamed sheets are read the same from .xlsx, .xls and .ods."""
    wanted = ("totals-row.xlsx", "totals-row-sum-formulas.xlsx", "sheets-translated.xlsx",
              "merged-result-three-rows.xlsx", "merged-money-two-rows.xlsx", "merged-across-columns.xlsx")
    cases = {case[0]: case for case in READING if case[0] in wanted}
    files = {name: change(c.filled(blanks[base])) for name, (_, base, change, *_rest) in cases.items()}
    for target in ("xlsx", "xls", "ods"):
        converted = c.convert(files, target)
        for name, (_, _, _, outcome, expected, _) in cases.items():
            inbox = workspace_dir / "inbox" / str(c.YEAR)
            if inbox.exists():
                for p in inbox.iterdir():
                    p.unlink()
            body = converted[name.rsplit(".", 1)[0] + "." + target]
            got, _, result = _check_one(workspace_dir, "lo-" + name + "." + target, body)
            assert isinstance(result, CheckResult)
            findings = sorted((f.code, f.sheet, f.cell) for f in result.findings() if f.code != "legacy-format")
            assert (got, findings) == (outcome, expected), (name, target)


def _ods(content: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("content.xml", content)
    return out.getvalue()


def test_reader_spans_and_formulas_replay_ods_repetition() -> None:
    """content.xml's repeated rows and cells are replayed to give each span and formula its address."""
    t = 'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    content = (f'<office:document-content {t} xmlns:office="o"><table:table table:name="Báo cáo">'
               '<table:table-column table:number-columns-repeated="16"/>'
               '<table:table-row table:number-rows-repeated="5"><table:table-cell/></table:table-row>'
               '<table:table-row><table:table-cell table:number-columns-repeated="8"/>'
               '<table:table-cell table:number-rows-spanned="3"/><table:covered-table-cell/>'
               '<table:table-cell table:formula="of:=SUM([.J6:.J9])"/></table:table-row>'
               '</table:table><table:table table:name="Khác"><table:table-row>'
               '<table:table-cell table:number-columns-spanned="2" table:number-rows-spanned="1"/>'
               '</table:table-row></table:table></office:document-content>')
    assert reader._ods_tables(_ods(content)) == {
        "Báo cáo": ([reader.Span(5, 8, 7, 8)], {"K6": "SUM(J6:J9)"}), "Khác": ([reader.Span(0, 0, 0, 1)], {})}


def test_hostile_merges_are_bounded() -> None:
    """A million merged ranges (rows repeated under a spanned cell) give a bounded list, quickly."""
    content = ('<d xmlns:table="t"><table:table table:name="S"><table:table-row table:number-rows-repeated="1000">'
               '<table:table-cell table:number-columns-repeated="1000" table:number-columns-spanned="2"/>'
               '</table:table-row></table:table></d>')
    spans, _ = reader._ods_tables(_ods(content))["S"]
    assert len(spans) == 10_000
    xml = b"<worksheet><sheetData/><mergeCells>" + b"".join(
        b'<mergeCell ref="A%d:B%d"/>' % (i, i) for i in range(1, 50_001)) + b"</mergeCells></worksheet>"
    assert len(reader._merge_cells(xml)) == 10_000


def test_feedback_marks_a_merged_range_at_its_first_cell(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    """Findings at cells a merge covers (which take no comment) are marked on the range's first cell."""
    inbox = workspace_dir / "inbox" / str(c.YEAR)
    inbox.mkdir(parents=True)
    (inbox / "gop.xlsx").write_bytes(c.edit(c.filled(blanks[YTE]), c.merge(R, "I16:I18")))
    result = CliRunner().invoke(cli, ["-w", str(workspace_dir), "check", "--year", "2015"], catch_exceptions=False)
    assert result.exit_code == 1
    import openpyxl

    book = openpyxl.load_workbook(workspace_dir / "outbox" / "2015" / "kiem-tra" / "phan-hoi" /
                                  "YTE_so-y-te_2015_can-sua.xlsx")
    comment = book["Báo cáo"]["I16"].comment
    assert comment is not None and "Ô I18 nằm trong vùng ô gộp I16:I18" in comment.text
    # one instruction per cell: the range carries its error; the warning on I17 is in the list
    assert "Ô I17" not in comment.text
    listed = [(r[2], r[3]) for r in book["Lỗi cần sửa"].iter_rows(min_row=5, values_only=True)]
    assert sorted(listed) == [("Báo cáo", "I17"), ("Báo cáo", "I18")]
