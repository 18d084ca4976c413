"""tong-hop-<year>.xlsx: the figures behind the report, with the trail to every source cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from pipeline.consolidate.summary import STATUS_ORDER, YearSummary
from pipeline.model.layout import GENERAL_FIELDS
from pipeline.model.vocab import AgencyState, Role, Severity, Status
from pipeline.outputs.xlsx import STATE_STYLE, formats, table, workbook
from pipeline.workspace.load import Workspace

STATUS_STYLE = {Status.DONE: "good", Status.IN_PROGRESS: "warning", Status.NOT_STARTED: "error",
                Status.NOT_REPORTED: "error"}
GENERAL_LABELS = dict(GENERAL_FIELDS)


def _label(value: Any) -> Any:
    """A status or role code as people read it; anything else unchanged."""
    for kind in (Status, Role, AgencyState):
        if isinstance(value, str) and value in kind._value2member_map_:
            return kind(value).label
    return value


def _records(frame: Any, columns: list[str]) -> list[list[Any]]:
    return [[None if _isnan(v) else v for v in row] for row in frame[columns].itertuples(index=False, name=None)]


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def write_summary_workbook(ws: Workspace, summary: YearSummary, path: Path,
                           history: list[YearSummary] | None = None, period: tuple[int, int] | None = None) -> None:
    """All sheets, number formats, filters, frozen headers and two native charts."""
    names = {a.code: a.short_name for a in ws.registry}
    merged = summary.merged
    with workbook(path) as book:
        fmt = formats(book)
        acts = summary.activities
        sheet = book.add_worksheet("Theo hoạt động")
        label = f"GIAI ĐOẠN {period[0]}-{period[1]}" if period else f"NĂM {summary.year}"
        sheet.write_string(0, 0, f"TỔNG HỢP KẾT QUẢ THỰC HIỆN THEO HOẠT ĐỘNG {label}", fmt["title"])
        cols = ["activity_id", "recommendations", "content", "lead_name", "status", "partners_reported",
                "partners_expected", "districts_reported", "events", "people", "money_state", "money_other",
                "money_total"]
        heads = [("Mã HĐ", 7), (ws.plan.terms.number_label, 8), ("Nội dung hoạt động", 50), ("Chủ trì", 14), ("Tình trạng (chủ trì)", 16),
                 ("Phối hợp đã báo cáo", 10), ("Phối hợp phải báo cáo", 10), ("Địa phương báo cáo", 10),
                 ("Số hoạt động", 10), ("Lượt người", 11), ("Kinh phí NSNN (tr.đ)", 13),
                 ("Kinh phí khác (tr.đ)", 13), ("Tổng kinh phí (tr.đ)", 13)]
        kinds = ["text"] * 5 + ["int"] * 5 + ["money"] * 3
        rows = _records(acts, cols)
        styles = [STATUS_STYLE.get(Status(r[4])) for r in rows]
        rows = [[_label(v) if c == 4 else v for c, v in enumerate(r)] for r in rows]
        nxt = table(sheet, fmt, 2, heads, rows, kinds, styles)
        total_row = 3 + len(rows)
        sheet.write_string(total_row, 2, "Tổng cộng", fmt["bold"])
        for c, key in enumerate(cols):
            if c >= 8:
                col = xl_col_to_name(c)
                value = float(acts[key].sum()) if len(acts) else 0.0
                sheet.write_formula(total_row, c, f"=SUM({col}4:{col}{total_row})",
                                    fmt["total_int" if c < 10 else "total"], value)
        del nxt

        agencies = summary.agencies
        sheet = book.add_worksheet("Theo đơn vị")
        frame = agencies.assign(state_label=agencies["state"].map(lambda v: AgencyState(v).label))
        cols = ["agency", "name", "state_label", "received", "reported", "assigned", "done", "errors", "warnings",
                "money_state", "money_other", "file"]
        rows = _records(frame, cols)
        table(sheet, fmt, 0, [("Mã", 10), ("Đơn vị", 36), ("Tình trạng nộp", 14), ("Ngày gửi", 11),
                              ("Dòng đã báo cáo", 10), ("Dòng được giao", 10), ("Đã hoàn thành", 10), ("Số lỗi", 8),
                              ("Số cảnh báo", 9), ("Kinh phí NSNN (tr.đ)", 13), ("Kinh phí khác (tr.đ)", 13),
                              ("Tệp", 40)],
              rows, ["text", "text", "text", "date"] + ["int"] * 5 + ["money", "money", "text"],
              [STATE_STYLE.get(AgencyState(s)) for s in agencies["state"]])

        detail = merged.rows.assign(agency_name=merged.rows["agency"].map(names))
        sheet = book.add_worksheet("Chi tiết")
        cols = ["agency", "agency_name", "role", "activity_id", "recommendations", "status", "result", "events",
                "people", "money_state", "money_other", "difficulties", "proposals", "evidence", "source_file",
                "sheet", "row", "cells"]
        table(sheet, fmt, 0, [("Mã ĐV", 9), ("Đơn vị", 24), ("Vai trò", 9), ("Mã HĐ", 7), ("KN số", 7),
                              ("Tình trạng", 14), ("Kết quả thực hiện", 50), ("Số hoạt động", 9), ("Lượt người", 10),
                              ("KP NSNN", 10), ("KP khác", 10), ("Khó khăn", 30), ("Đề xuất", 30), ("Minh chứng", 20),
                              ("Tệp nguồn", 36), ("Trang", 10), ("Dòng", 6), ("Ô nguồn", 40)],
              [[_label(v) for v in r] for r in _records(detail, cols)], ["text"] * 7 + ["int", "int", "money", "money"] + ["text"] * 5 + ["int", "text"])

        others = merged.others.assign(agency_name=merged.others["agency"].map(names))
        sheet = book.add_worksheet("Hoạt động khác")
        cols = ["agency_name", "content", "status", "result", "events", "people", "money_state", "money_other",
                "note", "source_file", "sheet", "row"]
        table(sheet, fmt, 0, [("Đơn vị", 24), ("Nội dung hoạt động", 45), ("Tình trạng", 14), ("Kết quả", 45),
                              ("Số hoạt động", 9), ("Lượt người", 10), ("KP NSNN", 10), ("KP khác", 10),
                              ("Ghi chú", 24), ("Tệp nguồn", 36), ("Trang", 12), ("Dòng", 6)],
              [[_label(v) for v in r] for r in _records(others, cols)], ["text"] * 4 + ["int", "int", "money", "money"] + ["text"] * 3 + ["int"])

        general = merged.general.assign(agency_name=merged.general["agency"].map(names),
                                        field_label=merged.general["field"].map(GENERAL_LABELS))
        sheet = book.add_worksheet("Đánh giá của đơn vị")
        table(sheet, fmt, 0, [("Đơn vị", 26), ("Nội dung", 30), ("Ý kiến của đơn vị", 90), ("Tệp nguồn", 36),
                              ("Ô", 6)],
              _records(general, ["agency_name", "field_label", "text", "source_file", "cell"]))

        sheet = book.add_worksheet("Tình trạng nộp")
        rows = [[a.agency, ws.registry.get(a.agency).name, a.state.label, a.received, a.file]
                for a in summary.reporting]
        table(sheet, fmt, 0, [("Mã", 10), ("Đơn vị", 40), ("Tình trạng", 18), ("Ngày gửi", 11), ("Tệp", 50)], rows,
              ["text", "text", "text", "date", "text"], [STATE_STYLE.get(a.state) for a in summary.reporting])

        sheet = book.add_worksheet("Kết quả kiểm tra")
        rows = [[f.file, f.severity.label, f.sheet, f.cell, f.activity_id, f.code, f.message_vi]
                for f in sorted(summary.findings, key=lambda f: (f.severity != Severity.ERROR, f.file))]
        table(sheet, fmt, 0, [("Tệp", 40), ("Mức độ", 9), ("Trang", 14), ("Ô", 6), ("Mã HĐ", 7), ("Mã", 22),
                              ("Nội dung", 80)], rows)

        _charts(book, fmt, summary, names, ws.plan.terms.number_label)
        if history:
            _history_sheet(book, fmt, list(history) if period else [*history, summary])


def _charts(book: Any, fmt: dict[str, Any], summary: YearSummary, names: dict[str, str], number_label: str) -> None:
    sheet = book.add_worksheet("Biểu đồ")
    acts = summary.activities
    recs = list(dict.fromkeys(acts["recommendations"])) if len(acts) else []
    sheet.write_string(0, 0, number_label, fmt["header"])
    for c, status in enumerate(STATUS_ORDER, start=1):
        sheet.write_string(0, c, status.label, fmt["header"])
    for r, rec in enumerate(recs, start=1):
        sheet.write_string(r, 0, str(rec), fmt["text"])
        mine = acts[acts["recommendations"] == rec]
        for c, status in enumerate(STATUS_ORDER, start=1):
            sheet.write_number(r, c, int((mine["status"] == status).sum()), fmt["int"])
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    colours = ("#70AD47", "#FFC000", "#C00000", "#A5A5A5")
    for c, status in enumerate(STATUS_ORDER, start=1):
        chart.add_series({"name": ["Biểu đồ", 0, c], "categories": ["Biểu đồ", 1, 0, max(len(recs), 1), 0],
                          "values": ["Biểu đồ", 1, c, max(len(recs), 1), c], "fill": {"color": colours[c - 1]}})
    chart.set_title({"name": f"Tình trạng các hoạt động theo {number_label.lower()}"})
    chart.set_y_axis({"name": "Số hoạt động", "major_unit": 1})
    chart.set_size({"width": 760, "height": 360})
    sheet.insert_chart(1, 6, chart)

    agencies = summary.agencies
    money = agencies.assign(total=agencies["money_state"] + agencies["money_other"])
    money = money[money["total"] > 0].sort_values("total", ascending=False)
    top = 2 + max(len(recs), 1) + 20
    sheet.write_string(top, 0, "Đơn vị", fmt["header"])
    sheet.write_string(top, 1, "Kinh phí NSNN (tr.đ)", fmt["header"])
    sheet.write_string(top, 2, "Kinh phí khác (tr.đ)", fmt["header"])
    for r, (name, state, other) in enumerate(_records(money, ["short_name", "money_state", "money_other"]),
                                             start=top + 1):
        sheet.write_string(r, 0, str(name), fmt["text"])
        sheet.write_number(r, 1, float(state), fmt["money"])
        sheet.write_number(r, 2, float(other), fmt["money"])
    last = top + max(len(money), 1)
    bar = book.add_chart({"type": "bar", "subtype": "stacked"})
    for c, colour in ((1, "#4472C4"), (2, "#ED7D31")):
        bar.add_series({"name": ["Biểu đồ", top, c], "categories": ["Biểu đồ", top + 1, 0, last, 0],
                        "values": ["Biểu đồ", top + 1, c, last, c], "fill": {"color": colour}})
    bar.set_title({"name": "Kinh phí thực hiện theo đơn vị (triệu đồng)"})
    bar.set_y_axis({"reverse": True})
    bar.set_size({"width": 760, "height": max(360, 22 * len(money) + 80)})
    sheet.insert_chart(top, 6, bar)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 4, 14)


def _history_sheet(book: Any, fmt: dict[str, Any], years: list[YearSummary]) -> None:
    sheet = book.add_worksheet("Qua các năm")
    heads = [("Năm", 8), ("Số hoạt động", 12), ("Lượt người", 12), ("Kinh phí NSNN (tr.đ)", 14),
             ("Kinh phí khác (tr.đ)", 14), ("HĐ đã hoàn thành", 12), ("Đơn vị đã gửi", 12)]
    rows = []
    for y in years:
        a = y.activities
        rows.append([str(y.year), float(a["events"].sum()), float(a["people"].sum()), float(a["money_state"].sum()),
                     float(a["money_other"].sum()), int((a["status"] == Status.DONE).sum()),
                     sum(1 for s in y.reporting if s.state.received)])
    table(sheet, fmt, 0, heads, rows, ["text", "int", "int", "money", "money", "int", "int"])
