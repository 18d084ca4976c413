"""The words of the cycle, each defined once with its Vietnamese label.

Values are stable ASCII codes (what JSON, the store and tests see); `.label` is what people read.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How much a finding matters: an error rejects the file, a warning never blocks the merge."""

    ERROR = "error"
    WARNING = "warning"

    @property
    def label(self) -> str:
        return _SEVERITY[self]


_SEVERITY = {Severity.ERROR: "Lỗi", Severity.WARNING: "Cảnh báo"}


class Outcome(StrEnum):
    """What became of one file found in the inbox; the counts add up to the files found."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_WARNINGS = "accepted-with-warnings"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    DUPLICATE = "duplicate"
    NOT_A_SPREADSHEET = "not-a-spreadsheet"

    @property
    def label(self) -> str:
        return _OUTCOME[self]

    @property
    def merged(self) -> bool:
        """True for the outcomes whose file goes into the merge."""
        return self in (Outcome.ACCEPTED, Outcome.ACCEPTED_WITH_WARNINGS)


_OUTCOME = {
    Outcome.ACCEPTED: "Hợp lệ",
    Outcome.ACCEPTED_WITH_WARNINGS: "Hợp lệ, có cảnh báo",
    Outcome.REJECTED: "Bị từ chối",
    Outcome.SUPERSEDED: "Đã có bản mới hơn",
    Outcome.DUPLICATE: "Trùng lặp",
    Outcome.NOT_A_SPREADSHEET: "Không phải bảng tính",
}


class Status(StrEnum):
    """Where an activity stands, as an agency reports it (NOT_REPORTED: no report from the lead)."""

    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    DONE = "done"
    NOT_APPLICABLE = "not-applicable"
    NOT_REPORTED = "not-reported"

    @property
    def label(self) -> str:
        return _STATUS[self]

    @property
    def implemented(self) -> bool:
        """True when the agency has carried the activity out this year (in progress or done)."""
        return self in (Status.IN_PROGRESS, Status.DONE)


_STATUS = {
    Status.NOT_STARTED: "Chưa thực hiện",
    Status.IN_PROGRESS: "Đang thực hiện",
    Status.DONE: "Đã hoàn thành",
    Status.NOT_APPLICABLE: "Không phát sinh",
    Status.NOT_REPORTED: "Chưa báo cáo",
}
# What an agency may choose in its workbook; local units may also say the activity did not arise.
STATUS_CHOICES = (Status.NOT_STARTED, Status.IN_PROGRESS, Status.DONE)
LOCAL_STATUS_CHOICES = (*STATUS_CHOICES, Status.NOT_APPLICABLE)


class Role(StrEnum):
    """An agency's part in an activity."""

    LEAD = "chu_tri"
    PARTNER = "phoi_hop"
    LOCAL = "dia_phuong"

    @property
    def label(self) -> str:
        return _ROLE[self]


_ROLE = {Role.LEAD: "Chủ trì", Role.PARTNER: "Phối hợp", Role.LOCAL: "Địa phương"}


class AgencyState(StrEnum):
    """Where one expected agency stands for the year."""

    ON_TIME = "on-time"
    LATE = "late"
    MISSING = "missing"
    REJECTED = "rejected"
    UNREADABLE = "unreadable"  # files came in, none of them could be opened or read

    @property
    def label(self) -> str:
        return _STATE[self]

    @property
    def received(self) -> bool:
        """True when a usable report came in (on time or late)."""
        return self in (AgencyState.ON_TIME, AgencyState.LATE)


_STATE = {
    AgencyState.ON_TIME: "Đúng hạn",
    AgencyState.LATE: "Muộn",
    AgencyState.MISSING: "Chưa gửi",
    AgencyState.REJECTED: "Gửi nhưng bị từ chối",
    AgencyState.UNREADABLE: "Gửi nhưng không đọc được",
}


class FileKind(StrEnum):
    """What a file really is, by its bytes (never by its name alone)."""

    XLSX = "xlsx"
    XLSM = "xlsm"
    XLSB = "xlsb"
    XLS = "xls"
    ODS = "ods"
    ZIP = "zip"
    EML = "eml"
    MSG = "msg"  # Outlook item saved from Outlook
    TNEF = "tnef"  # winmail.dat: Outlook's wrapping of attachments, as other mail clients receive it
    ENCRYPTED = "encrypted"
    CSV = "csv"  # a text export of one sheet
    HTML = "html"  # a web page, or Excel's "Web Page" / "XML Spreadsheet 2003" export under an .xls name
    OTHER = "other"

    @property
    def spreadsheet(self) -> bool:
        """True for the kinds the reader opens."""
        return self in SPREADSHEET_KINDS

    @property
    def ooxml(self) -> bool:
        """True for Office Open XML workbooks (what openpyxl writes and annotates)."""
        return self in (FileKind.XLSX, FileKind.XLSM)


SPREADSHEET_KINDS = frozenset({FileKind.XLSX, FileKind.XLSM, FileKind.XLSB, FileKind.XLS, FileKind.ODS})
