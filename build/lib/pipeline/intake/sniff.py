"""The real kind of a file from its bytes: OLE2, OOXML, ODS, zip, e-mail, Outlook, exports; the name breaks ties."""

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
_TNEF_MAGIC = b"\x78\x9f\x3e\x22"  # winmail.dat: Outlook's own wrapping of a message's attachments
# Excel's "Web Page" and "XML Spreadsheet 2003" exports, often still named .xls
_WEB_MARKERS = (b"urn:schemas-microsoft-com:office:excel", b"urn:schemas-microsoft-com:office:spreadsheet",
                b"progid=\"excel.sheet\"")
_SPREADSHEET_EXT = frozenset({"xls", "xlsx", "xlsm", "xlt", "xltx", "ods", "csv"})
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
        if data.startswith(_TNEF_MAGIC):
            return "tnef"
        if _looks_like_eml(data):
            return "eml"
        if _looks_like_web_page(data):
            return "html"
        if _looks_like_csv(data, name):
            return "csv"
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
        return "xls" if ext in ("xls", "xlsx", "xlsm", "xlt") else "msg" if ext == "msg" else "other"
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
        if ole.exists("__properties_version1.0") and (ole.exists("__substg1.0_001A001F")
                                                       or ole.exists("__substg1.0_001A001E")):
            return "msg"  # an Outlook item: its message class property is there
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
            return "xlsb"
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
    if kind in (None, "other") and _ext(name) in ("xlsx", "xltx", "xlsm", "xltm", "ods"):
        # a download cut short after its first parts: named a workbook, it is a broken one
        return _hint_from_name(name, ole=False)
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


def _text_head(data: bytes) -> str | None:
    """The first 4 KB as text (UTF-8, or UTF-16 with its BOM), None when it is not text."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "replace")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = head[:-3].decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    return None if any(ord(c) < 32 and c not in "\r\n\t\f" for c in text) else text


def _looks_like_web_page(data: bytes) -> bool:
    """An HTML page or an Excel XML export (Excel writes both under an .xls name)."""
    head = _text_head(data)
    if head is None:
        return False
    low = head.lstrip().lower()
    if low.startswith(("<html", "<!doctype html")):
        return True
    return any(marker.decode() in low for marker in _WEB_MARKERS)


def _looks_like_csv(data: bytes, name: str) -> bool:
    """Comma, semicolon or tab separated text named .csv, or named like a workbook."""
    ext = _ext(name)
    if ext not in _SPREADSHEET_EXT:
        return False
    head = _text_head(data)
    if head is None or not head.strip():
        return False
    lines = [line for line in head.splitlines()[:10] if line.strip()]
    if ext == "csv":
        return True
    return len(lines) >= 2 and any(all(line.count(sep) >= 1 for line in lines) for sep in (",", ";", "\t"))
