"""Submission workbooks: one per agency with assignments, filled from the master, with e-mail drafts.

The master is loaded and prepared once per run with openpyxl (template_master.prepare_master);
each agency's workbook is then produced from that output at the XML level: placeholders
substituted, the model row of "Báo cáo" repeated once per activity, the identity filled in.
openpyxl wrote the parts being edited, so their shape is known; this keeps a workbook to a few
milliseconds where a full openpyxl save per agency would cost tens.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Collection, Mapping, Sequence
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from pipeline.generate.master import AGENCY_PLACEHOLDERS, PreparedMaster, TemplateError, prepare_master, row_height
from pipeline.generate.requests import request_message
from pipeline.mail import write_eml
from pipeline.model import layout
from pipeline.model.agencies import Agency
from pipeline.model.assignments import Assignment, by_agency
from pipeline.model.errors import UsageError
from pipeline.model.text import ascii_slug
from pipeline.model.vocab import Role
from pipeline.workspace.files import write_atomic
from pipeline.workspace.load import Workspace
from pipeline.workspace.outbox import DRAFTS_DIR, SEND_LIST, WORKBOOKS_DIR
from pipeline.workspace.settings import NEEDED_TO_GENERATE
from pipeline.workspace.templates import SUBMISSION_TEMPLATE, ensure_template

SEND_LIST_HEADER = ("Mã đơn vị", "Tên đơn vị", "Email", "Tệp biểu mẫu", "Thư nháp",
                    "Chủ trì", "Phối hợp", "Địa phương", "Tổng số hoạt động")

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_LAST = "\x00LAST\x00"  # stands for the last data row until a workbook is filled; never valid XML text
_PLACEHOLDER = re.compile(r"\{((?:meta:)?[a-z_]+)\}")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ROW_ATTR = re.compile(r'(\w+)="([^"]*)"')


class NothingToGenerate(UsageError):
    """No agency has anything to report in the requested year."""


@dataclass(frozen=True)
class AgencyWorkbook:
    """One agency's workbook and e-mail draft, as written."""

    agency: Agency
    items: tuple[Assignment, ...]
    workbook: Path
    draft: Path

    def rows(self, role: Role) -> int:
        """How many activities the agency reports in `role`."""
        return sum(1 for i in self.items if i.role == role)


@dataclass(frozen=True)
class GenerateResult:
    """What a run wrote, removed and measured."""

    year: int
    folder: Path  # outbox/<year>
    template: Path
    template_created: bool
    workbooks: tuple[AgencyWorkbook, ...]
    send_list: Path
    removed: tuple[Path, ...]
    warnings: tuple[str, ...]
    setup_ms: float  # loading and preparing the master, once per run
    workbook_ms: float  # mean per workbook: fill, compress, write
    email_ms: float  # mean per e-mail draft

    @property
    def workbooks_dir(self) -> Path:
        return self.folder / WORKBOOKS_DIR

    @property
    def drafts_dir(self) -> Path:
        return self.folder / DRAFTS_DIR


# --- The prepared master as XML parts ----------------------------------------------------------


@dataclass(frozen=True)
class Base:
    """A prepared master split into zip parts, cut where each agency's workbook differs."""

    order: tuple[str, ...]
    static: dict[str, bytes]  # copied unchanged
    texts: dict[str, str]  # parts holding placeholders
    report_part: str
    report_head: str  # up to the model row; the dimension ends at _LAST
    report_tail: str  # after the model row; ranges on the model row reach _LAST
    row_attrs: str  # the model row's attributes other than its number and height
    cells: tuple[tuple[str, str], ...]  # (column letter, style attribute) of the model row's cells
    keys: dict[str, str]  # column letter -> column key
    widths: dict[str, float]  # column letter -> width
    min_height: float
    font_size: float


def _sheet_parts(raw: Mapping[str, bytes]) -> dict[str, str]:
    """Sheet name -> zip part of its XML, through workbook.xml and its relationships."""
    rels = ET.fromstring(raw["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
    book = ET.fromstring(raw["xl/workbook.xml"])
    out: dict[str, str] = {}
    for sheet in book.findall("m:sheets/m:sheet", _NS):
        target = targets[sheet.get(f"{{{_NS['r']}}}id")]
        out[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def _extend_ranges(tail: str) -> str:
    """Ranges on the model row only (validations, conditional formats) reach the last data row."""
    row = layout.FIRST_DATA_ROW

    def token(ref: str) -> str:
        m = re.fullmatch(rf"([A-Z]+){row}(?::([A-Z]+){row})?", ref)
        return f"{m.group(1)}{row}:{m.group(2) or m.group(1)}{_LAST}" if m else ref

    return re.sub(r'sqref="([^"]*)"', lambda m: 'sqref="' + " ".join(token(t) for t in m.group(1).split()) + '"', tail)


def _split_report(xml: str, where: str) -> tuple[str, str, str, tuple[tuple[str, str], ...], float]:
    """Head, tail, row attributes, cells and height of the model row in openpyxl's output."""
    row = layout.FIRST_DATA_ROW
    m = re.search(rf'<row r="{row}"([^>]*)>(.*?)</row>', xml, re.S)
    if m is None or m.group(1).endswith("/") or "<row " in m.group(2):
        raise TemplateError(f"trang “{layout.SHEET_REPORT}” của mẫu gốc không có dòng mẫu {row}", where)
    attrs = dict(_ROW_ATTR.findall(m.group(1)))
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items() if k not in ("r", "ht", "customHeight", "spans"))
    cells = tuple(re.findall(rf'<c r="([A-Z]+){row}"(?:[^>]*?( s="\d+"))?', m.group(2)))
    head = re.sub(r'<dimension ref="([A-Z]+\d+):([A-Z]+)\d+"/>', rf'<dimension ref="\1:\g<2>{_LAST}"/>',
                  xml[: m.start()])
    return head, _extend_ranges(xml[m.end():]), extra, cells, float(attrs.get("ht", 15))


def parse_base(data: bytes, prepared: PreparedMaster, where: str = "") -> Base:
    """Split one prepared master (saved by openpyxl) into the pieces `fill` needs."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        order = tuple(z.namelist())
        raw = {name: z.read(name) for name in order}
    sheets = _sheet_parts(raw)
    report = sheets[layout.SHEET_REPORT]
    text_names = {*sheets.values(), "xl/sharedStrings.xml", "docProps/custom.xml"} - {report}
    texts = {n: raw[n].decode("utf-8") for n in order if n in text_names}
    static = {n: raw[n] for n in order if n not in text_names and n != report}
    head, tail, attrs, cells, height = _split_report(raw[report].decode("utf-8"), where)
    keys = {get_column_letter(i): k for k, i in prepared.report_columns.items()}
    widths = {get_column_letter(i): w for i, w in prepared.widths.items()}
    return Base(order, static, texts, report, head, tail, attrs, cells, keys, widths,
                max(height, prepared.model_height), prepared.font_size)


# --- Filling one workbook ----------------------------------------------------------------------


def xml_text(value: str) -> str:
    """Text safe in XML element content and double- or single-quoted attributes."""
    return escape(_ILLEGAL_XML.sub("", value), {'"': "&quot;", "'": "&apos;"})


def escaped(values: Mapping[str, str]) -> dict[str, str]:
    """Placeholder values escaped for XML."""
    return {k: xml_text(v) for k, v in values.items()}


def _footer_safe(values: Mapping[str, str]) -> dict[str, str]:
    """In headers and footers '&' starts a code (&P); a literal one is written '&&'."""
    return {k: v.replace("&amp;", "&amp;&amp;") for k, v in values.items()}


def substitute_xml(xml: str, values: Mapping[str, str]) -> str:
    """Fill {placeholders} with already-escaped values; header/footer text gets '&' doubled."""
    def sub(text: str, table: Mapping[str, str]) -> str:
        return _PLACEHOLDER.sub(lambda m: table.get(m.group(1), m.group(0)), text)

    cut = xml.find("<headerFooter")
    if cut < 0:
        return sub(xml, values)
    return sub(xml[:cut], values) + sub(xml[cut:], _footer_safe(values))


def _cell_xml(ref: str, style: str, value: str | int | None) -> str:
    if value is None or value == "":
        return f'<c r="{ref}"{style}/>'
    if isinstance(value, int):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    text = xml_text(value)
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _row_xml(base: Base, r: int, values: Mapping[str, str | int]) -> str:
    """One activity row: the model row's cells and styles with the row's values."""
    cells: list[str] = []
    sizing: list[tuple[str, float]] = []
    for letter, style in base.cells:
        value = values.get(base.keys.get(letter, ""))
        cells.append(_cell_xml(f"{letter}{r}", style, value))
        if isinstance(value, str):
            sizing.append((value, base.widths.get(letter, 8.43)))
    height = max(base.min_height, row_height(sizing, base.font_size))
    return f'<row r="{r}" ht="{height}" customHeight="1"{base.row_attrs}>{"".join(cells)}</row>'


def fill(base: Base, values: Mapping[str, str], rows: Sequence[Mapping[str, str | int]],
         stamp: tuple[int, int, int, int, int, int]) -> bytes:
    """One agency's workbook: escaped placeholder `values`, one mapping per activity row."""
    first = layout.FIRST_DATA_ROW
    last = str(first + max(len(rows), 1) - 1)
    body = "".join(_row_xml(base, first + i, row) for i, row in enumerate(rows))
    report = substitute_xml(base.report_head, values) + body + substitute_xml(base.report_tail, values)
    parts = {name: substitute_xml(xml, values).encode("utf-8") for name, xml in base.texts.items()}
    parts[base.report_part] = report.replace(_LAST, last).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in base.order:
            z.writestr(zipfile.ZipInfo(name, stamp), parts.get(name) or base.static[name],
                       compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buf.getvalue()


# --- One run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """What is the same for every workbook of a run."""

    ws: Workspace
    year: int
    generated_at: dt.datetime
    values: dict[str, str] = field(default_factory=dict)  # escaped, run-wide


def run_values(ws: Workspace, year: int, generated_at: dt.datetime) -> dict[str, str]:
    """Run-wide placeholders and identity keys (not escaped)."""
    s = ws.settings
    return {
        "nam": str(year), "han_nop": s.deadline_for(year).strftime("%d/%m/%Y"),
        "lien_he": s.contact.name, "dien_thoai": s.contact.phone, "email_lien_he": s.contact.email,
        "ten_ke_hoach": ws.plan.title, "so_quyet_dinh": ws.plan.decision, "ngay_quyet_dinh": ws.plan.decision_date,
        "van_ban": ws.plan.terms.reference, "ten_muc": ws.plan.terms.item, "ubnd": s.committee,
        "co_quan_tong_hop": s.department, "tinh": s.province,
        "meta:template_version": layout.TEMPLATE_VERSION, "meta:plan_id": ws.plan.id, "meta:year": str(year),
        "meta:generated_at": generated_at.isoformat(timespec="seconds"),
    }


def workbook_name(agency: Agency, year: int) -> str:
    """'YTE_so-y-te_2015.xlsx'."""
    return f"{agency.code}_{ascii_slug(agency.short_name) or agency.code.lower()}_{year}.xlsx"


def agency_values(agency: Agency, items: Sequence[Assignment], filename: str) -> dict[str, str]:
    """Placeholders and identity keys that differ per agency (not escaped)."""
    pairs = [(i.activity.id, i.activity.content) for i in items]
    return {
        "don_vi": agency.name, "ten_ngan": agency.short_name, "ma_don_vi": agency.code, "ten_tep": filename,
        "meta:agency_code": agency.code, "meta:fingerprint": layout.fingerprint(pairs),
        "meta:activity_ids": ",".join(aid for aid, _ in pairs),
    }


def report_rows(ws: Workspace, items: Sequence[Assignment]) -> list[dict[str, str | int]]:
    """The locked context of each activity row, by column key."""
    return [{
        "stt": n, "activity_id": i.activity.id, "recommendations": i.activity.numbers_label,
        "content": i.activity.content, "role": i.role.label,
        "lead": "; ".join(ws.registry.get(code).short_name for code in i.activity.leads), "period": i.activity.period,
    } for n, i in enumerate(items, start=1)]


def _sizing_values(ws: Workspace, year: int, jobs: Mapping[str, Sequence[Assignment]]) -> dict[str, str]:
    """Run values plus the longest agency texts, so that prepared rows fit every agency."""
    values = {k: v for k, v in run_values(ws, year, dt.datetime.now()).items() if not k.startswith("meta:")}
    agencies = [ws.registry.get(code) for code in jobs]
    for key in AGENCY_PLACEHOLDERS:
        texts = [agency_values(a, (), workbook_name(a, year))[key] for a in agencies]
        values[key] = max(texts, key=len)
    return values


def template_path(ws: Workspace) -> Path:
    """The workspace's master template."""
    return ws.settings.templates_dir / SUBMISSION_TEMPLATE


def _check_folder(ws: Workspace, folder: Path) -> None:
    """Generation writes only to the outbox side; inbox/ holds what agencies sent and stays untouched."""
    inbox = ws.settings.inbox_dir.resolve()
    target = folder.resolve()
    if target == inbox or inbox in target.parents:
        raise UsageError(f"không được ghi biểu mẫu vào thư mục {ws.settings.inbox_dir} (nơi lưu tệp đơn vị gửi về)")


def _remove_stale(folder: Path, keep: set[str], suffix: str, year: int) -> list[Path]:
    """Remove earlier outputs of this year no longer produced, and temporary files left by a crash."""
    pattern = re.compile(rf"[A-Z][A-Z0-9_]*_[a-z0-9-]*_{year}\{suffix}")
    removed: list[Path] = []
    for path in sorted(folder.iterdir()):
        stale = pattern.fullmatch(path.name) is not None and path.name not in keep
        if path.is_file() and (stale or (path.name.startswith(".") and path.name.endswith(".tmp"))):
            path.unlink()
            removed.append(path)
    return removed


def _send_list(result: Sequence[AgencyWorkbook], folder: Path) -> bytes:
    """danh-sach-gui.csv: who gets which file, with rows per role (UTF-8 with BOM for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SEND_LIST_HEADER)
    for job in result:
        a = job.agency
        writer.writerow([a.code, a.name, a.email, job.workbook.relative_to(folder).as_posix(),
                         job.draft.relative_to(folder).as_posix(), job.rows(Role.LEAD), job.rows(Role.PARTNER),
                         job.rows(Role.LOCAL), len(job.items)])
    return out.getvalue().encode("utf-8-sig")


def _write_workbooks(run: _Run, bases: Mapping[bool, Base], jobs: Mapping[str, Sequence[Assignment]],
                     folder: Path) -> tuple[list[AgencyWorkbook], float]:
    """Fill and write every workbook; the mean milliseconds per workbook."""
    t = run.generated_at
    stamp = (t.year, t.month, t.day, t.hour, t.minute, t.second)
    written: list[AgencyWorkbook] = []
    started = time.perf_counter()
    for code, items in jobs.items():
        agency = run.ws.registry.get(code)
        name = workbook_name(agency, run.year)
        values = {**run.values, **escaped(agency_values(agency, items, name))}
        data = fill(bases[agency.is_local], values, report_rows(run.ws, items), stamp)
        path = folder / WORKBOOKS_DIR / name
        write_atomic(path, data)
        written.append(AgencyWorkbook(agency, tuple(items), path, folder / DRAFTS_DIR / f"{path.stem}.eml"))
    return written, (time.perf_counter() - started) * 1000 / max(len(written), 1)


def _write_drafts(run: _Run, written: Sequence[AgencyWorkbook]) -> float:
    """One .eml per workbook; the mean milliseconds per draft."""
    started = time.perf_counter()
    for job in written:
        msg = request_message(run.ws, run.year, job.agency, job.items, job.workbook, date=run.generated_at)
        write_eml(msg, job.draft)
    return (time.perf_counter() - started) * 1000 / max(len(written), 1)


def _missing_emails(written: Sequence[AgencyWorkbook]) -> list[str]:
    return [f"{w.agency.code} ({w.agency.short_name}) chưa có email trong danh mục cơ quan; thư nháp chưa có người nhận"
            for w in written if not w.agency.email.strip()]


def generate(ws: Workspace, year: int, out_dir: Path | None = None,
             only: Collection[str] | None = None) -> GenerateResult:
    """Write outbox/<year>/mau/*.xlsx, thu/*.eml and danh-sach-gui.csv (`out_dir` replaces outbox/<year>).

    `only` limits the workbooks to these agencies (laid out as in the full set: the same column
    widths and row heights), for a reminder that needs a blank form `generate` has not written.
    """
    ws.settings.require(NEEDED_TO_GENERATE, "tạo biểu mẫu và thư gửi các đơn vị")
    folder = out_dir or ws.settings.outbox(year)
    _check_folder(ws, folder)
    jobs = by_agency(ws.assignments(year))
    if not jobs:
        raise NothingToGenerate(f"năm {year} không có hoạt động nào của Kế hoạch đang thực hiện "
                                f"(giai đoạn {ws.plan.start_year}-{ws.plan.end_year}); không tạo biểu mẫu")
    started = time.perf_counter()
    template, created = ensure_template(ws.settings.templates_dir, SUBMISSION_TEMPLATE)
    prepared = prepare_master(template, _sizing_values(ws, year, jobs), year)
    bases = {False: parse_base(prepared.agency, prepared, str(template)),
             True: parse_base(prepared.local, prepared, str(template))}
    generated_at = dt.datetime.now().astimezone().replace(microsecond=0)
    run = _Run(ws, year, generated_at, escaped(run_values(ws, year, generated_at)))
    setup_ms = (time.perf_counter() - started) * 1000
    chosen = jobs if only is None else {code: items for code, items in jobs.items() if code in only}
    written, workbook_ms = _write_workbooks(run, bases, chosen, folder)
    email_ms = _write_drafts(run, written)
    send_list = folder / SEND_LIST
    write_atomic(send_list, _send_list(written, folder))
    removed = [*_remove_stale(folder / WORKBOOKS_DIR, {w.workbook.name for w in written}, ".xlsx", year),
               *_remove_stale(folder / DRAFTS_DIR, {w.draft.name for w in written}, ".eml", year)]
    notes = (*prepared.warnings, *_missing_emails(written))
    return GenerateResult(year, folder, template, created, tuple(written), send_list, tuple(removed), notes,
                          setup_ms, workbook_ms, email_ms)
