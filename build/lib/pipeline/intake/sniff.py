"""The real kind of a file, from its bytes: OLE2, OOXML, ODS, zip, e-mail; the name only breaks ties."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from typing import Protocol

import olefile

from pipeline.intake.limits import MIB, UnsafeFile
from pipeline.intake.zipscan import inflate

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_ODF_MIME_PREFIX = b"application/vnd.oasis.opendocument."
# A zip this crowded is refused by check() anyway; sniffing it must not pay for parsing it.
_SNIFF_MAX_ENTRIES = 10_000
_EML_HEADERS = frozenset(
    {
        "from", "to", "cc", "subject", "date", "mime-version", "message-id", "received", "return-path",
        "content-type", "delivered-to", "reply-to", "sender", "x-mailer", "dkim-signature",
        "x-received", "thread-topic", "thread-index", "in-reply-to", "references", "x-originating-ip",
        "authentication-results", "arc-seal", "content-transfer-encoding", "user-agent", "importance",
    }
)
_HEADER_LINE = re.compile(rb"^([!-9;-~]+)[ \t]*:")


def sniff(data: bytes, name: str) -> str:
    """Return the real kind of a file from its bytes; the name is only a hint for damaged files."""
    try:
        if data.startswith(_OLE_MAGIC):
            return _sniff_ole(data, name)
        if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
            return _sniff_zip(data, name)
        if _looks_like_eml(data):
            return "eml"
    except Exception:
        # Sniffing is best effort on hostile bytes; check() gives the verdict.
        return _hint_from_name(name, ole=data.startswith(_OLE_MAGIC))
    return "other"


def _ext(name: str) -> str:
    """Lower-case extension of a display name, without the dot."""
    base = name.rsplit("/", 1)[-1].rsplit("»", 1)[-1]
    return base.rsplit(".", 1)[-1].strip().lower() if "." in base else ""


def _hint_from_name(name: str, ole: bool) -> str:
    """Guess the kind of a damaged container from its extension so check() can call it corrupt."""
    ext = _ext(name)
    if ole:
        return "xls" if ext in ("xls", "xlsx", "xlsm", "xlt") else "other"
    return {"xlsx": "xlsx", "xltx": "xlsx", "xlsm": "xlsm", "xltm": "xlsm", "ods": "ods"}.get(ext, "zip")


def _sniff_ole(data: bytes, name: str) -> str:
    """Classify an OLE2 compound file: legacy workbook, encrypted OOXML, or something else."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:
        return _hint_from_name(name, ole=True)
    try:
        if ole.exists("EncryptedPackage"):
            return "encrypted"
        stream_name = "Workbook" if ole.exists("Workbook") else "Book" if ole.exists("Book") else None
        if stream_name is None:
            return "other"
        if ole.get_size(stream_name) > len(data):
            return "xls"
        stream = ole.openstream(stream_name).read()
    except Exception:
        return _hint_from_name(name, ole=True)
    finally:
        ole.close()
    return "encrypted" if _biff_globals_has_filepass(stream) else "xls"


def _biff_globals_has_filepass(stream: bytes) -> bool:
    """Report whether the workbook-globals substream carries a FILEPASS (encryption) record."""
    pos = 0
    for _ in range(10_000):
        if pos + 4 > len(stream):
            break
        rtype, rlen = struct.unpack_from("<HH", stream, pos)
        if rtype == 0x002F:
            return True
        if rtype == 0x000A:
            break
        pos += 4 + rlen
    return False


def _sniff_zip(data: bytes, name: str) -> str:
    """Classify a zip: OOXML workbook, ODF spreadsheet, other office document, or plain archive."""
    names: list[str] = []
    try:
        eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
        cd_size = struct.unpack_from("<I", data, eocd + 12)[0] if 0 <= eocd <= len(data) - 22 else 0
        cd_start = max(0, eocd - cd_size - 76)
        if eocd < 0 or data.count(b"PK\x01\x02", cd_start, eocd) > _SNIFF_MAX_ENTRIES:
            raise zipfile.BadZipFile("no usable central directory")
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = {info.filename: info for info in zf.infolist()}
        names = list(infos)
    except Exception:
        return _sniff_zip_by_local_headers(data, name)

    def small(member: str, cap: int) -> bytes:
        info = infos[member]
        try:
            return b"".join(chunk for chunk, _ in inflate(data, info, cap))
        except UnsafeFile:
            return b""

    kind = _classify_names(names, lambda member: small(member, 4096), lambda member: small(member, MIB))
    return kind if kind is not None else "zip"


class _Reader(Protocol):
    def __call__(self, member: str) -> bytes: ...


def _classify_names(names: list[str], read_small: _Reader, read_medium: _Reader) -> str | None:
    """Decide the office kind from member names (and tiny members); None means a plain archive."""
    lower = {n.lower(): n for n in names}
    if "mimetype" in lower:
        mime = read_small(lower["mimetype"]).strip()
        if mime == _ODS_MIME:
            manifest = lower.get("meta-inf/manifest.xml")
            if manifest is not None and b"encryption-data" in read_medium(manifest):
                return "encrypted"
            return "ods"
        if mime.startswith(_ODF_MIME_PREFIX):
            return "other"
    if any(n.startswith("xl/") for n in lower):
        if "xl/workbook.bin" in lower:
            return "other"  # xlsb is binary; none of our parsers is allowed to read it
        if any(n.endswith("vbaproject.bin") for n in lower):
            return "xlsm"
        content_types = lower.get("[content_types].xml")
        if content_types is not None and b"macroenabled" in read_medium(content_types).lower():
            return "xlsm"
        return "xlsx"
    if "[content_types].xml" in lower or any(n.startswith(("word/", "ppt/", "visio/")) for n in lower):
        return "other"
    return None


def _sniff_zip_by_local_headers(data: bytes, name: str) -> str:
    """Classify a zip whose central directory is missing (truncated download) from its local headers."""
    names: list[str] = []
    stored: dict[str, bytes] = {}
    pos = 0
    while len(names) < 500 and pos + 30 <= len(data) and data[pos : pos + 4] == b"PK\x03\x04":
        flags, method = struct.unpack_from("<HH", data, pos + 6)
        csize = struct.unpack_from("<I", data, pos + 18)[0]
        nlen, elen = struct.unpack_from("<HH", data, pos + 26)
        raw_name = data[pos + 30 : pos + 30 + nlen]
        member = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        names.append(member)
        start = pos + 30 + nlen + elen
        if method == 0:
            stored[member] = data[start : start + min(csize, 4096)]
        if flags & 0x08 and csize == 0:
            break  # sizes live in a data descriptor; the next header cannot be located safely
        pos = start + csize
    kind = _classify_names(names, lambda m: stored.get(m, b""), lambda m: stored.get(m, b""))
    return kind if kind is not None else _hint_from_name(name, ole=False)


def _looks_like_eml(data: bytes) -> bool:
    """Recognise an RFC 822 message by a header block made of known mail headers."""
    head = data[:8192].lstrip(b"\xef\xbb\xbf\r\n\t ")
    lines = head.splitlines()
    if not lines:
        return False
    if lines[0].startswith(b"From "):
        lines = lines[1:]  # mbox separator line written by some mail clients
    known: set[str] = set()
    for i, line in enumerate(lines[:60]):
        if not line:
            break
        if line[:1] in (b" ", b"\t") and i > 0:
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            return False
        field = match.group(1).decode("ascii").lower()
        if field in _EML_HEADERS:
            known.add(field)
    return len(known) >= 2
