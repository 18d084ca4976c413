"""The check on a corpus of named files, one per case, each asserted to its exact outcome and codes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import corpus as c
from conftest import merged_of
from pipeline.check.run import run_check
from pipeline.cli.main import cli
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


EDITS: list[tuple[str, str, Callable[[object], None] | None, str, set[str]]] = [
    # name, base workbook, change, outcome, finding codes
    ("clean.xlsx", YTE, None, "accepted", set()),
    ("district-clean.xlsx", LAK, None, "accepted", set()),
    ("identity-stripped.xlsx", YTE, c.drop_meta, "accepted-with-warnings", {"no-identity"}),
    ("identity-contradicts-name.xlsx", YTE, c.setcell(c.SHEET_INFO, "C4", "Sở Tư pháp"), "rejected",
     {"agency-mismatch"}),
    ("older-template.xlsx", YTE, c.meta("template_version", "0"), "accepted-with-warnings", {"older-template"}),
    ("wrong-plan.xlsx", YTE, c.meta("plan_id", "qd999-2010"), "rejected", {"wrong-plan"}),
    ("lead-status-missing.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.STATUS), None), "rejected",
     {"missing-status"}),
    ("result-missing.xlsx", YTE, c.chain(c.setcell(c.SHEET_REPORT, c.lead(c.STATUS), "Đã hoàn thành"),
                                         c.setcell(c.SHEET_REPORT, c.lead(c.RESULT), None)), "rejected",
     {"missing-result"}),
    ("reporter-missing.xlsx", YTE, c.setcell(c.SHEET_INFO, "C7", None), "rejected", {"missing-reporter"}),
    ("date-missing.xlsx", YTE, c.setcell(c.SHEET_INFO, "C11", None), "rejected", {"missing-report-date"}),
    ("date-as-text.xlsx", YTE, c.setcell(c.SHEET_INFO, "C11", "10/12/2015"), "accepted-with-warnings",
     {"date-as-text"}),
    ("status-no-marks.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.STATUS), "da hoan thanh"),
     "accepted-with-warnings", {"status-normalised"}),
    ("status-short.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.STATUS), "hoàn thành"), "accepted-with-warnings",
     {"status-normalised"}),
    ("status-invalid.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.STATUS), "xong rồi ạ"), "rejected",
     {"status-invalid"}),
    ("status-na-by-a-department.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.partner(c.STATUS), "Không phát sinh"),
     "rejected", {"status-not-applicable-not-allowed"}),
    ("number-negative.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.PEOPLE), -5), "rejected", {"number-negative"}),
    ("number-words.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.PEOPLE), "nhiều"), "rejected", {"not-a-number"}),
    ("number-thousands-text.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.PEOPLE), "1.500"),
     "accepted-with-warnings", {"number-ambiguous"}),
    ("number-vn-text.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.PEOPLE), "1.500.000"), "accepted-with-warnings",
     {"number-as-text"}),
    ("number-decimal-comma.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.MONEY), "1,5"), "accepted-with-warnings",
     {"number-as-text"}),
    ("number-ambiguous.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.MONEY), "1.5"), "accepted-with-warnings",
     {"number-ambiguous"}),
    ("number-with-unit.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.MONEY), "2 triệu"), "accepted-with-warnings",
     {"number-unit-converted"}),
    ("formula-no-value.xlsx", YTE, c.formula, "rejected", {"formula-no-value"}),
    ("formula-error.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.EVENTS), "#DIV/0!"), "rejected",
     {"formula-error"}),
    ("legacy-tcvn3.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.RESULT), "Tæ chøc tËp huÊn cho c¸n bé"),
     "accepted-with-warnings", {"legacy-encoding"}),
    ("context-edited.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead("D"), "Nội dung khác hẳn"), "accepted-with-warnings",
     {"context-changed"}),
    ("lead-row-deleted.xlsx", YTE, c.delete_lead_row, "rejected", {"row-missing"}),
    ("row-duplicated.xlsx", YTE, c.duplicate_lead_row, "rejected", {"row-duplicated"}),
    ("rows-reordered.xlsx", YTE, c.swap_rows, "accepted-with-warnings", {"rows-reordered"}),
    ("sheet-renamed.xlsx", YTE, c.rename_report, "accepted-with-warnings", {"sheet-renamed"}),
    ("other-activity.xlsx", YTE, c.add_other, "accepted", set()),
    ("agency-text-formula.xlsx", YTE, c.setcell(c.SHEET_REPORT, c.lead(c.RESULT), "=HYPERLINK(\"http://x\")"),
     "accepted", set()),
]


@pytest.mark.parametrize(("name", "base", "change", "outcome", "codes"), EDITS, ids=[e[0] for e in EDITS])
def test_edited_workbook(workspace_dir: Path, blanks: dict[str, bytes], name: str, base: str,
                         change: Callable[[object], None] | None, outcome: str, codes: set[str]) -> None:
    data = c.filled(blanks[base])
    if change is not None:
        data = c.edit(data, change)
    got, found, _ = _check_one(workspace_dir, name, data)
    assert (got, found) == (outcome, codes)


def test_wrong_year(workspace_dir: Path, blanks: dict[str, bytes]) -> None:
    got, found, _ = _check_one(workspace_dir, "2014-in-2015.xlsx", c.filled(blanks["2014/YTE_so-y-te_2014.xlsx"]))
    assert got == "rejected" and "wrong-year" in found


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
