"""The default master submission workbook: layout, styles and instruction text with placeholders.

The officer may edit the committed master in Excel (wording, colours, widths); the generator
fills every agency's workbook from it. docs/template.md lists what is safe to edit.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.header_footer import HeaderFooterItem, _HeaderFooterPart as _Text
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from pipeline import layout
from pipeline.errors import BaocaoError, ConfigError

TEMPLATE_FILE = "submission_template.xlsx"
LAST_VALIDATED_ROW = 500  # "Hoạt động khác": validations reach this row so inserted rows keep them

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
    "so_quyet_dinh": "số quyết định ban hành Kế hoạch",
    "ngay_quyet_dinh": "ngày ban hành quyết định",
    "co_quan_tong_hop": "tên Sở tổng hợp báo cáo",
    "tinh": "tên tỉnh",
}
# Substituted per agency; the rest are the same for every workbook of a run.
AGENCY_PLACEHOLDERS = ("don_vi", "ten_ngan", "ma_don_vi", "ten_tep")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

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
    statuses = ", ".join(f"“{s}”" for s in layout.STATUSES)
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
        ("Hoạt động khác", "Các hoạt động vì trẻ em đơn vị đã làm ngoài Kế hoạch; có thể thêm dòng ở trang "
                           "Hoạt động khác nếu cần (chuột phải vào số thứ tự dòng, chọn Chèn)."),
        ("Đánh giá chung", "Nhận xét chung, tồn tại và nguyên nhân, đề xuất, phương hướng năm tới."),
        ("Số liệu", "Kinh phí ghi bằng triệu đồng (ví dụ 12,5 triệu đồng ghi là 12,5). Số đợt, số lượt ghi số "
                    "nguyên. Chỉ ghi số vào các cột số, không ghi chữ hay đơn vị."),
        ("Ngày tháng", "Ghi theo dạng dd/mm/yyyy, ví dụ 05/12/{nam}."),
        "TÌNH TRẠNG (CỘT 8)",
    ]
    rows += [
        (layout.STATUS_NOT_STARTED, "Trong năm chưa triển khai hoạt động."),
        (layout.STATUS_IN_PROGRESS, "Đã triển khai, còn tiếp tục."),
        (layout.STATUS_DONE, "Đã hoàn thành các nội dung của hoạt động trong năm."),
        (layout.STATUS_NOT_APPLICABLE, "Chỉ dành cho UBND cấp huyện: trên địa bàn không có hoạt động này trong năm."),
        ("Lưu ý", f"Các sở, ngành, đoàn thể chọn một trong {statuses}."),
        "Ý NGHĨA CÁC CỘT CỦA TRANG BÁO CÁO",
    ]
    rows += [(f"({i}) {c.label}", COLUMN_HELP[c.key]) for i, c in enumerate(layout.REPORT_COLUMNS, start=1)]
    return rows


COLUMN_HELP = {
    "stt": "Số thứ tự (Sở điền sẵn).",
    "activity_id": "Mã hoạt động trong Kế hoạch (Sở điền sẵn; không sửa).",
    "recommendations": "Số khuyến nghị của Ủy ban Quyền trẻ em Liên hợp quốc mà hoạt động thực hiện.",
    "content": "Nội dung hoạt động theo Kế hoạch.",
    "role": "Vai trò của đơn vị: Chủ trì, Phối hợp hoặc Địa phương (UBND cấp huyện).",
    "lead": "Cơ quan chủ trì hoạt động.",
    "period": "Thời gian thực hiện theo Kế hoạch.",
    "status": "Chọn trong danh sách: " + ", ".join(layout.DISTRICT_STATUSES) + " (chỉ UBND cấp huyện).",
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
    _title(ws, 2, "Kết quả thực hiện {ten_ke_hoach} (Quyết định số {so_quyet_dinh} ngày {ngay_quyet_dinh} "
                  "của UBND tỉnh {tinh})", 3, size=12, bold=False, italic=True,
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
    "phone": "Ví dụ: 0262 3 123 456",
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
    "role": "Chủ trì", "lead": "Sở …", "period": "2014-2020",
}


def _report(ws: Worksheet) -> None:
    """Sheet 'Báo cáo': titles, header, column numbers and the one styled model row."""
    columns = layout.REPORT_COLUMNS
    _widths(ws, columns, REPORT_WIDTHS)
    last = len(columns)
    _title(ws, 1, "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH NĂM {nam}", last, height=22)
    _title(ws, 2, "Đơn vị báo cáo: {don_vi}", last, size=12, height=20)
    _title(ws, 3, "Thực hiện {ten_ke_hoach} (Quyết định số {so_quyet_dinh} của UBND tỉnh {tinh}). "
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
    _table_validations(ws, columns, row, row, layout.STATUSES)
    ws.freeze_panes = f"C{layout.FIRST_DATA_ROW}"
    _protect(ws)
    _page(ws, landscape=True, title_rows=f"{layout.HEADER_ROW}:{layout.HEADER_ROW + 1}")


def _other(ws: Worksheet) -> None:
    """Sheet 'Hoạt động khác': free rows, not protected, validations reaching far below."""
    columns = layout.OTHER_COLUMNS
    _widths(ws, columns, OTHER_WIDTHS)
    last = len(columns)
    _title(ws, 1, "CÁC HOẠT ĐỘNG KHÁC VÌ TRẺ EM NGOÀI KẾ HOẠCH NĂM {nam}", last, height=22)
    _title(ws, 2, "Đơn vị báo cáo: {don_vi}", last, size=12, height=20)
    _title(ws, 3, "Ghi mỗi hoạt động một dòng; có thể thêm dòng nếu cần (chuột phải vào số thứ tự dòng, chọn Chèn).",
           last, size=11, bold=False, italic=True, height=18)
    _header(ws, columns, OTHER_WIDTHS)
    first = layout.FIRST_DATA_ROW
    for row in range(first, first + layout.OTHER_BLANK_ROWS):
        for index, column in enumerate(columns, start=1):
            _style_data_cell(cell_at(ws, row, index), column, locked=False)
    _table_validations(ws, columns, first, LAST_VALIDATED_ROW, layout.STATUSES)
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


class OutputError(BaocaoError):
    """An output file cannot be written (often: it is open in Excel on Windows)."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are shared with colleagues
        os.replace(tmp, path)
    except PermissionError:
        raise OutputError(f"không ghi được tệp {path}; tệp có đang mở trong Excel hoặc chương trình khác không? "
                          "Hãy đóng tệp rồi chạy lại.") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def init_template(path: Path) -> None:
    """Write the default master to `path` (replacing it atomically)."""
    buf = io.BytesIO()
    build_master().save(buf)
    write_atomic(path, buf.getvalue())


# --- Reading an (officer-edited) master and preparing it for one run -------------------------


class TemplateError(ConfigError):
    """The master template cannot be used; the officer must fix or re-create it."""


@dataclass(frozen=True)
class PreparedMaster:
    """The master with run-wide fixes applied, saved once per status list, plus what filling needs."""

    agency: bytes  # status dropdown without "Không phát sinh"
    district: bytes  # status dropdown with it
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


def _check(wb: Workbook, path: Path) -> dict[str, int]:
    """Sheets and header labels the reader relies on; the report columns by key."""
    missing = [n for n in layout.SHEETS if n not in wb.sheetnames]
    if missing:
        names = ", ".join(f"“{n}”" for n in missing)
        raise TemplateError(f"mẫu gốc thiếu trang tính {names} (không được đổi tên trang tính)", path)
    for sheet, columns in ((layout.SHEET_REPORT, layout.REPORT_COLUMNS), (layout.SHEET_OTHER, layout.OTHER_COLUMNS)):
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
    return header_columns(wb[layout.SHEET_REPORT], layout.REPORT_COLUMNS)


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
        status = status_validation(layout.STATUSES)
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
    if dv.error in (status_validation(layout.STATUSES).error, status_validation(layout.DISTRICT_STATUSES).error):
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
    props = wb.custom_doc_props  # type: ignore[attr-defined]
    for name in [p.name for p in props.props if p.name in layout.META_KEYS]:
        del props[name]
    for row, key in enumerate(layout.META_KEYS, start=1):
        set_text(cell_at(ws, row, 1), key)
        set_text(cell_at(ws, row, 2), f"{{meta:{key}}}")
        props.append(StringProperty(name=key, value=f"{{meta:{key}}}"))


def _image_data(wb: Workbook) -> list[tuple[Any, bytes]]:
    """The bytes of every image (a logo in the guide, say), read once."""
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
    columns = _check(wb, path)
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
    _set_statuses(status, layout.STATUSES)
    agency = _save(wb, images)
    _set_statuses(status, layout.DISTRICT_STATUSES)
    district = _save(wb, images)
    notes = tuple(f"mẫu gốc có chỗ giữ chỗ không biết: {u}" for u in unknown)
    return PreparedMaster(agency, district, columns, column_widths(report), float(height),
                          float(model.font.sz or 11), notes)
