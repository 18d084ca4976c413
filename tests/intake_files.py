"""Builders of the containers agencies send besides plain workbooks: Outlook .msg, winmail.dat, .xlsb.

Each is written the way its format specifies (OLE2 property streams, TNEF attributes, BIFF12
records), small enough to read, so the tests exercise the real parsers on real structure.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from collections.abc import Sequence
from typing import Any


# --------------------------------------------------------------------------- Outlook .msg

def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def make_msg(attachments: Sequence[tuple[str, bytes]], sender: str = "vanthu.yte@daklak.example",
             date: str = "Sat, 12 Dec 2015 08:00:00 +0700", subject: str = "Báo cáo năm 2015",
             embedded: bytes | None = None) -> bytes:
    """An Outlook message (.msg) with file attachments; `embedded` adds a message attached to it."""
    from extract_msg import OleWriter

    writer = OleWriter()
    writer.addEntry(["__nameid_version1.0"], storage=True)  # the named-property map every .msg has
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(["__nameid_version1.0", f"__substg1.0_{stream}"], b"")
    _fill_msg(writer, [], attachments, sender, date, subject, embedded)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _fill_msg(writer: Any, root: list[str], attachments: Sequence[tuple[str, bytes]], sender: str, date: str,
              subject: str, embedded: bytes | None) -> None:
    count = len(attachments) + (1 if embedded is not None else 0)
    header = bytes(8) + struct.pack("<IIII", 0, count, 0, count) + bytes(8) if not root else bytes(24)
    writer.addEntry(root + ["__properties_version1.0"], header)
    headers = f"From: Sở Y tế <{sender}>\r\nTo: tonghop@example.gov.vn\r\nDate: {date}\r\nSubject: x\r\n\r\n"
    for tag, text in (("001A001F", "IPM.Note"), ("0037001F", subject), ("0C1F001F", sender),
                      ("0C1A001F", "Sở Y tế"), ("007D001F", headers)):
        writer.addEntry(root + [f"__substg1.0_{tag}"], _utf16(text))
    for i, (name, data) in enumerate(attachments):
        att = root + [f"__attach_version1.0_#{i:08X}"]
        writer.addEntry(att, storage=True)
        writer.addEntry(att + ["__properties_version1.0"],
                        bytes(8) + struct.pack("<IIQ", 0x37050003, 6, 1))  # PR_ATTACH_METHOD = by value
        writer.addEntry(att + ["__substg1.0_3707001F"], _utf16(name))
        writer.addEntry(att + ["__substg1.0_3704001F"], _utf16(name[-12:]))
        writer.addEntry(att + ["__substg1.0_37010102"], data)
    if embedded is not None:
        att = root + [f"__attach_version1.0_#{len(attachments):08X}"]
        writer.addEntry(att, storage=True)
        writer.addEntry(att + ["__properties_version1.0"], bytes(8) + struct.pack("<IIQ", 0x37050003, 6, 5))
        writer.addEntry(att + ["__substg1.0_3001001F"], _utf16("Fw"))
        inner = att + ["__substg1.0_3701000D"]
        writer.addEntry(inner, storage=True)
        _fill_msg(writer, inner, [("bao-cao-chuyen-tiep.xlsx", embedded)], sender, date, "Fw", None)


# --------------------------------------------------------------------------- winmail.dat (TNEF)

def _tnef_attr(level: int, attr_id: int, attr_type: int, data: bytes) -> bytes:
    return (struct.pack("<BHHI", level, attr_id, attr_type, len(data)) + data
            + struct.pack("<H", sum(data) & 0xFFFF))


def make_tnef(attachments: Sequence[tuple[str, bytes]], sent: dt.datetime | None = None) -> bytes:
    """A winmail.dat as Outlook writes it for a non-Outlook recipient."""
    out = struct.pack("<IH", 0x223E9F78, 0x0102)
    out += _tnef_attr(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # TNEF version
    out += _tnef_attr(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # OEM code page
    if sent is not None:
        out += _tnef_attr(1, 0x8005, 0x0003, struct.pack("<7H", sent.year, sent.month, sent.day, sent.hour,
                                                         sent.minute, sent.second, sent.isoweekday() % 7))
    for name, data in attachments:
        out += _tnef_attr(2, 0x9002, 0x0006, struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0, 0, 0))  # render data
        out += _tnef_attr(2, 0x8010, 0x0001, name.encode("cp1252", "replace") + b"\0")  # title
        out += _tnef_attr(2, 0x800F, 0x0006, data)  # data
    return out


# --------------------------------------------------------------------------- binary workbook (.xlsb)

def _rec(rtype: int, body: bytes = b"") -> bytes:
    def varint(value: int, limit: int) -> bytes:
        out = bytearray()
        for _ in range(limit):
            byte = value & 0x7F
            value >>= 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                break
        return bytes(out)
    return varint(rtype, 2) + varint(len(body), 4) + body


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + _utf16(text)


def _cell(col: int, value: Any) -> bytes:
    head = struct.pack("<II", col, 0)
    if value is None:
        return b""
    if isinstance(value, bool):
        return _rec(0x0004, head + bytes([value]))
    if isinstance(value, (int, float)):
        return _rec(0x0005, head + struct.pack("<d", float(value)))
    if isinstance(value, (dt.date, dt.datetime)):
        value = f"{value:%d/%m/%Y}"
    return _rec(0x0006, head + _wide(str(value)))


def xlsb_sheet(rows: Sequence[Sequence[Any]], dimension: tuple[int, int] | None = None,
               far: tuple[int, int] | None = None) -> bytes:
    """A worksheet part: rows of values (numbers, text; dates as text), a lying dimension, one far cell."""
    last_row = max(len(rows) - 1, 0)
    last_col = max((len(r) for r in rows), default=1) - 1
    if dimension is not None:
        last_row, last_col = dimension
    body = _rec(0x0081) + _rec(0x0094, struct.pack("<IIII", 0, last_row, 0, max(last_col, 0))) + _rec(0x0091)
    for r, row in enumerate(rows):
        body += _rec(0x0000, struct.pack("<IIHBBBI", r, 0, 300, 0, 0, 0, 0))
        for c, value in enumerate(row):
            body += _cell(c, value)
    if far is not None:
        body += _rec(0x0000, struct.pack("<IIHBBBI", far[0], 0, 300, 0, 0, 0, 0)) + _cell(far[1], 1)
    return body + _rec(0x0092) + _rec(0x0082)


def make_xlsb(sheets: dict[str, bytes], hidden: Sequence[str] = ()) -> bytes:
    """A binary workbook from sheet parts (name -> xlsb_sheet(...))."""
    bundles = b"".join(_rec(0x009C, struct.pack("<II", 1 if name in hidden else 0, i + 1) + _wide(f"rId{i + 1}")
                            + _wide(name)) for i, name in enumerate(sheets))
    workbook = _rec(0x0083) + _rec(0x008F) + bundles + _rec(0x0090) + _rec(0x0084)
    ns = "http://schemas.openxmlformats.org"
    rels = "".join(f'<Relationship Id="rId{i + 1}" Type="{ns}/officeDocument/2006/relationships/worksheet" '
                   f'Target="worksheets/sheet{i + 1}.bin"/>' for i in range(len(sheets)))
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.bin" '
                        'ContentType="application/vnd.ms-excel.worksheet"/>' for i in range(len(sheets)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/'
                    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                    'relationships+xml"/><Override PartName="/xl/workbook.bin" ContentType="application/'
                    f'vnd.ms-excel.sheet.binary.macroEnabled.main"/>{overrides}</Types>')
        zf.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/'
                    f'relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/'
                    'officeDocument" Target="xl/workbook.bin"/></Relationships>')
        zf.writestr("xl/_rels/workbook.bin.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships '
                    f'xmlns="{ns}/package/2006/relationships">{rels}</Relationships>')
        zf.writestr("xl/workbook.bin", workbook)
        for i, part in enumerate(sheets.values()):
            zf.writestr(f"xl/worksheets/sheet{i + 1}.bin", part)
    return out.getvalue()


def xlsb_from_xlsx(data: bytes) -> bytes:
    """The same workbook's values saved as .xlsb (as Excel's "Save as binary workbook" would)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    sheets = {ws.title: xlsb_sheet([list(r) for r in ws.iter_rows(values_only=True)]) for ws in book.worksheets}
    return make_xlsb(sheets, hidden=[ws.title for ws in book.worksheets if ws.sheet_state != "visible"])


def make_nested_msg(depth: int, data: bytes) -> bytes:
    """A .msg whose attachment is a message, whose attachment is a message… `depth` times, then `data`."""
    from extract_msg import OleWriter

    writer = OleWriter()
    writer.addEntry(["__nameid_version1.0"], storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(["__nameid_version1.0", f"__substg1.0_{stream}"], b"")
    root: list[str] = []
    for level in range(depth + 1):
        header = bytes(8) + struct.pack("<IIII", 0, 1, 0, 1) + bytes(8) if not root else bytes(24)
        writer.addEntry(root + ["__properties_version1.0"], header)
        writer.addEntry(root + ["__substg1.0_001A001F"], _utf16("IPM.Note"))
        att = root + ["__attach_version1.0_#00000000"]
        writer.addEntry(att, storage=True)
        if level == depth:
            writer.addEntry(att + ["__properties_version1.0"], bytes(8) + struct.pack("<IIQ", 0x37050003, 6, 1))
            writer.addEntry(att + ["__substg1.0_3707001F"], _utf16("a.xlsx"))
            writer.addEntry(att + ["__substg1.0_37010102"], data)
        else:
            writer.addEntry(att + ["__properties_version1.0"], bytes(8) + struct.pack("<IIQ", 0x37050003, 6, 5))
            root = att + ["__substg1.0_3701000D"]
            writer.addEntry(root, storage=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
