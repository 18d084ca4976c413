"""The officer's check workbook: files and outcomes, errors apart from warnings, who has sent."""

from __future__ import annotations

from pathlib import Path

from pipeline.check.result import CheckResult
from pipeline.model.vocab import AgencyState, Outcome, Severity
from pipeline.outputs.xlsx import STATE_STYLE, formats, table, workbook
from pipeline.workspace.load import Workspace

OUTCOME_STYLE = {Outcome.ACCEPTED: "good", Outcome.ACCEPTED_WITH_WARNINGS: "warning", Outcome.REJECTED: "error",
                 Outcome.SUPERSEDED: None, Outcome.DUPLICATE: None, Outcome.NOT_A_SPREADSHEET: "warning"}


def _name(ws: Workspace, code: str | None) -> str:
    return ws.registry.get(code).short_name if code and code in ws.registry else ""


def write_check_workbook(ws: Workspace, result: CheckResult, path: Path) -> None:
    """kiem-tra-<year>.xlsx: overview, files, errors, warnings, reporting status, overrides."""
    by_path = {f.path: f for f in result.files}
    with workbook(path) as book:
        fmt = formats(book)
        overview = book.add_worksheet("Tổng quan")
        overview.write_string(0, 0, f"KẾT QUẢ KIỂM TRA BÁO CÁO NĂM {result.year}", fmt["title"])
        overview.write_string(1, 0, f"Hạn nộp: {result.deadline:%d/%m/%Y}; số tệp nhận được: {len(result.files)}",
                              fmt["subtitle"])
        rows = [[o.label, result.count(o)] for o in Outcome]
        rows.append(["Tổng số tệp", len(result.outcomes)])
        nxt = table(overview, fmt, 3, [("Kết quả", 28), ("Số tệp", 10)], rows, ["text", "int"])
        states = [[s.label, sum(1 for a in result.agencies if a.state == s)] for s in AgencyState]
        states.append(["Tổng số đơn vị phải báo cáo", len(result.agencies)])
        table(overview, fmt, nxt, [("Tình trạng nộp", 28), ("Số đơn vị", 10)], states, ["text", "int"])
        overview.freeze_panes(0, 0)

        files = book.add_worksheet("Tệp nhận được")
        rows, styles = [], []
        for o in result.outcomes:
            f = by_path[o.path]
            rows.append([o.path, f.kind, o.agency or "", _name(ws, o.agency), o.outcome.label,
                         len(f.errors), len(f.warnings), f.report_date, o.note])
            styles.append(OUTCOME_STYLE[o.outcome])
        table(files, fmt, 0, [("Tệp", 48), ("Định dạng", 10), ("Mã đơn vị", 12), ("Đơn vị", 26), ("Kết quả", 20),
                              ("Số lỗi", 8), ("Số cảnh báo", 10), ("Ngày báo cáo", 12), ("Ghi chú", 50)],
              rows, ["text", "text", "text", "text", "text", "int", "int", "date", "text"], styles)

        outcome = {o.path: o.outcome.label for o in result.outcomes}
        for severity in Severity:
            sheet = book.add_worksheet(severity.label)
            rows = []
            for item in result.findings():
                if item.severity != severity:
                    continue
                agency = by_path[item.file].agency if item.file in by_path else None
                rows.append([item.file, _name(ws, agency), outcome.get(item.file, ""), item.sheet, item.cell,
                             item.activity_id, item.code, item.message_vi, item.value])
            table(sheet, fmt, 0, [("Tệp", 36), ("Đơn vị", 20), ("Kết quả của tệp", 16), ("Trang", 12), ("Ô", 6),
                                  ("Mã HĐ", 7), ("Mã lỗi", 20), ("Nội dung và cách sửa", 64), ("Giá trị", 20)], rows)

        status = book.add_worksheet("Tình trạng nộp")
        rows, styles = [], []
        for a in result.agencies:
            rows.append([a.agency, ws.registry.get(a.agency).name, a.state.label, a.received, a.file])
            styles.append(STATE_STYLE[a.state])
        table(status, fmt, 0, [("Mã đơn vị", 12), ("Đơn vị", 40), ("Tình trạng", 20), ("Ngày gửi", 12),
                               ("Tệp được dùng", 50)], rows, ["text", "text", "text", "date", "text"], styles)

        decisions = book.add_worksheet("Quyết định của cán bộ")
        labels = {"excluded-by-officer": "Loại khỏi tổng hợp", "chosen-by-officer": "Chọn bản này",
                  "chosen-has-errors": "Chọn nhưng tệp có lỗi", "decision-unmatched": "Không khớp tệp nào"}
        rows = [[d.file, labels.get(d.code, d.code), d.message_vi] for d in result.overrides]
        table(decisions, fmt, 0, [("Tệp", 48), ("Quyết định", 20), ("Lý do", 70)], rows)
