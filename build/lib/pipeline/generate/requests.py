"""The yearly request e-mail: what to report, by when, how, and whom to ask, with the workbook attached."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

from pipeline.mail import (
    Attachment,
    addresses,
    build_message,
    department_sender,
    department_tag,
)
from pipeline.model.agencies import Agency
from pipeline.model.assignments import Assignment
from pipeline.model.plan import plan_reference
from pipeline.model.vocab import Role
from pipeline.workspace.load import Workspace

CONTENT_PREVIEW = 110  # characters of an activity's content quoted in the body


def request_subject(ws: Workspace, year: int, agency: Agency) -> str:
    """'[Sở Y tế] Đề nghị báo cáo kết quả thực hiện Kế hoạch 45/KH-UBND năm 2026 — Sở Tài chính'."""
    return (f"[{department_tag(ws)}] Đề nghị báo cáo kết quả thực hiện {ws.plan.terms.short_reference} "
            f"năm {year} — {agency.short_name}")


def _preview(text: str) -> str:
    if len(text) <= CONTENT_PREVIEW:
        return text
    return text[:CONTENT_PREVIEW].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def _activity_lines(items: Sequence[Assignment]) -> list[str]:
    """Activities grouped by role, each with its id and the start of its content."""
    lines: list[str] = []
    for role in Role:
        mine = [i for i in items if i.role == role]
        if not mine:
            continue
        lines.append(f"{role.label} ({len(mine)} hoạt động):")
        lines += [f"  - {i.activity.id}: {_preview(i.activity.content)}" for i in mine]
    return lines


def request_body(ws: Workspace, year: int, agency: Agency, items: Sequence[Assignment], filename: str) -> str:
    """The Vietnamese request: what, why, which activities, deadline, how to fill and reply, whom to ask."""
    s, plan = ws.settings, ws.plan
    deadline = s.deadline_for(year).strftime("%d/%m/%Y")
    contact = s.contact
    lines = [
        f"Kính gửi: {agency.name}",
        "",
        f"Thực hiện {plan_reference(plan, s.committee)}, {s.department} đề nghị {agency.name} báo cáo kết quả "
        f"thực hiện năm {year} để tổng hợp, báo cáo {s.committee}.",
        "",
        f"Năm {year}, đơn vị báo cáo {len(items)} hoạt động của Kế hoạch:",
        *_activity_lines(items),
        "",
        "Cách thực hiện:",
        f"1. Mở tệp đính kèm {filename} bằng Excel, LibreOffice hoặc WPS; đọc trang “Hướng dẫn”.",
        "2. Điền các ô màu vàng nhạt ở các trang “Thông tin đơn vị”, “Báo cáo”, “Hoạt động khác” "
        "(nếu có) và “Đánh giá chung”. Không đổi tên trang tính, không sửa các ô màu xám.",
        "3. Lưu tệp, giữ nguyên tên tệp, rồi trả lời thư này và đính kèm tệp đã điền.",
        "",
        f"Hạn gửi: trước ngày {deadline}.",
        "",
        f"Mọi vướng mắc xin liên hệ: {contact.line}.",
        "",
        "Trân trọng cảm ơn.",
        f"{s.department} {s.locality}",
    ]
    return "\n".join(lines) + "\n"


def request_message(ws: Workspace, year: int, agency: Agency, items: Sequence[Assignment],
                    workbook: Path, date: dt.datetime | None = None) -> EmailMessage:
    """The draft asking `agency` for its report, with its workbook attached."""
    return build_message(
        department_sender(ws), addresses(agency.email, agency.name), request_subject(ws, year, agency),
        request_body(ws, year, agency, items, workbook.name), [Attachment.from_path(workbook)], date=date,
    )
