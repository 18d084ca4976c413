"""The submission workbook's layout: the contract between the template writer and the reader.

docs/template.md describes the same layout for people; change both together and bump
TEMPLATE_VERSION when a change would break reading older workbooks.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, replace

from pipeline.model.text import fold, nfc

TEMPLATE_VERSION = "1"

SHEET_GUIDE = "Hướng dẫn"
SHEET_INFO = "Thông tin đơn vị"
SHEET_REPORT = "Báo cáo"
SHEET_OTHER = "Hoạt động khác"
SHEET_GENERAL = "Đánh giá chung"
SHEET_META = "_baocao"  # veryHidden: key in column A, value in column B
SHEETS = (SHEET_GUIDE, SHEET_INFO, SHEET_REPORT, SHEET_OTHER, SHEET_GENERAL)

@dataclass(frozen=True)
class Column:
    """One column of a table sheet, found by its header label, never by position."""

    key: str
    label: str
    locked: bool = False
    numeric: bool = False
    width: float = 14
    aliases: tuple[str, ...] = ()

    def matches(self, header: object) -> bool:
        """True if a header cell's text names this column (any case, marks, spacing, units)."""
        return isinstance(header, str) and label_key(header) in self.keys

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(label_key(x) for x in (self.label, *self.aliases))


@functools.lru_cache(maxsize=8192)
def label_key(text: str) -> str:
    """Folded label without a parenthesised unit: 'Kinh phí NSNN (triệu đồng)' -> 'kinhphinsnn'."""
    return fold(re.sub(r"\([^)]*\)", " ", text))


# The plan's number column is labelled with the plan's own word for its items ("Khuyến nghị số",
# "Nhiệm vụ số"): the master holds this placeholder, each workbook the plan's word, and the
# reader finds the column through `report_columns(item)` / `other_columns(item)`.
NUMBER_LABEL = "{ten_muc} số"

# The inputs both table sheets share: status, result and the figures.
_RESULT_COLUMNS = (
    Column("status", "Tình trạng", width=16),
    Column("result", "Kết quả thực hiện", width=45),
    Column("events", "Số hoạt động/đợt tổ chức", numeric=True, width=11),
    Column("people", "Số lượt người tham gia/hưởng lợi", numeric=True, width=13),
    Column("money_state", "Kinh phí ngân sách nhà nước (triệu đồng)", numeric=True, width=14,
           aliases=("Kinh phí NSNN (triệu đồng)", "Kinh phí NSNN")),
    Column("money_other", "Kinh phí tài trợ, viện trợ, huy động (triệu đồng)", numeric=True, width=14,
           aliases=("Kinh phí khác (triệu đồng)", "Kinh phí tài trợ, viện trợ, huy động")),
)

# Sheet "Báo cáo": one row per assigned activity. Locked context first, then the inputs.
REPORT_COLUMNS = (
    Column("stt", "STT", locked=True, width=5),
    Column("activity_id", "Mã HĐ", locked=True, width=7, aliases=("Mã hoạt động",)),
    Column("recommendations", NUMBER_LABEL, locked=True, width=10),
    Column("content", "Nội dung hoạt động", locked=True, width=45),
    Column("role", "Vai trò", locked=True, width=10),
    Column("lead", "Cơ quan chủ trì", locked=True, width=16),
    Column("period", "Thời gian thực hiện", locked=True, width=11),
    *_RESULT_COLUMNS,
    Column("difficulties", "Khó khăn, vướng mắc", width=30),
    Column("proposals", "Đề xuất, kiến nghị", width=30),
    Column("evidence", "Văn bản, minh chứng", width=24, aliases=("Văn bản/minh chứng",)),
)

# Sheet "Hoạt động khác": free rows for work beyond the plan; nothing locked.
OTHER_COLUMNS = (
    Column("stt", "STT", width=5),
    Column("content", "Nội dung hoạt động", width=45),
    Column("recommendations", NUMBER_LABEL + " (nếu có)", width=12),
    *_RESULT_COLUMNS,
    Column("note", "Ghi chú", width=24),
)



@functools.lru_cache(maxsize=32)
def _with_item(columns: tuple[Column, ...], item: str) -> tuple[Column, ...]:
    out = []
    for column in columns:
        if column.key == "recommendations":
            label = column.label.replace(NUMBER_LABEL, f"{item} số")
            column = replace(column, label=label, aliases=(*column.aliases, column.label, f"{item} số", f"Số {item}"))
        out.append(column)
    return tuple(out)


def report_columns(item: str) -> tuple[Column, ...]:
    """The columns of "Báo cáo" for a plan whose items are called `item` ("Khuyến nghị", "Nhiệm vụ")."""
    return _with_item(REPORT_COLUMNS, item)


def other_columns(item: str) -> tuple[Column, ...]:
    """The columns of "Hoạt động khác" for a plan whose items are called `item`."""
    return _with_item(OTHER_COLUMNS, item)


# Header row of both table sheets; data rows follow the column-number row "(1) (2) …".
HEADER_ROW = 4
FIRST_DATA_ROW = 6
OTHER_BLANK_ROWS = 30  # pre-formatted empty rows in "Hoạt động khác"

# Label/value sheets: the label in column B, the value in column C, found by label.
INFO_FIELDS = (
    ("agency_name", "Tên cơ quan, đơn vị"),
    ("agency_code", "Mã đơn vị"),
    ("year", "Năm báo cáo"),
    ("reporter", "Người lập báo cáo"),
    ("position", "Chức vụ"),
    ("phone", "Điện thoại"),
    ("email", "Email"),
    ("report_date", "Ngày báo cáo"),
    ("head", "Thủ trưởng đơn vị"),
)
INFO_LOCKED = ("agency_name", "agency_code", "year")
GENERAL_FIELDS = (
    ("assessment", "Đánh giá chung kết quả thực hiện"),
    ("difficulties", "Tồn tại, hạn chế, khó khăn và nguyên nhân"),
    ("proposals", "Đề xuất, kiến nghị"),
    ("directions", "Phương hướng, nhiệm vụ năm tới"),
)

# Metadata keys in the hidden sheet (and repeated as workbook custom properties).
META_KEYS = ("template_version", "plan_id", "agency_code", "year", "generated_at", "fingerprint", "activity_ids")


def fingerprint(rows: list[tuple[str, str]]) -> str:
    """Short stable hash of the locked context: (activity id, content) pairs in order."""
    text = "\n".join(f"{aid}\t{nfc(content)}" for aid, content in rows)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
