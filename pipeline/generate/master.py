"""The master submission workbook, as the officer may have edited it, prepared once per run.

The default master ships in the package (`pipeline/templates/`); the officer's copy in the
workspace's `templates/` overrides it and may be edited in Excel (wording, colours, widths).
This module reads that copy, checks what the reader relies on, and fixes what is the same for
every agency of a run; the generator then fills each agency's workbook from the result.
docs/template.md lists what is safe to edit.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.packaging.custom import StringProperty
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.model import layout
from pipeline.model.errors import ConfigError
from pipeline.model.vocab import LOCAL_STATUS_CHOICES, STATUS_CHOICES


# Placeholders the generator substitutes in cell text (and validation messages).
PLACEHOLDERS = {
    "don_vi": "tên đầy đủ của đơn vị nhận biểu mẫu",
    "ten_ngan": "tên ngắn của đơn vị",
    "ma_don_vi": "mã đơn vị (theo danh mục cơ quan)",
    "ten_tep": "tên tệp biểu mẫu gửi đơn vị",
    "nam": "năm báo cáo",
    "han_nop": "hạn gửi báo cáo (dd/mm/yyyy)",
    "lien_he": "cán bộ đầu mối của Sở",
    "dien_thoai": "điện thoại của cán bộ đầu mối",
    "email_lien_he": "email của cán bộ đầu mối",
    "ten_ke_hoach": "tên Kế hoạch",
    "so_quyet_dinh": "số, ký hiệu văn bản ban hành Kế hoạch (quyết định hoặc chính kế hoạch)",
    "ngay_quyet_dinh": "ngày của văn bản đó",
    "van_ban": "văn bản ban hành Kế hoạch, đủ số và ngày (ví dụ “Kế hoạch số 45/KH-UBND ngày 12/3/2026”)",
    "ten_muc": "tên gọi các mục của phụ lục Kế hoạch (ví dụ “Nhiệm vụ”; tiêu đề cột “{ten_muc} số”)",
    "co_quan_tong_hop": "tên cơ quan tổng hợp báo cáo",
    "tinh": "tên tỉnh, thành phố",
    "ubnd": "UBND tỉnh, thành phố (ví dụ “UBND tỉnh Quảng Trị”)",
}
# Substituted per agency; the rest are the same for every workbook of a run.
AGENCY_PLACEHOLDERS = ("don_vi", "ten_ngan", "ma_don_vi", "ten_tep")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
DATA_SIZE = 12  # table cells of the default master
# The status dropdown: what agencies choose, and what local units choose.
STATUS_LABELS = tuple(s.label for s in STATUS_CHOICES)
LOCAL_STATUS_LABELS = tuple(s.label for s in LOCAL_STATUS_CHOICES)

def cell_at(ws: Worksheet, row: int, column: int) -> Cell:
    """The writable cell at (row, column); a merged cell's hidden part is a programming error."""
    cell = ws.cell(row, column)
    assert isinstance(cell, Cell), f"{ws.title}!{cell.coordinate} is inside a merged range"
    return cell


def set_text(cell: Cell, text: str) -> None:
    """Store `text` as text: openpyxl would turn a string starting with '=' into a formula."""
    cell.value = text
    cell.data_type = "s"


def text_lines(text: str, width: float, font_size: float = DATA_SIZE, bold: bool = False) -> int:
    """Lines a wrapped cell of `width` (Excel character units) needs: greedy word wrap."""
    # Vietnamese text in Times New Roman averages 0.41 em (0.44 bold) per character, i.e. 0.55 px
    # per point at 96 dpi; a little more is assumed so that rows rather end with spare space
    # than cut text off. A width unit is 7 px (the default font's digit) less 5 px of padding.
    char_px = font_size * (0.62 if bold else 0.58)
    capacity = max(1.0, (width * 7 - 5) / char_px)
    lines = 0
    for paragraph in text.split("\n"):
        used, lines = 0.0, lines + 1
        for word in paragraph.split():
            need = len(word) if used == 0 else used + 1 + len(word)
            if need <= capacity:
                used = need
            else:
                extra = int(len(word) // capacity)
                lines += 1 + extra if used else extra
                used = len(word) - extra * capacity
    return max(1, lines)


def row_height(cells: Iterable[tuple[str, float]], font_size: float = DATA_SIZE, bold: bool = False) -> float:
    """Row height in points fitting every (text, column width) pair, since Excel does not auto-fit on open."""
    lines = max((text_lines(t, w, font_size, bold) for t, w in cells if t), default=1)
    return round(lines * font_size * 1.32 + 4, 1)


def status_validation(values: tuple[str, ...]) -> DataValidation:
    """The status dropdown with Vietnamese prompt and error."""
    return DataValidation(
        type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
        showInputMessage=True, showErrorMessage=True, errorStyle="stop",
        promptTitle="Tình trạng", prompt="Chọn tình trạng thực hiện trong danh sách (bấm mũi tên bên phải ô).",
        errorTitle="Giá trị không hợp lệ", error="Chỉ chọn một giá trị có trong danh sách: " + ", ".join(values) + ".",
    )


def number_validation() -> DataValidation:
    """Numbers greater than or equal to 0, with Vietnamese prompt and error."""
    return DataValidation(
        type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
        showInputMessage=True, showErrorMessage=True, errorStyle="stop",
        promptTitle="Nhập số", prompt="Chỉ ghi số, không ghi chữ hay đơn vị. Kinh phí tính bằng triệu đồng.",
        errorTitle="Cần nhập số", error="Ô này chỉ nhận số lớn hơn hoặc bằng 0 (kinh phí tính bằng triệu đồng).",
    )


class TemplateError(ConfigError):
    """The master template cannot be used; the officer must fix or re-create it."""


@dataclass(frozen=True)
class PreparedMaster:
    """The master with run-wide fixes applied, saved once per status list, plus what filling needs."""

    agency: bytes  # status dropdown without "Không phát sinh"
    local: bytes  # status dropdown with it, for local units
    report_columns: dict[str, int]  # column key -> 1-based column index, found by header label
    widths: dict[int, float]  # column index -> width on "Báo cáo"
    model_height: float
    font_size: float
    warnings: tuple[str, ...]


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace known {placeholders}; unknown ones stay as written."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def load_master(path: Path) -> Workbook:
    """Open the master with openpyxl; TemplateError if it is not a readable .xlsx."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # extensions openpyxl drops, e.g. x14 validations
            return load_workbook(path)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError):
        raise TemplateError("không đọc được mẫu gốc; cần tệp .xlsx lưu bằng Excel hoặc LibreOffice "
                            "(chạy “baocao template init --force” để tạo lại mẫu mặc định)", path) from None


def header_columns(ws: Worksheet, columns: tuple[layout.Column, ...]) -> dict[str, int]:
    """Column index of each column key, found by its header label at HEADER_ROW."""
    found: dict[str, int] = {}
    for cell in ws[layout.HEADER_ROW]:
        for column in columns:
            if column.key not in found and cell.column is not None and column.matches(cell.value):
                found[column.key] = cell.column
    return found


def column_widths(ws: Worksheet) -> dict[int, float]:
    """Width of every column with one set, expanding Excel's grouped <col min max> entries."""
    widths: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        if dim.width and dim.min and dim.max:
            for index in range(dim.min, dim.max + 1):
                widths[index] = float(dim.width)
    return widths


def _check(wb: Workbook, path: Path, item: str) -> dict[str, int]:
    """Sheets and header labels the reader relies on; the report columns by key.

    The number column's header is "{ten_muc} số" in the default master and the plan's own
    word ("Khuyến nghị số") in a master written before plans had their own terms: both do.
    """
    missing = [n for n in layout.SHEETS if n not in wb.sheetnames]
    if missing:
        names = ", ".join(f"“{n}”" for n in missing)
        raise TemplateError(f"mẫu gốc thiếu trang tính {names} (không được đổi tên trang tính)", path)
    report_columns, other_columns = layout.report_columns(item), layout.other_columns(item)
    for sheet, columns in ((layout.SHEET_REPORT, report_columns), (layout.SHEET_OTHER, other_columns)):
        found = header_columns(wb[sheet], columns)
        lost = [c.label for c in columns if c.key not in found]
        if lost:
            labels = ", ".join(f"“{x}”" for x in lost)
            raise TemplateError(f"trang “{sheet}” của mẫu gốc thiếu cột {labels} ở dòng {layout.HEADER_ROW}", path)
    for sheet, fields in ((layout.SHEET_INFO, layout.INFO_FIELDS), (layout.SHEET_GENERAL, layout.GENERAL_FIELDS)):
        present = {layout.label_key(c.value) for c in wb[sheet]["B"] if isinstance(c.value, str)}
        lost = [label for _key, label in fields if layout.label_key(label) not in present]
        if lost:
            labels = ", ".join(f"“{x}”" for x in lost)
            raise TemplateError(f"trang “{sheet}” của mẫu gốc thiếu nhãn {labels} ở cột B", path)
    return header_columns(wb[layout.SHEET_REPORT], report_columns)


def _model_row(ws: Worksheet, path: Path) -> None:
    """Clear the model row's sample values; refuse content below it, drop formatting below it."""
    first = layout.FIRST_DATA_ROW
    for row in ws.iter_rows(min_row=first + 1):
        for cell in row:
            if cell.value not in (None, ""):
                raise TemplateError(f"trang “{layout.SHEET_REPORT}” của mẫu gốc có nội dung ở ô {cell.coordinate}, "
                                    f"dưới dòng mẫu {first}; hãy xóa", path)
    if ws.max_row > first:
        ws.delete_rows(first + 1, ws.max_row - first)
    for rng in [r for r in ws.merged_cells.ranges if r.max_row >= first]:
        ws.merged_cells.remove(rng)
    for index in [i for i in ws.row_dimensions if i > first]:
        del ws.row_dimensions[index]
    for cell in ws[first]:
        cell.value = None
    ws.print_area = None  # a fixed print area would cut off the generated rows


def _ensure_validations(ws: Worksheet, columns: dict[str, int]) -> DataValidation:
    """The status and numeric validations on the model row (added if the officer removed them)."""
    row = layout.FIRST_DATA_ROW
    existing = ws.data_validations.dataValidation

    def covering(ref: str) -> DataValidation | None:
        return next((dv for dv in existing if ref in dv.sqref), None)

    status_ref = f"{get_column_letter(columns['status'])}{row}"
    status = covering(status_ref)
    if status is None:
        status = status_validation(STATUS_LABELS)
        status.add(status_ref)
        ws.add_data_validation(status)
    numbers = number_validation()
    for column in layout.REPORT_COLUMNS:
        ref = f"{get_column_letter(columns[column.key])}{row}"
        if column.numeric and covering(ref) is None:
            numbers.add(ref)
    if numbers.sqref:
        ws.add_data_validation(numbers)
    return status


def _ensure_view(ws: Worksheet, freeze: str) -> None:
    """Frozen panes and repeated header rows, which a headless LibreOffice re-save of the master drops."""
    if ws.freeze_panes is None:
        ws.freeze_panes = freeze
    if not ws.print_title_rows:
        ws.print_title_rows = f"{layout.HEADER_ROW}:{layout.HEADER_ROW + 1}"


def _set_statuses(dv: DataValidation, values: tuple[str, ...]) -> None:
    """Point the status dropdown at `values`, keeping the officer's wording unless it is the default."""
    dv.formula1 = '"' + ",".join(values) + '"'
    if dv.error in (status_validation(STATUS_LABELS).error, status_validation(LOCAL_STATUS_LABELS).error):
        dv.error = status_validation(values).error


def _cell_width(ws: Worksheet, cell: Cell, widths: dict[int, float]) -> float:
    """Width available to a cell's text: its column, or all columns of its merged range."""
    first = last = int(cell.column)
    for rng in ws.merged_cells.ranges:
        if cell.coordinate in rng:
            first, last = rng.min_col, rng.max_col
    return sum(widths.get(i, 8.43) for i in range(first, last + 1))


def _fill_run_cells(ws: Worksheet, values: Mapping[str, str], year: int, unknown: list[str]) -> None:
    """Year cells become numbers; rows with placeholders grow to fit the substituted text."""
    widths = column_widths(ws)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell, MergedCell) or not isinstance(cell.value, str) or "{" not in cell.value:
                continue
            names = PLACEHOLDER.findall(cell.value)
            unknown += [f"{{{n}}} (trang “{ws.title}”, ô {cell.coordinate})" for n in names if n not in PLACEHOLDERS]
            if cell.value.strip() == "{nam}":
                cell.value = year
                continue
            if cell.alignment.wrap_text:
                _grow(ws, cell, substitute(cell.value, values), widths)


def _grow(ws: Worksheet, cell: Cell, text: str, widths: dict[int, float]) -> None:
    size = float(cell.font.sz or 11)
    need = row_height([(text, _cell_width(ws, cell, widths))], size, bool(cell.font.b))
    dim = ws.row_dimensions[int(cell.row)]
    if dim.height is None or dim.height < need:
        dim.height = need


def _meta_sheet(wb: Workbook) -> None:
    """The veryHidden identity sheet and custom properties, holding {meta:key} placeholders."""
    if layout.SHEET_META in wb.sheetnames:
        wb.remove(wb[layout.SHEET_META])
    ws = wb.create_sheet(layout.SHEET_META)
    ws.sheet_state = "veryHidden"
    props = wb.custom_doc_props  # type: ignore[attr-defined]  # in openpyxl, missing from its type stubs
    for name in [p.name for p in props.props if p.name in layout.META_KEYS]:
        del props[name]
    for row, key in enumerate(layout.META_KEYS, start=1):
        set_text(cell_at(ws, row, 1), key)
        set_text(cell_at(ws, row, 2), f"{{meta:{key}}}")
        props.append(StringProperty(name=key, value=f"{{meta:{key}}}"))


def _image_data(wb: Workbook) -> list[tuple[Any, bytes]]:
    """The bytes of every image (a logo in the guide, say), read once."""
    # openpyxl keeps a sheet's pictures in `_images` and offers no public way to read them back
    return [(img, img._data()) for ws in wb.worksheets for img in ws._images]  # type: ignore[attr-defined]


def _open_at_guide(wb: Workbook) -> None:
    """Workbooks open at the guide, with no other sheet selected: sheets saved while grouped
    would otherwise stay grouped, and typing on one would change them all."""
    wb.active = wb.sheetnames.index(layout.SHEET_GUIDE)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == layout.SHEET_GUIDE


def _save(wb: Workbook, images: list[tuple[Any, bytes]]) -> bytes:
    """The workbook as .xlsx bytes; openpyxl closes an image's source on saving, so give it a fresh one."""
    for img, data in images:
        img.ref = io.BytesIO(data)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def prepare_master(path: Path, values: Mapping[str, str], year: int) -> PreparedMaster:
    """Load the master once and fix what is the same for every agency of the run.

    `values` maps every placeholder to its text; agency placeholders should hold long samples,
    used only to size rows. Text placeholders stay in the output for the generator to fill.
    """
    wb = load_master(path)
    columns = _check(wb, path, values.get("ten_muc", "") or "Nhiệm vụ")
    report = wb[layout.SHEET_REPORT]
    _model_row(report, path)
    status = _ensure_validations(report, columns)
    _ensure_view(report, f"C{layout.FIRST_DATA_ROW}")
    _ensure_view(wb[layout.SHEET_OTHER], f"B{layout.FIRST_DATA_ROW}")
    unknown: list[str] = []
    for ws in wb.worksheets:
        if ws.title != layout.SHEET_META:
            _fill_run_cells(ws, values, year, unknown)
    _meta_sheet(wb)
    _open_at_guide(wb)
    model = report.cell(layout.FIRST_DATA_ROW, columns["content"])
    height = report.row_dimensions[layout.FIRST_DATA_ROW].height or 15.0
    images = _image_data(wb)
    _set_statuses(status, STATUS_LABELS)
    agency = _save(wb, images)
    _set_statuses(status, LOCAL_STATUS_LABELS)
    local = _save(wb, images)
    notes = tuple(f"mẫu gốc có chỗ giữ chỗ không biết: {u}" for u in unknown)
    return PreparedMaster(agency, local, columns, column_widths(report), float(height),
                          float(model.font.sz or 11), notes)
