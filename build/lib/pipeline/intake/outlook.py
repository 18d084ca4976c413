"""Outlook's own containers: a .msg saved from Outlook (extract-msg) and winmail.dat (TNEF, tnefparse).

Both carry their attachments uncompressed, so what they hold is bounded by the file's size;
only nesting (a message attached to a message) adds work, and it is capped like e-mail's. The
message bodies (compressed RTF) are never decoded: only names, bytes, dates and senders.
"""

from __future__ import annotations

import email
import struct
from datetime import datetime, timezone
from email import policy
from typing import Any

from pipeline.intake.mime import MAX_DEPTH, MAX_PARTS, Letter, Part, TooDeep, address_of, date_of, decode_words

_TNEF_DATE_SENT = 0x8005
_PR_SENDER_ADDRESSES = (0x0C1F, 0x0065, 0x5D01, 0x5D02)  # sender / sent-representing SMTP addresses
_MAX_TNEF_OBJECTS = 20_000
_HEADER_CHARS = 64 * 1024
# tnefparse copies the rest of the file once per object: bound objects x size (≈ 0.2 s at worst)
_MAX_TNEF_COPY = 2 * 1024 ** 3


def read_msg(data: bytes) -> Letter:
    """Attachments, date and sender of an Outlook .msg; raise on a damaged or hostile one."""
    import extract_msg

    msg = extract_msg.openMsg(data, strict=False, delayAttachments=False)
    try:
        parts: list[Part] = []
        senders: list[str] = []
        _collect_msg(msg, 0, parts, senders)
        date = _aware(getattr(msg, "date", None)) or _header_date(msg)
        return Letter(date, tuple(senders), tuple(parts[:MAX_PARTS]), len(parts) > MAX_PARTS)
    finally:
        msg.close()


def _header_date(msg: Any) -> datetime | None:
    """The Date line of the message's transport headers, read from a bounded head of them."""
    try:
        text = msg.getStringStream("__substg1.0_007D") or ""
    except Exception:
        return None
    head = email.message_from_string(str(text)[:_HEADER_CHARS].split("\r\n\r\n", 1)[0] + "\r\n\r\n",
                                     policy=policy.compat32)
    return date_of(head.get("Date"))


def _collect_msg(msg: Any, depth: int, parts: list[Part], senders: list[str]) -> None:
    """Append the attachments of msg (and of messages attached to it) to parts."""
    from extract_msg.enums import AttachmentType

    sender = address_of(getattr(msg, "sender", None) or "")
    if sender and sender not in senders:
        senders.append(sender)
    for att in getattr(msg, "attachments", []) or []:
        if len(parts) > MAX_PARTS:
            return
        kind = getattr(att, "type", None)
        if kind == AttachmentType.MSG:
            if depth + 1 >= MAX_DEPTH:
                parts.append(Part("", b"", "", too_deep=True))
                continue
            _collect_msg(att.data, depth + 1, parts, senders)
            continue
        data = getattr(att, "data", None)
        if not isinstance(data, bytes):
            continue  # a link to a file elsewhere, or an attachment type without bytes
        name = getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) or ""
        parts.append(Part(decode_words(str(name)), data, str(getattr(att, "mimetype", "") or "")))


def read_tnef(data: bytes) -> Letter:
    """Attachments, date and sender of a winmail.dat; raise on a damaged or hostile one."""
    import tnefparse

    objects = _count_tnef_objects(data)
    if objects > _MAX_TNEF_OBJECTS or objects * len(data) > _MAX_TNEF_COPY:
        raise TooDeep
    tnef = tnefparse.TNEF(data, do_checksum=False)
    parts: list[Part] = []
    senders: list[str] = []
    _collect_tnef(tnef, 0, parts, senders)
    date = None
    for obj in tnef.objects:
        if obj.name != _TNEF_DATE_SENT:
            continue
        if isinstance(obj.data, datetime):  # tnefparse decodes dates of some attribute types itself
            date = _aware(obj.data)
        elif isinstance(obj.data, bytes) and len(obj.data) >= 12:
            year, month, day, hour, minute, second = struct.unpack_from("<6H", obj.data)
            try:
                date = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
            except ValueError:
                date = None
    return Letter(date, tuple(senders), tuple(parts[:MAX_PARTS]), len(parts) > MAX_PARTS)


def _collect_tnef(tnef: Any, depth: int, parts: list[Part], senders: list[str]) -> None:
    for prop in getattr(tnef, "mapiprops", []) or []:
        if getattr(prop, "name", None) in _PR_SENDER_ADDRESSES:
            value = prop.data.decode("utf-8", "replace") if isinstance(prop.data, bytes) else str(prop.data)
            sender = address_of(value.strip("\x00"))
            if sender and sender not in senders:
                senders.append(sender)
    for att in tnef.attachments:
        embed = getattr(att, "embed", None)
        if embed is not None:
            if depth + 1 >= MAX_DEPTH:
                parts.append(Part("", b"", "", too_deep=True))
            else:
                _collect_tnef(embed, depth + 1, parts, senders)
            continue
        try:
            name = att.long_filename() or att.name
        except Exception:
            name = ""  # a name in an unknown code page
        data = att.data if isinstance(att.data, bytes) else b""
        parts.append(Part(decode_words(str(name or "").strip("\x00")), data, ""))


def _count_tnef_objects(data: bytes) -> int:
    """Objects of a TNEF stream, walked by their headers alone (level, name, type, length, checksum)."""
    pos, count, n = 6, 0, len(data)
    while pos + 12 < n:
        length = struct.unpack_from("<I", data, pos + 5)[0]
        pos += 11 + length
        count += 1
        if count > _MAX_TNEF_OBJECTS:
            break
    return count


def _aware(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
