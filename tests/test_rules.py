"""The rules on literal grids shaped like the real workbook: exact (code, sheet, cell) and the values read.

Each grid is what a reader returns for a workbook laid out as docs/template.md says: "Báo cáo"
with its header at row 4, column numbers at row 5 and activities from row 6 (A STT … P Văn bản);
"Thông tin đơn vị" and "Đánh giá chung" with labels in B and values in C; "Hoạt động khác"
with its own header at row 4. A shifted address fails here.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pipeline.check.identify import identify, locate
from pipeline.check.rules import Cursor, check_workbook
from pipeline.consolidate.merge import merge
from pipeline.model.agencies import Agency, Registry
from pipeline.model.assignments import Assignment
from pipeline.model.findings import CATALOGUE, Finding
from pipeline.model.layout import (GENERAL_FIELDS, INFO_FIELDS, OTHER_COLUMNS, REPORT_COLUMNS, SHEET_GENERAL,
                                   SHEET_GUIDE, SHEET_INFO, SHEET_META, SHEET_OTHER, SHEET_REPORT, TEMPLATE_VERSION)
from pipeline.model.plan import Activity, Plan, Terms
from pipeline.model.submission import Figures, Submission
from pipeline.model.vocab import Role, Status
from pipeline.read.book import Grid
from pipeline.read.legacy import TCVN3_TO_UNICODE

REPORT, INFO, OTHER, GENERAL, META, GUIDE = SHEET_REPORT, SHEET_INFO, SHEET_OTHER, SHEET_GENERAL, SHEET_META, \
    SHEET_GUIDE
YEAR = 2021
PLAN = Plan("kh-thu-2020", "Kế hoạch thử", Terms("Nhiệm vụ", "Quyết định", "99/QĐ-UBND", "01/02/2020"), 2020, 2025,
            (), (), (
    Activity("HD01", "", ("1",), "Tập huấn cho cán bộ làm công tác trẻ em cấp xã.", ("KHCN",), (), 2020, 2025),
    Activity("HD02", "", ("2", "3"), "Truyền thông về quyền trẻ em trên báo, đài.", ("NOIVU",), ("KHCN",), 2020, 2025),
    Activity("HD03", "", ("4",), "Rà soát chính sách hỗ trợ trẻ em khuyết tật.", ("NOIVU",), ("KHCN",), 2020, 2025),
))
ACT = {a.id: a for a in PLAN.activities}
ASSIGNED = [Assignment("KHCN", ACT["HD01"], Role.LEAD), Assignment("KHCN", ACT["HD02"], Role.PARTNER),
            Assignment("KHCN", ACT["HD03"], Role.PARTNER)]
LOCAL = [Assignment("HTHU", a, Role.LOCAL) for a in PLAN.activities]
REGISTRY = Registry([
    Agency("KHCN", "Sở Khoa học và Công nghệ", "Sở KH&CN", (), "so_nganh", "", False),
    Agency("NOIVU", "Sở Nội vụ", "Sở Nội vụ", (), "so_nganh", "", False),
    Agency("HTHU", "Ủy ban nhân dân huyện Thử", "UBND huyện Thử", (), "huyen", "", False),
])
DATE = dt.date(2021, 12, 10)
DONE, DOING = Status.DONE.label, Status.IN_PROGRESS.label
_TCVN3 = {letter: code for code, letter in TCVN3_TO_UNICODE.items()}


def tcvn3(text: str) -> str:
    """Text as a TCVN3 font shows it once the workbook is read as Unicode."""
    return "".join(_TCVN3.get(ch, ch) for ch in text)


# --------------------------------------------------------------------------- grids


def activity(aid: str, assigned: list[Assignment] = ASSIGNED, **inputs: Any) -> list[Any]:
    """One row of "Báo cáo" (A…P) with the locked context filled as generated and the inputs given by key."""
    a = next(x for x in assigned if x.activity.id == aid)
    values = {"stt": assigned.index(a) + 1, "activity_id": aid, "recommendations": a.activity.recommendations_label,
              "content": a.activity.content, "role": a.role.label, "lead": a.activity.lead,
              "period": a.activity.period, **inputs}
    return [values.get(c.key) for c in REPORT_COLUMNS]


def blank_row(**inputs: Any) -> list[Any]:
    """A row of "Báo cáo" with only the given keys."""
    return [inputs.get(c.key) for c in REPORT_COLUMNS]


def other(**inputs: Any) -> list[Any]:
    """A row of "Hoạt động khác" (A…J) by key."""
    return [inputs.get(c.key) for c in OTHER_COLUMNS]


def table(title: str, columns: tuple[Any, ...], data: list[list[Any]], drop: tuple[str, ...] = ()) -> list[list[Any]]:
    header = [None if c.key in drop else c.label for c in columns]
    return [[title], ["Đơn vị báo cáo: Sở Khoa học và Công nghệ"], ["Ghi chú."], header,
            [f"({i})" for i in range(1, len(columns) + 1)], *data]


def labelled(title: str, fields: tuple[tuple[str, str], ...], values: Mapping[str, Any]) -> list[list[Any]]:
    return [[None, title], [None, "Ô màu xám do Sở điền sẵn."], [],
            *[[None, label, values.get(key)] for key, label in fields]]


INFO_VALUES = {"agency_name": "Sở Khoa học và Công nghệ", "agency_code": "KHCN", "year": YEAR,
               "reporter": "Nguyễn Văn An", "position": "Chuyên viên", "phone": "0123 456 789",
               "email": "an@example.org", "report_date": DATE, "head": "Trần Thị Bình"}
GENERAL_VALUES = {"assessment": "Cơ bản hoàn thành.", "difficulties": "Kinh phí hạn chế.",
                  "proposals": "Bố trí kinh phí.", "directions": "Tiếp tục triển khai."}
FILLED = [activity("HD01", status=DONE, result="Tổ chức 3 lớp.", events=3, people=120, money_state=45.5),
          activity("HD02", status=DOING, result="Đăng 4 tin bài.", events=4, people=None, money_other=2.5),
          activity("HD03")]
META_VALUES = {"template_version": TEMPLATE_VERSION, "plan_id": PLAN.id, "agency_code": "KHCN", "year": str(YEAR)}


def workbook(report: list[list[Any]] | None = None, others: list[list[Any]] | None = None,
             info: Mapping[str, Any] | None = None, general: Mapping[str, Any] | None = None, *,
             names: Mapping[str, str] | None = None, drop: tuple[str, ...] = (), meta: Mapping[str, str] | None = None,
             formulas: Mapping[str, Mapping[str, str]] | None = None,
             merged: Mapping[str, list[str]] | None = None, report_drop: tuple[str, ...] = ()) -> Grid:
    """The five sheets and the hidden one; `names` renames sheets, `drop` leaves sheets out."""
    sheets = {
        GUIDE: [["HƯỚNG DẪN ĐIỀN BIỂU MẪU"], ["Năm báo cáo", YEAR], ["(8) Tình trạng", "Chọn trong danh sách."],
                ["(15) Đề xuất, kiến nghị", "Đề xuất của đơn vị."]],
        INFO: labelled("THÔNG TIN ĐƠN VỊ BÁO CÁO", INFO_FIELDS, {**INFO_VALUES, **(info or {})}),
        REPORT: table("BÁO CÁO KẾT QUẢ", REPORT_COLUMNS, FILLED if report is None else report, report_drop),
        OTHER: table("CÁC HOẠT ĐỘNG KHÁC", OTHER_COLUMNS, others or []),
        GENERAL: labelled("ĐÁNH GIÁ CHUNG", GENERAL_FIELDS, {**GENERAL_VALUES, **(general or {})}),
        META: [[k, v] for k, v in (META_VALUES if meta is None else meta).items()],
    }
    names = names or {}
    return Grid({names.get(n, n): rows for n, rows in sheets.items() if n not in drop},
                formulas={names.get(n, n): f for n, f in (formulas or {}).items()},
                merged={names.get(n, n): m for n, m in (merged or {}).items()})


def checked(book: Grid, assigned: list[Assignment] = ASSIGNED) -> tuple[Submission, list[Finding]]:
    cur = Cursor(book, "tep.xlsx")
    sub = check_workbook(cur, assigned[0].agency, YEAR, PLAN, assigned)
    return sub, cur.findings


def found(book: Grid, assigned: list[Assignment] = ASSIGNED) -> list[tuple[str, str, str]]:
    """The sorted (code, sheet, cell) of every finding of the rules."""
    return sorted((f.code, f.sheet, f.cell) for f in checked(book, assigned)[1])


def figures(sub: Submission) -> dict[str, Figures]:
    return {r.activity_id: r.figures for r in sub.rows}


# --------------------------------------------------------------------------- a clean workbook


def test_clean_workbook_reads_every_value_at_its_cell() -> None:
    sub, findings = checked(workbook())
    assert findings == []
    assert [(r.activity_id, r.role, r.status, r.result, r.row) for r in sub.rows] == [
        ("HD01", Role.LEAD, Status.DONE, "Tổ chức 3 lớp.", 6),
        ("HD02", Role.PARTNER, Status.IN_PROGRESS, "Đăng 4 tin bài.", 7),
        ("HD03", Role.PARTNER, None, "", 8)]
    assert figures(sub) == {"HD01": Figures(3, 120, 45.5, None), "HD02": Figures(4, None, None, 2.5),
                            "HD03": Figures()}
    assert dict(sub.rows[0].cells) == {"status": "H6", "result": "I6", "difficulties": "N6", "proposals": "O6",
                                       "evidence": "P6", "events": "J6", "people": "K6", "money_state": "L6",
                                       "money_other": "M6"}
    assert sub.report_date == DATE
    assert dict(sub.info)["reporter"] == "Nguyễn Văn An"
    assert dict(sub.general_cells) == {"assessment": "C4", "difficulties": "C5", "proposals": "C6", "directions": "C7"}
    assert dict(sub.general)["assessment"] == "Cơ bản hoàn thành."


def test_district_rows_may_be_not_applicable() -> None:
    rows = [activity("HD01", LOCAL, status="Không phát sinh"), activity("HD02", LOCAL, status="KPS"),
            activity("HD03", LOCAL, status=DONE, result="Đã làm.", events=1)]
    sub, findings = checked(workbook(rows), LOCAL)
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [("status-normalised", REPORT, "H7")]
    assert [r.status for r in sub.rows] == [Status.NOT_APPLICABLE, Status.NOT_APPLICABLE, Status.DONE]


# --------------------------------------------------------------------------- status and result


@pytest.mark.parametrize(("rows", "expected", "statuses"), [
    ([activity("HD01", status=None), activity("HD02"), activity("HD03")],
     [("missing-status", REPORT, "H6")], [None, None, None]),
    ([activity("HD01", status="da hoan thanh", result="x"), activity("HD02", status="xong", result="y"),
      activity("HD03")],
     [("status-normalised", REPORT, "H6"), ("status-normalised", REPORT, "H7")], [Status.DONE, Status.DONE, None]),
    ([activity("HD01", status=DONE, result="x"), activity("HD02", status="xong rồi ạ"), activity("HD03", status=12)],
     [("status-invalid", REPORT, "H7"), ("status-invalid", REPORT, "H8")], [Status.DONE, None, None]),
    ([activity("HD01", status=DONE, result="x"), activity("HD02", status="Không phát sinh"), activity("HD03")],
     [("status-not-applicable-not-allowed", REPORT, "H7")], [Status.DONE, None, None]),
    ([activity("HD01", status=DONE), activity("HD02", status=DOING, result="  "), activity("HD03", status="Chưa thực hiện")],
     [("missing-result", REPORT, "I6"), ("missing-result", REPORT, "I7")], [Status.DONE, Status.IN_PROGRESS,
                                                                           Status.NOT_STARTED]),
])
def test_status_and_result(rows: list[list[Any]], expected: list[tuple[str, str, str]],
                           statuses: list[Status | None]) -> None:
    sub, findings = checked(workbook(rows))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == expected
    assert [r.status for r in sub.rows] == statuses


# --------------------------------------------------------------------------- numbers, by the column's type

COUNT_CASES: list[tuple[str, Any, Any, list[tuple[str, str, str]]]] = [
    # key, as typed, as read, findings
    ("people", 120, 120, []),
    ("people", "1.500", 1500, [("number-as-text", REPORT, "K6")]),  # a count has no fraction: the dot groups thousands
    ("people", "1,500", 1500, [("number-thousands-comma", REPORT, "K6")]),  # English thousands comma, said so
    ("people", "1,500,000", 1500000, [("number-thousands-comma", REPORT, "K6")]),
    ("people", "1.500.000", 1500000, [("number-as-text", REPORT, "K6")]),
    ("people", "12,0", 12, [("number-as-text", REPORT, "K6")]),
    ("people", "12,5", None, [("number-not-whole", REPORT, "K6")]),  # a genuine fraction is an error, never rounded
    ("events", "1.5", None, [("number-not-whole", REPORT, "J6")]),
    ("events", 2.5, None, [("number-not-whole", REPORT, "J6")]),  # typed as a number too
    ("people", "5 người", 5, [("number-as-text", REPORT, "K6")]),
    ("people", "2 triệu", None, [("not-a-number", REPORT, "K6")]),
    ("people", "khoảng 200", None, [("not-a-number", REPORT, "K6")]),
    ("people", -5, None, [("number-negative", REPORT, "K6")]),
    ("people", "-1,500", None, [("number-negative", REPORT, "K6")]),
    ("events", "#DIV/0!", None, [("formula-error", REPORT, "J6")]),
    ("money_state", "1,500", 1.5, [("number-ambiguous", REPORT, "L6")]),  # money keeps the Vietnamese decimal comma
    ("money_state", "1.500", 1500, [("number-ambiguous", REPORT, "L6")]),
    ("money_state", "1.5", 1.5, [("number-ambiguous", REPORT, "L6")]),
    ("money_state", "1,5", 1.5, [("number-as-text", REPORT, "L6")]),
    ("money_state", "12,5", 12.5, [("number-as-text", REPORT, "L6")]),
    ("money_state", "2 triệu", 2, [("number-unit-converted", REPORT, "L6")]),
    ("money_state", "1,5 tỷ", 1500, [("number-unit-converted", REPORT, "L6")]),
    ("money_state", "1.500.000 đồng", 1.5, [("number-unit-converted", REPORT, "L6")]),
    ("money_state", 150000, 150000, [("money-implausible", REPORT, "L6")]),  # still read: the error rejects the file
    ("money_state", "1.500.000", 1500000, [("money-implausible", REPORT, "L6"), ("number-as-text", REPORT, "L6")]),
    ("money_other", -0.5, None, [("number-negative", REPORT, "M6")]),
]
@pytest.mark.parametrize(("key", "typed", "read", "expected"), COUNT_CASES, ids=[f"{k}={v!r}" for k, v, _, _ in COUNT_CASES])
def test_number_cells_read_by_column_type(key: str, typed: Any, read: Any, expected: list[tuple[str, str, str]]) -> None:
    rows = [activity("HD01", status=DONE, result="x", **{key: typed}), activity("HD02"), activity("HD03")]
    sub, findings = checked(workbook(rows))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == expected
    assert getattr(figures(sub)["HD01"], key) == read


def test_count_findings_name_the_column() -> None:
    rows = [activity("HD01", status=DONE, result="x", people="1,500", events="2,5"), activity("HD02"),
            activity("HD03")]
    messages = {f.cell: f.message_vi for f in checked(workbook(rows))[1]}
    assert "Số lượt người tham gia/hưởng lợi" in messages["K6"] and "1.500" in messages["K6"]
    assert "Số hoạt động/đợt tổ chức" in messages["J6"]


def test_formula_without_a_cached_value() -> None:
    rows = [activity("HD01", status=DONE, result="x", events=None), activity("HD02"), activity("HD03")]
    book = workbook(rows, formulas={REPORT: {"J6": "2+3"}})
    assert found(book) == [("formula-no-value", REPORT, "J6")]


# --------------------------------------------------------------------------- the label/value sheets


@pytest.mark.parametrize(("info", "expected", "date"), [
    ({"reporter": None}, [("missing-reporter", INFO, "C7")], DATE),
    ({"report_date": None}, [("missing-report-date", INFO, "C11")], None),
    ({"report_date": "10/12/2021"}, [("date-as-text", INFO, "C11")], DATE),
    ({"report_date": "ngày 10 tháng 12 năm 2021"}, [("date-as-text", INFO, "C11")], DATE),
    ({"report_date": "31/02/2021"}, [("date-invalid", INFO, "C11")], None),
    ({"report_date": 44540}, [], DATE),  # an Excel serial
])
def test_info_sheet(info: dict[str, Any], expected: list[tuple[str, str, str]], date: dt.date | None) -> None:
    sub, findings = checked(workbook(info=info))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == expected
    assert sub.report_date == date


# --------------------------------------------------------------------------- legacy typing, wherever it is


def test_legacy_encoding_is_reported_at_every_cell_it_was_converted() -> None:
    rows = [activity("HD01", status=tcvn3(DONE), result=tcvn3("Tổ chức tập huấn cho cán bộ"),
                     people=tcvn3("1.500 người")), activity("HD02"), activity("HD03")]
    book = workbook(rows, info={"position": tcvn3("Chuyên viên chính"),
                                "report_date": tcvn3("ngày 10 tháng 12 năm 2021")},
                    general={"difficulties": tcvn3("Kinh phí còn hạn chế")},
                    others=[other(content=tcvn3("Tổ chức tập huấn cho cán bộ"), status=DONE, events=1)])
    sub, findings = checked(book)
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [
        ("date-as-text", INFO, "C11"), ("legacy-encoding", REPORT, "H6"), ("legacy-encoding", REPORT, "I6"),
        ("legacy-encoding", REPORT, "K6"), ("legacy-encoding", OTHER, "B6"), ("legacy-encoding", INFO, "C11"),
        ("legacy-encoding", INFO, "C8"), ("legacy-encoding", GENERAL, "C5"), ("number-as-text", REPORT, "K6")]
    row = sub.rows[0]
    assert (row.status, row.result, row.figures.people) == (Status.DONE, "Tổ chức tập huấn cho cán bộ", 1500)
    assert dict(sub.info)["position"] == "Chuyên viên chính" and sub.report_date == DATE
    assert dict(sub.general)["difficulties"] == "Kinh phí còn hạn chế"
    assert sub.others[0].content == "Tổ chức tập huấn cho cán bộ"


# --------------------------------------------------------------------------- structure of "Báo cáo"


def test_structure_of_the_report_sheet() -> None:
    h1, h2, h3 = (activity(a, status=DONE, result="x") for a in ("HD01", "HD02", "HD03"))
    cases: list[tuple[Grid, list[tuple[str, str, str]]]] = [
        (workbook([h2, h3]), [("row-missing", REPORT, "")]),
        (workbook([h1, h3]), [("row-missing-partner", REPORT, "")]),
        (workbook([h2, h1, h3]), [("rows-reordered", REPORT, "")]),
        (workbook([h1, h2, h3, activity("HD01", status=DONE, result="x")]), [("row-repeated", REPORT, "B9")]),
        (workbook([h1, h2, h3, activity("HD01")]), [("row-repeated", REPORT, "B9")]),
        (workbook([h1, h2, h3, activity("HD01", status=DOING, result="x")]), [("row-duplicated", REPORT, "B9")]),
        (workbook([activity("HD01", status=DONE, result="x", content="Nội dung khác"), h2, h3]),
         [("context-changed", REPORT, "D6")]),
        (workbook([h1, h2, h3, blank_row(activity_id="HD07", status=DONE, result="y", events=2)]),
         [("row-not-in-plan", REPORT, "B9")]),
        (workbook([h1, h2, h3, blank_row(content="Việc thêm", status=DONE, result="y", events=2)]),
         [("row-without-id", REPORT, "B9")]),
        (workbook([h1, h2, h3], report_drop=("money_other",)), [("column-missing-optional", REPORT, "")]),
        (workbook([h1, h2, h3], report_drop=("result",)), [("column-missing", REPORT, "")]),
        (workbook(drop=(REPORT,)), [("sheet-missing", REPORT, "")]),
        (workbook(drop=(INFO,)), [("sheet-missing", INFO, "")]),
        (workbook(drop=(GENERAL,)), [("sheet-missing", GENERAL, "")]),
        (workbook([activity(a) for a in ("HD01", "HD02", "HD03")], general=dict.fromkeys(GENERAL_VALUES)),
         [("empty-submission", "", ""), ("missing-status", REPORT, "H6")]),
    ]
    assert [found(book) for book, _ in cases] == [expected for _, expected in cases]


def test_rows_beyond_the_plan_in_the_report_sheet_become_other_work() -> None:
    row = blank_row(activity_id="HD07", content="Việc thêm", status=DONE, result="y", events=2, money_state="1,5")
    sub, findings = checked(workbook([*FILLED, row]))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [("number-as-text", REPORT, "L9"),
                                                                    ("row-not-in-plan", REPORT, "B9")]
    assert [(o.content, o.status, o.figures, o.sheet, o.row) for o in sub.others] == [
        ("Việc thêm", Status.DONE, Figures(2, None, 1.5, None), REPORT, 9)]


def test_a_missing_report_sheet_is_said_once() -> None:
    """No "empty-submission" on top of "sheet-missing": the file was not read, not found empty."""
    assert found(workbook(drop=(REPORT,), general=dict.fromkeys(GENERAL_VALUES))) == [("sheet-missing", REPORT, "")]


def test_other_activities_sheet() -> None:
    rows = [other(content="Trung thu cho trẻ em", status=DONE, result="300 suất quà", people=300, money_other=45.5),
            other(stt=2), other(content="Học bổng", status="xong", events="1,5")]
    sub, findings = checked(workbook(others=rows))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [("number-not-whole", OTHER, "F8"),
                                                                    ("status-normalised", OTHER, "D8")]
    assert [(o.content, o.status, o.figures, o.row) for o in sub.others] == [
        ("Trung thu cho trẻ em", Status.DONE, Figures(None, 300, None, 45.5), 6), ("Học bổng", Status.DONE, Figures(), 8)]


# --------------------------------------------------------------------------- totals rows


def _merged_totals(sub: Submission) -> dict[str, float]:
    return merge([("tep.xlsx", sub)], PLAN).totals()


def test_a_labelled_totals_row_is_never_merged() -> None:
    total = blank_row(stt="Tổng cộng", events=7, people=120, money_state=45.5, money_other=2.5)
    sub, findings = checked(workbook([*FILLED, total]))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [("totals-row", REPORT, "A9")]
    assert sub.others == ()
    assert _merged_totals(sub) == {"events": 7.0, "people": 120.0, "money_state": 45.5, "money_other": 2.5}


def test_a_totals_row_that_disagrees_with_the_rows() -> None:
    total = blank_row(content="Cộng:", events=9, people=120, money_state="45,5")
    sub, findings = checked(workbook([*FILLED, total]))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [("totals-disagree", REPORT, "J9"),
                                                                    ("totals-row", REPORT, "D9")]
    message = next(f.message_vi for f in findings if f.code == "totals-disagree")
    assert "9" in message and "7" in message
    assert _merged_totals(sub)["events"] == 7.0


def test_a_sum_formula_row_without_label() -> None:
    total = blank_row(events=7, people=120)
    book = workbook([*FILLED, total], formulas={REPORT: {"J9": "SUM(J6:J8)", "K9": "SUM(K6:K8)"}})
    sub, findings = checked(book)
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [("totals-row", REPORT, "J9")]
    assert sub.others == ()


def test_a_row_of_nothing_but_the_column_sums() -> None:
    sub, findings = checked(workbook([*FILLED, blank_row(events=7, money_state=45.5)]))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [("totals-row", REPORT, "J9")]
    # one row above is not a sum of rows: a row of figures equal to it is work of its own
    single = [FILLED[0], activity("HD02"), activity("HD03"), blank_row(events=3)]
    sub, findings = checked(workbook(single))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [("row-without-id", REPORT, "B9")]
    assert [o.figures.events for o in sub.others] == [3]
    # nor is a row that names an activity, even with figures equal to the sums
    named = workbook([*FILLED, blank_row(activity_id="HD07", events=7, money_state=45.5)])
    assert found(named) == [("row-not-in-plan", REPORT, "B9")]


def test_totals_row_in_other_activities() -> None:
    rows = [other(content="Trung thu", status=DONE, result="a", people=300),
            other(content="Học bổng", status=DONE, result="b", people=20),
            other(content="TỔNG CỘNG", people=330)]
    sub, findings = checked(workbook(others=rows))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [("totals-disagree", OTHER, "G8"),
                                                                    ("totals-row", OTHER, "B8")]
    assert [o.content for o in sub.others] == ["Trung thu", "Học bổng"]


# --------------------------------------------------------------------------- merged cells


def test_a_result_merged_over_three_activities() -> None:
    rows = [activity("HD01", status=DONE, result="Chung cho ba hoạt động", events=3),
            activity("HD02", status=DONE, events=1), activity("HD03", people=5)]
    sub, findings = checked(workbook(rows, merged={REPORT: ["A1:P1", "I6:I8"]}))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [("merged-cell", REPORT, "I8"),
                                                                    ("merged-cell-missing", REPORT, "I7")]
    assert [r.result for r in sub.rows] == ["Chung cho ba hoạt động", "", ""]
    missing = next(f for f in findings if f.code == "merged-cell-missing")
    assert missing.activity_id == "HD02" and "I6:I8" in missing.message_vi


def test_a_lead_status_under_a_merge() -> None:
    rows = [activity("HD02", status=DONE, result="x"), activity("HD01", result="y"), activity("HD03")]
    sub, findings = checked(workbook(rows, merged={REPORT: ["H6:H8"]}))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [
        ("merged-cell", REPORT, "H8"), ("merged-cell-missing", REPORT, "H7"), ("rows-reordered", REPORT, "")]
    assert [r.status for r in sub.rows] == [Status.DONE, None, None]


def test_merges_of_titles_and_header_cover_no_data() -> None:
    """Titles merged across the sheet, a header merged down over a data cell: no finding, nothing moved."""
    rows = [activity("HD01", status=DONE, result="x", events=3), activity("HD02"), activity("HD03")]
    sub, findings = checked(workbook(rows, merged={REPORT: ["A1:P1", "A2:P2", "M4:M6", "N6:N6"]}))
    assert findings == []
    assert figures(sub)["HD01"] == Figures(3, None, None, None)


def test_figures_merged_over_rows_and_columns_count_once() -> None:
    rows = [activity("HD01", status=DONE, result="x", events=3, money_state=300),
            activity("HD02", status=DONE, result="y"), activity("HD03")]
    sub, findings = checked(workbook(rows, merged={REPORT: ["J6:K6", "L6:L7"]}))
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [("merged-cell", REPORT, "K6"),
                                                                    ("merged-cell", REPORT, "L7")]
    assert figures(sub)["HD01"] == Figures(3, None, 300, None) and figures(sub)["HD02"] == Figures()


def test_merges_in_other_and_label_sheets() -> None:
    rows = [other(content="Trung thu", status=DONE, result="Chung", people=10), other(content="Học bổng", people=5)]
    info = labelled("THÔNG TIN", INFO_FIELDS, INFO_VALUES)
    info[6] = ["Người lập báo cáo", None, "Nguyễn Văn An"]  # the label typed in A and merged over A7:B7
    sheets = workbook(others=rows)
    book = Grid({**{n: sheets.rows(n) for n in sheets.sheet_names}, INFO: info},
                merged={OTHER: ["E6:E7"], INFO: ["A7:B7"]})
    sub, findings = checked(book)
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [("merged-cell", OTHER, "E7")]
    assert dict(sub.info)["reporter"] == "Nguyễn Văn An"


# --------------------------------------------------------------------------- sheets found by content


TRANSLATED = {GUIDE: "Guide", INFO: "Agency", REPORT: "Report", OTHER: "Other activities", GENERAL: "Assessment"}


def test_every_sheet_renamed_is_found_by_content() -> None:
    book = workbook(others=[other(content="Trung thu", status=DONE, people=10)], names=TRANSLATED)
    sub, findings = checked(book)
    assert sorted((f.code, f.sheet, f.cell) for f in findings) == [
        ("sheet-renamed", "Agency", ""), ("sheet-renamed", "Assessment", ""), ("sheet-renamed", "Other activities", ""),
        ("sheet-renamed", "Report", "")]
    assert {dict(f.params)["expected"] for f in findings} == {INFO, GENERAL, OTHER, REPORT}
    assert figures(sub)["HD01"] == Figures(3, 120, 45.5, None) and sub.report_date == DATE
    assert [o.content for o in sub.others] == ["Trung thu"] and dict(sub.general)["directions"]


def test_sheets_in_another_order_and_names() -> None:
    book = workbook(names={REPORT: "Sheet1", INFO: "Sheet2"})
    reordered = Grid({n: book.rows(n) for n in reversed(book.sheet_names)})
    assert found(reordered) == [("sheet-renamed", "Sheet1", ""), ("sheet-renamed", "Sheet2", "")]


def test_the_hidden_sheet_and_the_guide_never_pass_for_a_sheet() -> None:
    meta = {**META_VALUES, "Tên cơ quan, đơn vị": "x", "Người lập báo cáo": "y", "Ngày báo cáo": "z"}
    book = workbook(drop=(INFO,), names={GUIDE: "Guide"}, meta=meta)
    assert found(book) == [("sheet-missing", INFO, "")]
    assert locate(book).info is None


def test_named_sheet_without_its_content_gives_way_to_the_one_with_it() -> None:
    book = workbook(names={REPORT: "Bản chính"})
    sheets = {REPORT: [["Trang cũ, để trống"]], **{n: book.rows(n) for n in book.sheet_names}}
    assert found(Grid(sheets)) == [("sheet-renamed", "Bản chính", "")]


# --------------------------------------------------------------------------- identity


def identified(book: Grid, path: str = "tep.xlsx") -> tuple[str | None, list[tuple[str, str, str]]]:
    who, findings = identify(book, path, REGISTRY, YEAR, PLAN.id)
    return who.agency, sorted((f.code, f.sheet, f.cell) for f in findings)


def test_identity() -> None:
    no_meta: dict[str, str] = {}
    assert identified(workbook()) == ("KHCN", [])
    assert identified(workbook(info={"agency_name": "Sở Nội vụ"})) == ("KHCN", [("agency-mismatch", INFO, "C4")])
    assert identified(workbook(meta=no_meta)) == ("KHCN", [("no-identity", "", "")])
    assert identified(workbook(meta=no_meta, info={"agency_name": tcvn3("Sở Nội vụ")})) == \
        ("NOIVU", [("no-identity", "", "")])
    assert identified(workbook(meta=no_meta, info={"agency_name": "Phòng Không Có"})) == \
        (None, [("unknown-agency", INFO, "C4")])
    assert identified(workbook(meta=no_meta, info={"agency_name": None}), "NOIVU_so-noi-vu_2021.xlsx") == \
        ("NOIVU", [("no-identity", "", "")])
    assert identified(workbook(meta={**META_VALUES, "year": "2020"})) == ("KHCN", [("wrong-year", "", "")])
    assert identified(workbook(meta=no_meta, info={"year": 2020})) == \
        ("KHCN", [("no-identity", "", ""), ("wrong-year", INFO, "C6")])
    assert identified(workbook(meta={**META_VALUES, "plan_id": "kh-khac"})) == ("KHCN", [("wrong-plan", "", "")])
    assert identified(workbook(meta={**META_VALUES, "template_version": "0"})) == \
        ("KHCN", [("older-template", "", "")])
    assert identified(workbook(meta={**META_VALUES, "template_version": "99"})) == \
        ("KHCN", [("newer-template", "", "")])


def test_identity_through_renamed_sheets() -> None:
    assert identified(workbook(meta={}, names=TRANSLATED)) == ("KHCN", [("no-identity", "", "")])


# --------------------------------------------------------------------------- every code asserted

# Codes the rules and the identification report at a cell; each must be asserted at one.
AT_A_CELL = frozenset(
    {code for code, entry in CATALOGUE.items() if entry.group == "Giá trị các ô"}
    | {"context-changed", "row-duplicated", "row-repeated", "row-not-in-plan", "row-without-id", "totals-row",
       "totals-disagree", "merged-cell", "merged-cell-missing", "agency-mismatch", "unknown-agency", "wrong-year"})


def _asserted() -> tuple[set[str], set[str]]:
    """(codes, codes at a cell) that the tests assert, read from their source.

    A code counts where its string stands in an assert statement, in a parametrize decorator,
    or in an assignment to a name that an assert or a parametrize decorator of the same module
    reads; it counts at a cell where it heads a literal (code, sheet, "cell") triple there.
    A code merely typed into a workbook, a comment or a helper counts for nothing.
    """
    codes, at_cell = set(), set()
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        regions: list[ast.AST] = []
        read: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                                                and node.func.attr == "parametrize"):
                regions.append(node)
                read |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
                if names & read and "AT_A_CELL" not in names:
                    regions.append(node)
        for region in regions:
            for n in ast.walk(region):
                if isinstance(n, ast.Constant) and n.value in CATALOGUE:
                    codes.add(n.value)
                if (isinstance(n, ast.Tuple) and len(n.elts) == 3
                        and all(isinstance(e, ast.Constant) for e in (n.elts[0], n.elts[2]))):
                    first, cell = n.elts[0], n.elts[2]
                    assert isinstance(first, ast.Constant) and isinstance(cell, ast.Constant)
                    if first.value in CATALOGUE and isinstance(cell.value, str) and cell.value:
                        at_cell.add(str(first.value))
    return codes, at_cell


def test_every_catalogue_code_is_asserted_by_a_test() -> None:
    codes, _ = _asserted()
    assert sorted(set(CATALOGUE) - codes) == []


def test_every_code_reported_at_a_cell_is_asserted_at_its_cell() -> None:
    _, at_cell = _asserted()
    assert AT_A_CELL <= set(CATALOGUE)
    assert sorted(AT_A_CELL - at_cell) == []
