"""Rebuild the two default templates shipped in the package: the master workbook and the Word report.

The runtime never builds a template: it copies the shipped files (`pipeline/templates/`) into a
workspace, and the officer edits those copies in Excel and Word. This script is how the shipped
files are authored reproducibly; run it after changing the layout contract, then commit them:

    .venv/bin/python scripts/build_templates.py

Neither template holds a department, province or plan wording: placeholders ({don_vi}, {nam},
{ten_ke_hoach} … in the workbook; {{ department_name }}, {{ plan_title }} … in the report) are
filled from the settings and the plan.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Length, Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.header_footer import HeaderFooterItem
from openpyxl.worksheet.header_footer import _HeaderFooterPart as _Text
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.generate.master import (  # noqa: E402
    LOCAL_STATUS_LABELS, PLACEHOLDER, STATUS_LABELS, cell_at, number_validation, row_height, set_text,
    status_validation,
)
from pipeline.model import layout  # noqa: E402
from pipeline.model.vocab import Status  # noqa: E402
from pipeline.outputs.word.render import COMPARISON_TABLE_CAPTION, TEXT_WIDTH  # noqa: E402
from pipeline.workspace.files import write_atomic  # noqa: E402
from pipeline.workspace.templates import REPORT_TEMPLATE, SUBMISSION_TEMPLATE  # noqa: E402

LAST_VALIDATED_ROW = 500  # "Hoạt động khác": validations reach this row so inserted rows keep them


# =========================================================================== the master workbook

FONT_NAME = "Times New Roman"
GREY = "E7E6E6"  # filled in by the department, locked
INPUT = "FFF2CC"  # filled in by the agency, unlocked
HEADER = "D9E1F2"
NUMBERS = "F2F2F2"
COUNT_FORMAT = "#,##0"
MONEY_FORMAT = "#,##0.0"
DATE_FORMAT = "dd/mm/yyyy"
MONEY_KEYS = ("money_state", "money_other")
DATA_SIZE = 12  # table cells; printed at about two thirds on one A4 landscape page width
HEADER_SIZE = 11

# Column widths of the master: narrower than layout's defaults so that the 16 columns of
# "Báo cáo" print one A4 landscape page wide at about 2/3 scale (layout's widths give 1/2).
REPORT_WIDTHS = {
    "stt": 5, "activity_id": 7, "recommendations": 9, "content": 32, "role": 11, "lead": 13, "period": 10,
    "status": 13, "result": 32, "events": 9, "people": 10, "money_state": 11, "money_other": 11,
    "difficulties": 18, "proposals": 18, "evidence": 15,
}
OTHER_WIDTHS = {
    "stt": 5, "content": 32, "recommendations": 10, "status": 13, "result": 32, "events": 9, "people": 10,
    "money_state": 11, "money_other": 11, "note": 18,
}

_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
WRAP_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
WRAP_LEFT = Alignment(wrap_text=True, vertical="top", horizontal="left")  # numbers too (the year)
MIDDLE_LEFT = Alignment(wrap_text=True, vertical="center", horizontal="left", indent=1)
CENTERED_KEYS = ("stt", "activity_id", "recommendations", "period")


def fill(colour: str) -> PatternFill:
    """A solid background fill."""
    return PatternFill(fill_type="solid", start_color=colour, end_color=colour)


def font(size: float = 11, bold: bool = False, italic: bool = False, colour: str | None = None) -> Font:
    """The workbook's font (Times New Roman, as in official documents)."""
    return Font(name=FONT_NAME, size=size, bold=bold, italic=italic, color=colour)


def _protect(ws: Worksheet) -> None:
    """Protect without a password; rows and columns may still be resized."""
    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.formatColumns = False
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False


def _page(ws: Worksheet, landscape: bool, title_rows: str | None = None) -> None:
    """A4, one page wide, page numbers in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.3
    # The footer needs its own space below the table: LibreOffice drops a footer whose
    # distance from the edge equals the bottom margin.
    ws.page_margins.top, ws.page_margins.bottom = 0.5, 0.6
    ws.page_margins.header, ws.page_margins.footer = 0.25, 0.25
    ws.print_options.horizontalCentered = True
    ws.oddFooter = HeaderFooterItem(center=_Text(text="Trang &P/&N", font=f"{FONT_NAME},Regular", size=10))
    if title_rows:
        ws.print_title_rows = title_rows


def _title(ws: Worksheet, row: int, text: str, last_col: int, size: float = 14, bold: bool = True,
           italic: bool = False, height: float | None = None, first_col: int = 1) -> None:
    """A merged, centred title line."""
    cell = cell_at(ws, row, first_col)
    set_text(cell, text)
    cell.font = font(size, bold=bold, italic=italic)
    cell.alignment = WRAP_CENTER
    ws.merge_cells(start_row=row, start_column=first_col, end_row=row, end_column=last_col)
    if height:
        ws.row_dimensions[row].height = height


def _widths(ws: Worksheet, columns: Iterable[layout.Column], widths: Mapping[str, float]) -> None:
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = widths.get(column.key, column.width)


def _header(ws: Worksheet, columns: tuple[layout.Column, ...], widths: Mapping[str, float]) -> None:
    """Header labels at HEADER_ROW and column numbers '(1)'… below them."""
    for index, column in enumerate(columns, start=1):
        head = cell_at(ws, layout.HEADER_ROW, index)
        set_text(head, column.label)
        head.font, head.alignment, head.border = font(HEADER_SIZE, bold=True), WRAP_CENTER, BORDER
        head.fill = fill(HEADER)
        number = cell_at(ws, layout.HEADER_ROW + 1, index)
        set_text(number, f"({index})")
        number.font, number.alignment, number.border = font(10, italic=True), WRAP_CENTER, BORDER
        number.fill = fill(NUMBERS)
    ws.row_dimensions[layout.HEADER_ROW].height = row_height(
        ((c.label, widths.get(c.key, c.width)) for c in columns), HEADER_SIZE, bold=True)
    ws.row_dimensions[layout.HEADER_ROW + 1].height = 16


def _style_data_cell(cell: Cell, column: layout.Column, locked: bool) -> None:
    """Style of one table cell: grey and locked, or light yellow input."""
    cell.font = font(DATA_SIZE)
    cell.border = BORDER
    cell.alignment = Alignment(wrap_text=True, vertical="top",
                               horizontal="center" if column.key in CENTERED_KEYS else None)
    cell.fill = fill(GREY if locked else INPUT)
    cell.protection = LOCKED if locked else UNLOCKED
    if column.numeric:
        cell.number_format = MONEY_FORMAT if column.key in MONEY_KEYS else COUNT_FORMAT


def _table_validations(ws: Worksheet, columns: tuple[layout.Column, ...], first: int, last: int,
                       statuses: tuple[str, ...]) -> None:
    """Status dropdown and numeric checks on rows first..last of a table sheet."""
    status = status_validation(statuses)
    numbers = number_validation()
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        if column.key == "status":
            status.add(f"{letter}{first}:{letter}{last}")
        elif column.numeric:
            numbers.add(f"{letter}{first}:{letter}{last}")
    ws.add_data_validation(status)
    ws.add_data_validation(numbers)


def _guide_rows() -> list[tuple[str, str] | str]:
    """The instruction lines: (label, text) pairs and section headings."""
    statuses = ", ".join(f"“{s}”" for s in STATUS_LABELS)
    rows: list[tuple[str, str] | str] = [
        ("Đơn vị báo cáo", "{don_vi}"),
        ("Năm báo cáo", "{nam}"),
        ("Hạn gửi", "Trước ngày {han_nop}."),
        ("Cách gửi", "Trả lời thư điện tử của {co_quan_tong_hop}, đính kèm tệp này sau khi điền; "
                     "giữ nguyên tên tệp {ten_tep}. Không cần gửi lại dưới dạng khác."),
        ("Liên hệ", "{lien_he}; điện thoại {dien_thoai}; email {email_lien_he}."),
        "CÁCH ĐIỀN",
        ("Quy định chung", "Không đổi tên trang tính, không sửa các ô màu xám (do Sở điền sẵn và đã khóa). "
                           "Chỉ điền vào các ô màu vàng nhạt."),
        ("Phần mềm", "Có thể điền bằng Microsoft Excel (kể cả bản cũ, lưu dạng .xls), LibreOffice hoặc WPS."),
        ("Chiều cao dòng", "Được kéo giãn chiều cao dòng, độ rộng cột cho dễ đọc. Nếu chữ bị che khuất, bấm đúp "
                           "vào đường kẻ dưới số thứ tự của dòng để dòng tự giãn vừa chữ."),
        ("Thông tin đơn vị", "Ghi người lập báo cáo, chức vụ, điện thoại, email, ngày báo cáo và thủ trưởng đơn vị."),
        ("Báo cáo", "Mỗi dòng là một hoạt động của Kế hoạch mà đơn vị chủ trì, phối hợp hoặc thực hiện tại "
                    "địa phương trong năm {nam}. Với mỗi dòng, điền từ cột (8) đến cột (16). "
                    "Không thêm, xóa hoặc đổi thứ tự các dòng ở trang này."),
        ("Hoạt động khác", "Các hoạt động đơn vị đã làm ngoài Kế hoạch, cùng mục tiêu; có thể thêm dòng ở trang "
                           "Hoạt động khác nếu cần (chuột phải vào số thứ tự dòng, chọn Chèn)."),
        ("Đánh giá chung", "Nhận xét chung, tồn tại và nguyên nhân, đề xuất, phương hướng năm tới."),
        ("Số liệu", "Kinh phí ghi bằng triệu đồng (ví dụ 12,5 triệu đồng ghi là 12,5). Số đợt, số lượt ghi số "
                    "nguyên. Chỉ ghi số vào các cột số, không ghi chữ hay đơn vị."),
        ("Ngày tháng", "Ghi theo dạng dd/mm/yyyy, ví dụ 05/12/{nam}."),
        "TÌNH TRẠNG (CỘT 8)",
    ]
    rows += [
        (Status.NOT_STARTED.label, "Trong năm chưa triển khai hoạt động."),
        (Status.IN_PROGRESS.label, "Đã triển khai, còn tiếp tục."),
        (Status.DONE.label, "Đã hoàn thành các nội dung của hoạt động trong năm."),
        (Status.NOT_APPLICABLE.label, "Chỉ dành cho UBND cấp huyện, cấp xã: trên địa bàn không có hoạt động này "
                                      "trong năm."),
        ("Lưu ý", f"Các sở, ngành, đoàn thể chọn một trong {statuses}."),
        "Ý NGHĨA CÁC CỘT CỦA TRANG BÁO CÁO",
    ]
    rows += [(f"({i}) {c.label}", COLUMN_HELP[c.key]) for i, c in enumerate(layout.REPORT_COLUMNS, start=1)]
    return rows


COLUMN_HELP = {
    "stt": "Số thứ tự (Sở điền sẵn).",
    "activity_id": "Mã hoạt động trong Kế hoạch (Sở điền sẵn; không sửa).",
    "recommendations": "{ten_muc} của Kế hoạch mà hoạt động thuộc về (Sở điền sẵn).",
    "content": "Nội dung hoạt động theo Kế hoạch.",
    "role": "Vai trò của đơn vị: Chủ trì, Phối hợp hoặc Địa phương (UBND cấp huyện, cấp xã).",
    "lead": "Cơ quan chủ trì hoạt động.",
    "period": "Thời gian thực hiện theo Kế hoạch.",
    "status": "Chọn trong danh sách: " + ", ".join(LOCAL_STATUS_LABELS) + " (chỉ UBND cấp huyện, cấp xã).",
    "result": "Tóm tắt việc đã làm và kết quả đạt được trong năm.",
    "events": "Số hoạt động, đợt, lớp, cuộc đã tổ chức (số nguyên).",
    "people": "Số lượt người tham gia hoặc được hưởng lợi (số nguyên).",
    "money_state": "Kinh phí từ ngân sách nhà nước, triệu đồng.",
    "money_other": "Kinh phí tài trợ, viện trợ, huy động, triệu đồng.",
    "difficulties": "Khó khăn, vướng mắc khi thực hiện (nếu có).",
    "proposals": "Đề xuất, kiến nghị (nếu có).",
    "evidence": "Số, ký hiệu, ngày văn bản chỉ đạo, báo cáo hoặc minh chứng (nếu có).",
}
GUIDE_WIDTHS = (2, 30, 95)


def _guide(ws: Worksheet) -> None:
    """Sheet 'Hướng dẫn': what to do, by when, whom to ask, what each column means."""
    for index, width in enumerate(GUIDE_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    _title(ws, 1, "HƯỚNG DẪN ĐIỀN BIỂU MẪU BÁO CÁO NĂM {nam}", 3, height=22)
    _title(ws, 2, "Kết quả thực hiện {ten_ke_hoach} ({van_ban} của {ubnd})", 3, size=12, bold=False, italic=True,
           height=row_height([("x" * 190, sum(GUIDE_WIDTHS))], 12))
    row = 4
    for item in _guide_rows():
        if isinstance(item, str):
            row += 1 if row > 4 else 0
            cell = cell_at(ws, row, 2)
            set_text(cell, item)
            cell.font = font(12, bold=True, colour="1F4E79")
        else:
            _guide_line(ws, row, *item)
        row += 1
    ws.sheet_view.showGridLines = False
    _protect(ws)
    _page(ws, landscape=False)


def _guide_line(ws: Worksheet, row: int, label: str, text: str) -> None:
    key, value = cell_at(ws, row, 2), cell_at(ws, row, 3)
    set_text(key, label)
    set_text(value, text)
    deadline = label == "Hạn gửi"
    key.font, value.font = font(12, bold=True), font(12, bold=deadline, colour="C00000" if deadline else None)
    key.alignment, value.alignment = WRAP_TOP, WRAP_LEFT
    sample = PLACEHOLDER.sub(lambda m: "x" * 40, text)
    ws.row_dimensions[row].height = max(row_height([(label, GUIDE_WIDTHS[1])], 12, bold=True),
                                        row_height([(sample, GUIDE_WIDTHS[2])], 12))


INFO_HINTS = {
    "reporter": "Họ và tên người lập",
    "phone": "Số máy bàn hoặc di động",
    "report_date": "Dạng dd/mm/yyyy",
    "head": "Họ tên, chức vụ người ký",
}
INFO_VALUES = {"agency_name": "{don_vi}", "agency_code": "{ma_don_vi}", "year": "{nam}"}
INFO_FIRST_ROW = 4


def _info(ws: Worksheet) -> None:
    """Sheet 'Thông tin đơn vị': label in B, value in C, a hint in D."""
    for letter, width in zip("ABCD", (2, 30, 55, 30)):
        ws.column_dimensions[letter].width = width
    _title(ws, 1, "THÔNG TIN ĐƠN VỊ BÁO CÁO", 4, height=22, first_col=2)
    _title(ws, 2, "Ô màu xám do Sở điền sẵn; đơn vị điền các ô màu vàng nhạt.", 4, size=11, bold=False,
           italic=True, first_col=2)
    for offset, (key, label) in enumerate(layout.INFO_FIELDS):
        row = INFO_FIRST_ROW + offset
        _info_row(ws, row, key, label)
    ws.sheet_view.showGridLines = False
    _protect(ws)
    _page(ws, landscape=False)


def _info_row(ws: Worksheet, row: int, key: str, label: str) -> None:
    locked = key in layout.INFO_LOCKED
    head, value, hint = cell_at(ws, row, 2), cell_at(ws, row, 3), cell_at(ws, row, 4)
    set_text(head, label)
    head.font, head.border, head.alignment = font(12, bold=True), BORDER, MIDDLE_LEFT
    if key in INFO_VALUES:
        set_text(value, INFO_VALUES[key])
    value.font, value.border, value.alignment = font(12, bold=locked), BORDER, MIDDLE_LEFT
    value.fill = fill(GREY if locked else INPUT)
    value.protection = LOCKED if locked else UNLOCKED
    if key == "phone":
        value.number_format = "@"  # keeps the leading 0 of phone numbers
    if key == "report_date":
        value.number_format = DATE_FORMAT
        ws.add_data_validation(_date_validation(value.coordinate))
    if key in INFO_HINTS:
        set_text(hint, INFO_HINTS[key])
        hint.font, hint.alignment = font(10, italic=True, colour="595959"), MIDDLE_LEFT
    ws.row_dimensions[row].height = 22  # grown for long agency names when a run is prepared


def _date_validation(ref: str) -> DataValidation:
    """A date between 2000 and 2100 (serial numbers, understood by every spreadsheet)."""
    dv = DataValidation(
        type="date", operator="between", formula1="36526", formula2="73415", allow_blank=True,
        showInputMessage=True, showErrorMessage=True, errorStyle="stop",
        promptTitle="Ngày báo cáo", prompt="Ghi ngày theo dạng dd/mm/yyyy, ví dụ 05/12/{nam}.",
        errorTitle="Ngày không hợp lệ", error="Hãy ghi một ngày có thật theo dạng dd/mm/yyyy.",
    )
    dv.add(ref)
    return dv


MODEL_SAMPLE: dict[str, str | int] = {
    "stt": 1, "activity_id": "HD00", "recommendations": "0",
    "content": "(Dòng mẫu) Định dạng của dòng này được chép cho từng hoạt động khi tạo biểu mẫu; "
               "nội dung do chương trình điền.",
    "role": "Chủ trì", "lead": "Sở …", "period": "…",
}


def _report(ws: Worksheet) -> None:
    """Sheet 'Báo cáo': titles, header, column numbers and the one styled model row."""
    columns = layout.REPORT_COLUMNS
    _widths(ws, columns, REPORT_WIDTHS)
    last = len(columns)
    _title(ws, 1, "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH NĂM {nam}", last, height=22)
    _title(ws, 2, "Đơn vị báo cáo: {don_vi}", last, size=12, height=20)
    _title(ws, 3, "Thực hiện {ten_ke_hoach} ({van_ban} của {ubnd}). "
                  "Cột (1) đến (7) do Sở điền sẵn (màu xám); đơn vị điền cột (8) đến (16) (màu vàng nhạt).",
           last, size=11, bold=False, italic=True, height=32)
    _header(ws, columns, REPORT_WIDTHS)
    row = layout.FIRST_DATA_ROW
    for index, column in enumerate(columns, start=1):
        cell = cell_at(ws, row, index)
        _style_data_cell(cell, column, column.locked)
        sample = MODEL_SAMPLE.get(column.key)
        if isinstance(sample, str):
            set_text(cell, sample)
        elif isinstance(sample, int):
            cell.value = sample
    ws.row_dimensions[row].height = 30
    _table_validations(ws, columns, row, row, STATUS_LABELS)
    ws.freeze_panes = f"C{layout.FIRST_DATA_ROW}"
    _protect(ws)
    _page(ws, landscape=True, title_rows=f"{layout.HEADER_ROW}:{layout.HEADER_ROW + 1}")


def _other(ws: Worksheet) -> None:
    """Sheet 'Hoạt động khác': free rows, not protected, validations reaching far below."""
    columns = layout.OTHER_COLUMNS
    _widths(ws, columns, OTHER_WIDTHS)
    last = len(columns)
    _title(ws, 1, "CÁC HOẠT ĐỘNG KHÁC NGOÀI KẾ HOẠCH NĂM {nam}", last, height=22)
    _title(ws, 2, "Đơn vị báo cáo: {don_vi}", last, size=12, height=20)
    _title(ws, 3, "Ghi mỗi hoạt động một dòng; có thể thêm dòng nếu cần (chuột phải vào số thứ tự dòng, chọn Chèn).",
           last, size=11, bold=False, italic=True, height=18)
    _header(ws, columns, OTHER_WIDTHS)
    first = layout.FIRST_DATA_ROW
    for row in range(first, first + layout.OTHER_BLANK_ROWS):
        for index, column in enumerate(columns, start=1):
            _style_data_cell(cell_at(ws, row, index), column, locked=False)
    _table_validations(ws, columns, first, LAST_VALIDATED_ROW, STATUS_LABELS)
    ws.freeze_panes = f"B{first}"
    _page(ws, landscape=True, title_rows=f"{layout.HEADER_ROW}:{layout.HEADER_ROW + 1}")


def _general(ws: Worksheet) -> None:
    """Sheet 'Đánh giá chung': a label in B, a big wrapped input cell in C."""
    for letter, width in zip("ABC", (2, 28, 100)):
        ws.column_dimensions[letter].width = width
    _title(ws, 1, "ĐÁNH GIÁ CHUNG KẾT QUẢ THỰC HIỆN KẾ HOẠCH NĂM {nam}", 3, height=22, first_col=2)
    _title(ws, 2, "Đơn vị báo cáo: {don_vi}", 3, size=12, height=20, first_col=2)
    for offset, (_key, label) in enumerate(layout.GENERAL_FIELDS):
        row = 4 + offset
        head, value = cell_at(ws, row, 2), cell_at(ws, row, 3)
        set_text(head, label)
        head.font, head.border, head.alignment = font(12, bold=True), BORDER, WRAP_TOP
        value.font, value.border, value.alignment, value.fill = font(12), BORDER, WRAP_TOP, fill(INPUT)
        value.protection = UNLOCKED
        ws.row_dimensions[row].height = 100
    ws.sheet_view.showGridLines = False
    _protect(ws)
    _page(ws, landscape=True)


def _meta(wb: Workbook) -> None:
    """The hidden identity sheet and the same keys as custom document properties."""
    ws = wb.create_sheet(layout.SHEET_META)
    ws.sheet_state = "veryHidden"
    for row, key in enumerate(layout.META_KEYS, start=1):
        set_text(cell_at(ws, row, 1), key)
        value = layout.TEMPLATE_VERSION if key == "template_version" else ""
        set_text(cell_at(ws, row, 2), value)
        wb.custom_doc_props.append(  # type: ignore[attr-defined]
            StringProperty(name=key, value=value or "-"))


def _default_font(wb: Workbook) -> None:
    """Make Times New Roman the workbook's default font: it also sets the column width unit,
    so widths look the same in Excel and in LibreOffice (which lacks Calibri)."""
    base = font(11)
    wb._fonts = IndexedList([base])  # type: ignore[attr-defined]
    normal = wb._named_styles["Normal"]  # type: ignore[attr-defined]
    normal.font = base
    normal.bind(wb)


def build_master() -> Workbook:
    """The default master workbook, in memory."""
    wb = Workbook()
    _default_font(wb)
    builders = {layout.SHEET_GUIDE: _guide, layout.SHEET_INFO: _info, layout.SHEET_REPORT: _report,
                layout.SHEET_OTHER: _other, layout.SHEET_GENERAL: _general}
    for sheet in list(wb.worksheets):
        wb.remove(sheet)
    for name in layout.SHEETS:
        builders[name](wb.create_sheet(name))
    _meta(wb)
    wb.active = 0
    wb.properties.creator = "baocao"
    wb.properties.title = "Biểu mẫu báo cáo kết quả thực hiện Kế hoạch"
    return wb




# =========================================================================== the Word report

WORD_FONT = "Times New Roman"
THEME_FONT_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")

# Caption Word shows as the table's alt-text; the renderer uses it to find the table whose
# column count depends on the data.
APPENDIX_TABLE_CAPTION = "Biểu tổng hợp kết quả thực hiện"

PAGE_WIDTH = Mm(210)
PAGE_HEIGHT = Mm(297)
MARGIN_TOP = Mm(20)
MARGIN_BOTTOM = Mm(20)
MARGIN_LEFT = Mm(30)
MARGIN_RIGHT = Mm(15)
FIRST_LINE_INDENT = Mm(12.7)

# The header block is wider than the text area so that "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
# (≈95 mm at 13 pt bold) stays on one line and the department name breaks after
# "THƯƠNG BINH" (≈69 mm) rather than in the middle of it.
HEADER_LEFT_WIDTH = Mm(72)
HEADER_RIGHT_WIDTH = Mm(98)
HEADER_TABLE_INDENT = Mm(-5)
# Signature table shares the right column's centre with the national motto block.
SIGN_LEFT_WIDTH = Length(TEXT_WIDTH - HEADER_RIGHT_WIDTH)
SIGN_RIGHT_WIDTH = HEADER_RIGHT_WIDTH

# Appendix columns on a landscape page (297 - 30 - 15 = 252 mm of text width).
APPENDIX_WIDTHS_MM = (12, 20, 65, 32, 22, 17, 17, 16, 18, 17, 16)

_PPR_ORDER = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
    "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs",
    "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap",
    "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
    "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)
_TBLPR_ORDER = (
    "w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
    "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd",
    "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
    "w:tblDescription", "w:tblPrChange",
)
_RPR_ORDER = (
    "w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps",
    "w:strike", "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof",
    "w:snapToGrid", "w:vanish", "w:webHidden", "w:color", "w:spacing", "w:w", "w:kern",
    "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd",
    "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
    "w:specVanish", "w:oMath",
)
_BORDER_SIDES = ("top", "left", "bottom", "right", "insideH", "insideV")


class R(NamedTuple):
    """One run of template text with its direct formatting."""

    text: str
    bold: bool | None = None
    italic: bool | None = None
    size: float | None = None


def build_default_template(path: Path) -> None:
    """Write the default editable report template (python-docx layout + docxtpl tags) to path."""
    path = Path(path)
    doc = Document()
    _configure_package(doc)
    _configure_styles(doc)
    section = doc.sections[0]
    _configure_page(section, landscape=False)
    _add_page_number_headers(section)
    # python-docx starts with one empty body paragraph only in some versions; start clean.
    for p in list(doc.paragraphs):
        p._p.getparent().remove(p._p)

    _add_header_block(doc)
    _add_title_block(doc)
    _add_body(doc)
    _add_signature_block(doc)
    _add_appendix(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    write_atomic(path, buffer.getvalue())


# --------------------------------------------------------------------------- package & styles


def _configure_package(doc: DocumentObject) -> None:
    """Set document properties and make theme fonts Times New Roman too."""
    props = doc.core_properties
    props.author = ""
    props.last_modified_by = ""
    props.title = "Báo cáo kết quả thực hiện Kế hoạch"
    props.language = "vi-VN"
    props.comments = ""
    package_rels = doc.part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            # python-docx ships a preview picture of its own blank sample document.
            package_rels.pop(rel_id)
    for rel_id, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            # Word 2010's shadow copy of styles.xml still names Calibri/Cambria theme fonts.
            doc.part.drop_rel(rel_id)
        elif rel.reltype.endswith("/theme"):
            theme = rel.target_part
            # Styles an officer adds later in Word default to the theme fonts, so point them
            # at Times New Roman as well.
            theme._blob = re.sub(
                rb'(<a:(?:major|minor)Font>\s*<a:latin typeface=")[^"]*(")',
                rb"\1Times New Roman\2",
                theme.blob,
            )


def _configure_styles(doc: DocumentObject) -> None:
    """Define Normal, headings and the custom BC styles, all in Times New Roman."""
    styles_el = doc.styles.element
    doc_defaults = styles_el.find(qn("w:docDefaults"))
    assert doc_defaults is not None
    rpr_default = doc_defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
    assert rpr_default is not None
    _set_rfonts(rpr_default)
    _set_rpr_val(rpr_default, "w:sz", "28")
    _set_rpr_val(rpr_default, "w:szCs", "28")
    lang = rpr_default.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        _insert_ordered(rpr_default, lang, _RPR_ORDER)
    # Vietnamese proofing in Word instead of English red squiggles on every word.
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "vi-VN")
    ppr_default = doc_defaults.find(qn("w:pPrDefault") + "/" + qn("w:pPr"))
    if ppr_default is not None:
        spacing = ppr_default.find(qn("w:spacing"))
        if spacing is not None:
            ppr_default.remove(spacing)

    normal = doc.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    _style_font(normal, size=14)
    fmt = normal.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent = FIRST_LINE_INDENT
    fmt.left_indent = Mm(0)
    fmt.right_indent = Mm(0)
    # Nghị định 30: at least 6 pt between paragraphs, lines single to 1.5
    fmt.space_before = Pt(6)
    fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.MULTIPLE
    fmt.line_spacing = 1.1
    fmt.widow_control = True

    for name, italic in (("Heading 1", False), ("Heading 2", False), ("Heading 3", True)):
        heading = doc.styles[name]
        assert isinstance(heading, ParagraphStyle)
        _style_font(heading, size=14, bold=True, italic=italic)
        heading.font.color.rgb = RGBColor(0, 0, 0)
        hfmt = heading.paragraph_format
        hfmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        hfmt.first_line_indent = FIRST_LINE_INDENT
        hfmt.space_before = Pt(6)
        hfmt.space_after = Pt(0)
        hfmt.line_spacing_rule = WD_LINE_SPACING.MULTIPLE
        hfmt.line_spacing = 1.15
        hfmt.keep_with_next = True

    for name in ("Header", "Footer"):
        hf = doc.styles[name]
        assert isinstance(hf, ParagraphStyle)
        _style_font(hf, size=13)
        _plain_block(hf, WD_ALIGN_PARAGRAPH.CENTER)

    _add_style(doc, "BC Header Block", size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    title = _add_style(doc, "BC Title", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    title.paragraph_format.keep_with_next = True
    rule = _add_style(doc, "BC Rule", size=2, align=WD_ALIGN_PARAGRAPH.CENTER)
    rule.paragraph_format.keep_with_next = True
    _add_style(doc, "BC Note", size=14, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    # Nghị định 30: the word "Phụ lục" on its own line, centred, 14 pt, upright, bold.
    appendix = _add_style(doc, "BC Appendix", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    appendix.paragraph_format.keep_with_next = True
    table_style = _add_style(doc, "BC Table", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    table_style.paragraph_format.space_before = Pt(2)
    table_style.paragraph_format.space_after = Pt(2)
    _add_style(doc, "BC Recipients", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _add_style(doc, "BC Signature", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    figure = _add_style(doc, "BC Figure", size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    figure.paragraph_format.space_before = Pt(6)
    figure.paragraph_format.space_after = Pt(6)
    figure.paragraph_format.keep_with_next = True

    # Linked character styles ("Heading 1 Char", ...) and unused built-ins carry theme fonts
    # too; an officer applying one in Word must still get Times New Roman.
    for rfonts in styles_el.iter(qn("w:rFonts")):
        _force_rfonts(rfonts)


def _add_style(
    doc: DocumentObject,
    name: str,
    *,
    size: float,
    bold: bool | None = None,
    italic: bool | None = None,
    align: WD_ALIGN_PARAGRAPH,
) -> ParagraphStyle:
    """Add a paragraph style based on Normal without its body indent and spacing."""
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    _style_font(style, size=size, bold=bold, italic=italic)
    _plain_block(style, align)
    return style


def _plain_block(style: ParagraphStyle, align: WD_ALIGN_PARAGRAPH) -> None:
    """Give a style single spacing, no paragraph gaps and no first-line indent."""
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.first_line_indent = Mm(0)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE


def _style_font(
    style: ParagraphStyle, *, size: float, bold: bool | None = None, italic: bool | None = None
) -> None:
    """Set Times New Roman (all four scripts), size and emphasis on a style."""
    font = style.font
    font.size = Pt(size)
    font.bold = bold
    font.italic = italic
    rpr = style.element.get_or_add_rPr()
    _set_rfonts(rpr)
    _set_rpr_val(rpr, "w:szCs", str(int(size * 2)))
    if bold is not None:
        _set_rpr_toggle(rpr, "w:bCs", bold)
    if italic is not None:
        _set_rpr_toggle(rpr, "w:iCs", italic)


def _set_rfonts(rpr: BaseOxmlElement) -> None:
    """Give an rPr an rFonts naming Times New Roman for every script."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        _insert_ordered(rpr, rfonts, _RPR_ORDER)
    _force_rfonts(rfonts)


def _force_rfonts(rfonts: BaseOxmlElement) -> None:
    """Drop theme font references (they override explicit names) and name Times New Roman."""
    for attr in THEME_FONT_ATTRS:
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), WORD_FONT)


def _set_rpr_val(rpr: BaseOxmlElement, tag: str, value: str) -> None:
    """Set a w:val child of an rPr, creating it in schema order."""
    el = rpr.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        _insert_ordered(rpr, el, _RPR_ORDER)
    el.set(qn("w:val"), value)


def _set_rpr_toggle(rpr: BaseOxmlElement, tag: str, on: bool) -> None:
    """Set an on/off rPr property explicitly."""
    _set_rpr_val(rpr, tag, "1" if on else "0")


def _insert_ordered(parent: BaseOxmlElement, child: BaseOxmlElement, order: Sequence[str]) -> None:
    """Replace any same-tag child and insert child where the schema sequence wants it."""
    prefixed = next(tag for tag in order if qn(tag) == child.tag)
    for old in parent.findall(child.tag):
        parent.remove(old)
    parent.insert_element_before(child, *order[order.index(prefixed) + 1 :])


# --------------------------------------------------------------------------- page setup


def _configure_page(section: Section, *, landscape: bool) -> None:
    """A4 with the decree's margins, portrait or landscape."""
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = PAGE_HEIGHT, PAGE_WIDTH
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin = MARGIN_TOP
    section.bottom_margin = MARGIN_BOTTOM
    section.left_margin = MARGIN_LEFT
    section.right_margin = MARGIN_RIGHT
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)


def _add_page_number_headers(section: Section) -> None:
    """Centred PAGE field at the top of every page but the first."""
    section.different_first_page_header_footer = True
    first = section.first_page_header
    first.is_linked_to_previous = False
    first.paragraphs[0].style = "Header"
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.style = "Header"
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _append_field(paragraph, "PAGE", placeholder="2")


def _append_field(paragraph: Paragraph, instruction: str, *, placeholder: str) -> None:
    """Append a complex field (begin / instrText / separate / result / end)."""

    def fld_char(kind: str) -> None:
        """Append one fldChar run."""
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(el)

    fld_char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    fld_char("separate")
    paragraph.add_run(placeholder)
    fld_char("end")


# --------------------------------------------------------------------------- small builders


def _par(
    container: DocumentObject | _Cell,
    style: str,
    *runs: R,
    align: WD_ALIGN_PARAGRAPH | None = None,
) -> Paragraph:
    """Add a paragraph made of runs; each Jinja tag must sit whole inside one R."""
    paragraph = _fresh_paragraph(container, style)
    if align is not None:
        paragraph.alignment = align
    for spec in runs:
        run = paragraph.add_run(spec.text)
        if spec.bold is not None:
            run.bold = spec.bold
        if spec.italic is not None:
            run.italic = spec.italic
        if spec.size is not None:
            run.font.size = Pt(spec.size)
    return paragraph


def _fresh_paragraph(container: DocumentObject | _Cell, style: str) -> Paragraph:
    """Reuse the unstyled placeholder paragraph a new cell starts with, else append one."""
    if isinstance(container, _Cell):
        paragraphs = container.paragraphs
        if len(paragraphs) == 1 and paragraphs[0]._p.pPr is None and not paragraphs[0].runs:
            paragraphs[0].style = style
            return paragraphs[0]
    return container.add_paragraph(style=style)


def _tag(container: DocumentObject | _Cell, tag: str) -> Paragraph:
    """Add a paragraph holding only a docxtpl paragraph-level tag ({%p ... %})."""
    return _par(container, "Normal", R(tag))


def _rule(container: DocumentObject | _Cell, *, line: Length, available: Length) -> Paragraph:
    """Add a short centred solid line: an empty tiny paragraph with a bottom border."""
    paragraph = _fresh_paragraph(container, "BC Rule")
    side = Length(max(0, (available - line) // 2))
    paragraph.paragraph_format.left_indent = side
    paragraph.paragraph_format.right_indent = side
    # A little air so the line reads as a rule, not as an underline of the text above.
    paragraph.paragraph_format.space_before = Pt(3)
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "6")
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "auto")
    borders.append(bottom)
    _insert_ordered(ppr, borders, _PPR_ORDER)
    return paragraph


def _new_table(
    doc: DocumentObject,
    rows: int,
    widths: Sequence[Length],
    *,
    borders: bool,
    caption: str | None = None,
    indent: Length | None = None,
    cell_margin: Length | None = None,
) -> Table:
    """Add a fixed-layout table with explicit column widths and explicit borders (or none)."""
    table = doc.add_table(rows=rows, cols=len(widths))
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER if indent is None else WD_TABLE_ALIGNMENT.LEFT
    tbl_pr = table._tbl.tblPr
    tbl_w = OxmlElement("w:tblW")
    tbl_w.set(qn("w:w"), str(sum(w.twips for w in widths)))
    tbl_w.set(qn("w:type"), "dxa")
    _insert_ordered(tbl_pr, tbl_w, _TBLPR_ORDER)
    if indent is not None:
        tbl_ind = OxmlElement("w:tblInd")
        tbl_ind.set(qn("w:w"), str(indent.twips))
        tbl_ind.set(qn("w:type"), "dxa")
        _insert_ordered(tbl_pr, tbl_ind, _TBLPR_ORDER)
    tbl_borders = OxmlElement("w:tblBorders")
    for side in _BORDER_SIDES:
        el = OxmlElement(f"w:{side}")
        if borders:
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), "4")
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "auto")
        else:
            el.set(qn("w:val"), "nil")
        tbl_borders.append(el)
    _insert_ordered(tbl_pr, tbl_borders, _TBLPR_ORDER)
    if cell_margin is not None:
        mar = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            el = OxmlElement(f"w:{side}")
            el.set(qn("w:w"), str(cell_margin.twips))
            el.set(qn("w:type"), "dxa")
            mar.append(el)
        _insert_ordered(tbl_pr, mar, _TBLPR_ORDER)
    if caption is not None:
        cap = OxmlElement("w:tblCaption")
        cap.set(qn("w:val"), caption)
        _insert_ordered(tbl_pr, cap, _TBLPR_ORDER)
    for index, width in enumerate(widths):
        table.columns[index].width = width
    for row in table.rows:
        for index, cell in enumerate(row.cells):
            cell.width = widths[index]
    return table


def _mark_row(table: Table, index: int, *, header: bool = False, cant_split: bool = True) -> None:
    """Flag a row as repeated header and/or unsplittable across pages."""
    tr_pr = table.rows[index]._tr.get_or_add_trPr()
    if cant_split:
        tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _cell_text(cell: _Cell, text: str, *, bold: bool = False, italic: bool = False,
               align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER,
               size: float | None = None) -> None:
    """Fill a table cell with one BC Table paragraph."""
    _par(cell, "BC Table", R(text, bold=bold or None, italic=italic or None, size=size), align=align)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _ensure_paragraphs(table: Table) -> None:
    """Give every w:tc (merged-away ones included) a paragraph: Word rejects empty cells."""
    for tc in table._tbl.iter(qn("w:tc")):
        if tc.find(qn("w:p")) is None:
            _Cell(tc, table).add_paragraph(style="BC Table")


# --------------------------------------------------------------------------- document parts


def _add_header_block(doc: DocumentObject) -> None:
    """Borderless 2×2 table: issuing body | national motto, then number | place and date."""
    widths = (HEADER_LEFT_WIDTH, HEADER_RIGHT_WIDTH)
    table = _new_table(doc, 2, widths, borders=False, indent=HEADER_TABLE_INDENT, cell_margin=Mm(0))
    left, right = table.rows[0].cells
    _par(left, "BC Header Block", R("{{ authority }}", bold=False))
    _par(left, "BC Header Block", R("{{ department }}", bold=True))
    _rule(left, line=Mm(26), available=HEADER_LEFT_WIDTH)
    _par(right, "BC Header Block", R("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True))
    _par(right, "BC Header Block", R("Độc lập - Tự do - Hạnh phúc", bold=True, size=14))
    _rule(right, line=Mm(61), available=HEADER_RIGHT_WIDTH)
    number_cell, date_cell = table.rows[1].cells
    number = _par(number_cell, "BC Header Block", R("{{ number_line }}"))
    date = _par(date_cell, "BC Header Block", R("{{ place_date }}", italic=True, size=14))
    for paragraph in (number, date):
        paragraph.paragraph_format.space_before = Pt(6)
    for cell in (*table.rows[0].cells, *table.rows[1].cells):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    _mark_row(table, 0)


def _add_title_block(doc: DocumentObject) -> None:
    """Document type, subject with its short line, and the addressee."""
    title = _par(doc, "BC Title", R("{{ title }}"))
    title.paragraph_format.space_before = Pt(24)
    _par(doc, "BC Title", R("{{ subject }}"))
    rule = _rule(doc, line=Mm(45), available=TEXT_WIDTH)
    rule.paragraph_format.keep_with_next = False
    kinh_gui = _par(doc, "BC Header Block", R("Kính gửi: {{ recipient.rstrip('.') }}.", size=14))
    kinh_gui.paragraph_format.space_before = Pt(12)
    kinh_gui.paragraph_format.space_after = Pt(12)


def _bullets(doc: DocumentObject, loop: str, line: str = "- {{ item }}") -> None:
    """A '- ...' paragraph per item of a list (nothing when it is empty)."""
    _tag(doc, f"{{%p for item in {loop} %}}")
    _par(doc, "Normal", R(line))
    _tag(doc, "{%p endfor %}")


def _opinions(doc: DocumentObject, key: str, lead_in: str) -> None:
    """Agencies' grouped statements: a lead-in, one '- ' line per group, and the count of the rest."""
    _tag(doc, f"{{%p if {key}.lines %}}")
    _par(doc, "Normal", R(lead_in))
    _bullets(doc, f"{key}.lines")
    _tag(doc, f"{{%p if {key}.more %}}")
    _par(doc, "Normal", R(f"{{{{ {key}.more }}}}"))
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endif %}")


def _add_body(doc: DocumentObject) -> None:
    """Key figures, then sections I to V with their Jinja loops and the closing sentence."""
    _par(doc, "Normal", R("{{ intro }}"))
    # Page 1: the year's key figures, which `baocao report --json` prints as `totals`.
    _par(doc, "Normal", R("Kết quả chủ yếu {{ years_label }}:", bold=True, italic=True))
    _bullets(doc, "key_figures")

    _par(doc, "Heading 1", R("I. CÔNG TÁC CHỈ ĐẠO, TRIỂN KHAI"))
    _bullets(doc, "direction", "{{ item }}")

    _par(doc, "Heading 1", R("II. KẾT QUẢ THỰC HIỆN"))
    _par(doc, "Heading 2", R("1. Kết quả thực hiện các hoạt động của Kế hoạch"))
    _par(doc, "Normal", R("{{ results_intro }}"))
    _tag(doc, "{%p for group in groups %}")
    _tag(doc, "{%p if group.title %}")
    _par(doc, "Heading 3", R("1.{{ loop.index }}. {{ group.title }}"))
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p for act in group.activities %}")
    _par(
        doc,
        "Normal",
        R("{% if act.label %}{{ act.label }}: {% endif %}", bold=True),
        R("{{ act.content }}.", italic=True),
        R(" {{ act.text }}"),
    )
    _bullets(doc, "act.details", "- {{ item }}")
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p else %}")
    _par(doc, "Normal", R("Chưa có hoạt động nào của Kế hoạch được các cơ quan, đơn vị báo cáo."))
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p if charts %}")
    _par(doc, "Normal", R(
        "Tiến độ, kinh phí và số lượt người tham gia theo từng {{ charts[0].axis|lower }} được thể hiện tại "
        "Biểu đồ 1{% if charts|length > 1 %} và Biểu đồ 2{% endif %} dưới đây."
    ))
    _tag(doc, "{%p for chart in charts %}")
    _par(doc, "BC Figure", R("{{ chart.marker }}"))
    _par(doc, "BC Note", R("Biểu đồ {{ loop.index }}. {{ chart.title }}", size=12))
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endif %}")

    _par(doc, "Heading 2", R("2. Các hoạt động ngoài Kế hoạch"))
    _tag(doc, "{%p if other_activities %}")
    _par(doc, "Normal", R("{{ other_activities.text }}{% if other_activities.lines %} Tiêu biểu:{% endif %}"))
    _bullets(doc, "other_activities.lines")
    _tag(doc, "{%p if other_activities.rest %}")
    _par(doc, "Normal", R("{{ other_activities.rest }}"))
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p else %}")
    _par(doc, "Normal", R("Các cơ quan, đơn vị không báo cáo hoạt động nào ngoài Kế hoạch."))
    _tag(doc, "{%p endif %}")

    _tag(doc, "{%p if comparison %}")
    _par(doc, "Heading 2", R("3. {{ comparison.title }}"))
    _add_comparison_table(doc)
    _bullets(doc, "comparison.status_changes", "{{ item }}")
    _tag(doc, "{%p endif %}")

    _par(doc, "Heading 1", R("III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN"))
    _par(doc, "Heading 2", R("1. Tồn tại, hạn chế"))
    _bullets(doc, "shortcomings")
    _par(doc, "Heading 2", R("2. Nguyên nhân"))
    _opinions(doc, "causes", "Theo báo cáo của các cơ quan, đơn vị{{ data_years }}, khó khăn, vướng mắc và nguyên nhân "
                             "chủ yếu là:")
    _tag(doc, "{%p if not causes.lines %}")
    _par(doc, "Normal", R("Các cơ quan, đơn vị không nêu khó khăn, vướng mắc."))
    _tag(doc, "{%p endif %}")

    _par(doc, "Heading 1", R(
        "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ "
        "{% if is_period_review %}GIAI ĐOẠN TIẾP THEO{% else %}NĂM TỚI{% endif %}"
    ))
    _bullets(doc, "directions.own")
    _opinions(doc, "directions", "Các cơ quan, đơn vị đề ra phương hướng{{ data_years }}:")
    _opinions(doc, "proposals_to_department", "Các cơ quan, đơn vị đề nghị {{ department_name }}{{ data_years }}:")

    _par(doc, "Heading 1", R("V. ĐỀ XUẤT, KIẾN NGHỊ"))
    _bullets(doc, "own_proposals")
    _opinions(doc, "proposals", "Các cơ quan, đơn vị kiến nghị{{ data_years }}:")
    _tag(doc, "{%p if not own_proposals and not proposals.lines %}")
    _par(doc, "Normal", R("Không có."))
    _tag(doc, "{%p endif %}")

    _par(doc, "Normal", R(
        "Trên đây là báo cáo kết quả thực hiện {{ plan_period|default(plan_title ~ ' ' ~ year_label) }} "
        "(kèm theo Phụ lục biểu tổng hợp), "
        "{{ department_name }} kính báo cáo {{ recipient.rstrip('.') }} xem xét, chỉ đạo./."
    ))


def _add_comparison_table(doc: DocumentObject) -> None:
    """Indicators × years; year columns come from {%tc %} loops, widths are fixed at render time."""
    widths = (Mm(60), Mm(8), Mm(25), Mm(8))
    table = _new_table(doc, 4, widths, borders=True, caption=COMPARISON_TABLE_CAPTION)
    head = table.rows[0].cells
    # 12 pt: the table sits among 14 pt body text, so the appendix's 11 pt would look cramped.
    _cell_text(head[0], "Chỉ tiêu", bold=True, size=12)
    _cell_text(head[1], "{%tc for year in comparison.years %}")
    _cell_text(head[2], "{{ year }}", bold=True, size=12)
    _cell_text(head[3], "{%tc endfor %}")
    _cell_text(table.rows[1].cells[0], "{%tr for row in comparison.rows %}")
    body = table.rows[2].cells
    _cell_text(body[0], "{{ row.label }}", align=WD_ALIGN_PARAGRAPH.LEFT, size=12)
    # row.values would be dict.values in Jinja, hence the subscript.
    _cell_text(body[1], "{%tc for value in row['values'] %}")
    _cell_text(body[2], "{{ value }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    _cell_text(body[3], "{%tc endfor %}")
    _cell_text(table.rows[3].cells[0], "{%tr endfor %}")
    _ensure_paragraphs(table)
    _mark_row(table, 0, header=True)
    _mark_row(table, 2)


def _add_signature_block(doc: DocumentObject) -> None:
    """Borderless table: 'Nơi nhận' list on the left, signature block on the right."""
    spacer = _par(doc, "BC Rule")
    spacer.paragraph_format.keep_with_next = True
    spacer.paragraph_format.space_before = Pt(12)
    table = _new_table(doc, 1, (SIGN_LEFT_WIDTH, SIGN_RIGHT_WIDTH), borders=False, indent=Mm(0),
                       cell_margin=Mm(0))
    left, right = table.rows[0].cells
    _par(left, "BC Recipients", R("Nơi nhận:", bold=True, italic=True, size=12))
    _tag(left, "{%p for recipient_line in recipients %}")
    _par(left, "BC Recipients", R("- {{ recipient_line }}"))
    _tag(left, "{%p endfor %}")
    _tag(right, "{%p if signer.authority %}")
    _par(right, "BC Signature", R("{{ signer.authority|upper }}"))
    _tag(right, "{%p endif %}")
    _par(right, "BC Signature", R("{{ signer.title|upper }}"))
    for _ in range(4):
        _par(right, "BC Signature")
    _par(right, "BC Signature", R("{{ signer.name }}"))
    for cell in (left, right):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    _mark_row(table, 0)


def _add_appendix(doc: DocumentObject) -> None:
    """Landscape appendix numbered from 1 of its own: "Phụ lục", its title, the summary table."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _configure_page(section, landscape=True)
    # Nghị định 30: an appendix's pages are numbered separately, from 1, the first page unnumbered.
    section.different_first_page_header_footer = True
    pg = OxmlElement("w:pgNumType")
    pg.set(qn("w:start"), "1")
    section._sectPr.append(pg)
    # The section-break paragraph python-docx leaves behind must not spill onto a blank page.
    break_paragraph = doc.paragraphs[-1]
    break_paragraph.style = "BC Rule"
    break_paragraph.paragraph_format.keep_with_next = False

    _par(doc, "BC Appendix", R("Phụ lục"))
    _par(doc, "BC Title", R(
        "BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN {{ plan_period|default(plan_title ~ ' ' ~ year_label)|upper }}"
    ))
    note = _par(doc, "BC Note", R(
        "(Kèm theo Báo cáo số{{ number_line.split(':', 1)[-1] }} "
        "{{ place_date.split(', ', 1)[-1] }} của {{ department_name }})"
    ))
    note.paragraph_format.space_after = Pt(12)

    widths = [Mm(w) for w in APPENDIX_WIDTHS_MM]
    table = _new_table(doc, 9, widths, borders=True, caption=APPENDIX_TABLE_CAPTION)
    labels = (
        "STT", "{{ number_label|default('Số', true) }}", "Nội dung hoạt động", "Cơ quan chủ trì",
        "{{ appendix_status_label }}", "Cơ quan phối hợp đã triển khai", "Địa phương đã triển khai",
        "Số hoạt động/ đợt", "Số lượt người tham gia", "Kinh phí (triệu đồng)", None,
    )
    top, sub = table.rows[0].cells, table.rows[1].cells
    for index, label in enumerate(labels):
        if label is None:
            continue
        if index == 9:
            merged = top[9].merge(top[10])
            _cell_text(merged, label, bold=True)
            _cell_text(sub[9], "Ngân sách nhà nước", bold=True)
            _cell_text(sub[10], "Nguồn khác", bold=True)
        else:
            merged = top[index].merge(sub[index])
            _cell_text(merged, label, bold=True)
    _mark_row(table, 0, header=True)
    _mark_row(table, 1, header=True)

    _cell_text(table.rows[2].cells[0], "{%tr for r in appendix_rows %}")
    data = table.rows[3].cells
    fields = ("stt", "recommendations", "content", "lead", "status", "reporters", "locals", "events", "people",
              "money_state", "money_other")
    left_aligned = {"content", "lead"}
    right_aligned = {"events", "people", "money_state", "money_other"}
    for cell, field in zip(data, fields):
        align = (WD_ALIGN_PARAGRAPH.LEFT if field in left_aligned
                 else WD_ALIGN_PARAGRAPH.RIGHT if field in right_aligned
                 else WD_ALIGN_PARAGRAPH.CENTER)
        _cell_text(cell, f"{{{{ r.{field} }}}}", align=align)
    _mark_row(table, 3)
    _cell_text(table.rows[4].cells[0], "{%tr endfor %}")

    _cell_text(table.rows[5].cells[0], "{%tr if not appendix_rows %}")
    empty = table.rows[6].cells[0].merge(table.rows[6].cells[10])
    _cell_text(empty, "Không có hoạt động nào được báo cáo.", italic=True)
    _cell_text(table.rows[7].cells[0], "{%tr endif %}")

    totals = table.rows[8].cells
    label_cell = totals[0].merge(totals[6])
    _cell_text(label_cell, "Tổng cộng", bold=True)
    for index, key in zip(range(7, 11), ("events", "people", "money_state", "money_other")):
        _cell_text(totals[index], f"{{{{ appendix_totals.{key} }}}}", bold=True,
                   align=WD_ALIGN_PARAGRAPH.RIGHT)
    _mark_row(table, 8)
    _ensure_paragraphs(table)
    note = _par(doc, "BC Note", R(
        "Cơ quan phối hợp, địa phương đã triển khai: số đơn vị báo cáo “Đang thực hiện” hoặc “Đã hoàn thành” "
        "trên số đơn vị được giao{% if is_period_review %} (mỗi đơn vị tính một lần trong giai đoạn){% endif %}.",
        size=11))
    note.paragraph_format.space_before = Pt(6)


def write_master(path: Path) -> None:
    """Write the default master workbook to `path`."""
    buffer = io.BytesIO()
    build_master().save(buffer)
    write_atomic(path, buffer.getvalue())


def main() -> None:
    folder = ROOT / "pipeline" / "templates"
    write_master(folder / SUBMISSION_TEMPLATE)
    build_default_template(folder / REPORT_TEMPLATE)
    print(f"Wrote {folder / SUBMISSION_TEMPLATE} and {folder / REPORT_TEMPLATE}")


if __name__ == "__main__":
    main()
