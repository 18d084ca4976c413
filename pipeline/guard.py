"""Safety gate for untrusted workbooks: sniff the real type, then bound every resource before a parser runs."""

from __future__ import annotations

import bz2
import codecs
import functools
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from xml.parsers import expat
from typing import Iterable, Iterator, Protocol

import olefile
from defusedxml import ElementTree as SafeET

__all__ = [
    "CHECKED_KINDS",
    "KINDS",
    "MESSAGES_VI",
    "Limits",
    "UnsafeFile",
    "check",
    "is_unsafe_member_name",
    "sniff",
    "unsafe_file",
]

_MIB = 1024 * 1024

KINDS = frozenset({"xlsx", "xlsm", "xls", "ods", "zip", "eml", "encrypted", "other"})
CHECKED_KINDS = frozenset({"xlsx", "xlsm", "xls", "ods", "encrypted"})


@dataclass(frozen=True)
class Limits:
    """Resource bounds a file must respect before any spreadsheet parser may open it."""

    max_file_bytes: int = 50 * _MIB
    max_entry_uncompressed: int = 100 * _MIB
    max_total_uncompressed: int = 200 * _MIB
    max_ratio: int = 100
    ratio_min_entry_bytes: int = 1 * _MIB
    max_entries: int = 2_000
    max_sheets: int = 50
    max_cells: int = 2_000_000
    max_zip_depth: int = 2


def _vi_int(n: int) -> str:
    """Format an integer the Vietnamese way (dot as thousands separator)."""
    return f"{n:,}".replace(",", ".")


MESSAGES_VI: dict[str, str] = {
    "file-too-large": (
        "Tệp quá lớn (vượt {limit}) nên không được mở để tránh treo máy. Đề nghị đơn vị xoá bớt "
        "các trang tính, hình ảnh không cần thiết hoặc tách thành nhiều tệp rồi gửi lại."
    ),
    "zip-bomb": (
        "Tệp có dấu hiệu bất thường: khi giải nén, dung lượng tăng lên quá lớn so với kích thước tệp "
        "(có thể là tệp hỏng hoặc tệp độc hại) nên không được mở. Đề nghị đơn vị mở tệp gốc bằng Excel, "
        "lưu lại rồi gửi lại."
    ),
    "xml-bomb": (
        "Bên trong tệp có cấu trúc bất thường mà tệp Excel bình thường không có (có thể là tệp độc hại) "
        "nên không được mở. Đề nghị đơn vị mở tệp gốc bằng Excel, lưu thành tệp .xlsx mới rồi gửi lại."
    ),
    "unsafe-path": (
        "Tệp nén chứa tệp có đường dẫn không an toàn (trỏ ra ngoài thư mục, ví dụ có “../”) nên tệp này "
        "bị bỏ qua, không được giải nén. Đề nghị đơn vị nén lại đúng các tệp báo cáo rồi gửi lại."
    ),
    "too-many-sheets": (
        "Sổ làm việc có quá nhiều trang tính (trên {limit} trang). Đề nghị đơn vị chỉ giữ lại các trang "
        "biểu mẫu báo cáo rồi gửi lại."
    ),
    "too-many-cells": (
        "Trang tính có vùng dữ liệu quá lớn (trên {limit} ô, kể cả ô nằm rất xa như ở hàng hoặc cột cuối "
        "cùng của trang tính). Đề nghị đơn vị xoá các hàng, cột thừa nằm ngoài bảng báo cáo, lưu lại rồi gửi lại."
    ),
    "encrypted": (
        "Tệp được đặt mật khẩu nên không đọc được. Đề nghị đơn vị gỡ mật khẩu "
        "(Tệp > Thông tin > Bảo vệ sổ làm việc) rồi gửi lại."
    ),
    "corrupt-file": (
        "Tệp bị hỏng hoặc không đầy đủ (có thể do tải tệp đính kèm chưa xong) nên không đọc được. "
        "Đề nghị lưu lại tệp đính kèm từ thư điện tử; nếu vẫn lỗi, đề nghị đơn vị gửi lại tệp."
    ),
}

_ENCRYPTED_ZIP_VI = (
    "Tệp nén được đặt mật khẩu nên không giải nén được. Đề nghị đơn vị gửi lại tệp nén không đặt "
    "mật khẩu, hoặc gửi trực tiếp các tệp báo cáo."
)
_UNSUPPORTED_ZIP_VI = (
    "Tệp nén dùng kiểu nén không được hỗ trợ nên không giải nén được. Đề nghị đơn vị nén lại theo "
    "định dạng .zip thông thường rồi gửi lại, hoặc gửi trực tiếp các tệp báo cáo."
)


class UnsafeFile(Exception):
    """A file refused by the guard, with a stable code and a Vietnamese message for the officer."""

    def __init__(self, code: str, message_vi: str) -> None:
        super().__init__(code, message_vi)
        self.code = code
        self.message_vi = message_vi

    def __str__(self) -> str:
        return f"{self.code}: {self.message_vi}"


def unsafe_file(code: str, limits: Limits | None = None) -> UnsafeFile:
    """Build the UnsafeFile for a guard code, filling in the limit the officer needs to know about."""
    lim = limits or Limits()
    if code == "file-too-large":
        text = MESSAGES_VI[code].format(limit=f"{_vi_int(lim.max_file_bytes // _MIB)} MB")
    elif code == "too-many-sheets":
        text = MESSAGES_VI[code].format(limit=_vi_int(lim.max_sheets))
    elif code == "too-many-cells":
        text = MESSAGES_VI[code].format(limit=_vi_int(lim.max_cells))
    else:
        text = MESSAGES_VI[code]
    return UnsafeFile(code, text)


# --------------------------------------------------------------------------- sniffing

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
            return b"".join(chunk for chunk, _ in _inflate(data, info, cap))
        except UnsafeFile:
            return b""

    kind = _classify_names(names, lambda member: small(member, 4096), lambda member: small(member, _MIB))
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


# --------------------------------------------------------------------------- public check


def check(data: bytes, kind: str, limits: Limits = Limits()) -> None:
    """Raise UnsafeFile when a file of the given kind must not reach a parser; return None otherwise."""
    if len(data) > limits.max_file_bytes:
        raise unsafe_file("file-too-large", limits)
    if kind in ("xlsx", "xlsm"):
        _check_zip(data, limits, _OOXML)
    elif kind == "ods":
        _check_zip(data, limits, _ODS)
    elif kind == "zip":
        _check_zip(data, limits, _CONTAINER)
    elif kind == "xls":
        _check_xls(data, limits)
    elif kind == "encrypted":
        raise unsafe_file("encrypted", limits)
    elif kind not in ("eml", "other"):
        raise ValueError(f"unknown kind {kind!r}")


def is_unsafe_member_name(name: str) -> bool:
    """Tell whether an archive member name could escape its folder (.., absolute, drive letter)."""
    if not name or "\x00" in name:
        return True
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return True
    return any(part == ".." for part in norm.split("/"))


# --------------------------------------------------------------------------- zip measurement

_OOXML = "ooxml"
_ODS = "ods"
_CONTAINER = "container"

_OUT_CHUNK = 1 * _MIB
_IN_CHUNK = 256 * 1024
_HEAD_BYTES = 64 * 1024
_MAX_CARRY = 1 * _MIB
_WORKBOOK_KEEP = 16 * _MIB
_MEDIA_EXT = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".emf", ".wmf", ".tif", ".tiff", ".svg", ".wdp", ".jfif")


def _check_zip(data: bytes, limits: Limits, flavor: str) -> None:
    """Run the archive checks shared by xlsx, xlsm, ods and plain zip containers."""
    infos = _zip_infos(data, limits)
    declared_total = 0
    for info in infos:
        if flavor != _CONTAINER and is_unsafe_member_name(info.orig_filename):
            raise unsafe_file("unsafe-path", limits)
        if info.flag_bits & 0x1 or info.compress_type == 99:
            if flavor == _CONTAINER:
                raise UnsafeFile("encrypted", _ENCRYPTED_ZIP_VI)
            raise unsafe_file("encrypted", limits)
        if info.file_size > limits.max_entry_uncompressed:
            raise unsafe_file("zip-bomb", limits)
        declared_total += info.file_size
    if declared_total > limits.max_total_uncompressed:
        raise unsafe_file("zip-bomb", limits)

    book = _Book(flavor, limits)
    remaining = limits.max_total_uncompressed
    for info in infos:
        produced = _measure_entry(data, info, limits, remaining, book)
        remaining -= produced
    book.finish()


def _zip_infos(data: bytes, limits: Limits) -> list[zipfile.ZipInfo]:
    """Parse the central directory after bounding how many entries it can hold."""
    eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if eocd < 0 or eocd + 22 > len(data):
        raise unsafe_file("corrupt-file", limits)
    n_total, cd_size = struct.unpack_from("<HI", data, eocd + 10)
    if n_total != 0xFFFF and n_total > limits.max_entries:
        raise unsafe_file("zip-bomb", limits)
    # zipfile parses every record in the central directory; count them first so a
    # directory of millions of tiny records cannot exhaust memory.
    cd_start = max(0, eocd - cd_size - 76) if cd_size != 0xFFFFFFFF else 0
    if data.count(b"PK\x01\x02", cd_start, eocd) > limits.max_entries:
        raise unsafe_file("zip-bomb", limits)
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception as exc:
        # zipfile raises many exception types on hostile archives; all mean unreadable.
        raise unsafe_file("corrupt-file", limits) from exc
    if len(infos) > limits.max_entries:
        raise unsafe_file("zip-bomb", limits)
    return infos


def _entry_raw(data: bytes, info: zipfile.ZipInfo) -> memoryview:
    """Locate an entry's compressed bytes through its local header, as parsers do."""
    off = info.header_offset
    if off < 0 or off + 30 > len(data) or data[off : off + 4] != b"PK\x03\x04":
        raise unsafe_file("corrupt-file")
    flags = struct.unpack_from("<H", data, off + 6)[0]
    nlen, elen = struct.unpack_from("<HH", data, off + 26)
    try:
        local_name = data[off + 30 : off + 30 + nlen].decode("utf-8" if flags & 0x800 else "cp437")
    except UnicodeDecodeError as exc:
        raise unsafe_file("corrupt-file") from exc
    # Parsers disagree on which name wins when the two headers differ; refuse the ambiguity.
    if local_name != info.orig_filename:
        raise unsafe_file("corrupt-file")
    start = off + 30 + nlen + elen
    end = start + info.compress_size
    if end > len(data):
        raise unsafe_file("corrupt-file")
    return memoryview(data)[start:end]


def _inflate(data: bytes, info: zipfile.ZipInfo, cap: int) -> Iterator[tuple[bytes, bool]]:
    """Yield (chunk, is_last) of an entry's real content, refusing to produce more than cap bytes."""
    raw = _entry_raw(data, info)
    method = info.compress_type
    if method == zipfile.ZIP_STORED:
        if len(raw) > cap:
            raise unsafe_file("zip-bomb")
        if not raw:
            yield b"", True
        for i in range(0, len(raw), _OUT_CHUNK):
            yield bytes(raw[i : i + _OUT_CHUNK]), i + _OUT_CHUNK >= len(raw)
        return
    if method == zipfile.ZIP_DEFLATED:
        yield from _inflate_zlib(raw, cap)
    elif method == zipfile.ZIP_BZIP2:
        yield from _inflate_bz2(raw, cap)
    else:
        raise UnsafeFile("corrupt-file", _UNSUPPORTED_ZIP_VI)


def _inflate_zlib(raw: memoryview, cap: int) -> Iterator[tuple[bytes, bool]]:
    """Stream a raw deflate body with bounded output per step; never trust declared sizes."""
    d = zlib.decompressobj(-15)
    produced = 0
    pos = 0
    pending = b""
    try:
        while not d.eof:
            if pending:
                chunk_in: bytes | memoryview = pending
            else:
                chunk_in = raw[pos : pos + _IN_CHUNK]
                pos += len(chunk_in)
            out = d.decompress(chunk_in, _OUT_CHUNK)
            pending = d.unconsumed_tail
            if out:
                produced += len(out)
                if produced > cap:
                    raise unsafe_file("zip-bomb")
                yield out, d.eof
            elif not chunk_in:
                raise unsafe_file("corrupt-file")  # input exhausted before the end-of-stream marker
    except zlib.error as exc:
        raise unsafe_file("corrupt-file") from exc
    if produced == 0:
        yield b"", True


def _inflate_bz2(raw: memoryview, cap: int) -> Iterator[tuple[bytes, bool]]:
    """Stream a bzip2 body with bounded output per step."""
    d = bz2.BZ2Decompressor()
    produced = 0
    pos = 0
    try:
        while not d.eof:
            if d.needs_input:
                if pos >= len(raw):
                    raise unsafe_file("corrupt-file")
                chunk_in = bytes(raw[pos : pos + _IN_CHUNK])
                pos += len(chunk_in)
            else:
                chunk_in = b""
            out = d.decompress(chunk_in, _OUT_CHUNK)
            if out:
                produced += len(out)
                if produced > cap:
                    raise unsafe_file("zip-bomb")
                yield out, d.eof
    except (OSError, ValueError, EOFError) as exc:
        raise unsafe_file("corrupt-file") from exc
    if produced == 0:
        yield b"", True


class _Escalate(Exception):
    """The fast scan met something it does not model; the entry is re-read by the exact scanner."""


# Entries whose scan adds nothing to the workbook-wide counts (styles, theme, relationships, document
# properties, pictures) are the same bytes in every workbook made from one template. Their verdict is a
# function of those bytes alone, so a success is remembered, keyed by the compressed bytes and every
# header field the check reads; a repeat is not inflated again. Any part with cells, ranges or comments,
# and sheets and workbook.xml (which feed the workbook-wide counts) are always measured.
_REPEATS: dict[tuple[str, str, int, int, int, bytes], int] = {}
_REPEATS_MAX = 256
_REPEAT_BYTES = 64 * 1024


def _measure_entry(data: bytes, info: zipfile.ZipInfo, limits: Limits, remaining: int, book: _Book) -> int:
    """Inflate one entry for real, feeding its analyser; return the number of bytes it produced."""
    raw_len = info.compress_size
    ratio_cap = max(limits.ratio_min_entry_bytes, limits.max_ratio * max(raw_len, 1))
    cap = min(limits.max_entry_uncompressed, remaining, ratio_cap)
    key = None
    if raw_len <= _REPEAT_BYTES:
        # _entry_raw raises exactly what inflating would raise first for a bad local header.
        key = (book.flavor, info.orig_filename, info.compress_type, info.file_size, info.CRC,
               bytes(_entry_raw(data, info)))
        known = _REPEATS.get(key)
        if known is not None:
            if known > cap:
                raise unsafe_file("zip-bomb")  # inflating would have stopped at the cap
            return known
    produced = _inflate_entry(data, info, limits, cap, book, key)
    return produced


def _inflate_entry(data: bytes, info: zipfile.ZipInfo, limits: Limits, cap: int, book: _Book,
                   key: tuple[str, str, int, int, int, bytes] | None) -> int:
    """The measurement itself; remembers the success of an entry that needed no analysis under `key`."""
    exact = False
    while True:
        analyser = book.analyser_for(info.orig_filename, exact)
        produced = 0
        crc = 0
        try:
            for chunk, last in _inflate(data, info, cap):
                produced += len(chunk)
                if produced > info.file_size:
                    # More output than declared is the signature of a bomb that lies about its
                    # size; stop at once instead of inflating up to the generic cap.
                    raise unsafe_file("zip-bomb", limits)
                crc = zlib.crc32(chunk, crc)
                if analyser is not None:
                    analyser.feed(chunk, last)
            if analyser is not None:
                analyser.close()
        except _Escalate:
            if exact:
                raise unsafe_file("too-many-cells", limits) from None
            exact = True
            continue
        break
    if crc != info.CRC or produced != info.file_size:
        raise unsafe_file("corrupt-file", limits)
    if key is not None and (analyser is None or analyser.contributes_nothing()):
        if len(_REPEATS) >= _REPEATS_MAX:
            _REPEATS.pop(next(iter(_REPEATS)))
        _REPEATS[key] = produced
    return produced


# --------------------------------------------------------------------------- XML part analysis

_NAME = rb"[A-Za-z_][\w.-]*"
_ATTR_ONE = rb"(?:\s+[^\s=>/]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))"
_ATTRS = _ATTR_ONE + rb"*"
_ATTRS_LAZY = _ATTR_ONE + rb"*?"
_REF_ATTR = rb"\s+ref\s*=\s*[\"']([^\"']*)[\"']"
_START_TAG = re.compile(rb"<((?:" + _NAME + rb":)?" + _NAME + rb")(" + _ATTRS + rb")\s*(/?)>")
_TOKEN = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<![^>]*>"
    rb"|<(/?)(?:" + _NAME + rb":)?(" + _NAME + rb")(" + _ATTRS + rb")\s*(/?)>",
    re.S,
)
# ODS scan: Python only sees table structure; comments, CDATA and PIs are matched whole so a
# table tag written inside them is not mistaken for a real one.
_ODS_TOKEN = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>"
    rb"|<(/?)(?:" + _NAME + rb":)?(table|table-row|table-cell|covered-table-cell)(?=[\s/>])(" + _ATTRS + rb")\s*(/?)>",
    re.S,
)
_ATTR = re.compile(rb"(?:(" + _NAME + rb"):)?(" + _NAME + rb")\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_CHAR_REF = re.compile(rb"&(#[0-9]+|#x[0-9A-Fa-f]+|amp|lt|gt|quot|apos);")
_ENTITY_CHARS = {b"amp": b"&", b"lt": b"<", b"gt": b">", b"quot": b'"', b"apos": b"'"}
_REF = re.compile(rb"^\$?([A-Za-z]{1,7})?\$?([0-9]{1,10})?$")

# Fast path for canonical sheets (every writer in practice emits <c r="A1" ...>): C-level regex
# passes only. Anything else, including namespace prefixes on cells, goes to the exact scanner.
_ALL_CELL_REFS = re.compile(rb'<c r="([A-Za-z]{1,3}[0-9]{1,7})"')
_NUMBER = re.compile(rb"^[0-9]{1,10}(?:\.[0-9]*)?(?:[eE]\+?[0-9]{1,2})?$")
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
# Starts with a literal so the scan stays in C; the owning element is looked up per (rare) hit.
_REF_VALUE = re.compile(rb"ref\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_NAME_AT = re.compile(rb"(?:" + _NAME + rb":)?(" + _NAME + rb")")
_SHEET_COUNT_FALLBACK = re.compile(rb"<(?:" + _NAME + rb":)?sheet[\s/>]")

_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = b"0123456789"
_COLMAX = {1: 26, 2: 702, 3: 18_278}
_MAX_ROW = 1_048_576
_MAX_COL = 16_384


@functools.lru_cache(maxsize=16)
def _fast_cell_pattern(max_cells: int) -> tuple[re.Pattern[bytes], int, int]:
    """Cell scanner for a cell budget: refs inside a safe box match an empty group (no allocation).

    Returns the pattern and the (max_row, max_col) bound of the refs it leaves uncaptured. A
    captured item is either a longer ref (two bytes or more), or one delimiter byte for a cell
    tag that is not in canonical form.
    """
    box = None
    for letters, digits in ((2, 3), (1, 4), (1, 3), (1, 2), (1, 1)):
        if _COLMAX[letters] * (10**digits - 1) <= max_cells:
            box = (letters, digits)
            break
    # The whole start tag must be canonical: r first, then only the schema's other attributes.
    # A second r (calamine takes the last one), a prefixed r or a quoted '>' all fall through to
    # the one-byte alternative and send the part to the exact scanner.
    tail = rb'"(?: (?:s|t|cm|vm|ph|i|l|a)="[^"<]*")*/?>'
    long_ref = rb"[A-Za-z]{1,3}[0-9]{1,7}"
    rest = rb'(?: r="(?=' + long_ref + tail + rb"))?(" + long_ref + rb"|[\s/>])"
    if box is None:
        return re.compile(rb"<c" + rest), 0, 0
    short = rb' r="[A-Za-z]{1,%d}[0-9]{1,%d}' % box + tail
    return re.compile(rb"<c(?:" + short + rb"|" + rest + rb")"), 10 ** box[1] - 1, _COLMAX[box[0]]


def _exact_extent(refs: Iterable[bytes]) -> tuple[int, int]:
    """Exact (max_row, max_col) of canonical cell refs such as b'AB12'."""
    joined = b"\n".join(refs)
    if not joined:
        return 0, 0
    rows = joined.translate(None, _LETTERS).split()
    cols = joined.translate(None, _DIGITS).upper().split()
    longest = max(map(len, cols))
    return max(map(int, rows)), _col_index(max(c for c in cols if len(c) == longest))


def _unescape(value: bytes) -> bytes:
    """Resolve XML character and predefined entity references the way an XML parser would."""
    if b"&" not in value:
        return value

    def repl(match: re.Match[bytes]) -> bytes:
        ref = match.group(1)
        if ref.startswith(b"#x"):
            return chr(min(int(ref[2:], 16), 0x10FFFF)).encode("utf-8", "replace")
        if ref.startswith(b"#"):
            return chr(min(int(ref[1:]), 0x10FFFF)).encode("utf-8", "replace")
        return _ENTITY_CHARS[ref]

    return _CHAR_REF.sub(repl, value)


def _col_index(letters: bytes) -> int:
    """Convert column letters (A, Z, AA, XFD) to a 1-based index."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


def _parse_ref(ref: bytes) -> tuple[int, int] | None:
    """Parse a cell reference into (row, col); a missing part is reported as 0."""
    match = _REF.match(_unescape(ref).strip())
    if match is None or not (match.group(1) or match.group(2)):
        return None
    col = _col_index(match.group(1)) if match.group(1) else 0
    row = int(match.group(2)) if match.group(2) else 0
    return row, col


def _range_box(ref: bytes) -> tuple[int, int, int] | None:
    """Return (area, max_row, max_col) of a range such as A1:C9, A:A or 3:3 (space-separated lists summed)."""
    # Workbooks made from one template repeat the same merged ranges and dimensions file after
    # file: remember short ones (long, possibly hostile values are not kept).
    return _range_box_short(ref) if len(ref) <= _CACHED_REF_BYTES else _range_box_uncached(ref)


_CACHED_REF_BYTES = 64


@functools.lru_cache(maxsize=4096)
def _range_box_short(ref: bytes) -> tuple[int, int, int] | None:
    return _range_box_uncached(ref)


def _range_box_uncached(ref: bytes) -> tuple[int, int, int] | None:
    area = 0
    max_row = max_col = 0
    found = False
    for part in _unescape(ref).split():
        ends = part.split(b":")
        if len(ends) > 2:
            continue
        parsed = [_parse_ref(e) for e in ends]
        if any(p is None for p in parsed):
            continue
        pairs = [p for p in parsed if p is not None]
        rows = [r for r, _ in pairs]
        cols = [c for _, c in pairs]
        r1, r2 = (min(rows), max(rows)) if all(rows) else (1, _MAX_ROW)
        c1, c2 = (min(cols), max(cols)) if all(cols) else (1, _MAX_COL)
        area += (r2 - r1 + 1) * (c2 - c1 + 1)
        max_row = max(max_row, r2)
        max_col = max(max_col, c2)
        found = True
    return (area, max_row, max_col) if found else None


def _detect_encoding(head: bytes) -> str | None:
    """Name the codec of a non ASCII-compatible XML part (UTF-16/32), or None for UTF-8 and kin."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"<\x00\x00\x00"):
        return "utf-32-le"
    if head.startswith(b"\x00\x00\x00<"):
        return "utf-32-be"
    if head.startswith(b"<\x00"):
        return "utf-16-le"
    if head.startswith(b"\x00<"):
        return "utf-16-be"
    return None


_DTD_ANYWHERE = re.compile(rb"<!(?:DOCTYPE|ENTITY)")


def _prolog(head: bytes) -> tuple[str, re.Match[bytes] | None]:
    """Walk the XML prolog: ('root', tag), ('doctype', None), ('not-xml', None) or ('undecided', None)."""
    i = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    n = len(head)
    while True:
        while i < n and head[i] in b" \t\r\n":
            i += 1
        if i >= n:
            return "undecided", None
        if head[i] != 0x3C:
            return "not-xml", None
        if head.startswith(b"<?", i):
            j = head.find(b"?>", i + 2)
            if j < 0:
                return "undecided", None
            i = j + 2
            continue
        if head.startswith(b"<!--", i):
            j = head.find(b"-->", i + 4)
            if j < 0:
                return "undecided", None
            i = j + 3
            continue
        if head.startswith(b"<!", i):
            # Only a DOCTYPE can stand here, and ENTITY declarations live inside it.
            return "doctype", None
        match = _START_TAG.match(head, i)
        if match is None:
            return "undecided", None  # malformed, or a root tag longer than the head
        return "root", match


def _safe_cut(buf: bytes) -> int:
    """Index where a streamed XML buffer can be split without cutting a tag, comment, CDATA or PI."""
    cut = buf.rfind(b"<")
    if cut < 0:
        return len(buf)
    for opener, closer in ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>")):
        start = buf.rfind(opener)
        if start < 0:
            continue
        end = buf.find(closer, start + len(opener))
        if end < 0:
            cut = min(cut, start)
        elif start <= cut < end:
            cut = len(buf)  # last '<' is inside a finished construct: nothing after it starts a tag
    return cut


class _Analyser:
    """Base class: buffers the head, checks the prolog, then streams markup-aligned pieces."""

    def __init__(self, book: _Book, name: str) -> None:
        self.book = book
        self.name = name
        self.head = b""
        self.started = False
        self.active = False
        self.carry = b""
        self.decoder: codecs.IncrementalDecoder | None = None

    def feed(self, chunk: bytes, last: bool) -> None:
        """Accept the next inflated chunk of the part."""
        if not self.started:
            self.head += chunk
            if len(self.head) < _HEAD_BYTES and not last:
                return
            raw, self.head = self.head, b""
            self.started = True
            encoding = _detect_encoding(raw[:4])
            if encoding is not None:
                self.decoder = codecs.getincrementaldecoder(encoding)("replace")
                chunk = self.decoder.decode(raw, last).encode("utf-8")
            else:
                chunk = raw
            self.active = self._start(chunk, last)
            if not self.active:
                return
            self.raw(raw)
        else:
            if not self.active:
                return
            self.raw(chunk)
            if self.decoder is not None:
                chunk = self.decoder.decode(chunk, last).encode("utf-8")
        buf = self.carry + chunk if self.carry else chunk
        if last:
            self.carry = b""
        else:
            cut = _safe_cut(buf)
            self.carry = buf[cut:]
            if len(self.carry) > _MAX_CARRY:
                raise unsafe_file("xml-bomb", self.book.limits)
            buf = buf[:cut]
        if buf:
            self._piece(buf)

    def _piece(self, buf: bytes) -> None:
        """Checks every piece gets, then the subclass's own scan."""
        if _DTD_ANYWHERE.search(buf) is not None:
            # Lenient readers keep parsing after junk, so a DOCTYPE is refused wherever it sits.
            raise unsafe_file("xml-bomb", self.book.limits)
        self.piece(buf)

    def _start(self, first: bytes, last: bool) -> bool:
        """Inspect the prolog of the first buffer; return True when the part should be scanned."""
        status, root = _prolog(first)
        if status == "doctype":
            raise unsafe_file("xml-bomb", self.book.limits)
        # The root only hints at the part's role: lenient readers (calamine) also parse parts
        # with junk before the real root, so the content scans never depend on it.
        return self.begin(_local(root.group(1)) if root is not None else b"")

    def close(self) -> None:
        """Finish after the last chunk."""
        if not self.started:
            self.feed(b"", True)
        if not self.active:
            return
        if self.carry:
            buf, self.carry = self.carry, b""
            self._piece(buf)
        self.end()

    def begin(self, root: bytes) -> bool:
        """Note the local name of the apparent root; return False to skip the rest of the part."""
        return True

    def raw(self, chunk: bytes) -> None:
        """See the undecoded bytes of an active part."""

    def contributes_nothing(self) -> bool:
        """True when the part added nothing to the workbook-wide counts, so its verdict depends on its bytes alone."""
        return True

    def piece(self, buf: bytes) -> None:
        """Process a markup-aligned piece of the part."""

    def end(self) -> None:
        """Report what was found to the book."""


def _local(qname: bytes) -> bytes:
    """Local part of a possibly prefixed XML name."""
    return qname.rsplit(b":", 1)[-1]


class _OoxmlPart(_Analyser):
    """Dispatches an OOXML part by its root element: worksheet, comments, workbook or ignored."""

    def __init__(self, book: _Book, name: str, exact: bool) -> None:
        super().__init__(book, name)
        self.exact = exact
        self.role = ""
        self.cells = 0
        self.max_row = 0
        self.max_col = 0
        self.bounded = False  # some maxima are shape bounds, not exact values
        self.workbook: list[bytes] = []
        self.workbook_size = 0
        self.sheet_tags = 0
        # exact-scanner state
        self.depth = 0
        self.row_depth = -1
        self.cur_row = 0
        self.col_counter = 0

    def begin(self, root: bytes) -> bool:
        lower = self.name.lower()
        if root == b"workbook" or lower.endswith("workbook.xml"):
            self.role = "workbook"
        elif root in (b"worksheet", b"macrosheet", b"dialogsheet") or "/worksheets/" in lower:
            self.role = "sheet"
        elif root == b"calcChain":
            self.role = "calcchain"
        return True

    def raw(self, chunk: bytes) -> None:
        if self.role == "workbook":
            self._keep_workbook(chunk)

    def _keep_workbook(self, chunk: bytes) -> None:
        """Keep workbook.xml for an accurate sheet count, falling back to counting tags when huge."""
        self.workbook_size += len(chunk)
        if self.workbook_size <= _WORKBOOK_KEEP:
            self.workbook.append(chunk)
            return
        for kept in self.workbook:
            self.sheet_tags += len(_SHEET_COUNT_FALLBACK.findall(kept))
        self.workbook.clear()
        self.sheet_tags += len(_SHEET_COUNT_FALLBACK.findall(chunk))

    def piece(self, buf: bytes) -> None:
        # Every part is scanned as if it were a sheet: a reader follows the workbook's
        # relationships, which may point anywhere, and calamine reads <c> by local name.
        if self.exact:
            self._sheet_exact(buf)
        else:
            self._sheet_fast(buf)

    # -- fast path --------------------------------------------------------------------------

    def _sheet_fast(self, buf: bytes) -> None:
        """Count canonical cells and bound their extent with C-level passes only."""
        if _PREFIXED_CELL.search(buf) is not None:
            raise _Escalate
        pattern, short_rows, short_cols = _fast_cell_pattern(self.book.limits.max_cells)
        found = pattern.findall(buf)
        if found:
            self._add_cells(len(found))
            n_short = found.count(b"")
            kinds: set[bytes] = set() if n_short == len(found) else set(found)
            kinds.discard(b"")
            if 1 in set(map(len, kinds)):
                raise _Escalate  # a cell tag without a leading r="..." attribute
            has_short = n_short > 0
            row, col = _exact_extent(kinds)
            if has_short:
                row, col = max(row, short_rows), max(col, short_cols)
            limit = self.book.limits.max_cells
            if has_short and max(self.max_row, row) * max(self.max_col, col) > limit:
                row, col = _exact_extent(_ALL_CELL_REFS.findall(buf))
                has_short = False
            if has_short:
                self.bounded = True
            self._extend(row, col)
        for match in _REF_VALUE.finditer(buf):
            start = match.start()
            if start == 0 or buf[start - 1] not in b" \t\r\n":
                continue  # sqref=, href=... belong to other attributes
            tag = buf.rfind(b"<", 0, start)
            name = _NAME_AT.match(buf, tag + 1) if tag >= 0 else None
            if name is None:
                continue
            value = match.group(1) if match.group(1) is not None else match.group(2)
            local = name.group(1)
            if local in (b"mergeCell", b"hyperlink"):
                self._range(value)
            elif local == b"dimension":
                self._declared(value)
            elif local == b"comment":
                self._position(value)

    # -- exact path -------------------------------------------------------------------------

    def _sheet_exact(self, buf: bytes) -> None:
        """Replay the cell placement rules of openpyxl and calamine tag by tag."""
        for match in _TOKEN.finditer(buf):
            local = match.group(2)
            if local is None:
                continue
            closing = match.group(1) == b"/"
            if closing:
                self.depth -= 1
                if self.depth <= self.row_depth:
                    self.row_depth = -1
                continue
            self_closing = match.group(4) == b"/"
            attrs = match.group(3)
            in_row = self.row_depth >= 0 and self.depth == self.row_depth + 1
            if local == b"row" and not in_row:
                r = self._attr_int(attrs, b"r")
                self.cur_row = r if r else self.cur_row + 1
                self.col_counter = 0
                if not self_closing:
                    self.row_depth = self.depth
            elif in_row or local == b"c":
                # openpyxl turns every child of <row> into a cell; calamine reads every <c>.
                self._cell(attrs)
            elif local in (b"mergeCell", b"hyperlink"):
                ref = self._attr(attrs, b"ref")
                if ref is not None:
                    self._range(ref)
            elif local == b"dimension":
                ref = self._attr(attrs, b"ref")
                if ref is not None:
                    self._declared(ref)
            elif local == b"comment":
                ref = self._attr(attrs, b"ref")
                if ref is not None:
                    self._position(ref)
            if not self_closing:
                self.depth += 1

    def _cell(self, attrs: bytes) -> None:
        """Place one cell like the parsers do: explicit reference, else next column of the row."""
        ref = self._attr(attrs, b"r")
        pos = _parse_ref(ref) if ref is not None else None
        if pos is not None and pos[0] and pos[1]:
            row, col = pos
            self.col_counter = col
        else:
            self.col_counter += 1
            row, col = max(self.cur_row, 1), self.col_counter
        self._add_cells(1)
        self._extend(row, col)

    @staticmethod
    def _attr(attrs: bytes, wanted: bytes) -> bytes | None:
        """Largest-position-wins lookup of an attribute by local name (prefixed or not)."""
        found: bytes | None = None
        for match in _ATTR.finditer(attrs):
            if match.group(2) == wanted:
                value = match.group(3) if match.group(3) is not None else match.group(4)
                if found is None or len(value) > len(found):
                    found = value
        return found

    def _attr_int(self, attrs: bytes, wanted: bytes) -> int:
        """Row number as openpyxl reads it ("5", "5.0", "1e6"), or 0 when absent or unreadable."""
        value = self._attr(attrs, wanted)
        if value is None:
            return 0
        value = _unescape(value).strip()
        if _NUMBER.match(value) is None:
            return 0
        return int(min(float(value), 1e12))

    # -- accounting -------------------------------------------------------------------------

    def _add_cells(self, n: int) -> None:
        self.cells += n
        if self.book.cells + self.cells > self.book.limits.max_cells:
            raise unsafe_file("too-many-cells", self.book.limits)

    def _extend(self, row: int, col: int) -> None:
        self.max_row = max(self.max_row, row)
        self.max_col = max(self.max_col, col)
        if self.max_row * self.max_col > self.book.limits.max_cells:
            if self.bounded:
                raise _Escalate  # a shape bound, not a fact: recount exactly before refusing
            raise unsafe_file("too-many-cells", self.book.limits)

    def _range(self, ref: bytes) -> None:
        """Merged cells and hyperlink ranges are materialised cell by cell by openpyxl."""
        box = _range_box(ref)
        if box is not None:
            self._add_cells(box[0])
            self._extend(box[1], box[2])

    def _declared(self, ref: bytes) -> None:
        """A declared dimension drives openpyxl read-only iteration and calamine preallocation."""
        box = _range_box(ref)
        if box is not None:
            self._extend(box[1], box[2])

    def _position(self, ref: bytes) -> None:
        """A comment anchor creates one cell in openpyxl at that position."""
        pos = _parse_ref(ref)
        if pos is not None:
            self._add_cells(1)
            self._extend(max(pos[0], 1), max(pos[1], 1))

    def contributes_nothing(self) -> bool:
        return self.role == "" and self.cells == 0 and self.max_row == 0 and self.max_col == 0

    def end(self) -> None:
        if self.role == "sheet":
            self.book.sheet_parts += 1
        if self.role == "workbook":
            self.book.count_workbook(b"".join(self.workbook), self.sheet_tags, self.workbook_size)
        if self.role != "calcchain":
            # calcChain.xml repeats the address of every formula cell: its extent and size are
            # checked like any part, but it must not count the same cells twice in the total.
            self.book.cells += self.cells


class _OdsContent(_Analyser):
    """Replays ODF row/column repetition in content.xml to bound the cells a reader materialises."""

    def __init__(self, book: _Book, name: str) -> None:
        super().__init__(book, name)
        self.cells = 0
        self.stack: list[list[int]] = []  # per open table: [row_pos, row_start, row_rep, col_pos, max_row, max_col]
        # python-calamine loops forever on some malformed content.xml (a table that is never
        # closed), so ODS gets a full well-formedness pass; expat runs in C with no callbacks.
        self.expat = expat.ParserCreate()

    def raw(self, chunk: bytes) -> None:
        self._parse(chunk, False)

    def _parse(self, chunk: bytes, final: bool) -> None:
        """Feed expat; a well-formedness error means no reader can be trusted with the file."""
        try:
            self.expat.Parse(chunk, final)
        except (expat.ExpatError, LookupError, UnicodeError, ValueError) as exc:
            # An unknown declared encoding surfaces as the codec lookup's LookupError.
            raise unsafe_file("corrupt-file", self.book.limits) from exc

    def piece(self, buf: bytes) -> None:
        limits = self.book.limits
        for match in _ODS_TOKEN.finditer(buf):
            local = match.group(2)
            if local is None:
                continue
            closing = match.group(1) == b"/"
            self_closing = match.group(4) == b"/"
            attrs = match.group(3)
            if local == b"table":
                if closing:
                    if self.stack:
                        self.stack.pop()
                elif not self_closing:
                    self.book.sheet_parts += 1
                    if self.book.sheet_parts > limits.max_sheets:
                        raise unsafe_file("too-many-sheets", limits)
                    self.stack.append([0, 0, 1, 0, 0, 0])
            elif closing or not self.stack:
                continue
            elif local == b"table-row":
                state = self.stack[-1]
                rep = _repeat(attrs, b"number-rows-repeated")
                state[1] = state[0]
                state[2] = rep
                state[0] += rep
                state[3] = 0
            elif local in (b"table-cell", b"covered-table-cell"):
                state = self.stack[-1]
                rep = _repeat(attrs, b"number-columns-repeated")
                # Empty repeated cells (LibreOffice pads every sheet to 1024 x 1048576 this way)
                # are skipped by readers; anything with content is materialised rep times.
                empty = self_closing and b"value" not in attrs and b"formula" not in attrs
                if not empty:
                    self.cells += rep * state[2]
                    state[4] = max(state[4], state[1] + state[2])
                    state[5] = max(state[5], state[3] + rep)
                    if self.book.cells + self.cells > limits.max_cells or state[4] * state[5] > limits.max_cells:
                        raise unsafe_file("too-many-cells", limits)
                state[3] += rep

    def contributes_nothing(self) -> bool:
        return False

    def end(self) -> None:
        self._parse(b"", True)
        self.book.cells += self.cells


def _repeat(attrs: bytes, wanted: bytes) -> int:
    """ODF repetition count of a row or cell (1 when absent)."""
    if b"repeated" not in attrs:
        return 1
    for match in _ATTR.finditer(attrs):
        if match.group(2) == wanted:
            value = match.group(3) if match.group(3) is not None else match.group(4)
            value = _unescape(value).strip()
            return max(1, int(value[:10])) if value.isdigit() else 1
    return 1


class _Book:
    """Collects per-part findings of one archive and enforces the workbook-wide limits."""

    def __init__(self, flavor: str, limits: Limits) -> None:
        self.flavor = flavor
        self.limits = limits
        self.cells = 0
        self.sheet_parts = 0
        self.sheets_declared = 0

    def analyser_for(self, name: str, exact: bool) -> _Analyser | None:
        """Pick the analyser for a member, or None when only its size and CRC matter."""
        if self.flavor == _CONTAINER or name.endswith("/"):
            return None
        if name.lower().endswith(_MEDIA_EXT):
            return None  # pictures are never parsed as XML; an SVG logo may carry a harmless DOCTYPE
        if self.flavor == _ODS:
            return _OdsContent(self, name) if name == "content.xml" else _Analyser(self, name)
        return _OoxmlPart(self, name, exact)

    def count_workbook(self, xml: bytes, tag_count: int, size: int) -> None:
        """Count <sheet> entries of workbook.xml with a hardened parser."""
        if size > _WORKBOOK_KEEP or not xml:
            count = tag_count
        else:
            try:
                count = _declared_sheets(xml) if len(xml) <= _REPEAT_BYTES else _count_sheet_elements(xml)
            except Exception as exc:
                # defusedxml refuses DTDs and entities; a malformed workbook.xml is unreadable anyway.
                code = "xml-bomb" if type(exc).__module__.startswith("defusedxml") else "corrupt-file"
                raise unsafe_file(code, self.limits) from exc
        self.sheets_declared = max(self.sheets_declared, count)

    def finish(self) -> None:
        """Apply the workbook-wide limits once every part was measured."""
        if max(self.sheets_declared, self.sheet_parts) > self.limits.max_sheets:
            raise unsafe_file("too-many-sheets", self.limits)
        if self.cells > self.limits.max_cells:
            raise unsafe_file("too-many-cells", self.limits)


def _count_sheet_elements(xml: bytes) -> int:
    """<sheet> elements of workbook.xml, parsed with the hardened parser (which raises on DTDs)."""
    root = SafeET.fromstring(xml)
    return sum(1 for el in root.iter() if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == "sheet")


@functools.lru_cache(maxsize=64)
def _declared_sheets(xml: bytes) -> int:
    """The same, remembered: workbooks made from one template share their workbook.xml (failures are not kept)."""
    return _count_sheet_elements(xml)


# --------------------------------------------------------------------------- legacy .xls

_BIFF_SINGLE_CELLS = frozenset({0x00FD, 0x0203, 0x027E, 0x0205, 0x0006, 0x0406, 0x0204, 0x00D6})
_BIFF_BLANK = 0x0201
_BIFF_MULRK = 0x00BD
_BIFF_MULBLANK = 0x00BE
_BIFF_DIMENSIONS = 0x0200


def _check_xls(data: bytes, limits: Limits) -> None:
    """Check a BIFF workbook inside an OLE2 container: structure, encryption, sheets and cells."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:
        # olefile raises assorted exception types on damaged containers.
        raise unsafe_file("corrupt-file", limits) from exc
    try:
        if ole.exists("EncryptedPackage"):
            raise unsafe_file("encrypted", limits)
        stream_name = "Workbook" if ole.exists("Workbook") else "Book" if ole.exists("Book") else None
        if stream_name is None or ole.get_size(stream_name) > len(data):
            raise unsafe_file("corrupt-file", limits)
        stream = ole.openstream(stream_name).read()
    except UnsafeFile:
        raise
    except Exception as exc:
        raise unsafe_file("corrupt-file", limits) from exc
    finally:
        ole.close()
    _walk_biff(stream, limits)


def _walk_biff(stream: bytes, limits: Limits) -> None:
    """Walk every BIFF record: FILEPASS, BOUNDSHEET count, real cell count and extent per sheet."""
    pos = 0
    n = len(stream)
    sheets = 0
    cells = 0
    max_row = max_col = 0
    unpack = struct.unpack_from
    while pos + 4 <= n:
        rtype, rlen = unpack("<HH", stream, pos)
        body = pos + 4
        if rtype == 0 and rlen == 0:
            break  # Excel pads the stream with zeros up to 4 KB
        if body + rlen > n:
            raise unsafe_file("corrupt-file", limits)
        if rtype in _BIFF_SINGLE_CELLS or rtype == _BIFF_BLANK:
            if rlen < 4:
                raise unsafe_file("corrupt-file", limits)
            cells += 1
            if rtype != _BIFF_BLANK:
                row, col = unpack("<HH", stream, body)
                max_row = max(max_row, row + 1)
                max_col = max(max_col, col + 1)
        elif rtype in (_BIFF_MULRK, _BIFF_MULBLANK):
            if rlen < 6:
                raise unsafe_file("corrupt-file", limits)
            row, first = unpack("<HH", stream, body)
            last = unpack("<H", stream, body + rlen - 2)[0]
            cells += max(0, last - first + 1)
            if rtype == _BIFF_MULRK:
                max_row = max(max_row, row + 1)
                max_col = max(max_col, last + 1)
        elif rtype == 0x002F:
            raise unsafe_file("encrypted", limits)
        elif rtype == 0x0085:
            sheets += 1
            if sheets > limits.max_sheets:
                raise unsafe_file("too-many-sheets", limits)
        elif rtype == 0x0809:
            max_row = max_col = 0  # a new substream (sheet) starts: extent is per sheet
        elif rtype == _BIFF_DIMENSIONS:
            if rlen >= 14:
                _, row_end, _, col_end = unpack("<IIHH", stream, body)
            elif rlen >= 8:
                _, row_end, _, col_end = unpack("<HHHH", stream, body)
            else:
                row_end = col_end = 0
            max_row = max(max_row, row_end)
            max_col = max(max_col, col_end)
        if cells > limits.max_cells or max_row * max_col > limits.max_cells:
            raise unsafe_file("too-many-cells", limits)
        pos = body + rlen
