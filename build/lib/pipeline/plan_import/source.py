"""The decision as read: its lines of text and its tables, from a .txt extraction or the Word file.

A .txt may come from Notepad in UTF-8, UTF-16 or the Vietnamese ANSI code page (Windows-1258);
each is decoded, and Vietnamese is stored in NFC. In a Word table a vertically merged cell is
read as None below its first row (a `w:vMerge` continuation), so that only merged cells are
carried down; a cell spanning several grid columns leaves "" in the columns it covers.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from pipeline.model.errors import ConfigError
from pipeline.model.text import nfc

Cell = str | None  # None: the continuation of a vertically merged cell


@dataclass(frozen=True)
class Line:
    """A paragraph of the document outside the appendix table."""

    text: str
    centered: bool | None = None  # from Word's alignment; None when unknown (a .txt)


@dataclass(frozen=True)
class Row:
    """One row of a table: its line (or table row) number and its cells."""

    number: int
    cells: tuple[Cell, ...]
    tabbed: bool = True  # False for a .txt line without a tab (a section heading, or past the table)


@dataclass(frozen=True)
class Table:
    """A table of the document, with the lines that come before it."""

    before: tuple[Line, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Source:
    """What import reads: the document's tables, each with the text above it; a .txt is one table."""

    path: Path
    tables: tuple[Table, ...]
    merged_cells: bool  # True for Word (merges are explicit); False for text (merges are guessed)


def decode(data: bytes, path: Path) -> str:
    """Text of a .txt saved as UTF-8 (with or without BOM), UTF-16 or Windows-1258 (ANSI)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict")
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return _decode(data[2:], codec, path)
    head = data[:4000]
    if head.count(0) > len(head) // 4:  # UTF-16 without a BOM: every other byte of Latin text is 0
        return _decode(data, "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be", path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode(data, "cp1258", path)  # Notepad's "ANSI" on a Vietnamese Windows


def _decode(data: bytes, codec: str, path: Path) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        raise ConfigError("không đọc được mã chữ của tệp; hãy mở bằng Notepad, chọn Lưu thành (Save As) với "
                          "Encoding là UTF-8 rồi nhập lại", path) from None


def read_source(path: Path) -> Source:
    """Read a .txt (or .md) extraction or a .docx; ConfigError if it cannot be read."""
    if not path.is_file():
        raise ConfigError("không tìm thấy tệp nguồn", path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _read_docx(path)
    if suffix in (".txt", ".md", ""):
        return _read_text(path)
    if suffix == ".doc":
        raise ConfigError("tệp .doc (Word 97-2003) chưa đọc được; hãy mở bằng Word, chọn Lưu thành (Save As) dạng "
                          ".docx rồi nhập lại", path)
    raise ConfigError("chỉ nhập được tệp .docx (Word) hoặc .txt (văn bản trích từ quyết định)", path)


def _read_text(path: Path) -> Source:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"không đọc được tệp ({exc.strerror or type(exc).__name__})", path) from None
    text = decode(data, path)
    lines: list[Line] = []
    rows: list[Row] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        lines.append(Line(nfc(raw.replace("**", "").replace("*", ""))))
        rows.append(Row(number, tuple(nfc(c) for c in raw.split("\t")), "\t" in raw))
    # One table: every line is a row; the reader finds the header line and what follows it.
    return Source(path, (Table(tuple(lines), tuple(rows)),), merged_cells=False)


def _read_docx(path: Path) -> Source:
    import docx  # lazy: python-docx is only needed for this import path
    from docx.oxml.ns import qn
    from docx.oxml.table import CT_Tc
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many kinds for a damaged file
        raise ConfigError(f"không mở được tệp Word ({type(exc).__name__})", path) from None
    tables: list[Table] = []
    lines: list[Line] = []

    def cell_text(tc: CT_Tc) -> str:
        paragraphs = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p"))]
        return nfc("\n".join(p for p in paragraphs if p.strip()))

    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, document)
            alignment = paragraph.alignment if paragraph.alignment is not None else \
                paragraph.style.paragraph_format.alignment if paragraph.style is not None else None
            for part in paragraph.text.split("\n"):
                lines.append(Line(nfc(part), None if alignment is None else int(alignment) == 1))
        elif child.tag == qn("w:tbl"):
            rows: list[Row] = []
            for number, tr in enumerate(child.iterchildren(qn("w:tr")), start=1):
                cells: list[Cell] = []
                for tc in tr.iterchildren(qn("w:tc")):
                    continued = tc.vMerge == "continue"
                    cells.append(None if continued else cell_text(tc))
                    cells.extend([None if continued else ""] * (tc.grid_span - 1))
                rows.append(Row(number, tuple(cells)))
            tables.append(Table(tuple(lines), tuple(rows)))
            # The text of this table (a header block "Số: …", say) is part of what follows it.
            for row in rows:
                for text in dict.fromkeys(c for c in row.cells if c):
                    lines.extend(Line(part) for part in text.split("\n"))
    return Source(path, tuple(tables), merged_cells=True)
