"""The drafter's notes: each anomaly of the data worded for the officer who checks the draft before signing."""

from __future__ import annotations

from pipeline.consolidate.review import Anomaly, lead_states
from pipeline.model.numbers import vn_number
from pipeline.model.vocab import Role, Status
from pipeline.workspace.load import Workspace

TITLES = {
    "lead-not-started-with-figures": "Chủ trì báo cáo chưa thực hiện nhưng có số liệu",
    "lead-missing": "Thiếu báo cáo của cơ quan chủ trì",
    "regression": "Tình trạng lùi so với năm trước",
    "money-outlier": "Kinh phí bất thường",
    "row-contradiction": "Tình trạng và số liệu mâu thuẫn",
}


def note_text(ws: Workspace, a: Anomaly) -> str:
    """'Cần rà soát: …' — what the figures say, and what to check before signing."""
    name = ws.registry.get(a.agency).name if a.agency in ws.registry else a.agency
    if a.kind == "lead-not-started-with-figures":
        return (f"Cần rà soát: {name} (chủ trì) báo cáo “Chưa thực hiện”, nhưng {a.get('others')} cơ quan phối hợp, "
                f"địa phương đã triển khai và báo cáo {vn_number(a.get('events'))} hoạt động/đợt, "
                f"{vn_number(a.get('people'))} lượt người, {vn_number(a.get('money'), 1)} triệu đồng. Đề nghị xác minh "
                "với cơ quan chủ trì trước khi trình ký.")
    if a.kind == "lead-missing":
        why = lead_states().get(a.get("state"), "cơ quan chủ trì chưa báo cáo")
        return (f"Cần rà soát: tình trạng hoạt động này để trống vì {why} ({name}). Số liệu trong đoạn là của "
                f"{a.get('others')} cơ quan phối hợp, địa phương; nếu cơ quan chủ trì gửi lại bản đạt yêu cầu, "
                "chạy lại lệnh báo cáo.")
    if a.kind == "regression":
        return (f"Cần rà soát: năm {a.get('year_before')} cơ quan chủ trì ({name}) báo cáo "
                f"“{Status(a.get('before')).label}”, năm {a.get('year')} báo cáo “{Status(a.get('after')).label}”. Tình trạng lùi "
                "thường do ghi nhầm; đề nghị xác minh.")
    if a.kind == "money-outlier":
        return (f"Cần rà soát: {name} ({Role(a.get('role')).label.lower()}) báo cáo kinh phí "
                f"{vn_number(a.get('money'), 1)} triệu đồng cho hoạt động này năm {a.get('year')}, gấp "
                f"{vn_number(a.get('money') / a.get('median'), 0)} lần mức giữa của các dòng có kinh phí "
                f"({vn_number(a.get('median'), 1)} triệu đồng); tệp {a.get('file')}, dòng {a.get('row')}. Kiểm tra đơn vị "
                "tính (triệu đồng).")
    if a.kind == "row-contradiction":
        return (f"Cần rà soát: {name} ghi “{Status(a.get('status')).label}” cho hoạt động này năm {a.get('year')} nhưng "
                "vẫn có số liệu; các số đó đã được cộng vào tổng. Đề nghị xác minh với đơn vị.")
    return f"Cần rà soát: {a.kind}."
