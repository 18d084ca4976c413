"""Feedback copies by patching the workbook's XML: the same copy openpyxl writes, cell by cell, or a fallback."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from conftest import ROOT
from pipeline.cycle import inspect
from pipeline.intake.unpack import SEP, reread_member
from pipeline.mail import department_tag
from pipeline.model.findings import Finding
from pipeline.model.vocab import FileKind
from pipeline.outputs.feedback import FILL, list_sheet, write_feedback_copy
from pipeline.outputs.feedback_xml import patch_workbook
from pipeline.workspace.load import load_workspace

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@dataclass(frozen=True)
class Case:
    """One agency file with findings, as the run hands it to the feedback writer."""

    name: str
    data: bytes
    findings: tuple[Finding, ...]
    author: str
    resubmit_by: str
    year: int


def cases_of(ws_dir: Path, year: int) -> list[Case]:
    """Every .xlsx/.xlsm of a year's inbox that the check read, with its findings (those without too)."""
    ws = load_workspace(ws_dir)
    result = inspect(ws, year)
    inbox = ws.settings.inbox(year)
    out = []
    for f in result.files:
        if not FileKind(f.kind).ooxml:
            continue
        display = f.path.split(SEP)[0]
        member = reread_member(inbox / display, display, f.path)
        if member is None or member.rejection is not None or not member.data:
            continue
        due = "07/12/2026" if any(x.severity == "error" for x in f.findings) else ""
        out.append(Case(f.path, member.data, f.findings, department_tag(ws), due, year))
    return out


def both(case: Case, tmp: Path) -> tuple[bytes, bytes]:
    """The openpyxl reference copy and the XML patch of one case."""
    ref = write_feedback_copy(case.data, FileKind.XLSX, list(case.findings), tmp / "ref.xlsx", case.author,
                              case.resubmit_by, case.year).read_bytes()
    patched = patch_workbook(case.data, list(case.findings), list_sheet(list(case.findings), case.resubmit_by,
                                                                        case.year), FILL, case.author)
    return ref, patched


def _load(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def _fill(cell: Any) -> tuple[str | None, str | None]:
    fill = cell.fill
    return (fill.patternType, fill.fgColor.rgb if fill.patternType else None)


def compare(ref_data: bytes, xml_data: bytes) -> None:
    """Both copies show the same: sheets, values, comments, fills; the patch holds no formula or link."""
    ref, got = _load(ref_data), _load(xml_data)
    assert got.sheetnames == ref.sheetnames
    assert got.active.title == ref.active.title
    for name in ref.sheetnames:
        a, b = ref[name], got[name]
        assert a.sheet_state == b.sheet_state, name
        values_a = {c.coordinate: c.value for row in a.iter_rows() for c in row if c.value is not None}
        values_b = {c.coordinate: c.value for row in b.iter_rows() for c in row if c.value is not None}
        assert values_b == values_a, name
        notes_a = {c.coordinate: (c.comment.text, c.comment.author) for row in a.iter_rows() for c in row if c.comment}
        notes_b = {c.coordinate: (c.comment.text, c.comment.author) for row in b.iter_rows() for c in row if c.comment}
        assert notes_b == notes_a, name
        for coord in notes_a:  # each marked cell: the severity's fill
            assert _fill(b[coord]) == _fill(a[coord]), (name, coord)
        fills_a = {c.coordinate: _fill(c) for row in a.iter_rows() for c in row if c.has_style}
        fills_b = {c.coordinate: _fill(b[c.coordinate]) for c in (a[k] for k in fills_a)}
        assert fills_b == fills_a, name
        assert not any(c.data_type == "f" for row in b.iter_rows() for c in row), name
        assert not any(c.hyperlink for row in b.iter_rows() for c in row), name
        assert a.merged_cells.ranges == b.merged_cells.ranges or {str(r) for r in a.merged_cells.ranges} == {
            str(r) for r in b.merged_cells.ranges}, name
    first_a, first_b = ref.worksheets[0], got.worksheets[0]
    assert [first_b.row_dimensions[r].height for r in range(1, first_b.max_row + 1)] == [
        first_a.row_dimensions[r].height for r in range(1, first_a.max_row + 1)]
    assert {k: d.width for k, d in first_b.column_dimensions.items()} == {
        k: d.width for k, d in first_a.column_dimensions.items()}
    assert first_b.freeze_panes == first_a.freeze_panes
    assert first_b.print_title_rows == first_a.print_title_rows
    assert first_b.page_setup.fitToHeight == first_a.page_setup.fitToHeight == 0
    assert first_b.page_setup.orientation == "landscape" and first_b.sheet_properties.pageSetUpPr.fitToPage
    for row_a, row_b in zip(first_a.iter_rows(), first_b.iter_rows()):
        for ca, cb in zip(row_a, row_b):
            if ca.value is not None:
                assert (cb.font.b, cb.font.i, cb.font.color and cb.font.color.rgb, cb.font.sz) == (
                    ca.font.b, ca.font.i, ca.font.color and ca.font.color.rgb, ca.font.sz), ca.coordinate
                assert cb.alignment.wrap_text == ca.alignment.wrap_text
    assert not got._external_links
    assert {d for d in got.defined_names} <= {d for d in ref.defined_names} | set(got.defined_names)
    inert(xml_data)


def inert(data: bytes) -> None:
    """No formula, link, macro or recalculation left in the copy's parts."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        assert not [n for n in names if "externallink" in n.lower() or "vbaproject" in n.lower()
                    or n.lower().endswith("calcchain.xml")]
        for n in names:
            if n.startswith("xl/worksheets/") and n.endswith(".xml"):
                body = z.read(n)
                assert not re.search(rb"<(\w+:)?f[ >/]", body), n
                assert not re.search(rb"<(\w+:)?hyperlinks?[ >/]", body), n
            if n.endswith(".rels"):
                assert b"/hyperlink" not in z.read(n), n
        book = z.read("xl/workbook.xml")
        assert b'fullCalcOnLoad="1"' not in book and b"externalReference" not in book
        assert b"macroEnabled" not in z.read("[Content_Types].xml")


@pytest.fixture(scope="module")
def sample_cases(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    dest = tmp_path_factory.mktemp("ws")
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    for folder in ("plan", "templates", "inbox"):
        shutil.copytree(ROOT / folder, dest / folder)
    return cases_of(dest, 2015) + cases_of(dest, 2016)


def test_the_sample_inbox_gets_the_same_copies_as_openpyxl_writes(sample_cases: list[Case], tmp_path: Path) -> None:
    assert len(sample_cases) > 20 and sum(1 for c in sample_cases if c.findings) > 5
    for case in sample_cases:
        ref, patched = both(case, tmp_path)
        compare(ref, patched)


@pytest.fixture(scope="module")
def corpus_cases(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    """A generated inbox of 60 agencies (benchmarks/make_corpus.py), xlsx only, about one in ten with mistakes."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import make_corpus

    cache = tmp_path_factory.mktemp("corpus")
    old = make_corpus.CACHE, make_corpus.SOFFICE
    make_corpus.CACHE, make_corpus.SOFFICE = cache, None
    try:
        ws_dir = make_corpus.build(60, log=False)
    finally:
        make_corpus.CACHE, make_corpus.SOFFICE = old
    return cases_of(ws_dir, make_corpus.YEAR)


def test_a_generated_inbox_gets_the_same_copies_as_openpyxl_writes(corpus_cases: list[Case], tmp_path: Path) -> None:
    assert len(corpus_cases) >= 55 and sum(1 for c in corpus_cases if c.findings) >= 3
    for case in corpus_cases:
        ref, patched = both(case, tmp_path)
        compare(ref, patched)


# --- hostile and unusual workbooks: each gets a valid copy, or falls back; the run never crashes -------------------

from collections.abc import Callable  # noqa: E402
from dataclasses import replace  # noqa: E402
import hashlib  # noqa: E402

from pipeline.outputs.feedback import FeedbackJob, write_feedback_job  # noqa: E402
from pipeline.outputs.feedback_xml import Unexpected  # noqa: E402

REPORT = "xl/worksheets/sheet3.xml"  # "Báo cáo" in the tool's own workbook
GENERAL = "xl/worksheets/sheet5.xml"  # "Đánh giá chung"
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def rewrite(data: bytes, change: dict[str, Callable[[bytes], bytes]], add: dict[str, bytes] | None = None) -> bytes:
    """The workbook with some parts edited as bytes and some added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item)
            dst.writestr(item.filename, change[item.filename](body) if item.filename in change else body)
        for name, body in (add or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def _sub(pattern: bytes, repl: bytes, count: int = 1) -> Callable[[bytes], bytes]:
    def change(body: bytes) -> bytes:
        new, n = re.subn(pattern, repl, body, count=count)
        assert n, pattern
        return new
    return change


def _then(*changes: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def change(body: bytes) -> bytes:
        for c in changes:
            body = c(body)
        return body
    return change


def _rel(rid: str, kind: str, target: str, external: bool = False) -> Callable[[bytes], bytes]:
    mode = b' TargetMode="External"' if external else b""
    return _sub(rb"</Relationships>", b'<Relationship Id="' + rid.encode() + b'" Type="' + kind.encode() + b'" Target="'
                + target.encode() + b'"' + mode + b"/></Relationships>")


def _type(part: str, content_type: str) -> Callable[[bytes], bytes]:
    return _sub(rb"</Types>", b'<Override PartName="/' + part.encode() + b'" ContentType="' + content_type.encode()
                + b'"/></Types>')


def _shared_strings(data: bytes) -> bytes:
    """Every inline string of the report sheet moved to sharedStrings.xml, the first as rich text."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read(REPORT)
    items: list[bytes] = []

    def move(m: re.Match[bytes]) -> bytes:
        text = m.group(2)
        if not items:
            items.append('<si><r><rPr><b/><sz val="11"/></rPr><t xml:space="preserve">Đậm </t></r><r><t>'.encode()
                         + text + b"</t></r><rPh sb=\"0\" eb=\"1\"><t>x</t></rPh></si>")
        else:
            items.append(b"<si><t>" + text + b"</t></si>")
        return m.group(1) + b' t="s"><v>' + str(len(items) - 1).encode() + b"</v></c>"

    sheet = re.sub(rb'(<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")?) t="inlineStr"><is><t>([^<]*)</t></is></c>', move, sheet)
    strings = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="' + MAIN_NS + b'" count="'
               + str(len(items)).encode() + b'" uniqueCount="' + str(len(items)).encode() + b'">' + b"".join(items)
               + b"</sst>")
    return rewrite(data, {
        REPORT: lambda _: sheet,
        "xl/_rels/workbook.xml.rels": _rel("rIdSS", "http://schemas.openxmlformats.org/officeDocument/2006/"
                                           "relationships/sharedStrings", "sharedStrings.xml"),
        "[Content_Types].xml": _type("xl/sharedStrings.xml", "application/vnd.openxmlformats-officedocument."
                                     "spreadsheetml.sharedStrings+xml"),
    }, {"xl/sharedStrings.xml": strings})


def _links(data: bytes) -> bytes:
    """An external link with its defined name, a hyperlink to the web, a calculation chain, recalculation on."""
    rels_ns = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    link = (b'<?xml version="1.0" encoding="UTF-8"?><externalLink xmlns="' + MAIN_NS + b'" xmlns:r="' + rels_ns
            + b'"><externalBook r:id="rId1"><sheetNames><sheetName val="S"/></sheetNames></externalBook></externalLink>')
    link_rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 b'officeDocument/2006/relationships/externalLinkPath" Target="file:///C:/khac.xlsx" '
                 b'TargetMode="External"/></Relationships>')
    sheet_rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                  b'package/2006/relationships"><Relationship Id="rIdH1" Type="http://schemas.openxmlformats.org/'
                  b'officeDocument/2006/relationships/hyperlink" Target="http://example.invalid/x" '
                  b'TargetMode="External"/></Relationships>')
    chain = b'<?xml version="1.0" encoding="UTF-8"?><calcChain xmlns="' + MAIN_NS + b'"><c r="J6" i="3"/></calcChain>'
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    return rewrite(data, {
        "xl/workbook.xml": _then(
            _sub(rb"</sheets>", b'</sheets><externalReferences><externalReference xmlns:r="' + rels_ns
                 + b'" r:id="rIdX1"/></externalReferences>'),
            _sub(rb"<definedNames>", b'<definedNames><definedName name="ngoai">[1]S!$A$1</definedName>'
                 b'<definedName name="hang">0.5</definedName><definedName name="trong">\'B\xc3\xa1o c\xc3\xa1o\'!$J$6'
                 b"</definedName>")),
        "xl/_rels/workbook.xml.rels": _then(_rel("rIdX1", kind + "externalLink", "externalLinks/externalLink1.xml"),
                                            _rel("rIdC1", kind + "calcChain", "calcChain.xml")),
        "[Content_Types].xml": _then(
            _type("xl/externalLinks/externalLink1.xml",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"),
            _type("xl/calcChain.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml")),
        REPORT: _then(_sub(rb'(<c r="J8"[^>]*>)<v>', rb"\1<f>[1]S!A1*2</f><v>"),
                      _sub(rb"</sheetData>", b'</sheetData><hyperlinks><hyperlink ref="D6" xmlns:r="' + rels_ns
                           + b'" r:id="rIdH1"/></hyperlinks>')),
    }, {"xl/externalLinks/externalLink1.xml": link, "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels,
        "xl/worksheets/_rels/sheet3.xml.rels": sheet_rels, "xl/calcChain.xml": chain})


def _xlsm(data: bytes) -> bytes:
    """Saved by Excel as .xlsm: a macro project with its relationship and content type, and a signature."""
    vba_rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/'
                b'relationships/vbaProjectSignature" Target="vbaProjectSignature.bin"/></Relationships>')
    return rewrite(data, {
        "[Content_Types].xml": _then(
            _sub(rb"application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet\.main\+xml",
                 b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
            _sub(rb"<Default ", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                 b"<Default ")),
        "xl/_rels/workbook.xml.rels": _rel("rIdV", "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
                                           "vbaProject.bin"),
        "xl/workbook.xml": _sub(rb"<workbookPr/>", b'<workbookPr codeName="ThisWorkbook"/>'),
    }, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + bytes(508), "xl/_rels/vbaProject.bin.rels": vba_rels,
        "xl/vbaProjectSignature.bin": bytes(64)})


def _query_table(data: bytes) -> bytes:
    """A data connection feeding a query table on "Hướng dẫn", as Excel's "From Database" leaves them."""
    rels_ns = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    pkg_rels = b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    connections = (b'<connections xmlns="' + MAIN_NS + b'"><connection id="1" name="q" type="1" refreshedVersion="6" '
                   b'background="1" saveData="1"><dbPr connection="DSN=kho;" command="SELECT 1"/></connection>'
                   b"</connections>")
    table = (b'<table xmlns="' + MAIN_NS + b'" id="1" name="Bang1" displayName="Bang1" ref="F40:G41" '
             b'tableType="queryTable" connectionId="1" totalsRowShown="0"><autoFilter ref="F40:G41"/>'
             b'<tableColumns count="2"><tableColumn id="1" uniqueName="1" name="a" queryTableFieldId="1"/>'
             b'<tableColumn id="2" uniqueName="2" name="b" queryTableFieldId="2"/></tableColumns>'
             b'<tableStyleInfo name="TableStyleMedium2" showFirstColumn="0" showLastColumn="0" showRowStripes="1" '
             b'showColumnStripes="0"/></table>')
    query = (b'<queryTable xmlns="' + MAIN_NS + b'" name="q" connectionId="1" autoFormatId="16" '
             b'applyNumberFormats="0" applyBorderFormats="0" applyFontFormats="0" applyPatternFormats="0" '
             b'applyAlignmentFormats="0" applyWidthHeightFormats="0"><queryTableRefresh nextId="3"><queryTableFields '
             b'count="2"><queryTableField id="1" name="a" tableColumnId="1"/><queryTableField id="2" name="b" '
             b'tableColumnId="2"/></queryTableFields></queryTableRefresh></queryTable>')
    sml = "application/vnd.openxmlformats-officedocument.spreadsheetml."
    return rewrite(data, {
        "xl/worksheets/sheet1.xml": _sub(rb"</worksheet>", b'<tableParts count="1"><tablePart xmlns:r="' + rels_ns
                                         + b'" r:id="rIdT1"/></tableParts></worksheet>'),
        "xl/_rels/workbook.xml.rels": _rel("rIdQ", kind + "connections", "connections.xml"),
        "[Content_Types].xml": _then(_type("xl/connections.xml", sml + "connections+xml"),
                                     _type("xl/tables/table1.xml", sml + "table+xml"),
                                     _type("xl/queryTables/queryTable1.xml", sml + "queryTable+xml")),
    }, {"xl/connections.xml": connections, "xl/tables/table1.xml": table, "xl/queryTables/queryTable1.xml": query,
        "xl/worksheets/_rels/sheet1.xml.rels": pkg_rels + b'<Relationship Id="rIdT1" Type="' + kind.encode()
        + b'table" Target="../tables/table1.xml"/></Relationships>',
        "xl/tables/_rels/table1.xml.rels": pkg_rels + b'<Relationship Id="rId1" Type="' + kind.encode()
        + b'queryTable" Target="../queryTables/queryTable1.xml"/></Relationships>'})


HOSTILE: dict[str, Callable[[bytes], bytes]] = {
    "a data connection and its query table": _query_table,
    "formula-only cell": lambda d: rewrite(d, {REPORT: _sub(rb'(<c r="J8"[^>]*?)(?: t="\w+")?>(<v>[^<]*</v>)',
                                                            rb"\1><f>SUM(J9:J10)</f>")}),
    "shared formula": lambda d: rewrite(d, {REPORT: _then(
        _sub(rb'(<c r="J12"[^>]*>)<v>', rb'\1<f t="shared" ref="J12:J14" si="0">K12*2</f><v>'),
        _sub(rb'(<c r="J14"[^>]*>)<v>', rb'\1<f t="shared" si="0"/><v>'))}),
    "array formula": lambda d: rewrite(d, {REPORT: _sub(rb'(<c r="K14"[^>]*>)<v>',
                                                        rb'\1<f t="array" ref="K14:K15" aca="false">L14:L15*1</f><v>')}),
    "formula with a string result and one with an error": lambda d: rewrite(d, {REPORT: _then(
        _sub(rb'<c r="B6"( s="[0-9]+")? t="inlineStr"><is><t>([^<]*)</t></is></c>',
             rb'<c r="B6"\1 t="str"><f>"x"&amp;"y"</f><v>\2</v></c>'),
        _sub(rb'(<c r="L8"[^>]*?)(?: t="\w+")?>(<v>[^<]*</v>)', rb'\1 t="e"><f>1/0</f><v>#DIV/0!</v>'))}),
    "shared and rich-text strings": _shared_strings,
    "rich-text inline strings": lambda d: rewrite(d, {REPORT: _sub(
        rb'(<c r="D8"[^>]*t="inlineStr">)<is><t>([^<]*)</t></is>',
        rb'\1<is><r><rPr><b/><sz val="11"/><rFont val="Times New Roman"/></rPr><t xml:space="preserve">\2 </t></r>'
        rb"<r><t>x</t></r></is>")}),
    "an empty sheetData": lambda d: rewrite(d, {GENERAL: _sub(rb"<sheetData>.*</sheetData>", b"<sheetData/>")}),
    "links, calculation chain, recalculation": _links,
    "xlsm with a macro project": _xlsm,
    "rows with spans": lambda d: rewrite(d, {REPORT: _sub(rb'<row r="(\d+)"', rb'<row r="\1" spans="1:3"', count=0)}),
    "last round's copy sent back, with its comments": lambda d: _commented(d),
    "prefixed elements": lambda d: rewrite(d, {REPORT: _then(
        _sub(rb'<worksheet xmlns="([^"]+)"', rb'<worksheet xmlns="\1" xmlns:x="\1"'),
        _sub(rb"<(/?)(sheetData|row|c|v|is|t|mergeCells|mergeCell)([ >/])", rb"<\1x:\2\3", count=0))}),
}


def _retargeted(case: Case) -> list[Finding]:
    """The case's findings, and more on cells the sheet lacks: far below the last row, between cells, on an empty sheet."""
    some = next(f for f in case.findings if f.cell)
    return list(case.findings) + [replace(some, sheet="Báo cáo", cell="H500"), replace(some, sheet="Báo cáo", cell="Z6"),
                                  replace(some, sheet="Báo cáo", cell="A3"),
                                  replace(some, sheet="Đánh giá chung", cell="C3"),
                                  replace(some, sheet="Đánh giá chung", cell="B9")]


@pytest.fixture(scope="module")
def tuphap(sample_cases: list[Case]) -> Case:
    case = next(c for c in sample_cases if "TUPHAP" in c.name and c.year == 2015)
    return replace(case, findings=tuple(_retargeted(case)))


@pytest.mark.parametrize("name", list(HOSTILE))
def test_an_unusual_workbook_is_patched_like_openpyxl_copies_it(name: str, tuphap: Case, tmp_path: Path) -> None:
    case = replace(tuphap, data=HOSTILE[name](tuphap.data))
    ref, patched = both(case, tmp_path)
    compare(ref, patched)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice not installed")
def test_a_workbook_libreoffice_saved_is_patched_like_openpyxl_copies_it(tuphap: Case, tmp_path: Path) -> None:
    """Agencies that work in LibreOffice send its .xlsx: shared strings, its own styles and attributes."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "tuphap.xlsx").write_bytes(tuphap.data)
    subprocess.run([str(SOFFICE), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(src / "tuphap.xlsx")], check=True,
                   capture_output=True, timeout=300)
    data = (out / "tuphap.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert "xl/sharedStrings.xml" in z.namelist()
    ref, patched = both(replace(tuphap, data=data), tmp_path)
    compare(ref, patched)


def test_names_pointing_outside_go_and_local_names_follow_their_sheet(tuphap: Case, tmp_path: Path) -> None:
    _, patched = both(replace(tuphap, data=_links(tuphap.data)), tmp_path)
    book = _load(patched)
    assert "ngoai" not in book.defined_names and "hang" not in book.defined_names
    assert book.defined_names["trong"].value == "'Báo cáo'!$J$6"
    assert book["Báo cáo"].print_title_rows == "$4:$5" and book.worksheets[0].print_title_rows == "$4:$4"
    with zipfile.ZipFile(io.BytesIO(patched)) as z:
        assert not [n for n in z.namelist() if "external" in n.lower() or "calcchain" in n.lower()]


def test_data_connections_go_and_their_query_tables_become_plain_tables(tuphap: Case, tmp_path: Path) -> None:
    _, patched = both(replace(tuphap, data=_query_table(tuphap.data)), tmp_path)
    with zipfile.ZipFile(io.BytesIO(patched)) as z:
        names = [n.lower() for n in z.namelist()]
        assert "xl/connections.xml" not in names and not [n for n in names if "querytable" in n]
        table = z.read("xl/tables/table1.xml")
        assert b"queryTable" not in table and b"connectionId" not in table
        assert b"connections" not in z.read("xl/_rels/workbook.xml.rels")
        assert b"queryTable" not in z.read("xl/tables/_rels/table1.xml.rels")
        assert b"connections" not in z.read("[Content_Types].xml") and b"queryTable" not in z.read("[Content_Types].xml")
    assert _load(patched)["Hướng dẫn"].tables["Bang1"].ref == "F40:G41"


def test_an_xlsm_becomes_an_xlsx_without_its_macros(tuphap: Case, tmp_path: Path) -> None:
    _, patched = both(replace(tuphap, data=_xlsm(tuphap.data)), tmp_path)
    with zipfile.ZipFile(io.BytesIO(patched)) as z:
        assert not [n for n in z.namelist() if n.lower().endswith(".bin")]
        types = z.read("[Content_Types].xml")
        assert b"vbaProject" not in types and b"spreadsheetml.sheet.main+xml" in types
        assert b"vbaProject" not in z.read("xl/_rels/workbook.xml.rels")


REFUSED: dict[str, Callable[[bytes], bytes]] = {
    "strict OOXML": lambda d: rewrite(d, {"_rels/.rels": _sub(
        rb"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument")}),
    "strict namespaces": lambda d: rewrite(d, {"xl/workbook.xml": _sub(MAIN_NS, b"http://purl.oclc.org/ooxml/"
                                                                                b"spreadsheetml/main")}),
    "a DOCTYPE": lambda d: rewrite(d, {REPORT: _sub(rb"^", b'<!DOCTYPE x [<!ENTITY a "b">]>')}),
    "a missing sheet part": lambda d: rewrite(d, {"xl/_rels/workbook.xml.rels": _sub(rb"sheet3\.xml", b"sheet9.xml")}),
    "form controls in the comments' drawing": lambda d: rewrite(_commented(d), {
        "xl/drawings/commentsDrawing1.vml": _sub(rb'ObjectType="Note"', b'ObjectType="Button"')}),
    "threaded comments": lambda d: rewrite(_commented(d), {"xl/worksheets/_rels/sheet3.xml.rels": _rel(
        "rIdT", "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment", "../threadedComments/t1.xml")}),
    "no styles": lambda d: rewrite(d, {"xl/_rels/workbook.xml.rels": _sub(rb'<Relationship [^>]*styles"[^>]*/>', b"")}),
    "not a zip": lambda d: d[:200],
    "an XML map": lambda d: rewrite(d, {"xl/_rels/workbook.xml.rels": _rel(
        "rIdM", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/xmlMaps", "xmlMaps.xml")},
        {"xl/xmlMaps.xml": b'<MapInfo xmlns="' + MAIN_NS + b'"/>'}),
}


def _commented(data: bytes) -> bytes:
    """The feedback copy of last round sent back: its comments and VML drawing still in "Báo cáo"."""
    book = _load(data)
    book["Báo cáo"]["D6"].comment = openpyxl.comments.Comment("Lỗi: cũ", "Sở")
    book["Báo cáo"]["H6"].comment = openpyxl.comments.Comment("Cảnh báo: cũ", "Sở")  # a cell marked again
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("name", list(REFUSED))
def test_what_the_patch_does_not_expect_falls_back_and_never_crashes_the_run(name: str, tuphap: Case,
                                                                              tmp_path: Path) -> None:
    data = REFUSED[name](tuphap.data)
    with pytest.raises(Unexpected):
        patch_workbook(data, list(tuphap.findings), list_sheet(list(tuphap.findings)), FILL, tuphap.author)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "x.xlsx").write_bytes(data)
    job = FeedbackJob(inbox / "x.xlsx", "x.xlsx", "x.xlsx", "xlsx", hashlib.sha256(data).hexdigest(), tuphap.findings,
                      tmp_path / "out" / "copy.xlsx", tuphap.author, tuphap.resubmit_by, tuphap.year)
    done = write_feedback_job(None, job)
    assert done in ("marked", "list")
    book = _load((tmp_path / "out" / "copy.xlsx").read_bytes())
    assert book.sheetnames[0] == "Lỗi cần sửa"
    if "comments" in name:  # openpyxl marks it, the old comment kept where nothing is wrong now
        assert done == "marked" and book["Báo cáo"]["D6"].comment.text == "Lỗi: cũ"


def test_the_run_writes_the_patched_copy(tuphap: Case, tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").write_bytes(tuphap.data)
    job = FeedbackJob(tmp_path / "x.xlsx", "x.xlsx", "x.xlsx", "xlsx", hashlib.sha256(tuphap.data).hexdigest(),
                      tuphap.findings, tmp_path / "copy.xlsx", tuphap.author, tuphap.resubmit_by, tuphap.year)
    assert write_feedback_job(None, job) == "marked"
    with zipfile.ZipFile(tmp_path / "copy.xlsx") as z:
        assert "xl/comments1.xml" in z.namelist()  # the patch's part name (openpyxl writes xl/comments/comment1.xml)
    compare(both(tuphap, tmp_path)[0], (tmp_path / "copy.xlsx").read_bytes())


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice not installed")
def test_libreoffice_opens_the_patched_copies_with_their_notes(tuphap: Case, sample_cases: list[Case],
                                                               tmp_path: Path) -> None:
    marked = [c for c in sample_cases if c.findings][:2]
    copies = {"tuphap": patch_workbook(tuphap.data, list(tuphap.findings), list_sheet(list(tuphap.findings),
                                       tuphap.resubmit_by, tuphap.year), FILL, tuphap.author)}
    for name in ("xlsm with a macro project", "shared and rich-text strings", "links, calculation chain, recalculation",
                 "last round's copy sent back, with its comments", "prefixed elements"):
        case = replace(tuphap, data=HOSTILE[name](tuphap.data))
        copies[re.sub(r"\W+", "-", name)] = both(case, tmp_path)[1]
    for i, case in enumerate(marked):
        copies[f"sample{i}"] = both(case, tmp_path)[1]
    src = tmp_path / "src"
    src.mkdir()
    for name, data in copies.items():
        (src / f"{name}.xlsx").write_bytes(data)
    paths = [str(p) for p in sorted(src.iterdir())]
    for target in ("pdf", "ods"):
        subprocess.run([str(SOFFICE), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                        target, "--outdir", str(tmp_path / target), *paths], check=True, capture_output=True, timeout=300)
        for name in copies:
            out = tmp_path / target / f"{name}.{target}"
            assert out.is_file() and out.stat().st_size > 1000, out
    # LibreOffice read the notes and the list sheet: they are in its own file
    with zipfile.ZipFile(tmp_path / "ods" / "tuphap.ods") as z:
        content = z.read("content.xml").decode("utf-8")
    book = _load(copies["tuphap"])
    notes = sum(1 for ws in book.worksheets for row in ws.iter_rows() for c in row if c.comment)
    assert notes >= 5 and content.count("<office:annotation>") + content.count("<office:annotation ") == notes
    assert "Lỗi cần sửa" in content and "LỖI CẦN SỬA" in content
