"""E-mail drafts (.eml) the officer opens in Outlook or Thunderbird, checks and sends.

Shared by the yearly requests (generate) and the feedback and reminders (outputs).
"""

from __future__ import annotations

import datetime as dt
import email.policy
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from pipeline.workspace.files import write_atomic
from pipeline.workspace.load import Workspace

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
    """Short name of the department for subject lines, e.g. 'Sở TN&MT'."""
    code = ws.settings.department_code
    return ws.registry.get(code).short_name if code in ws.registry else ws.settings.department
