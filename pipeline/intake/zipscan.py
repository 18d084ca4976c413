"""Zip containers measured while inflating, with caps: sizes, ratios, entries, CRCs, unsafe names."""

from __future__ import annotations

import bz2
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator

from pipeline.intake.limits import (
    CONTAINER,
    MIB,
    REPEAT_BYTES,
    Escalate,
    Limits,
    UnsafeFile,
    unsafe_file,
)
from pipeline.intake.xmlscan import Book


def is_unsafe_member_name(name: str) -> bool:
    """Tell whether an archive member name could escape its folder (.., absolute, drive letter)."""
    if not name or "\x00" in name:
        return True
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return True
    return any(part == ".." for part in norm.split("/"))




_OUT_CHUNK = 1 * MIB
_IN_CHUNK = 256 * 1024


def keeps_xml(name: str) -> bool:
    """The parts of a workbook the reader needs after the guard: its sheets, workbook.xml and its relationships."""
    return (name.startswith("xl/worksheets/") and name.endswith(".xml") and name.count("/") == 2) or \
        name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")


def check_zip(data: bytes, limits: Limits, flavor: str,
              keep: Callable[[str], bool] | None = None) -> dict[str, bytes]:
    """Run the archive checks shared by xlsx, xlsm, ods and plain zip containers.

    The parts `keep` names are returned as inflated while they were measured: the reader then
    reads them from there, so that every part is inflated once for the guard and the reader.
    """
    infos = _zip_infos(data, limits)
    declared_total = 0
    for info in infos:
        if flavor != CONTAINER and is_unsafe_member_name(info.orig_filename):
            raise unsafe_file("unsafe-path", limits)
        if info.flag_bits & 0x1 or info.compress_type == 99:
            if flavor == CONTAINER:
                raise UnsafeFile("encrypted-zip")
            raise unsafe_file("encrypted", limits)
        if info.file_size > limits.max_entry_uncompressed:
            raise unsafe_file("zip-bomb", limits)
        declared_total += info.file_size
    if declared_total > limits.max_total_uncompressed:
        raise unsafe_file("zip-bomb", limits)

    book = Book(flavor, limits)
    remaining = limits.max_total_uncompressed
    kept: dict[str, bytes] = {}
    for info in infos:
        wanted = keep is not None and keep(info.orig_filename)
        produced = _measure_entry(data, info, limits, remaining, book, kept if wanted else None)
        remaining -= produced
    book.finish()
    return kept


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


def inflate(data: bytes, info: zipfile.ZipInfo, cap: int) -> Iterator[tuple[bytes, bool]]:
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
        raise UnsafeFile("unsupported-compression")


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




# Entries whose scan adds nothing to the workbook-wide counts (styles, theme, relationships, document
# properties, pictures) are the same bytes in every workbook made from one template. Their verdict is a
# function of those bytes alone, so a success is remembered, keyed by the compressed bytes and every
# header field the check reads; a repeat is not inflated again. Any part with cells, ranges or comments,
# and sheets and workbook.xml (which feed the workbook-wide counts) are always measured.
_REPEATS: dict[tuple[str, str, int, int, int, bytes], int] = {}
_REPEATS_MAX = 256


def _measure_entry(data: bytes, info: zipfile.ZipInfo, limits: Limits, remaining: int, book: Book,
                   kept: dict[str, bytes] | None = None) -> int:
    """Inflate one entry for real, feeding its analyser; return the number of bytes it produced."""
    raw_len = info.compress_size
    ratio_cap = max(limits.ratio_min_entry_bytes, limits.max_ratio * max(raw_len, 1))
    cap = min(limits.max_entry_uncompressed, remaining, ratio_cap)
    key = None
    if raw_len <= REPEAT_BYTES and kept is None:  # a part the reader wants is inflated, not remembered
        # _entry_raw raises exactly what inflating would raise first for a bad local header.
        key = (book.flavor, info.orig_filename, info.compress_type, info.file_size, info.CRC,
               bytes(_entry_raw(data, info)))
        known = _REPEATS.get(key)
        if known is not None:
            if known > cap:
                raise unsafe_file("zip-bomb")  # inflating would have stopped at the cap
            return known
    produced = _inflate_entry(data, info, limits, cap, book, key, kept)
    return produced


def _inflate_entry(data: bytes, info: zipfile.ZipInfo, limits: Limits, cap: int, book: Book,
                   key: tuple[str, str, int, int, int, bytes] | None, kept: dict[str, bytes] | None = None) -> int:
    """The measurement itself; remembers the success of an entry that needed no analysis under `key`."""
    exact = False
    while True:
        analyser = book.analyser_for(info.orig_filename, exact)
        produced = 0
        crc = 0
        pieces: list[bytes] = []
        try:
            for chunk, last in inflate(data, info, cap):
                produced += len(chunk)
                if kept is not None:
                    pieces.append(chunk)
                if produced > info.file_size:
                    # More output than declared is the signature of a bomb that lies about its
                    # size; stop at once instead of inflating up to the generic cap.
                    raise unsafe_file("zip-bomb", limits)
                crc = zlib.crc32(chunk, crc)
                if analyser is not None:
                    analyser.feed(chunk, last)
            if analyser is not None:
                analyser.close()
        except Escalate:
            if exact:
                raise unsafe_file("too-many-cells", limits) from None
            exact = True
            continue
        break
    if crc != info.CRC or produced != info.file_size:
        raise unsafe_file("corrupt-file", limits)
    if kept is not None:
        kept[info.orig_filename] = b"".join(pieces)
    if key is not None and (analyser is None or analyser.contributes_nothing()):
        if len(_REPEATS) >= _REPEATS_MAX:
            _REPEATS.pop(next(iter(_REPEATS)))
        _REPEATS[key] = produced
    return produced
