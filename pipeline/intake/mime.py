"""E-mail (.eml) read with bounded work: linear header decoding, capped parameters and nesting.

The standard library's modern policy decodes MIME parameters in time that grows with the square
of their number (a 1 MB message of `filename*N=` segments takes about a minute), and its parser
recurses once per nesting level. Here the message is split by the lenient compat32 parser, and
everything read from a header — the attachment's name, Date, From — is taken from at most a few
kilobytes with a single pass; parts deeper than MAX_DEPTH are not opened.
"""

from __future__ import annotations

import email
import email.header
import email.utils
import re
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import Message

MAX_DEPTH = 16  # multipart levels inside one message; mail clients write three or four
MAX_PARTS = 2_000  # attachments read from one message, as many as entries of one zip
MAX_BOUNDARIES = 256  # multipart declarations in a message before it is not parsed at all
_PARAM_BYTES = 16 * 1024  # of a Content-Type or Content-Disposition header
_MAX_PARAMS = 64
_MAX_SEGMENTS = 128  # RFC 2231 continuations of one parameter
_NAME_CHARS = 1024
_BOUNDARY = re.compile(rb"boundary\s*=", re.I)


class TooDeep(Exception):
    """The message nests deeper than MAX_DEPTH, or declares too many multiparts to parse safely."""


@dataclass(frozen=True)
class Part:
    """One attachment of a message: its decoded name (empty when it has none) and its bytes."""

    name: str
    payload: bytes
    content_type: str
    too_deep: bool = False


@dataclass(frozen=True)
class Letter:
    """What the check needs of one message: when it was sent, who sent it, what it carries."""

    date: datetime | None
    senders: tuple[str, ...]
    parts: tuple[Part, ...]
    truncated: bool  # more than MAX_PARTS attachments


def read_letter(data: bytes) -> Letter:
    """Parse an RFC 822 message with bounded work; raise TooDeep for hostile nesting."""
    if len(_BOUNDARY.findall(data, 0, len(data))) > MAX_BOUNDARIES:
        raise TooDeep
    try:
        msg = email.message_from_bytes(data, policy=policy.compat32)
    except RecursionError as exc:
        raise TooDeep from exc
    parts: list[Part] = []
    senders: list[str] = []
    truncated = False
    # one iterative walk (the parser's own walk recurses); a forwarded message's From is a sender too
    stack: list[tuple[Message, int, bool]] = [(msg, 0, True)]
    while stack:
        part, depth, is_message = stack.pop()
        if is_message:
            sender = address_of(_raw(part, "From"))
            if sender and sender not in senders:
                senders.append(sender)
        if part.is_multipart():
            if depth >= MAX_DEPTH:
                parts.append(Part("", b"", "", too_deep=True))
                continue
            children = part.get_payload()
            forwarded = part.get_content_type() == "message/rfc822"
            if isinstance(children, list):
                stack.extend((c, depth + 1, forwarded) for c in reversed(children) if isinstance(c, Message))
            continue
        if len(parts) >= MAX_PARTS:
            truncated = True
            break
        found = _attachment(part)
        if found is not None:
            parts.append(found)
    return Letter(date_of(msg.get("Date")), tuple(senders), tuple(parts), truncated)


def _attachment(part: Message) -> Part | None:
    """The part as an attachment, or None for body text and pictures embedded in the body."""
    disposition_header = _raw(part, "Content-Disposition")
    disposition, dparams = split_params(disposition_header)
    _, tparams = split_params(_raw(part, "Content-Type"))
    name = param(dparams, "filename") or param(tparams, "name")
    disposition = disposition.lower()
    if not name and disposition != "attachment":
        return None
    if disposition == "inline" and part.get("Content-ID") and part.get_content_maintype() == "image":
        return None  # picture embedded in the HTML body (signature logo), not an attachment
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = b""  # a broken transfer encoding leaves an empty attachment, refused later
    return Part(decode_words(name), payload if isinstance(payload, bytes) else b"", part.get_content_type())


def _raw(part: Message, name: str) -> str:
    """A header's raw value, capped, 8-bit bytes kept (as surrogates) for decode_words to read."""
    wanted = name.lower()
    for key, value in part.raw_items():
        if key.lower() == wanted:
            return str(value)[:_PARAM_BYTES]
    return ""


def split_params(value: str) -> tuple[str, list[tuple[str, str]]]:
    """'attachment; filename="a;b.xlsx"; x=1' -> ('attachment', [(key, value)...]) in one pass."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            items.append("".join(current))
            current = []
            if len(items) > _MAX_PARAMS:
                break
        else:
            current.append(ch)
    items.append("".join(current))
    head = items[0].strip()
    out = []
    for item in items[1:_MAX_PARAMS + 1]:
        key, eq, val = item.partition("=")
        if eq:
            out.append((key.strip().lower(), val.strip()))
    return head, out


def param(params: list[tuple[str, str]], name: str) -> str:
    """A parameter's value, RFC 2231 continuations (name*0*, name*1…) reassembled and decoded."""
    plain = ""
    segments: dict[int, tuple[str, bool]] = {}
    for key, value in params:
        if key == name:
            plain = plain or value
        elif key == name + "*":
            segments.setdefault(0, (value, True))
        elif key.startswith(name + "*"):
            rest = key[len(name) + 1:]
            index = rest.rstrip("*")
            if index.isdigit() and len(index) <= 3 and len(segments) < _MAX_SEGMENTS:
                segments.setdefault(int(index), (value, rest.endswith("*")))
    if not segments:
        return plain[:_NAME_CHARS]
    charset = "utf-8"
    raw = bytearray()
    for i, number in enumerate(sorted(segments)):
        value, encoded = segments[number]
        if encoded:
            if i == 0 and value.count("'") >= 2:
                charset, _, value = value.split("'", 2)
            raw += urllib.parse.unquote_to_bytes(value)
        else:
            raw += value.encode("utf-8", "surrogateescape")
        if len(raw) > _NAME_CHARS * 4:
            break
    try:
        return raw.decode(charset or "utf-8", "replace")[:_NAME_CHARS]
    except LookupError:
        return raw.decode("utf-8", "replace")[:_NAME_CHARS]


def decode_words(text: str) -> str:
    """RFC 2047 encoded-words inside a name (as many mailers write them), undecodable bytes replaced."""
    text = text[:_NAME_CHARS]
    if "=?" in text:
        try:
            text = str(email.header.make_header(email.header.decode_header(text)))
        except Exception:
            pass  # a malformed encoded-word stays as written
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    # 8-bit names without encoding: UTF-8, else the Vietnamese Windows code page, else shown replaced
    for encoding in ("utf-8", "cp1258"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


def date_of(value: object) -> datetime | None:
    """A Date header as an aware datetime, or None when absent or unparsable."""
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(str(value)[:256])
    except Exception:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def address_of(value: object) -> str:
    """The lower-case address of a From header ('Sở Y tế <a@b.vn>' -> 'a@b.vn'), or ''."""
    if value is None:
        return ""
    text = decode_words(str(value)[:1024])
    try:
        _, addr = email.utils.parseaddr(text)
    except Exception:
        return ""
    return addr.strip().lower() if "@" in addr else ""
