"""Tests for pipeline.intake.guard: sniffing the real kind and refusing hostile workbooks."""

from __future__ import annotations

import io
import random
import re
import struct
import time
import tracemalloc
import unicodedata
import zipfile
import zlib

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.intake.guard import check
from pipeline.intake.limits import Limits, UnsafeFile
from pipeline.intake.sniff import sniff
from pipeline.intake.zipscan import is_unsafe_member_name
from pipeline.model.findings import CATALOGUE

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# --------------------------------------------------------------------------- builders


def make_xlsx(rows: int = 40, sheets: int = 1) -> bytes:
    """A small genuine workbook written by openpyxl."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Biểu 01"
    ws.append(["STT", "Chỉ tiêu", "Đơn vị", "Kế hoạch", "Thực hiện"])
    for i in range(1, rows):
        ws.append([i, f"Chỉ tiêu số {i}", "người", i * 13.5, f"=D{i + 1}*0.9"])
    for n in range(1, sheets):
        wb.create_sheet(f"Trang {n}")["A1"] = n
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """Copy a zip, replacing or adding members (all deflated)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    parts = [(name, src.read(name)) for name in src.namelist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, body in parts:
            dst.writestr(name, (replace or {}).get(name, body))
        for name, body in (add or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def sheet_xml(sheet_data: str, extra: str = "", root_attrs: str = "") -> bytes:
    """A worksheet part with the given sheetData body."""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN_NS}" {root_attrs}><sheetData>{sheet_data}</sheetData>{extra}</worksheet>'
    ).encode()


def with_sheet(xml: bytes, base: bytes | None = None) -> bytes:
    """A genuine workbook whose first worksheet part is replaced by xml."""
    return rezip(base or make_xlsx(3), replace={"xl/worksheets/sheet1.xml": xml})


def raw_zip(entries: list[tuple[str, bytes, int, int, int]], utf8_flag: bool = True) -> bytes:
    """Hand-write a zip: (name, body as stored, method, crc, declared uncompressed size) per entry.

    Nothing is checked, so headers can lie exactly as a hostile archive would.
    """
    flags = 0x800 if utf8_flag else 0
    local = io.BytesIO()
    central = io.BytesIO()
    for name, body, method, crc, usize in entries:
        raw_name = name.encode("utf-8")
        offset = local.tell()
        local.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc, len(body), usize, len(raw_name), 0))
        local.write(raw_name + body)
        central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x21, crc, len(body), usize,
                len(raw_name), 0, 0, 0, 0, 0, offset,
            )
        )
        central.write(raw_name)
    cd = central.getvalue()
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd), local.tell(), 0)
    return local.getvalue() + cd + eocd


def deflated_zeros(mib: int) -> bytes:
    """Raw deflate stream of mib MiB of zeros, built in O(1) MiB of memory.

    After a full flush the compressor restarts from a clean state, so the compressed form of
    each further 1 MiB block of zeros is byte-identical and can simply be repeated.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(1 << 20)
    first = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    second = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    third = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    assert second == third
    stream = first + second * (mib - 1) + c.flush()
    probe = zlib.decompressobj(-15)
    assert probe.decompress(stream, 3 << 20) == bytes(3 << 20)
    return stream


def cfb(streams: dict[str, bytes]) -> bytes:
    """Hand-craft a minimal OLE2 compound file (v3, 512-byte sectors) holding up to 3 streams.

    Every stream is padded to 4 KiB so it lives in regular sectors and no mini stream is needed.
    """
    assert len(streams) <= 3
    sector = 512
    free, end, fatsect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    bodies = [(name, body + bytes(max(0, 4096 - len(body)))) for name, body in streams.items()]
    fat = [fatsect, end]  # sector 0: FAT, sector 1: directory
    data = b""
    starts = []
    for _, body in bodies:
        body += bytes(-len(body) % sector)
        n = len(body) // sector
        start = len(fat)
        starts.append(start)
        fat.extend(list(range(start + 1, start + n)) + [end])
        data += body
    assert len(fat) <= 128
    fat_sector = struct.pack("<128I", *(fat + [free] * (128 - len(fat))))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(raw), kind, 1, nostream, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, size)
        )

    entries = [entry("Root Entry", 5, 1 if bodies else nostream, nostream, end, 0)]
    for i, (name, _) in enumerate(bodies):
        right = i + 2 if i + 1 < len(bodies) else nostream
        entries.append(entry(name, 2, nostream, right, starts[i], len(streams[name]) if len(streams[name]) >= 4096 else 4096))
    while len(entries) < 4:
        entries.append(bytes(64) + struct.pack("<HBBIII", 0, 0, 0, nostream, nostream, nostream) + bytes(36) + struct.pack("<IQ", 0, 0))
    directory = b"".join(entries)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<109I", 0, *([free] * 108))
    )
    assert len(header) == sector
    return header + fat_sector + directory + data


def biff_record(rtype: int, body: bytes = b"") -> bytes:
    """One BIFF record."""
    return struct.pack("<HH", rtype, len(body)) + body


def biff_workbook(
    cells: list[tuple[int, int]] = [(0, 0)], sheets: int = 1, filepass: bool = False
) -> bytes:
    """A BIFF8 Workbook stream: globals (BOF, [FILEPASS], BOUNDSHEET*, EOF) then one worksheet."""
    bof_globals = biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x0006))
    bof_sheet = biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x0006))
    eof = biff_record(0x000A)

    def boundsheet(pos: int, n: int) -> bytes:
        name = f"Sheet{n}".encode("latin-1")
        return biff_record(0x0085, struct.pack("<IBBBB", pos, 0, 0, len(name), 0) + name)

    globals_len = len(bof_globals) + (len(biff_record(0x002F, bytes(6))) if filepass else 0)
    globals_len += sum(len(boundsheet(0, n)) for n in range(sheets)) + len(eof)
    stream = bof_globals + (biff_record(0x002F, struct.pack("<HHH", 1, 1, 1)) if filepass else b"")
    stream += b"".join(boundsheet(globals_len, n) for n in range(sheets)) + eof
    max_row = max(r for r, _ in cells) + 1
    max_col = max(c for _, c in cells) + 1
    stream += bof_sheet + biff_record(0x0200, struct.pack("<IIHHH", 0, max_row, 0, max_col, 0))
    for row, col in cells:
        stream += biff_record(0x0203, struct.pack("<HHHd", row, col, 0x0F, 1.5))
    return stream + eof


def make_xls(**kwargs: object) -> bytes:
    """A legacy .xls: BIFF8 Workbook stream inside a hand-crafted CFB."""
    return cfb({"Workbook": biff_workbook(**kwargs)})  # type: ignore[arg-type]


ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)
ODS_TAIL = "</office:spreadsheet></office:body></office:document-content>"
ODS_ROW = (
    '<table:table-row><table:table-cell office:value-type="float" office:value="{v}">'
    "<text:p>{v}</text:p></table:table-cell></table:table-row>"
)
# LibreOffice pads every sheet to its full size with empty repeated cells; readers skip them.
ODS_PADDING = (
    '<table:table-row table:number-rows-repeated="1048570">'
    '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
)


def make_ods(tables: list[str] | None = None, manifest_extra: str = "") -> bytes:
    """An OpenDocument spreadsheet written by hand: stored mimetype first, then content.xml."""
    if tables is None:
        tables = ["".join(ODS_ROW.format(v=i) for i in range(5)) + ODS_PADDING]
    body = "".join(f'<table:table table:name="T{i}">{t}</table:table>' for i, t in enumerate(tables))
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        f'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{manifest_extra}'
        "</manifest:file-entry></manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", ODS_HEAD + body + ODS_TAIL, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def make_docx() -> bytes:
    """The skeleton of a Word document: a zip with [Content_Types].xml and word/document.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="x"/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="x"/>')
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EML = (
    b"From: So Y te <syt@example.gov.vn>\r\nTo: tonghop@example.gov.vn\r\nSubject: Bao cao\r\n"
    b"Date: Mon, 03 Mar 2025 09:15:00 +0700\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nXin gui bao cao.\r\n"
)


def code_of(data: bytes, kind: str, limits: Limits = Limits()) -> str | None:
    """Run check() and return the rejection code, or None when the file passes."""
    try:
        check(data, kind, limits)
    except UnsafeFile as exc:
        assert exc.message_vi
        return exc.code
    return None


# --------------------------------------------------------------------------- sniff


def test_sniff_recognises_real_kinds() -> None:
    xlsx = make_xlsx()
    assert sniff(xlsx, "bao cao.xlsx") == "xlsx"
    assert sniff(xlsx, "renamed.pdf") == "xlsx"  # bytes win over the extension
    assert sniff(make_ods(), "bao cao.ods") == "ods"
    assert sniff(make_xls(), "bao cao.xls") == "xls"
    assert sniff(make_docx(), "bao cao.docx") == "other"
    assert sniff(make_docx(), "bao cao.xlsx") == "other"
    assert sniff(PDF, "bao cao.pdf") == "other"
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(100), "anh.jpg") == "other"
    assert sniff(EML, "thu.eml") == "eml"
    assert sniff(b"STT,Chi tieu\n1,2\n", "bao cao.csv") == "csv"
    assert sniff(b"Subject: only one header\n\nbody", "x.txt") == "other"
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("so-yte/bao cao.xlsx", xlsx)
    assert sniff(plain.getvalue(), "gui.zip") == "zip"


def test_sniff_macro_workbooks() -> None:
    with_vba = rezip(make_xlsx(), add={"xl/vbaProject.bin": b"\0" * 64})
    assert sniff(with_vba, "a.xlsx") == "xlsm"
    ct = zipfile.ZipFile(io.BytesIO(make_xlsx())).read("[Content_Types].xml")
    ct = ct.replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
    assert sniff(rezip(make_xlsx(), replace={"[Content_Types].xml": ct}), "a.xlsx") == "xlsm"


def test_sniff_encrypted_variants() -> None:
    encrypted_xlsx = cfb({"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(200), "EncryptedPackage": bytes(5000)})
    assert sniff(encrypted_xlsx, "bao cao.xlsx") == "encrypted"
    assert sniff(make_xls(filepass=True), "bao cao.xls") == "encrypted"
    assert sniff(make_ods(manifest_extra="<manifest:encryption-data/>"), "a.ods") == "encrypted"
    word97 = cfb({"WordDocument": bytes(5000)})
    assert sniff(word97, "cong van.doc") == "other"


def test_sniff_damaged_files_keep_a_kind_check_can_refuse() -> None:
    xlsx = make_xlsx()
    truncated = xlsx[: len(xlsx) // 2]
    assert sniff(truncated, "bao cao.xlsx") == "xlsx"
    assert sniff(truncated, "whatever.bin") == "xlsx"  # local headers still name xl/ parts
    assert sniff(b"PK\x03\x04" + bytes(40), "gui.zip") == "zip"
    assert sniff(make_xls()[:700], "bao cao.xls") == "xls"


# --------------------------------------------------------------------------- check: the happy path


def test_valid_workbooks_pass() -> None:
    assert code_of(make_xlsx(), "xlsx") is None
    assert code_of(rezip(make_xlsx(), add={"xl/vbaProject.bin": b"\0" * 64}), "xlsm") is None
    assert code_of(make_ods(), "ods") is None
    assert code_of(make_xls(cells=[(0, 0), (5, 3)]), "xls") is None
    assert code_of(EML, "eml") is None
    assert code_of(PDF, "other") is None


def test_valid_xlsx_is_fast() -> None:
    data = make_xlsx(rows=300)
    assert 10_000 < len(data) < 30_000
    check(data, "xlsx")
    start = time.perf_counter()
    for _ in range(20):
        check(data, "xlsx")
    per_call = (time.perf_counter() - start) / 20
    assert per_call < 0.02  # generous: shared CI machines; typically ~1 ms


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check(b"", "docx")


# --------------------------------------------------------------------------- zip bombs


def test_zip_bomb_with_lying_sizes_is_refused_without_inflating_it() -> None:
    bomb = deflated_zeros(2048)  # 2 GiB of zeros in about 2 MiB
    assert len(bomb) < 3 * 1024 * 1024
    xlsx_like = raw_zip(
        [
            ("[Content_Types].xml", b"<Types/>", 0, zlib.crc32(b"<Types/>"), 8),
            ("xl/workbook.xml", b"<workbook/>", 0, zlib.crc32(b"<workbook/>"), 11),
            ("xl/worksheets/sheet1.xml", bomb, 8, 0x1234, 1000),
        ]
    )
    assert sniff(xlsx_like, "bao cao.xlsx") == "xlsx"
    tracemalloc.start()
    start = time.perf_counter()
    try:
        for kind in ("xlsx", "zip"):
            with pytest.raises(UnsafeFile) as info:
                check(xlsx_like, kind)
            assert info.value.code == "zip-bomb"
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 24 * 1024 * 1024  # the input is ~2 MiB; inflating it would need 2 GiB


def test_zip_bomb_with_honest_huge_size_is_refused_before_inflating() -> None:
    bomb = deflated_zeros(2048)
    honest = raw_zip([("xl/worksheets/sheet1.xml", bomb, 8, 0, 2048 << 20)])
    start = time.perf_counter()
    assert code_of(honest, "xlsx") == "zip-bomb"
    assert time.perf_counter() - start < 0.5


def test_zip_bomb_caught_by_ratio_and_totals() -> None:
    zeros = deflated_zeros(40)
    big = raw_zip([("a.bin", zeros, 8, zlib.crc32(bytes(40 << 20)), 40 << 20)])
    assert code_of(big, "zip") == "zip-bomb"  # 1000:1 is far beyond the 100:1 ratio
    relaxed = Limits(max_ratio=10_000)
    assert code_of(big, "zip", relaxed) is None
    assert code_of(big, "zip", Limits(max_ratio=10_000, max_entry_uncompressed=10 << 20)) == "zip-bomb"
    many = raw_zip([(f"p{i}.bin", zeros, 8, zlib.crc32(bytes(40 << 20)), 40 << 20) for i in range(6)])
    assert code_of(many, "zip", relaxed) == "zip-bomb"  # 240 MiB in total


def test_too_many_entries() -> None:
    entries = [(f"f{i}.txt", b"x", 0, zlib.crc32(b"x"), 1) for i in range(30)]
    assert code_of(raw_zip(entries), "zip", Limits(max_entries=20)) == "zip-bomb"
    assert code_of(raw_zip(entries), "zip", Limits(max_entries=30)) is None


def test_file_too_large() -> None:
    assert code_of(make_xlsx(), "xlsx", Limits(max_file_bytes=1000)) == "file-too-large"
    assert code_of(PDF, "other", Limits(max_file_bytes=10)) == "file-too-large"
    with pytest.raises(UnsafeFile) as info:
        check(make_xlsx(), "xlsx", Limits(max_file_bytes=1000))
    assert "MB" in info.value.message_vi


# --------------------------------------------------------------------------- XML bombs

BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + "]>\n"
    + f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is>'
    + "</c></row></sheetData></worksheet>"
)


def test_billion_laughs_in_sheet_is_an_xml_bomb() -> None:
    assert code_of(with_sheet(BILLION_LAUGHS.encode()), "xlsx") == "xml-bomb"


def test_doctype_variants_are_caught() -> None:
    utf16 = BILLION_LAUGHS.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert code_of(with_sheet(utf16), "xlsx") == "xml-bomb"
    after_comment = BILLION_LAUGHS.replace("<!DOCTYPE", "<!-- harmless -->\n<?pi x?>\n<!DOCTYPE", 1)
    assert code_of(with_sheet(after_comment.encode()), "xlsx") == "xml-bomb"
    workbook = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><workbook/>'
    assert code_of(rezip(make_xlsx(), replace={"xl/workbook.xml": workbook}), "xlsx") == "xml-bomb"
    ods = make_ods()
    content = zipfile.ZipFile(io.BytesIO(ods)).read("content.xml")
    bad = content.replace(b"?>", b'?><!DOCTYPE d [<!ENTITY a "aaaa">]>', 1)
    assert code_of(rezip(ods, replace={"content.xml": bad}), "ods") == "xml-bomb"


def test_svg_picture_with_doctype_is_not_an_xml_bomb() -> None:
    svg = b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd"><svg/>'
    assert code_of(rezip(make_xlsx(), add={"xl/media/image1.svg": svg}), "xlsx") is None


# --------------------------------------------------------------------------- encryption and damage


def test_password_protected_files_are_encrypted() -> None:
    encrypted_xlsx = cfb({"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(200), "EncryptedPackage": bytes(5000)})
    assert sniff(encrypted_xlsx, "bao cao.xlsx") == "encrypted"
    with pytest.raises(UnsafeFile) as info:
        check(encrypted_xlsx, "encrypted")
    assert info.value.code == "encrypted"
    assert "mật khẩu" in info.value.message_vi
    assert code_of(encrypted_xlsx, "xls") == "encrypted"  # even if mislabelled
    assert code_of(make_xls(filepass=True), "xls") == "encrypted"
    locked_zip = raw_zip([("a.xlsx", b"\0" * 20, 0, 0, 20)])
    locked_zip = locked_zip.replace(struct.pack("<HH", 0x800, 0), struct.pack("<HH", 0x801, 0))
    assert code_of(locked_zip, "zip") == "encrypted-zip"  # its own code: the fix differs from a workbook's


def test_truncated_and_corrupt_files() -> None:
    xlsx = make_xlsx()
    assert code_of(xlsx[: len(xlsx) // 2], sniff(xlsx[: len(xlsx) // 2], "a.xlsx")) == "corrupt-file"
    assert code_of(xlsx[:-30], "xlsx") == "corrupt-file"
    stored = raw_zip([("xl/workbook.xml", b"<workbook/>", 0, zlib.crc32(b"<workbook/>") ^ 1, 11)])
    assert code_of(stored, "xlsx") == "corrupt-file"  # CRC mismatch
    body = zlib.compress(b"<worksheet/>" * 50)[2:-4]
    flipped = body[:5] + bytes([body[5] ^ 0xFF]) + body[6:]
    damaged = raw_zip([("xl/worksheets/sheet1.xml", flipped, 8, zlib.crc32(b"<worksheet/>" * 50), 600)])
    assert code_of(damaged, "xlsx") in ("corrupt-file", "zip-bomb")
    short = raw_zip([("xl/worksheets/sheet1.xml", body[:10], 8, 0, 600)])
    assert code_of(short, "xlsx") == "corrupt-file"  # deflate stream ends early
    assert code_of(make_xls()[:700], "xls") == "corrupt-file"
    assert code_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "xls") == "corrupt-file"
    assert code_of(b"PK\x03\x04 not really a zip", "zip") == "corrupt-file"


def test_local_and_central_names_must_agree() -> None:
    data = raw_zip([("xl/workbook.xml", b"<workbook/>", 0, zlib.crc32(b"<workbook/>"), 11)])
    smuggled = data.replace(b"xl/workbook.xml", b"xl/workbook.xmX", 1)  # local header only
    assert code_of(smuggled, "xlsx") == "corrupt-file"


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    "name, unsafe",
    [
        ("so-yte/bao cao.xlsx", False),
        ("a..b.xlsx", False),
        ("../evil.xlsx", True),
        ("so-yte/../../evil.xlsx", True),
        ("/etc/passwd", True),
        ("\\windows\\evil.xlsx", True),
        ("C:/evil.xlsx", True),
        ("a\\..\\..\\evil.xlsx", True),
        ("", True),
    ],
)
def test_is_unsafe_member_name(name: str, unsafe: bool) -> None:
    assert is_unsafe_member_name(name) is unsafe


def test_unsafe_path_inside_a_workbook() -> None:
    assert code_of(rezip(make_xlsx(), add={"../../evil.xml": b"<x/>"}), "xlsx") == "unsafe-path"
    assert code_of(rezip(make_xlsx(), add={"../../evil.xml": b"<x/>"}), "zip") is None  # unpack reports it per member


# --------------------------------------------------------------------------- sheets and cells


def test_too_many_sheets() -> None:
    assert code_of(make_xlsx(sheets=3), "xlsx", Limits(max_sheets=2)) == "too-many-sheets"
    assert code_of(make_xlsx(sheets=3), "xlsx", Limits(max_sheets=3)) is None
    assert code_of(make_ods(tables=[ODS_ROW.format(v=1)] * 4), "ods", Limits(max_sheets=3)) == "too-many-sheets"
    assert code_of(make_xls(sheets=4), "xls", Limits(max_sheets=3)) == "too-many-sheets"
    with pytest.raises(UnsafeFile) as info:
        check(make_xlsx(sheets=3), "xlsx", Limits(max_sheets=2))
    assert "2 trang" in info.value.message_vi


def test_too_many_cells_by_count() -> None:
    data = make_xlsx(rows=40)  # 40 rows x 5 columns
    assert code_of(data, "xlsx", Limits(max_cells=150)) == "too-many-cells"
    assert code_of(data, "xlsx", Limits(max_cells=250)) is None
    assert code_of(make_xls(cells=[(r, 0) for r in range(30)]), "xls", Limits(max_cells=20)) == "too-many-cells"


def test_far_away_cell_is_refused_even_in_a_tiny_file() -> None:
    # python-calamine allocates the whole bounding box: this 5 KB file would abort the process.
    far = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>')
    data = with_sheet(far)
    assert len(data) < 10_000
    assert code_of(data, "xlsx") == "too-many-cells"
    wide = sheet_xml('<row r="3000"><c r="A3000"><v>1</v></c><c r="AZ3000"><v>1</v></c></row>')
    assert code_of(with_sheet(wide), "xlsx") is None  # 3000 x 52 cells: well within the limit


def test_large_but_legitimate_extent_passes() -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c><c r="AB{r}"><v>2</v></c></row>' for r in range(1, 5001))
    assert code_of(with_sheet(sheet_xml(rows)), "xlsx") is None  # 5000 x 28, needs the exact count


@pytest.mark.parametrize(
    "sheet_data, extra, root_attrs",
    [
        # prefixed cells (readers match the local name only)
        ('<row r="1"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>', "", f'xmlns:x="{MAIN_NS}"'),
        ('<row r="1"><y:c r="XFD1048576"/></row>', "", 'xmlns:y="urn:other"'),
        # the reference hidden behind an attribute value containing '>'
        ('<row r="1"><c s="0" foo=">" r="XFD1048576"><v>1</v></c></row>', "", ""),
        # the reference spelled with character references
        ('<row r="1"><c r="&#88;FD1048576"><v>1</v></c></row>', "", ""),
        # lowercase reference
        ('<row r="1"><c r="xfd1048576"><v>1</v></c></row>', "", ""),
        # duplicate attribute: not well-formed, but calamine takes the last r and aborts
        ('<row r="20"><c r="B20" t="inlineStr" r="XFD1048576"><is><t>x</t></is></c></row>', "", ""),
        ('<row r="1"><c r="A1" x:r="XFD1048576"><v>1</v></c></row>', "", 'xmlns:x="urn:x"'),
        # openpyxl reads "1e6" as row 1000000
        ('<row r="1e6"><c><v>1</v></c></row><row r="1"><c r="ZZ1"/></row>', "", ""),
        # implicit positions: a far row and cells without r
        ('<row r="1048576"><c><v>1</v></c></row><row r="1"><c r="XFD1"/></row>', "", ""),
        # openpyxl turns any child of <row> into a cell
        ('<row r="1"><c/><q r="XFD1048576"/></row>', "", ""),
        # merged range and hyperlink range are materialised cell by cell by openpyxl
        ('<row r="1"><c r="A1"><v>1</v></c></row>', '<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>', ""),
        ('<row r="1"><c r="A1"><v>1</v></c></row>', '<hyperlinks><hyperlink ref="A1:ZZ99999" display="x"/></hyperlinks>', ""),
        ('<row r="1"><c r="A1"><v>1</v></c></row>', '<mergeCells count="1"><mergeCell\nfoo=">" ref="A:C"/></mergeCells>', ""),
    ],
)
def test_extent_tricks_are_refused(sheet_data: str, extra: str, root_attrs: str) -> None:
    assert code_of(with_sheet(sheet_xml(sheet_data, extra, root_attrs)), "xlsx") == "too-many-cells"


def test_sheet_is_scanned_whatever_its_root_looks_like() -> None:
    # calamine keeps parsing after junk, so the apparent root must not decide what is scanned.
    far = sheet_xml('<row r="1"><c r="A1"><v>1</v></c><c r="XFD1048576"><v>2</v></c></row>')
    assert code_of(with_sheet(far.replace(b"<worksheet", b"<x/><worksheet", 1)), "xlsx") == "too-many-cells"
    assert code_of(with_sheet(b"garbage" + far), "xlsx") == "too-many-cells"
    pad = random.Random(7).randbytes(600_000).hex()  # root tag longer than the first 1 MiB chunk
    padded = sheet_xml('<row r="1"><c r="XFD1048576"/></row>', root_attrs=f'pad="{pad}"')
    assert code_of(with_sheet(padded), "xlsx") == "too-many-cells"
    # any part may be a sheet: the workbook's relationships decide, not the file name
    assert code_of(rezip(make_xlsx(), add={"xl/notes.xml": far}), "xlsx") == "too-many-cells"
    late_dtd = b"<x/>" + BILLION_LAUGHS.split("?>", 1)[1].encode()
    assert code_of(with_sheet(late_dtd), "xlsx") == "xml-bomb"


def test_ods_content_is_scanned_whatever_its_root_looks_like() -> None:
    ods = make_ods(tables=['<table:table-row table:number-rows-repeated="99999"><table:table-cell '
                           'table:number-columns-repeated="999" office:value-type="float" office:value="1"/>'
                           "</table:table-row>"])
    content = zipfile.ZipFile(io.BytesIO(ods)).read("content.xml")
    junk = content.replace(b"<office:document-content", b"<x/><office:document-content", 1)
    assert code_of(rezip(ods, replace={"content.xml": junk}), "ods") in ("corrupt-file", "too-many-cells")


def test_remembered_verdicts_never_hide_counts() -> None:
    # Parts shared by workbooks made from one template are remembered; parts with cells never are.
    notes = sheet_xml("".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in range(1, 101)))
    data = rezip(make_xlsx(rows=2), add={"xl/notes.xml": notes})
    assert code_of(data, "xlsx") is None
    assert code_of(data, "xlsx") is None
    assert code_of(data, "xlsx", Limits(max_cells=100)) == "too-many-cells"
    far = sheet_xml('<row r="1"><c r="XFD1048576"/></row>')
    assert code_of(rezip(make_xlsx(rows=2), add={"xl/notes.xml": far}), "xlsx") == "too-many-cells"


def test_declared_dimension_counts() -> None:
    xml = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>').replace(
        b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>'
    )
    assert code_of(with_sheet(xml), "xlsx") == "too-many-cells"


def test_comment_anchor_far_away() -> None:
    comments = (
        f'<?xml version="1.0"?><comments xmlns="{MAIN_NS}"><authors><author>a</author></authors>'
        '<commentList><comment ref="XFD1048576" authorId="0"><text><t>x</t></text></comment>'
        "</commentList></comments>"
    ).encode()
    assert code_of(rezip(make_xlsx(), add={"xl/comments1.xml": comments}), "xlsx") == "too-many-cells"


def test_non_canonical_but_harmless_sheets_pass() -> None:
    implicit = sheet_xml("<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>")
    assert code_of(with_sheet(implicit), "xlsx") is None
    prefixed = (
        f'<?xml version="1.0"?><x:worksheet xmlns:x="{MAIN_NS}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    ).encode()
    assert code_of(with_sheet(prefixed), "xlsx") is None


def test_ods_repetition_bombs() -> None:
    bomb = (
        '<table:table-row table:number-rows-repeated="1000000">'
        '<table:table-cell table:number-columns-repeated="1000" office:value-type="float" office:value="1">'
        "<text:p>1</text:p></table:table-cell></table:table-row>"
    )
    assert code_of(make_ods(tables=[bomb]), "ods") == "too-many-cells"
    far = ODS_ROW.format(v=1) + (
        '<table:table-row table:number-rows-repeated="100000"><table:table-cell/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="100"/>'
        '<table:table-cell office:value-type="float" office:value="2"><text:p>2</text:p></table:table-cell>'
        "</table:table-row>"
    )
    assert code_of(make_ods(tables=[far]), "ods") == "too-many-cells"  # 100002 x 101 extent
    # a table start hidden in a comment must not reset the row position
    hidden = (
        '<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>'
        "<!-- <table:table> -->"
        '<table:table-row><table:table-cell office:value-type="float" office:value="1" '
        'table:number-columns-repeated="3"><text:p>1</text:p></table:table-cell></table:table-row>'
    )
    assert code_of(make_ods(tables=[hidden]), "ods") == "too-many-cells"


def test_malformed_ods_is_corrupt() -> None:
    # python-calamine never returns on a table that is not closed properly.
    unclosed = make_ods()
    content = zipfile.ZipFile(io.BytesIO(unclosed)).read("content.xml")
    assert code_of(rezip(unclosed, replace={"content.xml": content.replace(b"</table:table>", b"")}), "ods") == "corrupt-file"
    attr_on_end = content.replace(b"</table:table>", b'</table:table table:number-columns-repeated="9">')
    assert code_of(rezip(unclosed, replace={"content.xml": attr_on_end}), "ods") == "corrupt-file"
    odd_encoding = content.replace(b'encoding="UTF-8"', b'encoding="UPF-8"')
    assert code_of(rezip(unclosed, replace={"content.xml": odd_encoding}), "ods") == "corrupt-file"


def test_xls_far_cell() -> None:
    assert code_of(make_xls(cells=[(0, 0), (65535, 255)]), "xls") == "too-many-cells"


# --------------------------------------------------------------------------- messages


def test_messages_are_vietnamese_nfc_and_actionable() -> None:
    for code, entry in CATALOGUE.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", code)
        assert unicodedata.is_normalized("NFC", entry.message) and unicodedata.is_normalized("NFC", entry.title)
        if entry.group == "Tệp" and entry.severity == "error":
            assert "Đề nghị" in entry.message, code
    from pipeline.intake.decrypt import ASK_PASSWORD, EXCEL_MENU, LIBREOFFICE_MENU
    from pipeline.model.findings import render

    excel = render("encrypted", (("detail", EXCEL_MENU), ("ask", ASK_PASSWORD)))
    assert "Tệp > Thông tin > Bảo vệ sổ làm việc" in excel and "[[password]]" in excel
    assert "Lưu với mật khẩu" in render("encrypted", (("detail", LIBREOFFICE_MENU),))


# --------------------------------------------------------------------------- robustness

_SMALL = make_xlsx(rows=5)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_workbooks_never_escape_as_other_exceptions(data: st.DataObject) -> None:
    blob = bytearray(_SMALL)
    for _ in range(data.draw(st.integers(0, 8))):
        pos = data.draw(st.integers(0, len(blob) - 1))
        blob[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(blob) // 2, len(blob)))
    payload = bytes(blob[:cut])
    kind = sniff(payload, "bao cao.xlsx")
    assert kind in {"xlsx", "xlsm", "xls", "ods", "zip", "eml", "encrypted", "other"}
    for candidate in {kind, "xlsx", "zip"}:
        code_of(payload, candidate)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from(["a.xlsx", "a.xls", "a.ods", "a.zip", "a.eml", "a"]))
def test_random_bytes_never_escape(payload: bytes, name: str) -> None:
    kind = sniff(payload, name)
    for candidate in {kind, "xlsx", "xls", "ods", "zip"}:
        code_of(payload, candidate)
    code_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + payload, "xls")
    code_of(b"PK\x03\x04" + payload, "xlsx")
