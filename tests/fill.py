"""Fill generated workbooks the way agencies do: for the sample inbox, tests and benchmarks."""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass
from typing import Any

from pipeline.model.layout import (GENERAL_FIELDS, INFO_FIELDS, OTHER_COLUMNS, REPORT_COLUMNS, SHEET_GENERAL, SHEET_INFO, SHEET_OTHER, SHEET_REPORT, label_key)
from pipeline.model.vocab import Status

STATUS_DONE, STATUS_IN_PROGRESS = Status.DONE.label, Status.IN_PROGRESS.label
STATUS_NOT_STARTED, STATUS_NOT_APPLICABLE = Status.NOT_STARTED.label, Status.NOT_APPLICABLE.label

PEOPLE = ("Nguyễn Thị Lan", "Trần Văn Hùng", "Lê Thị Mai", "Phạm Minh Tuấn", "H'Zen Niê", "Y Blăk Êban",
          "Võ Thị Thu Hà", "Đặng Quốc Bảo", "Hoàng Thị Ngọc", "Bùi Văn Thắng", "Đinh Thị Hoa", "Ama Khiêm")
POSITIONS = ("Chuyên viên", "Phó Trưởng phòng", "Trưởng phòng", "Chuyên viên chính")
HEADS = ("Nguyễn Văn Bình", "Trần Thị Hương", "Lê Quang Vinh", "Y Ngông Niê Kdăm", "Phạm Thị Thanh")
RESULTS = (
    "Tổ chức {n} lớp tập huấn cho cán bộ làm công tác trẻ em cấp xã với {p} lượt người tham gia.",
    "Phối hợp tuyên truyền trên sóng phát thanh, truyền hình và tại {n} buổi sinh hoạt cộng đồng, thu hút {p} "
    "lượt người dân và trẻ em.",
    "Rà soát, ban hành {n} văn bản hướng dẫn; kiểm tra tại {n} cơ sở, kịp thời chấn chỉnh các tồn tại.",
    "Khảo sát, lập danh sách theo dõi trẻ em có hoàn cảnh đặc biệt tại {n} xã, phường; hỗ trợ {p} trẻ em.",
    "Lồng ghép nội dung quyền trẻ em vào {n} chương trình, đề án của ngành; {p} lượt học sinh, giáo viên được "
    "phổ biến.",
    "Tổ chức {n} đợt truyền thông bằng tiếng Ê Đê, M'nông tại các buôn, thôn vùng đồng bào dân tộc thiểu số.",
)
DIFFICULTIES = (
    "Kinh phí bố trí cho công tác trẻ em còn hạn chế, chủ yếu lồng ghép từ các chương trình khác.",
    "Đội ngũ cán bộ làm công tác trẻ em cấp xã thường xuyên thay đổi, kiêm nhiệm nhiều việc.",
    "Địa bàn rộng, giao thông đi lại khó khăn, nhất là vào mùa mưa.",
    "Nhận thức của một bộ phận người dân về quyền trẻ em còn hạn chế.",
)
PROPOSALS = (
    "Đề nghị UBND tỉnh bố trí kinh phí riêng cho việc thực hiện Kế hoạch.",
    "Đề nghị Sở LĐTBXH tổ chức tập huấn nghiệp vụ cho cán bộ cấp huyện, xã.",
    "Đề nghị tăng cường phối hợp liên ngành trong phát hiện, can thiệp các vụ việc xâm hại trẻ em.",
)
DIRECTIONS = (
    "Tiếp tục triển khai các hoạt động theo Kế hoạch; tăng cường truyền thông về quyền trẻ em.",
    "Kiện toàn mạng lưới cộng tác viên, nâng cao năng lực cán bộ làm công tác trẻ em cơ sở.",
)
OTHERS = (
    "Tổ chức Tháng hành động vì trẻ em và Tết Trung thu cho trẻ em có hoàn cảnh khó khăn.",
    "Trao học bổng cho học sinh nghèo vượt khó.",
    "Xây dựng mô hình ngôi nhà an toàn phòng chống tai nạn thương tích trẻ em.",
)


@dataclass(frozen=True)
class Fill:
    """How one agency fills its workbook."""

    year: int
    report_date: dt.date
    seed: int
    quality: str = "clean"  # "clean" | "errors" | "messy" | "empty"
    progress: float = 0.5  # 0..1: how far the activities have come this year


def _columns(sheet: Any, columns: tuple[Any, ...], header_row: int = 4) -> dict[str, int]:
    cols = {}
    for cell in sheet[header_row]:
        for column in columns:
            if isinstance(cell.value, str) and label_key(cell.value) in column.keys:
                cols[column.key] = cell.column
    return cols


def _label_cells(sheet: Any, fields: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    wanted = {label_key(label): key for key, label in fields}
    out = {}
    for row in sheet.iter_rows(max_col=4):
        for cell in row:
            if isinstance(cell.value, str) and label_key(cell.value) in wanted:
                out[wanted[label_key(cell.value)]] = sheet.cell(cell.row, cell.column + 1)
    return out


def _set(cell: Any, value: Any) -> None:
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def fill_workbook(data: bytes, how: Fill) -> bytes:
    """Return the workbook `data` filled in as an agency would."""
    import openpyxl

    rng = random.Random(how.seed)
    book = openpyxl.load_workbook(io.BytesIO(data))
    info = _label_cells(book[SHEET_INFO], INFO_FIELDS)
    if how.quality != "empty":
        _set(info["reporter"], rng.choice(PEOPLE))
        _set(info["position"], rng.choice(POSITIONS))
        _set(info["phone"], f"0262 38{rng.randint(10000, 99999)}")
        _set(info["email"], f"vanthu{rng.randint(1, 99)}@daklak.example")
        info["report_date"].value = how.report_date
        _set(info["head"], rng.choice(HEADS))
    sheet = book[SHEET_REPORT]
    cols = _columns(sheet, REPORT_COLUMNS)
    row = 6
    while sheet.cell(row, cols["activity_id"]).value:
        if how.quality != "empty":
            _fill_row(sheet, row, cols, rng, how)
        row += 1
    if how.quality == "errors":
        _inject_errors(sheet, cols, rng, row)
    if how.quality != "empty":
        general = _label_cells(book[SHEET_GENERAL], GENERAL_FIELDS)
        _set(general["assessment"], f"Năm {how.year}, đơn vị đã chủ động triển khai các nhiệm vụ được giao; các hoạt "
                                    "động cơ bản đạt yêu cầu đề ra, quyền của trẻ em được quan tâm bảo đảm.")
        _set(general["difficulties"], rng.choice(DIFFICULTIES))
        _set(general["proposals"], rng.choice(PROPOSALS))
        _set(general["directions"], rng.choice(DIRECTIONS))
        if rng.random() < 0.4:
            other = book[SHEET_OTHER]
            ocols = _columns(other, OTHER_COLUMNS)
            _set(other.cell(6, ocols["content"]), rng.choice(OTHERS))
            _set(other.cell(6, ocols["status"]), STATUS_DONE)
            _set(other.cell(6, ocols["result"]), f"Tổ chức tại {rng.randint(2, 12)} địa điểm, tặng "
                                                 f"{rng.randint(50, 400)} suất quà.")
            other.cell(6, ocols["events"]).value = rng.randint(1, 12)
            other.cell(6, ocols["people"]).value = rng.randint(50, 2000)
            other.cell(6, ocols["money_other"]).value = round(rng.uniform(5, 120), 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill_row(sheet: Any, row: int, cols: dict[str, int], rng: random.Random, how: Fill) -> None:
    role = sheet.cell(row, cols["role"]).value
    roll = rng.random()
    if role == "Địa phương" and roll < 0.25:
        _set(sheet.cell(row, cols["status"]), STATUS_NOT_APPLICABLE)
        return
    if role == "Phối hợp" and roll < 0.3:
        return  # partners often leave rows they did nothing for
    done = rng.random() < how.progress
    status = STATUS_DONE if done else (STATUS_IN_PROGRESS if rng.random() < 0.8 else STATUS_NOT_STARTED)
    _set(sheet.cell(row, cols["status"]), status)
    if status == STATUS_NOT_STARTED:
        return
    # a lead runs the activity; partners and districts add smaller pieces of it
    scale = 1.0 if role == "Chủ trì" else 0.15
    n, p = rng.randint(1, 12 if scale == 1 else 4), rng.randint(30, int(2500 * scale) + 60)
    text = rng.choice(RESULTS).format(n=n, p=f"{p:,}".replace(",", "."))
    _set(sheet.cell(row, cols["result"]), text)
    sheet.cell(row, cols["events"]).value = n
    sheet.cell(row, cols["people"]).value = p
    sheet.cell(row, cols["money_state"]).value = round(rng.uniform(5, 250) * scale, 1)
    if rng.random() < 0.3:
        sheet.cell(row, cols["money_other"]).value = round(rng.uniform(2, 60) * scale, 1)
    if rng.random() < 0.3:
        _set(sheet.cell(row, cols["difficulties"]), rng.choice(DIFFICULTIES))
    if rng.random() < 0.2:
        _set(sheet.cell(row, cols["proposals"]), rng.choice(PROPOSALS))
    if rng.random() < 0.4:
        _set(sheet.cell(row, cols["evidence"]), f"Kế hoạch số {rng.randint(10, 300)}/KH-UBND")


def _inject_errors(sheet: Any, cols: dict[str, int], rng: random.Random, end: int) -> None:
    """The mistakes real returns carry: a number as words, a blank lead status, an edited context."""
    rows = list(range(6, end))
    if not rows:
        return
    first = rows[0]
    _set(sheet.cell(first, cols["people"]), "khoảng 200")
    _set(sheet.cell(rows[-1], cols["money_state"]), "1.500.000")
    _set(sheet.cell(first, cols["status"]), "da hoan thanh")
    content = sheet.cell(rows[len(rows) // 2], cols["content"])
    _set(content, str(content.value) + " (đơn vị sửa)")
    for r in rows:
        if sheet.cell(r, cols["role"]).value == "Chủ trì":
            sheet.cell(r, cols["status"]).value = None
            break


__all__ = ["Fill", "fill_workbook", "STATUS_NOT_STARTED"]
