"""E-mail drafts (.eml) the officer opens in Outlook or Thunderbird, checks and sends.

`build_message` is general (requests, feedback, reminders); `request_message` is the yearly
request that carries an agency's submission workbook.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import mimetypes
import re
from dataclasses import dataclass
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Sequence

from pipeline import layout
from pipeline.agencies import Agency
from pipeline.assignments import CHU_TRI, DIA_PHUONG, PHOI_HOP, Assignment
from pipeline.template_master import write_atomic
from pipeline.workspace import Workspace

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROLE_ORDER = (CHU_TRI, PHOI_HOP, DIA_PHUONG)
CONTENT_PREVIEW = 110  # characters of an activity's content quoted in the body
_EML_POLICY = email.policy.SMTP.clone(refold_source="none")  # keep encoded_header's own folding


@dataclass(frozen=True)
class Attachment:
    """A file to attach: its name as the recipient sees it, and its bytes."""

    filename: str
    data: bytes
    mime_type: str = ""

    @classmethod
    def from_path(cls, path: Path) -> Attachment:
        return cls(path.name, path.read_bytes())


def addresses(text: str, display_name: str = "") -> list[Address]:
    """Addresses from a registry cell ('a@x; b@y'); the display name goes on each."""
    parts = [p.strip() for p in re.split(r"[;,\s]+", text) if p.strip()]
    return [Address(display_name=display_name, addr_spec=p) for p in parts]


def encoded_header(name: str, text: str) -> str:
    """`text` as RFC 2047 encoded words, each keeping its own spaces.

    Python 3.11's header folder can put the space between two words outside the encoded words,
    where readers drop it ("UBND năm" arrives as "UBNDnăm"); email.header.Header does not.
    """
    return text if text.isascii() else Header(text, "utf-8", header_name=name).encode()


def address_header(items: Sequence[Address]) -> str:
    """'Name <addr>' list with non-ASCII names encoded, one address per line."""
    return ",\n ".join(formataddr((a.display_name, a.addr_spec), charset="utf-8") for a in items)


def build_message(sender: Sequence[Address], to: Sequence[Address], subject: str, body: str,
                  attachments: Sequence[Attachment] = (), *, draft: bool = True,
                  date: dt.datetime | None = None, cc: Sequence[Address] = ()) -> EmailMessage:
    """A UTF-8 plain-text message; `draft` adds X-Unsent: 1 so Outlook opens it ready to edit and send."""
    msg = EmailMessage(policy=email.policy.default)
    for name, items in (("From", sender), ("To", to), ("Cc", cc)):
        if items:
            msg.set_raw(name, address_header(items))
    msg.set_raw("Subject", encoded_header("Subject", subject))
    msg["Date"] = format_datetime(date or dt.datetime.now().astimezone())
    domain = sender[0].domain if sender and sender[0].domain else "baocao.local"
    msg["Message-ID"] = make_msgid(domain=domain)
    if draft:
        msg["X-Unsent"] = "1"
    msg.set_content(body, charset="utf-8")
    for item in attachments:
        maintype, subtype = _mime_type(item).split("/", 1)
        # policy.default writes a non-ASCII filename as RFC 2231 filename*=utf-8''…
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
    return msg


def _mime_type(item: Attachment) -> str:
    if item.mime_type:
        return item.mime_type
    if item.filename.lower().endswith(".xlsx"):
        return XLSX_TYPE
    return mimetypes.guess_type(item.filename)[0] or "application/octet-stream"


def to_bytes(msg: EmailMessage) -> bytes:
    """The message as an .eml file: CRLF line ends; headers set raw are written as encoded."""
    return msg.as_bytes(policy=_EML_POLICY)


def write_eml(msg: EmailMessage, path: Path) -> None:
    """Write the message to `path` atomically."""
    write_atomic(path, to_bytes(msg))


def department_sender(ws: Workspace) -> list[Address]:
    """The officer's mailbox, named after the contact (or the department)."""
    contact = ws.settings.contact
    return addresses(contact.email, contact.name or ws.settings.department)


def department_tag(ws: Workspace) -> str:
    """Short name of the department for subject lines, e.g. 'Sở LĐTBXH'."""
    code = ws.settings.department_code
    return ws.registry.get(code).short_name if code in ws.registry else ws.settings.department


def request_subject(ws: Workspace, year: int, agency: Agency) -> str:
    """'[Sở LĐTBXH] Đề nghị báo cáo kết quả thực hiện Kế hoạch 2130/QĐ-UBND năm 2015 — Sở Y tế'."""
    return (f"[{department_tag(ws)}] Đề nghị báo cáo kết quả thực hiện Kế hoạch {ws.plan.decision} "
            f"năm {year} — {agency.short_name}")


def _preview(text: str) -> str:
    if len(text) <= CONTENT_PREVIEW:
        return text
    return text[:CONTENT_PREVIEW].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def _activity_lines(items: Sequence[Assignment]) -> list[str]:
    """Activities grouped by role, each with its id and the start of its content."""
    lines: list[str] = []
    for role in ROLE_ORDER:
        mine = [i for i in items if i.role == role]
        if not mine:
            continue
        lines.append(f"{layout.ROLE_LABELS[role]} ({len(mine)} hoạt động):")
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
        f"Thực hiện Quyết định số {plan.decision} ngày {plan.decision_date} của UBND tỉnh {s.province} "
        f"ban hành {plan.title}, {s.department} đề nghị {agency.name} báo cáo kết quả thực hiện "
        f"năm {year} để tổng hợp, báo cáo UBND tỉnh.",
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
        f"Mọi vướng mắc xin liên hệ: {contact.name}; điện thoại {contact.phone}; email {contact.email}.",
        "",
        "Trân trọng cảm ơn.",
        f"{s.department} tỉnh {s.province}",
    ]
    return "\n".join(lines) + "\n"


def request_message(ws: Workspace, year: int, agency: Agency, items: Sequence[Assignment],
                    workbook: Path, date: dt.datetime | None = None) -> EmailMessage:
    """The draft asking `agency` for its report, with its workbook attached."""
    return build_message(
        department_sender(ws), addresses(agency.email, agency.name), request_subject(ws, year, agency),
        request_body(ws, year, agency, items, workbook.name), [Attachment.from_path(workbook)], date=date,
    )
