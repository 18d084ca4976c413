"""tong-hop-<year>.xlsx: the figures behind the report, with the trail to every source cell.

The counts are the consolidation's (pipeline.consolidate.summary), the same the Word report
states; a period's workbook has the year in every detail row and each agency's history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeAlias

from xlsxwriter.utility import xl_col_to_name

from pipeline.consolidate.summary import STATUS_ORDER, YearSummary
from pipeline.model.layout import GENERAL_FIELDS, OTHER_COLUMNS, REPORT_COLUMNS
from pipeline.model.vocab import AgencyState, Role, Severity, Status
from pipeline.outputs.xlsx import STATE_STYLE, formats, table, workbook
from pipeline.workspace.load import Workspace

STATUS_STYLE = {Status.DONE: "good", Status.IN_PROGRESS: "warning", Status.NOT_STARTED: "error",
                Status.NOT_REPORTED: "error", Status.NOT_APPLICABLE: None}
GENERAL_LABELS = dict(GENERAL_FIELDS)
# Column keys as the workbook's own headers call them, for the trail of source cells.
CELL_LABELS = {c.key: c.label for c in (*REPORT_COLUMNS, *OTHER_COLUMNS)}
NOTES_SHEET = "Cần rà soát"


# A status, role or agency-state code as people read it (the first kind that knows the code wins).
LABELS: dict[str, str] = {}
for _member in (*Status, *Role, *AgencyState):
    LABELS.setdefault(_member.value, _member.label)
CHUNK = 4096  # frame rows turned into Python values at a time: memory stays flat in the number of rows
# A frame column, or (column, function of its value) for a column derived on the way.
Column: TypeAlias = str | tuple[str, Callable[[Any], Any]]


def _label(value: Any) -> Any:
    """A status or role code as people read it; anything else unchanged."""
    return LABELS.get(value, value) if isinstance(value, str) else value


def _records(frame: Any, columns: Sequence[Column], labels: bool = False) -> Iterator[tuple[Any, ...]]:
    """The frame's rows as they are written: blanks as None, sums without float noise, codes labelled if asked.

    Column by column over chunks of rows (pandas' per-row iteration costs ten times more), one chunk in
    memory at a time.
    """
    for start in range(0, len(frame), CHUNK):
        part = frame.iloc[start:start + CHUNK]
        yield from zip(*(_column(part, column, labels) for column in columns))


def _column(part: Any, column: Column, labels: bool) -> list[Any]:
    name, derive = (column, None) if isinstance(column, str) else column
    series = part[name]
    values = series.tolist()
    if derive is not None:
        values = [derive(v) for v in values]
    elif series.dtype.kind == "f":
        return [None if v != v else round(v, 6) for v in values]
    elif series.dtype.kind in "iu":
        return values  # type: ignore[no-any-return]
    elif labels and series.dtype == "str":  # text or NaN
        return [None if v.__class__ is float else LABELS.get(v, v) for v in values]
    cleaned = [None if _isnan(v) else _round(v) for v in values]
    return [_label(v) for v in cleaned] if labels else cleaned


def _memo(fn: Callable[[str], str], limit: int = 16384) -> Callable[[str], str]:
    """`fn` remembering its last few thousand answers: every file of one layout has the same trails of cells."""
    cache: dict[str, str] = {}

    def get(value: str) -> str:
        got = cache.get(value)
        if got is None:
            if len(cache) >= limit:
                cache.clear()
            got = cache[value] = fn(value)
        return got

    return get


def _round(value: Any) -> Any:
    """Sums without float noise: 8016.700000000002 is written 8016.7."""
    return round(value, 6) if isinstance(value, float) else value


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def source_cells(trail: str) -> str:
    """'status=H6; result=I6' -> 'Tình trạng: H6; Kết quả thực hiện: I6'."""
    parts = []
    for item in str(trail or "").split(";"):
        key, _, cell = item.strip().partition("=")
        if cell:
            parts.append(f"{CELL_LABELS.get(key, key)}: {cell}")
    return "; ".join(parts)


def write_summary_workbook(ws: Workspace, summary: YearSummary, path: Path,
                           history: list[YearSummary] | None = None, period: tuple[int, int] | None = None,
                           notes: list[Any] | None = None) -> None:
    """All sheets, number formats, filters, frozen headers and native charts printable one page each."""
    names = {a.code: a.short_name for a in ws.registry}
    merged = summary.merged
    label = (f"{summary.label} (số liệu {summary.data_label})" if summary.period else summary.label).upper()
    with workbook(path) as book:
        fmt = formats(book)
        _activities(book, fmt, ws, summary, label)
        _agencies(book, fmt, summary, label)

        sheet = book.add_worksheet("Chi tiết")
        cols: list[Column] = ["year", "agency", ("agency", names.get), "role", "activity_id", "recommendations",
                              "status", "result", "events", "people", "money_state", "money_other", "difficulties",
                              "proposals", "evidence", "source_file", "sheet", "row", ("cells", _memo(source_cells))]
        table(sheet, fmt, 0, [("Năm", 6), ("Mã ĐV", 9), ("Đơn vị", 24), ("Vai trò", 9), ("Mã HĐ", 7),
                              (ws.plan.terms.number_label, 8), ("Tình trạng", 14), ("Kết quả thực hiện", 50),
                              ("Số hoạt động", 9), ("Lượt người", 10), ("KP NSNN (tr.đ)", 10), ("KP khác (tr.đ)", 10),
                              ("Khó khăn", 30), ("Đề xuất", 30), ("Văn bản, minh chứng", 20), ("Tệp nguồn", 36),
                              ("Trang", 10), ("Dòng", 6), ("Ô nguồn", 40)],
              _records(merged.rows, cols, labels=True),
              ["year"] + ["text"] * 7 + ["int", "int", "money", "money"] + ["text"] * 5 + ["int", "text"])

        sheet = book.add_worksheet("Hoạt động khác")
        cols = ["year", ("agency", names.get), "content", "status", "result", "events", "people", "money_state",
                "money_other", "note", "source_file", "sheet", "row"]
        table(sheet, fmt, 0, [("Năm", 6), ("Đơn vị", 24), ("Nội dung hoạt động", 45), ("Tình trạng", 14),
                              ("Kết quả", 45), ("Số hoạt động", 9), ("Lượt người", 10), ("KP NSNN (tr.đ)", 10),
                              ("KP khác (tr.đ)", 10), ("Ghi chú", 24), ("Tệp nguồn", 36), ("Trang", 12), ("Dòng", 6)],
              _records(merged.others, cols, labels=True),
              ["year"] + ["text"] * 4 + ["int", "int", "money", "money"] + ["text"] * 3 + ["int"])

        sheet = book.add_worksheet("Ý kiến của đơn vị")
        table(sheet, fmt, 0, [("Năm", 6), ("Đơn vị", 26), ("Nội dung", 30), ("Ý kiến của đơn vị", 90),
                              ("Tệp nguồn", 36), ("Ô", 6)],
              _records(merged.general, ["year", ("agency", names.get), ("field", GENERAL_LABELS.get), "text",
                                        "source_file", "cell"]),
              ["year", "text", "text", "text", "text", "text"])

        _reporting(book, fmt, ws, summary)

        sheet = book.add_worksheet("Kết quả kiểm tra")
        rows = ((f.file, f.severity.label, f.sheet, f.cell, f.activity_id, f.code, f.message_vi)
                for f in sorted(summary.findings, key=lambda f: (f.severity != Severity.ERROR, f.file)))
        table(sheet, fmt, 0, [("Tệp", 40), ("Mức độ", 9), ("Trang", 14), ("Ô", 6), ("Mã HĐ", 7), ("Mã", 22),
                              ("Nội dung", 80)], rows)

        sheet = book.add_worksheet(NOTES_SHEET)
        sheet.write_string(0, 0, f"CÁC ĐIỂM CẦN RÀ SOÁT TRƯỚC KHI TRÌNH KÝ BÁO CÁO {label}", fmt["title"])
        sheet.write_string(1, 0, "Cùng nội dung với các ghi chú (comment) trong dự thảo Word; xóa các ghi chú đó "
                                 "trước khi in, ký.", fmt["subtitle"])
        notes_rows: list[list[Any]] = [[i, note.anchor, note.text] for i, note in enumerate(notes or [], start=1)]
        table(sheet, fmt, 3, [("STT", 5), ("Đoạn liên quan (nội dung hoạt động)", 50), ("Cần rà soát", 100)], notes_rows,
              ["int", "text", "text"])

        _charts(book, fmt, ws, summary, names)
        years = list(history or []) if period else [*(history or []), summary]
        if len(years) > 1 or period:
            _history_sheet(book, fmt, years, summary if period else None)


def _activities(book: Any, fmt: dict[str, Any], ws: Workspace, summary: YearSummary, label: str) -> None:
    acts = summary.activities
    sheet = book.add_worksheet("Theo hoạt động")
    sheet.write_string(0, 0, f"TỔNG HỢP KẾT QUẢ THỰC HIỆN THEO HOẠT ĐỘNG {label}", fmt["title"])
    status_head = f"Tình trạng (năm {summary.year})" if summary.period else "Tình trạng"
    cols = ["activity_id", "recommendations", "content", "lead_name", "status", "partner_assigned",
            "partner_reported", "partner_implemented", "local_assigned", "local_reported", "local_implemented",
            "local_not_arising", "events", "people", "money_state", "money_other", "money_total"]
    heads = [("Mã HĐ", 7), (ws.plan.terms.number_label, 8), ("Nội dung hoạt động", 50), ("Chủ trì", 14),
             (status_head, 16), ("Phối hợp được giao", 10), ("Phối hợp đã báo cáo", 10),
             ("Phối hợp đã triển khai", 10), ("Địa phương được giao", 10), ("Địa phương đã báo cáo", 10),
             ("Địa phương đã triển khai", 10), ("Địa phương không phát sinh", 10), ("Số hoạt động", 10),
             ("Lượt người", 11), ("Kinh phí NSNN (tr.đ)", 13), ("Kinh phí khác (tr.đ)", 13), ("Tổng kinh phí (tr.đ)", 13)]
    kinds = ["text"] * 5 + ["int"] * 9 + ["money"] * 3
    records = list(_records(acts, cols))
    styles = [STATUS_STYLE.get(Status(r[4])) for r in records]
    rows = [[_label(v) if c == 4 else v for c, v in enumerate(r)] for r in records]
    table(sheet, fmt, 2, heads, rows, kinds, styles)
    total_row = 3 + len(rows)
    sheet.write_string(total_row, 2, "Tổng cộng", fmt["bold"])
    for c, key in enumerate(cols):
        if c >= 12:
            col = xl_col_to_name(c)
            value = round(float(acts[key].sum()), 6) if len(acts) else 0.0
            sheet.write_formula(total_row, c, f"=SUM({col}4:{col}{total_row})",
                                fmt["total_int" if c < 14 else "total"], value)
    note = ("Đã báo cáo: dòng có ghi tình trạng; đã triển khai: “Đang thực hiện” hoặc “Đã hoàn thành”"
            + ("; trong giai đoạn mỗi đơn vị tính một lần, theo năm tiến xa nhất." if summary.period else "."))
    sheet.write_string(total_row + 2, 2, note, fmt["subtitle"])


def _agencies(book: Any, fmt: dict[str, Any], summary: YearSummary, label: str) -> None:
    agencies = summary.agencies
    sheet = book.add_worksheet("Theo đơn vị")
    cols: list[Column] = ["agency", "name", ("state", lambda v: AgencyState(v).label), "received", "assigned",
                          "reported", "implemented", "done", "errors", "warnings", "events", "people", "money_state",
                          "money_other", "other_money", "file"]
    state_head = f"Tình trạng nộp (năm {summary.year})" if summary.period else "Tình trạng nộp"
    heads = [("Mã", 10), ("Đơn vị", 36), (state_head, 14), ("Ngày gửi", 11), ("Dòng được giao", 10),
             ("Dòng đã báo cáo", 10), ("Đã triển khai", 10), ("Đã hoàn thành", 10), ("Số lỗi", 8),
             ("Số cảnh báo", 9), ("Số hoạt động", 10), ("Lượt người", 11), ("Kinh phí NSNN (tr.đ)", 13),
             ("Kinh phí khác (tr.đ)", 13), ("Kinh phí ngoài Kế hoạch (tr.đ)", 13), ("Tệp", 40)]
    kinds = ["text", "text", "text", "date"] + ["int"] * 8 + ["money"] * 3 + ["text"]
    if summary.period:
        cols[4:4] = ["years_reported", "years_expected"]
        heads[4:4] = [("Số năm đã gửi", 9), ("Số năm phải gửi", 9)]
        kinds[4:4] = ["int", "int"]
    table(sheet, fmt, 0, heads, _records(agencies, cols), kinds,
          [STATE_STYLE.get(AgencyState(s)) for s in agencies["state"]])


def _reporting(book: Any, fmt: dict[str, Any], ws: Workspace, summary: YearSummary) -> None:
    sheet = book.add_worksheet("Tình trạng nộp")
    years = list(summary.per_year) or [summary]
    states = {y.year: {a.agency: a for a in y.reporting} for y in years}
    codes = list(dict.fromkeys(a.agency for y in years for a in y.reporting))
    heads = [("Mã", 10), ("Đơn vị", 40)]
    for y in years:
        heads += [(f"Năm {y.year}", 16), (f"Ngày gửi {y.year}", 11)]
    heads.append(("Tệp (năm cuối)", 50))
    rows, styles = [], []
    for code in codes:
        row: list[Any] = [code, ws.registry.get(code).name]
        for y in years:
            got = states[y.year].get(code)
            row += [got.state.label if got else "Không phải báo cáo", got.received if got else None]
        last = states[years[-1].year].get(code)
        row.append(last.file if last else "")
        rows.append(row)
        styles.append(STATE_STYLE.get(last.state) if last else None)
    table(sheet, fmt, 0, heads, rows, ["text", "text"] + ["text", "date"] * len(years) + ["text"], styles)


def _chart_page(sheet: Any) -> None:
    """One chart per printed page: A4 landscape, fitted to one page."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 1)
    sheet.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)


def _charts(book: Any, fmt: dict[str, Any], ws: Workspace, summary: YearSummary, names: dict[str, str]) -> None:
    """Native charts, each on its own sheet printed on one page: progress by number or group, money by agency."""
    acts = summary.activities
    sheet = book.add_worksheet("Biểu đồ tiến độ")
    _chart_page(sheet)
    number_label = ws.plan.terms.number_label
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
    last = max(len(recs), 1)
    for c, status in enumerate(STATUS_ORDER, start=1):
        chart.add_series({"name": ["Biểu đồ tiến độ", 0, c], "categories": ["Biểu đồ tiến độ", 1, 0, last, 0],
                          "values": ["Biểu đồ tiến độ", 1, c, last, c], "fill": {"color": colours[c - 1]}})
    font = {"name": "Times New Roman", "size": 10}
    chart.set_title({"name": f"Tình trạng các hoạt động theo {number_label.lower()} ({summary.data_label})",
                     "name_font": {"name": "Times New Roman", "size": 12}})
    chart.set_x_axis({"num_font": font, "interval_unit": 1})
    chart.set_y_axis({"name": "Số hoạt động", "major_unit": 1, "num_font": font, "name_font": font})
    chart.set_legend({"position": "bottom", "font": font})
    chart.set_size({"width": 760, "height": 400})
    sheet.insert_chart(1, 6, chart)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 4, 13)

    agencies = summary.agencies
    sheet = book.add_worksheet("Biểu đồ kinh phí")
    _chart_page(sheet)
    sheet.set_portrait()
    money = agencies.assign(total=agencies["money_state"] + agencies["money_other"])
    money = money[money["total"] > 0].sort_values("total", ascending=False)
    sheet.write_string(0, 0, "Đơn vị", fmt["header"])
    sheet.write_string(0, 1, "Kinh phí NSNN (tr.đ)", fmt["header"])
    sheet.write_string(0, 2, "Kinh phí khác (tr.đ)", fmt["header"])
    rows = list(_records(money, ["short_name", "money_state", "money_other"]))
    for r, (name, state, other) in enumerate(rows, start=1):
        sheet.write_string(r, 0, str(name), fmt["text"])
        sheet.write_number(r, 1, float(state), fmt["money"])
        sheet.write_number(r, 2, float(other), fmt["money"])
    last = max(len(rows), 1)
    bar = book.add_chart({"type": "bar", "subtype": "stacked"})
    for c, colour in ((1, "#4472C4"), (2, "#ED7D31")):
        bar.add_series({"name": ["Biểu đồ kinh phí", 0, c], "categories": ["Biểu đồ kinh phí", 1, 0, last, 0],
                        "values": ["Biểu đồ kinh phí", 1, c, last, c], "fill": {"color": colour}, "gap": 40})
    bar.set_title({"name": f"Kinh phí thực hiện theo đơn vị, triệu đồng ({summary.data_label})",
                   "name_font": {"name": "Times New Roman", "size": 12}})
    # every agency's name shown: one label per bar, the chart as tall as the list needs
    bar.set_x_axis({"num_font": font, "num_format": "#,##0"})
    bar.set_y_axis({"reverse": True, "interval_unit": 1, "num_font": {"name": "Times New Roman", "size": 9}})
    bar.set_legend({"position": "bottom", "font": font})
    # LibreOffice hides a label that would overlap the next: two wrapped lines of 9 pt need about 34 px a bar
    bar.set_size({"width": 640, "height": max(360, 34 * len(rows) + 110)})
    sheet.insert_chart(0, 4, bar)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 2, 13)


def _history_sheet(book: Any, fmt: dict[str, Any], years: list[YearSummary], period: YearSummary | None) -> None:
    sheet = book.add_worksheet("Qua các năm")
    heads = [("Năm", 14), ("Số hoạt động", 12), ("Lượt người", 12), ("Kinh phí NSNN (tr.đ)", 14),
             ("Kinh phí khác (tr.đ)", 14), ("HĐ đã hoàn thành", 12), ("Đơn vị đã gửi", 12), ("Đơn vị phải gửi", 12)]
    rows: list[list[Any]] = []
    for y in years:
        t = y.totals()
        rows.append([str(y.year), t["events"], t["people"], t["money_state"], t["money_other"],
                     y.status_counts()[Status.DONE], sum(1 for s in y.reporting if s.state.received), len(y.reporting)])
    if period is not None and period.period is not None:
        have = {y.year for y in years}
        for missing in range(period.period[0], period.period[1] + 1):
            if missing not in have:
                rows.append([f"{missing} (chưa có số liệu)", None, None, None, None, None, None, None])
        t = period.totals()
        rows.append([f"Cả giai đoạn {period.period[0]}-{period.period[1]}", t["events"], t["people"],
                     t["money_state"], t["money_other"], period.status_counts()[Status.DONE], None, None])
    table(sheet, fmt, 0, heads, rows, ["text", "int", "int", "money", "money", "int", "int", "int"])
