"""Feedback copies written by patching the agency's workbook XML, not by loading it in openpyxl.

openpyxl builds an object for every cell and style of the agency's workbook only to write them
back; the copy needs far less: the same sheets with formulas turned into their cached values,
links, connections and macros gone, a few cells filled and commented, and one sheet more. This
module reads the zip part by part and edits those parts alone, about eight times faster
(benchmarks/feedback.py). The copy is meant to be the one feedback.py's openpyxl path writes
(tests compare both cell by cell); anything this module does not expect raises `Unexpected` and
the caller falls back to openpyxl.

Every XML part goes through one parser that resolves no entities, loads no DTD, reaches no
network and refuses huge trees; a part declaring a DOCTYPE is refused (the guard already did).
Parts are read with a size bound each and in all, whatever the zip's directory claims.
"""

from __future__ import annotations

import copy
import io
import math
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from openpyxl.workbook.child import avoid_duplicate_name

from pipeline.model.cells import column_letter, parse_address
from pipeline.model.findings import Finding
from pipeline.model.layout import SHEET_META
from pipeline.model.vocab import Severity
from pipeline.workspace.files import write_atomic

M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XML_NS = "http://www.w3.org/XML/1998/namespace"
REL = R + "/"
OFFICE_DOCUMENT = REL + "officeDocument"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
COMMENTS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_CT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
WORKBOOK_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WORKBOOK_CTS = {WORKBOOK_CT, "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
                "application/vnd.ms-excel.template.macroEnabled.main+xml"}
# Parts the copy leaves out, by the type of the relationship that reaches them.
DROPPED_RELS = {REL + "externalLink", REL + "calcChain", "http://schemas.microsoft.com/office/2006/relationships/vbaProject"}
THREADED = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
CONNECTIONS, QUERY_TABLE, TABLE = REL + "connections", REL + "queryTable", REL + "table"
REFUSED_RELS = {REL + "xmlMaps"}  # XML maps bind cells to outside data: openpyxl writes those copies
MAX_PART = 256 * 1024 * 1024  # the guard bounded the file already; a copy never inflates more than this per part
MAX_TOTAL = 1024 * 1024 * 1024  # nor more than this in all
MAX_ROW, MAX_COL = 1_048_576, 16_384
# The elements a worksheet may hold after <legacyDrawing>, in schema order (the new one goes before them).
AFTER_LEGACY = {"legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                "tableParts", "extLst"}
BEFORE_SHEET_DATA = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_comments=False)
# What makes a worksheet part change; one without any (and no marks) is copied as it is, unparsed.
_TOUCHED = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:f|hyperlinks|sheetCalcPr)[\s>/]|tabSelected\s*=\s*[\"'](?:1|true)")
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


class Unexpected(Exception):
    """A workbook this module does not patch (strict OOXML, a missing part, a sheet not found…)."""


def q(tag: str, ns: str = M) -> str:
    return f"{{{ns}}}{tag}"


def _parse(data: bytes) -> etree._Element:
    root = etree.fromstring(data, _PARSER)
    if root.getroottree().docinfo.doctype:
        raise Unexpected("DOCTYPE")
    return root


def _dump(root: etree._Element) -> bytes:
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return out


def _rels_name(part: str) -> str:
    head, tail = posixpath.split(part)
    return posixpath.join(head, "_rels", tail + ".rels")


def _resolve(source: str, target: str) -> str:
    """A relationship's target as a part name (no leading slash), relative to its source part."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _cell_ref(ref: str) -> tuple[int, int]:
    """'H7' -> 1-based (7, 8); Unexpected if `ref` is not one cell inside the sheet's limits."""
    match = _REF.fullmatch(ref)
    if match is None:
        raise Unexpected(f"cell {ref!r}")
    col = 0
    for ch in match.group(1).upper():
        col = col * 26 + ord(ch) - 64
    row = int(match.group(2))
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise Unexpected(f"cell {ref!r}")
    return row, col


def _range(ref: str) -> tuple[int, int, int, int]:
    first, _, last = ref.partition(":")
    r1, c1 = _cell_ref(first)
    r2, c2 = _cell_ref(last) if last else (r1, c1)
    return r1, c1, r2, c2


@dataclass
class _Package:
    """The zip's parts by name (case as stored), read lazily, and what the copy changes."""

    zin: zipfile.ZipFile
    names: dict[str, str]  # lower-case part name -> stored name
    changed: dict[str, bytes] = field(default_factory=dict)
    added: dict[str, bytes] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)
    inflated: int = 0

    def has(self, part: str) -> bool:
        return part.lower() in self.names or part in self.added

    def read(self, part: str) -> bytes:
        name = self.names.get(part.lower())
        if name is None:
            raise Unexpected(f"missing part {part}")
        if name in self.changed:
            return self.changed[name]
        info = self.zin.getinfo(name)
        if info.file_size > MAX_PART:
            raise Unexpected(f"part {part} too large")
        with self.zin.open(info) as fh:
            data = fh.read(MAX_PART + 1)
        self.inflated += len(data)
        if len(data) > MAX_PART or self.inflated > MAX_TOTAL:
            raise Unexpected(f"part {part} too large")
        return data

    def stored(self, part: str) -> str:
        name = self.names.get(part.lower())
        if name is None:
            raise Unexpected(f"missing part {part}")
        return name

    def write(self, part: str, data: bytes) -> None:
        self.changed[self.stored(part)] = data

    def rels(self, part: str) -> etree._Element | None:
        name = _rels_name(part)
        return _parse(self.read(name)) if self.has(name) else None

    def drop(self, part: str) -> None:
        """Leave out a part, its relationships and the parts only they reach."""
        if not self.has(part) or self.stored(part) in self.dropped:
            return
        self.dropped.add(self.stored(part))
        rels = self.rels(part)
        if rels is None:
            return
        self.dropped.add(self.stored(_rels_name(part)))
        for rel in rels.iter(q("Relationship", PKG)):
            if rel.get("TargetMode") != "External":
                self.drop(_resolve(part, rel.get("Target", "")))

    def free_name(self, pattern: str) -> str:
        n = 1
        while self.has(pattern.format(n)):
            n += 1
        return pattern.format(n)


@dataclass
class _Styles:
    """styles.xml with the fills, fonts and cell formats the copy adds (each added once)."""

    root: etree._Element
    fonts: etree._Element
    fills: etree._Element
    xfs: etree._Element
    marked: dict[tuple[int, Severity], int] = field(default_factory=dict)
    fill_ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, data: bytes) -> _Styles:
        root = _parse(data)
        fonts, fills, xfs = (root.find(q(t)) for t in ("fonts", "fills", "cellXfs"))
        if root.tag != q("styleSheet") or fonts is None or fills is None or xfs is None or not len(xfs):
            raise Unexpected("styles")
        return cls(root, fonts, fills, xfs)

    def _add(self, parent: etree._Element, child: etree._Element) -> int:
        parent.append(child)
        parent.set("count", str(len(parent)))
        return len(parent) - 1

    def fill(self, rgb: str) -> int:
        """A solid fill as openpyxl writes PatternFill("solid", fgColor=rgb)."""
        if rgb not in self.fill_ids:
            el = etree.Element(q("fill"))
            pattern = etree.SubElement(el, q("patternFill"), patternType="solid")
            etree.SubElement(pattern, q("fgColor"), rgb="00" + rgb)
            self.fill_ids[rgb] = self._add(self.fills, el)
        return self.fill_ids[rgb]

    def font(self, bold: bool = False, italic: bool = False, color: str = "", size: int = 0) -> int:
        """A Times New Roman font as openpyxl writes Font(name=…, bold=…, italic=…, color=…, size=…)."""
        el = etree.Element(q("font"))
        etree.SubElement(el, q("name"), val="Times New Roman")
        if bold:
            etree.SubElement(el, q("b"), val="1")
        if italic:
            etree.SubElement(el, q("i"), val="1")
        if color:
            etree.SubElement(el, q("color"), rgb="00" + color)
        if size:
            etree.SubElement(el, q("sz"), val=str(size))
        return self._add(self.fonts, el)

    def xf(self, font: int, fill: int = 0, wrap: bool = False) -> int:
        """A cell format of the list sheet."""
        el = etree.Element(q("xf"), numFmtId="0", fontId=str(font), fillId=str(fill), borderId="0", xfId="0",
                           applyFont="1")
        if fill:
            el.set("applyFill", "1")
        if wrap:
            el.set("applyAlignment", "1")
            etree.SubElement(el, q("alignment"), vertical="top", wrapText="1")
        return self._add(self.xfs, el)

    def marked_style(self, style: int, severity: Severity, rgb: str) -> int:
        """The cell's own format with the severity's fill."""
        key = (style, severity)
        if key not in self.marked:
            base = self.xfs[style] if 0 <= style < len(self.xfs) else self.xfs[0]
            el = copy.deepcopy(base)
            el.set("fillId", str(self.fill(rgb)))
            el.set("applyFill", "1")
            self.marked[key] = self._add(self.xfs, el)
        return self.marked[key]


@dataclass(frozen=True)
class Mark:
    """One cell to mark: its severity's fill and the comment's text."""

    row: int
    col: int
    severity: Severity
    text: str


def write_feedback_xml(data: bytes, findings: list[Finding], listing: ListSheet, fills: dict[Severity, str],
                       author: str, path: Path) -> Path:
    """The feedback copy of an .xlsx/.xlsm, written by patching its XML; Unexpected when it cannot be."""
    out = patch_workbook(data, findings, listing, fills, author)
    path = path.with_suffix(".xlsx")
    write_atomic(path, out)
    return path


def patch_workbook(data: bytes, findings: list[Finding], listing: ListSheet, fills: dict[Severity, str],
                   author: str) -> bytes:
    """The copy's bytes: findings' cells filled and commented, `listing` first (see the module's docstring)."""
    try:
        zin = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise Unexpected("zip") from exc
    with zin:
        names: dict[str, str] = {}
        for info in zin.infolist():
            if info.is_dir():
                continue
            if info.filename.lower() in names or info.flag_bits & 0x1:
                raise Unexpected("duplicate or encrypted member")
            names[info.filename.lower()] = info.filename
        pkg = _Package(zin, names)
        for name in names.values():  # a macro project the workbook no longer names is still a macro project
            if posixpath.basename(name).lower().startswith("vbaproject"):
                pkg.drop(name)
        root_rels = pkg.rels("")
        if root_rels is None:
            raise Unexpected("no package relationships")
        book_part = next((_resolve("", r.get("Target", "")) for r in root_rels.iter(q("Relationship", PKG))
                          if r.get("Type") == OFFICE_DOCUMENT), None)
        if book_part is None:
            raise Unexpected("no workbook (strict OOXML?)")
        book = _parse(pkg.read(book_part))
        if book.tag != q("workbook"):
            raise Unexpected("workbook namespace")
        book_rels = pkg.rels(book_part)
        if book_rels is None:
            raise Unexpected("no workbook relationships")
        rels = {r.get("Id"): r for r in book_rels.iter(q("Relationship", PKG))}
        kinds = {r.get("Type", "") for r in rels.values()}
        if kinds & REFUSED_RELS:
            raise Unexpected("XML maps")
        for rel in list(rels.values()):
            if rel.get("Type") in DROPPED_RELS:
                if rel.get("TargetMode") != "External":
                    pkg.drop(_resolve(book_part, rel.get("Target", "")))
                book_rels.remove(rel)
        sheets_el = book.find(q("sheets"))
        if sheets_el is None:
            raise Unexpected("no sheets")
        sheets: dict[str, str] = {}  # sheet name -> worksheet part
        names_in_order: list[str] = []
        for sheet in sheets_el.iter(q("sheet")):
            name = sheet.get("name", "")
            names_in_order.append(name)
            rel = rels.get(sheet.get(q("id", R)))
            if rel is None or rel.get("TargetMode") == "External":
                raise Unexpected(f"sheet {name!r} has no part")
            if rel.get("Type") == REL + "worksheet":
                sheets[name] = _resolve(book_part, rel.get("Target", ""))

        if CONNECTIONS in kinds:
            _drop_connections(pkg, book_part, book_rels, list(sheets.values()))
        marks: dict[str, dict[tuple[int, int], list[Finding]]] = {}
        merged: dict[str, list[tuple[int, int, int, int]]] = {}
        roots: dict[str, etree._Element] = {}
        for f in findings:
            if f.sheet not in names_in_order or f.sheet == SHEET_META or parse_address(f.cell) is None:
                continue
            if f.sheet not in sheets:
                raise Unexpected(f"finding on a sheet that is not a worksheet: {f.sheet!r}")
            part = sheets[f.sheet]
            if part not in roots:
                roots[part] = _parse(pkg.read(part))
                merged[part] = [_range(m.get("ref", "")) for m in roots[part].iter(q("mergeCell"))]
            row, col = _cell_ref(f.cell)
            # a cell a merge covers shows nothing and takes no comment: its finding goes on the range's first cell
            for r1, c1, r2, c2 in merged[part]:
                if r1 <= row <= r2 and c1 <= col <= c2:
                    row, col = r1, c1
                    break
            marks.setdefault(part, {}).setdefault((row, col), []).append(f)

        styles_part = next((_resolve(book_part, r.get("Target", "")) for r in rels.values()
                            if r.get("Type") == REL + "styles"), None)
        if styles_part is None:
            raise Unexpected("no styles")
        styles = _Styles.of(pkg.read(styles_part))
        content_types = _parse(pkg.read("[Content_Types].xml"))
        if content_types.tag != q("Types", CT):
            raise Unexpected("content types")
        vml_block = 1  # shape ids of the comments' drawings: 1024 a block, unique in the workbook
        for part in sheets.values():
            sheet_rels = pkg.rels(part)
            if part not in roots:
                body = pkg.read(part)
                if not _TOUCHED.search(body):
                    if sheet_rels is not None and _drop_links(sheet_rels):
                        pkg.write(_rels_name(part), _dump(sheet_rels))
                    continue
                roots[part] = _parse(body)
            root = roots[part]
            if root.tag != q("worksheet"):
                raise Unexpected(f"worksheet {part}")
            _inert_sheet(root, sheet_rels)
            cell_marks = [Mark(row, col, *cell_note(items)) for (row, col), items in sorted(marks.get(part, {}).items())]
            if cell_marks:
                if sheet_rels is None:
                    sheet_rels = etree.Element(q("Relationships", PKG), nsmap={None: PKG})
                vml_block += _mark_sheet(pkg, part, root, sheet_rels, content_types, styles, cell_marks, author,
                                         vml_block, fills)
            pkg.changed[pkg.stored(part)] = _dump(root)
            if sheet_rels is not None:
                name = _rels_name(part)
                data_rels = _dump(sheet_rels)
                if pkg.has(name):
                    pkg.write(name, data_rels)
                else:
                    pkg.added[name] = data_rels

        title_sheet = avoid_duplicate_name(names_in_order, listing.name)
        list_part = pkg.free_name("xl/worksheets/sheet{}.xml")
        pkg.added[list_part] = _list_sheet(listing, styles)
        rid = _free_rid(book_rels)
        etree.SubElement(book_rels, q("Relationship", PKG), Id=rid, Type=REL + "worksheet", Target="/" + list_part)
        _override(content_types, list_part, WORKSHEET_CT)
        _patch_book(book, sheets_el, title_sheet, rid, listing.header_row)
        pkg.write(styles_part, _dump(styles.root))
        pkg.write(book_part, _dump(book))
        pkg.write(_rels_name(book_part), _dump(book_rels))
        _patch_content_types(pkg, content_types, book_part)
        pkg.write("[Content_Types].xml", _dump(content_types))
        return _zip(pkg)


def _drop_connections(pkg: _Package, book_part: str, book_rels: etree._Element, sheets: list[str]) -> None:
    """No data connections: their parts, the query tables that use them (tables become plain ones) go."""
    for rel in list(book_rels):
        if rel.get("Type") == REL + "pivotCacheDefinition":
            cache = _parse(pkg.read(_resolve(book_part, rel.get("Target", ""))))
            if any(el.get("connectionId") for el in cache.iter(q("cacheSource"))):
                raise Unexpected("a pivot table fed by a data connection")
        elif rel.get("Type") == CONNECTIONS:
            if rel.get("TargetMode") != "External":
                pkg.drop(_resolve(book_part, rel.get("Target", "")))
            book_rels.remove(rel)
    for sheet in sheets:
        sheet_rels = pkg.rels(sheet)
        for rel in [] if sheet_rels is None else list(sheet_rels):
            if rel.get("Type") != TABLE or rel.get("TargetMode") == "External":
                continue
            table_part = _resolve(sheet, rel.get("Target", ""))
            table_rels = pkg.rels(table_part)
            table = _parse(pkg.read(table_part))
            if table_rels is not None:
                for query in [r for r in table_rels if r.get("Type") == QUERY_TABLE]:
                    pkg.drop(_resolve(table_part, query.get("Target", "")))
                    table_rels.remove(query)
                pkg.write(_rels_name(table_part), _dump(table_rels))
            if table.get("tableType") == "queryTable":
                del table.attrib["tableType"]
            table.attrib.pop("connectionId", None)
            for column in table.iter(q("tableColumn")):
                column.attrib.pop("queryTableFieldId", None)
            pkg.write(table_part, _dump(table))


def _inert_sheet(root: etree._Element, rels: etree._Element | None) -> None:
    """Values instead of formulas, no links, no recalculation; no tab selected (the list's is)."""
    for formula in list(root.iter(q("f"))):
        cell = formula.getparent()
        cell.remove(formula)
        cell.attrib.pop("cm", None)  # cell metadata marks a dynamic-array formula
        value = cell.find(q("v"))
        if value is None or not (value.text or ""):
            if value is not None:
                cell.remove(value)
            cell.attrib.pop("t", None)  # a formula never calculated: the cell stays empty
    for tag in ("hyperlinks", "sheetCalcPr"):
        for el in root.findall(q(tag)):
            root.remove(el)
    for view in root.iter(q("sheetView")):
        view.attrib.pop("tabSelected", None)
    if rels is not None:
        _drop_links(rels)


def _drop_links(rels: etree._Element) -> bool:
    """Hyperlinks' relationships removed; True if there were any."""
    links = [r for r in rels if r.get("Type") == REL + "hyperlink"]
    for rel in links:
        rels.remove(rel)
    return bool(links)


def _free_rid(rels: etree._Element) -> str:
    taken = {r.get("Id") for r in rels}
    n = len(taken) + 1
    while f"rId{n}" in taken:
        n += 1
    return f"rId{n}"


def _override(types: etree._Element, part: str, content_type: str) -> None:
    etree.SubElement(types, q("Override", CT), PartName="/" + part, ContentType=content_type)


def _mark_sheet(pkg: _Package, part: str, root: etree._Element, rels: etree._Element, types: etree._Element,
                styles: _Styles, marks: list[Mark], author: str, vml_block: int, fills: dict[Severity, str]) -> int:
    """Fill and comment the marked cells (creating those the sheet lacks, in order); the shape-id blocks taken."""
    data = root.find(q("sheetData"))
    if data is None:
        raise Unexpected("no sheetData")
    rows: dict[int, etree._Element] = {}
    for row_el in data.iterchildren(q("row")):
        r = row_el.get("r")
        if r is None or not r.isdigit():
            raise Unexpected("row without its number")
        rows[int(r)] = row_el
    for m in marks:
        cell = _cell(data, rows, m.row, m.col)
        cell.set("s", str(styles.marked_style(int(cell.get("s", "0")), m.severity, fills[m.severity])))
    _grow_dimension(root, marks)
    if any(r.get("Type") == THREADED for r in rels):
        raise Unexpected("threaded comments")
    legacy = root.find(q("legacyDrawing"))
    old = next((r for r in rels if r.get("Type") == REL + "comments"), None)
    if old is None and legacy is None:
        comments_part = pkg.free_name("xl/comments{}.xml")
        vml_part = pkg.free_name("xl/drawings/vmlDrawing{}.vml")
        comments, cells = _comments(None, marks, author)
        pkg.added[comments_part] = comments
        pkg.added[vml_part], blocks = _vml(cells, vml_block)
        rid_comments = _free_rid(rels)
        etree.SubElement(rels, q("Relationship", PKG), Id=rid_comments, Type=REL + "comments",
                         Target="/" + comments_part)
        rid_vml = _free_rid(rels)
        etree.SubElement(rels, q("Relationship", PKG), Id=rid_vml, Type=REL + "vmlDrawing", Target="/" + vml_part)
        _override(types, comments_part, COMMENTS_CT)
        legacy = etree.Element(q("legacyDrawing"))
        legacy.set(q("id", R), rid_vml)
        for i, child in enumerate(root):
            if isinstance(child.tag, str) and (etree.QName(child).localname in AFTER_LEGACY
                                               or child.tag == q("AlternateContent", MC)):
                root.insert(i, legacy)
                break
        else:
            root.append(legacy)
        return blocks
    # last round's copy sent back: its notes stay where nothing is wrong now, the marked cells get the new ones
    if old is None or legacy is None:
        raise Unexpected("a VML drawing without comments, or comments without one")
    vml_rel = next((r for r in rels if r.get("Id") == legacy.get(q("id", R))), None)
    if vml_rel is None or vml_rel.get("Type") != REL + "vmlDrawing" or "External" in (
            old.get("TargetMode", ""), vml_rel.get("TargetMode", "")):
        raise Unexpected("legacy drawing")
    comments_part = _resolve(part, old.get("Target", ""))
    vml_part = _resolve(part, vml_rel.get("Target", ""))
    if re.search(rb"ObjectType\s*=\s*[\"'](?!Note[\"'])", pkg.read(vml_part)):
        raise Unexpected("form controls in the VML drawing")  # regenerating the drawing would lose them
    comments, cells = _comments(_parse(pkg.read(comments_part)), marks, author)
    pkg.write(comments_part, comments)
    drawing, blocks = _vml(cells, vml_block)
    pkg.write(vml_part, drawing)
    return blocks


def _cell(data: etree._Element, rows: dict[int, etree._Element], row: int, col: int) -> etree._Element:
    """The cell's element, created in row and column order when the sheet has none."""
    row_el = rows.get(row)
    if row_el is None:
        row_el = etree.Element(q("row"), r=str(row))
        after = [r for r in rows if r > row]
        if after:
            rows[min(after)].addprevious(row_el)
        else:
            data.append(row_el)
        rows[row] = row_el
    ref = f"{column_letter(col - 1)}{row}"
    for cell in row_el.iterchildren(q("c")):
        r = cell.get("r")
        if r is None:
            raise Unexpected("cell without its address")
        r_row, r_col = _cell_ref(r)
        if r_row != row:
            raise Unexpected("cell in the wrong row")
        if r_col == col:
            return cell
        if r_col > col:
            new = etree.Element(q("c"), r=ref)
            cell.addprevious(new)
            row_el.attrib.pop("spans", None)
            return new
    new = etree.SubElement(row_el, q("c"), r=ref)
    row_el.attrib.pop("spans", None)
    return new


def _grow_dimension(root: etree._Element, marks: list[Mark]) -> None:
    dim = root.find(q("dimension"))
    if dim is None:
        return
    try:
        r1, c1, r2, c2 = _range(dim.get("ref", ""))
    except Unexpected:
        return
    r1, c1 = min([r1] + [m.row for m in marks]), min([c1] + [m.col for m in marks])
    r2, c2 = max([r2] + [m.row for m in marks]), max([c2] + [m.col for m in marks])
    dim.set("ref", f"{column_letter(c1 - 1)}{r1}:{column_letter(c2 - 1)}{r2}")


def _text(parent: etree._Element, tag: str, text: str) -> etree._Element:
    el = etree.SubElement(parent, tag)
    el.text = text  # lxml refuses characters XML cannot hold: the caller falls back
    if text != text.strip() or "\n" in text:
        el.set(q("space", XML_NS), "preserve")
    return el


def _comments(old: etree._Element | None, marks: list[Mark], author: str) -> tuple[bytes, list[tuple[int, int]]]:
    """The comments part with a note on each marked cell (replacing one there), and every noted cell in order."""
    root = old if old is not None else etree.Element(q("comments"), nsmap={None: M})
    if root.tag != q("comments"):
        raise Unexpected("comments")
    authors = root.find(q("authors"))
    if authors is None:
        authors = etree.Element(q("authors"))
        root.insert(0, authors)
    listing = root.find(q("commentList"))
    if listing is None:
        listing = etree.SubElement(root, q("commentList"))
    names = [a.text or "" for a in authors.iterchildren(q("author"))]
    if author not in names:
        _text(authors, q("author"), author)
        names.append(author)
    marked = {(m.row, m.col) for m in marks}
    notes: dict[tuple[int, int], etree._Element] = {}
    for note in list(listing):
        listing.remove(note)
        if isinstance(note.tag, str) and note.tag == q("comment"):
            cell = _cell_ref(note.get("ref", ""))
            if cell not in marked:
                notes[cell] = note
    for m in marks:
        note = etree.Element(q("comment"), ref=f"{column_letter(m.col - 1)}{m.row}", authorId=str(names.index(author)),
                             shapeId="0")
        _text(etree.SubElement(note, q("text")), q("t"), m.text)
        notes[(m.row, m.col)] = note
    for cell in sorted(notes):
        listing.append(notes[cell])
    return _dump(root), sorted(notes)


def _vml(cells: list[tuple[int, int]], first_block: int) -> tuple[bytes, int]:
    """The legacy drawing Excel and LibreOffice need to show comments: one hidden note box per cell.

    Shape ids come in blocks of 1024 a drawing claims in its idmap; returns the drawing and the blocks it took.
    """
    shapes = []
    blocks = max(1, math.ceil(len(cells) / 1023))
    for k, (row, col) in enumerate(cells):
        shape_id = (first_block + k // 1023) * 1024 + 1 + k % 1023
        shapes.append(
            f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="position:absolute;'
            'margin-left:59.25pt;margin-top:1.5pt;width:320px;height:160px;z-index:1;visibility:hidden" '
            'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left"/>'
            '</v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row><x:Column>{col - 1}</x:Column>"
            "</x:ClientData></v:shape>")
    idmap = ",".join(str(first_block + b) for b in range(blocks))
    return ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel">'
            f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{idmap}"/></o:shapelayout>'
            '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
            '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
            + "".join(shapes) + "</xml>").encode("utf-8"), blocks


@dataclass(frozen=True)
class CellStyle:
    """How the list sheet shows a row's cells (Times New Roman always)."""

    bold: bool = False
    italic: bool = False
    color: str = ""  # RRGGBB, "" for the default
    size: int = 0  # points, 0 for the default
    fill: str = ""  # RRGGBB of a solid fill, "" for none
    wrap: bool = False  # wrapped and top-aligned


@dataclass(frozen=True)
class ListRow:
    """One row of the list sheet: its number, values, style and height (None: the default)."""

    number: int
    values: tuple[str | int, ...]
    style: CellStyle
    height: float | None = None


@dataclass(frozen=True)
class ListSheet:
    """The sheet that lists what to fix, as both writers lay it out."""

    name: str
    rows: tuple[ListRow, ...]
    widths: tuple[float, ...]  # of columns A, B, …
    header_row: int  # frozen below it, repeated on every printed page


def cell_note(items: list[Finding]) -> tuple[Severity, str]:
    """A marked cell's severity and comment: where the cell has an error, its warnings would only confuse."""
    worst = Severity.ERROR if any(f.severity == Severity.ERROR for f in items) else Severity.WARNING
    return worst, "\n\n".join(f"{f.severity.label}: {f.message_vi}" for f in items if f.severity == worst)


def _list_sheet(spec: ListSheet, styles: _Styles) -> bytes:
    """The list sheet's XML, as openpyxl writes it: widths, frozen header, landscape, one page wide."""
    ids: dict[CellStyle, int] = {}
    for row in spec.rows:
        st = row.style
        if st not in ids:
            ids[st] = styles.xf(styles.font(st.bold, st.italic, st.color, st.size),
                                styles.fill(st.fill) if st.fill else 0, st.wrap)
    root = etree.Element(q("worksheet"), nsmap={None: M, "r": R})
    pr = etree.SubElement(root, q("sheetPr"))
    etree.SubElement(pr, q("outlinePr"), summaryBelow="1", summaryRight="1")
    etree.SubElement(pr, q("pageSetUpPr"), fitToPage="1")
    last_row = max((r.number for r in spec.rows), default=1)
    last_col = max((len(r.values) for r in spec.rows), default=1)
    etree.SubElement(root, q("dimension"), ref=f"A1:{column_letter(last_col - 1)}{last_row}")
    view = etree.SubElement(etree.SubElement(root, q("sheetViews")), q("sheetView"), tabSelected="1", workbookViewId="0")
    etree.SubElement(view, q("pane"), ySplit=str(spec.header_row), topLeftCell=f"A{spec.header_row + 1}",
                     activePane="bottomLeft",
                     state="frozen")
    etree.SubElement(view, q("selection"), pane="bottomLeft", activeCell="A1", sqref="A1")
    etree.SubElement(root, q("sheetFormatPr"), baseColWidth="8", defaultRowHeight="15")
    cols = etree.SubElement(root, q("cols"))
    for i, width in enumerate(spec.widths, start=1):
        etree.SubElement(cols, q("col"), width=f"{width:g}", customWidth="1", min=str(i), max=str(i))
    data = etree.SubElement(root, q("sheetData"))
    for row in spec.rows:
        n = row.number
        row_el = etree.SubElement(data, q("row"), r=str(n))
        if row.height is not None:
            row_el.set("ht", f"{row.height:g}")
            row_el.set("customHeight", "1")
        for c, value in enumerate(row.values):
            cell = etree.SubElement(row_el, q("c"), r=f"{column_letter(c)}{n}", s=str(ids[row.style]))
            if isinstance(value, int):
                cell.set("t", "n")
                etree.SubElement(cell, q("v")).text = str(value)
            elif value != "":
                cell.set("t", "inlineStr")
                _text(etree.SubElement(cell, q("is")), q("t"), value)
    etree.SubElement(root, q("pageMargins"), left="0.75", right="0.75", top="1", bottom="1", header="0.5",
                     footer="0.5")
    etree.SubElement(root, q("pageSetup"), orientation="landscape", paperSize="9", fitToHeight="0", fitToWidth="1")
    return _dump(root)


def _patch_book(book: etree._Element, sheets_el: etree._Element, title: str, rid: str, header_row: int) -> None:
    """The list sheet first and active; names pointing outside the workbook gone; no recalculation."""
    ids = [int(s.get("sheetId", "0")) for s in sheets_el.iter(q("sheet")) if (s.get("sheetId") or "").isdigit()]
    sheet = etree.Element(q("sheet"), name=title, sheetId=str(max(ids, default=0) + 1))
    sheet.set(q("id", R), rid)
    sheets_el.insert(0, sheet)
    for el in book.findall(q("externalReferences")):
        book.remove(el)
    names = book.find(q("definedNames"))
    if names is None:
        names = etree.Element(q("definedNames"))
        groups = book.find(q("functionGroups"))
        (sheets_el if groups is None else groups).addnext(names)
    for name in list(names):
        value = name.text or ""
        local = name.get("localSheetId")
        if "[" in value or (local is None and "!" not in value):
            names.remove(name)  # names pointing outside the workbook, or formulas
        elif local is not None:
            if not local.isdigit():
                raise Unexpected("definedName scope")
            name.set("localSheetId", str(int(local) + 1))  # the list sheet comes first
    quoted = "'" + title.replace("'", "''") + "'"
    titles = etree.Element(q("definedName"), name="_xlnm.Print_Titles", localSheetId="0")
    titles.text = f"{quoted}!${header_row}:${header_row}"
    names.insert(0, titles)
    if not len(names):
        book.remove(names)
    for view in book.iter(q("workbookView")):
        view.set("activeTab", "0")
        view.set("firstSheet", "0")
    for calc in book.iter(q("calcPr")):
        calc.set("fullCalcOnLoad", "0")
        calc.attrib.pop("forceFullCalc", None)


def _patch_content_types(pkg: _Package, types: etree._Element, book_part: str) -> None:
    """Dropped parts undeclared, the workbook an .xlsx's, comments' drawings declared."""
    dropped = {n.lower() for n in pkg.dropped}
    found = False
    for el in list(types):
        if el.tag == q("Override", CT):
            part = (el.get("PartName") or "").lstrip("/").lower()
            if part in dropped:
                types.remove(el)
            elif part == book_part.lower():
                if el.get("ContentType") not in WORKBOOK_CTS:
                    raise Unexpected("workbook content type")
                el.set("ContentType", WORKBOOK_CT)
                found = True
    if not found:
        raise Unexpected("workbook content type")
    defaults = {(el.get("Extension") or "").lower(): el for el in types.iter(q("Default", CT))}
    if "vml" not in defaults:
        el = etree.Element(q("Default", CT), Extension="vml", ContentType=VML_CT)
        types.insert(0, el)
    elif defaults["vml"].get("ContentType") != VML_CT:
        raise Unexpected("vml content type")
    bin_default = defaults.get("bin")
    kept = [n for n in pkg.names.values() if n not in pkg.dropped]
    if bin_default is not None and not any(n.lower().endswith(".bin") for n in kept):
        types.remove(bin_default)


def _zip(pkg: _Package) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        first = pkg.stored("[Content_Types].xml")
        order = [first] + [i.filename for i in pkg.zin.infolist() if i.filename != first and not i.is_dir()]
        for name in order:
            if name in pkg.dropped:
                continue
            zout.writestr(name, pkg.changed[name] if name in pkg.changed else pkg.read(name))
        for name, data in pkg.added.items():
            zout.writestr(name, data)
    return out.getvalue()
