"""The officer's check workbook: files and outcomes, errors apart from warnings, who has sent."""

from __future__ import annotations

from pathlib import Path

from pipeline.check import STATE_LABELS, CheckResult
from pipeline.findings import (ACCEPTED, ACCEPTED_WITH_WARNINGS, DUPLICATE, NOT_A_SPREADSHEET, OUTCOME_LABELS,
                               OUTCOMES, REJECTED, SUPERSEDED)
from pipeline.workspace import Workspace
from pipeline.xlsx import formats, table, workbook

OUTCOME_STYLE = {ACCEPTED: "good", ACCEPTED_WITH_WARNINGS: "warning", REJECTED: "error", SUPERSEDED: None,
                 DUPLICATE: None, NOT_A_SPREADSHEET: "warning"}
STATE_STYLE = {"on-time": "good", "late": "warning", "missing": "error", "rejected": "error"}


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
        rows = [[OUTCOME_LABELS[o], result.count(o)] for o in OUTCOMES]
        rows.append(["Tổng số tệp", len(result.outcomes)])
        nxt = table(overview, fmt, 3, [("Kết quả", 28), ("Số tệp", 10)], rows, ["text", "int"])
        states = [[label, sum(1 for a in result.agencies if a.state == s)] for s, label in STATE_LABELS.items()]
        states.append(["Tổng số đơn vị phải báo cáo", len(result.agencies)])
        table(overview, fmt, nxt, [("Tình trạng nộp", 28), ("Số đơn vị", 10)], states, ["text", "int"])
        overview.freeze_panes(0, 0)

        files = book.add_worksheet("Tệp nhận được")
        rows, styles = [], []
        for o in result.outcomes:
            f = by_path[o.path]
            rows.append([o.path, f.kind, o.agency or "", _name(ws, o.agency), OUTCOME_LABELS[o.outcome],
                         len(f.errors), len(f.warnings), f.report_date, o.note])
            styles.append(OUTCOME_STYLE[o.outcome])
        table(files, fmt, 0, [("Tệp", 48), ("Định dạng", 10), ("Mã đơn vị", 12), ("Đơn vị", 26), ("Kết quả", 20),
                              ("Số lỗi", 8), ("Số cảnh báo", 10), ("Ngày báo cáo", 12), ("Ghi chú", 50)],
              rows, ["text", "text", "text", "text", "text", "int", "int", "date", "text"], styles)

        outcome = {o.path: OUTCOME_LABELS[o.outcome] for o in result.outcomes}
        for title, severity in (("Lỗi", "error"), ("Cảnh báo", "warning")):
            sheet = book.add_worksheet(title)
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
            rows.append([a.agency, ws.registry.get(a.agency).name, STATE_LABELS[a.state], a.received, a.file])
            styles.append(STATE_STYLE[a.state])
        table(status, fmt, 0, [("Mã đơn vị", 12), ("Đơn vị", 40), ("Tình trạng", 20), ("Ngày gửi", 12),
                               ("Tệp được dùng", 50)], rows, ["text", "text", "text", "date", "text"], styles)

        decisions = book.add_worksheet("Quyết định của cán bộ")
        labels = {"excluded-by-officer": "Loại khỏi tổng hợp", "chosen-by-officer": "Chọn bản này",
                  "chosen-has-errors": "Chọn nhưng tệp có lỗi", "decision-unmatched": "Không khớp tệp nào"}
        rows = [[d.file, labels.get(d.code, d.code), d.message_vi] for d in result.overrides]
        table(decisions, fmt, 0, [("Tệp", 48), ("Quyết định", 20), ("Lý do", 70)], rows)
