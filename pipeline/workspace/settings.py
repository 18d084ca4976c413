"""Workspace settings from baocao.toml.

Nothing has a sample value: a key the officer did not fill is blank, and the command that needs
it names it ("baocao.toml: chưa điền người ký ([signer] name)"). `baocao init` writes the file
with every key commented.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.model.assignments import LOCAL_REPORTS
from pipeline.model.errors import ConfigError
from pipeline.model.text import nfc, strip_diacritics
from pipeline.workspace.files import check_strings, read_toml

SETTINGS_FILE = "baocao.toml"
# The two kinds of province-level unit: a province, or a city under the central government.
PROVINCE_LEVELS = ("tỉnh", "thành phố")
# What each key is, as the officer reads it in a message about a blank one.
LABELS = {
    "province": "tên tỉnh, thành phố (province)",
    "department": "tên cơ quan tổng hợp (department)",
    "department_code": "mã của cơ quan tổng hợp trong danh mục cơ quan (department_code)",
    "report_symbol": "ký hiệu báo cáo (report_symbol)",
    "plan": "mã kế hoạch (plan)",
    "deadline": "hạn nộp (deadline)",
    "recipients": "nơi nhận (recipients)",
    "signer.authority": "thẩm quyền ký ([signer] authority)",
    "signer.title": "chức vụ người ký ([signer] title)",
    "signer.name": "người ký ([signer] name)",
    "contact.name": "cán bộ đầu mối ([contact] name)",
    "contact.phone": "điện thoại đầu mối ([contact] phone)",
    "contact.email": "email đầu mối ([contact] email)",
    "date_year": "năm ghi ở dòng địa danh, ngày tháng của báo cáo (date_year)",
    "resubmit_days": "số ngày để đơn vị gửi lại bản đã sửa (resubmit_days)",
}
# The year on the report's date line: the reporting year, the year after it, or the year the command runs.
DATE_YEARS = {"report": "năm báo cáo", "next": "năm sau năm báo cáo", "today": "năm chạy lệnh"}
# What each command needs filled before it can write anything true.
NEEDED_TO_GENERATE = ("deadline", "contact.name", "contact.email")
NEEDED_TO_REPORT = ("report_symbol", "signer.title", "signer.name")


@dataclass(frozen=True)
class Signer:
    """Who signs the consolidated report."""

    authority: str = ""  # "KT. GIÁM ĐỐC"; blank when the head signs in person
    title: str = ""
    name: str = ""


@dataclass(frozen=True)
class Contact:
    """The officer agencies call or write to."""

    name: str = ""
    phone: str = ""
    email: str = ""

    @property
    def line(self) -> str:
        """'Trần Văn A, điện thoại 0233 1234, email a@b.vn' with whatever is filled in."""
        parts = [self.name, f"điện thoại {self.phone}" if self.phone else "", f"email {self.email}" if self.email else ""]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Settings:
    """Everything a workspace configures; paths are absolute; blank means not filled in."""

    root: Path
    province: str = ""
    province_level: str = "tỉnh"
    department: str = ""
    department_code: str = ""
    report_symbol: str = ""
    year: int = field(default_factory=lambda: dt.date.today().year)
    plan: str = ""
    deadline: str = ""
    deadlines: dict[int, dt.date] = field(default_factory=dict)
    recipients: tuple[str, ...] = ()
    local_reports: str = "auto"
    date_year: str = "report"
    resubmit_days: int = 5
    signer: Signer = Signer()
    contact: Contact = Contact()
    plan_dir: Path = Path("plan")
    templates_dir: Path = Path("templates")
    inbox_dir: Path = Path("inbox")
    outbox_dir: Path = Path("outbox")

    @property
    def path(self) -> Path:
        return self.root / SETTINGS_FILE

    @property
    def plan_csv(self) -> Path:
        return self.plan_dir / f"{self.plan}.csv"

    @property
    def plan_meta(self) -> Path:
        return self.plan_dir / f"{self.plan}.toml"

    @property
    def agencies_csv(self) -> Path:
        return self.plan_dir / "agencies.csv"

    @property
    def locality(self) -> str:
        """The province as a sentence names it: 'tỉnh Quảng Trị', 'thành phố Đà Nẵng'."""
        return f"{self.province_level} {self.province}"

    @property
    def committee(self) -> str:
        """'UBND tỉnh Quảng Trị', 'UBND thành phố Đà Nẵng'."""
        return f"UBND {self.locality}"

    @property
    def committee_full(self) -> str:
        """'Ủy ban nhân dân tỉnh Quảng Trị'."""
        return f"Ủy ban nhân dân {self.locality}"

    @property
    def authority(self) -> str:
        """The governing body line of the report header, e.g. 'UBND TỈNH QUẢNG TRỊ', 'UBND THÀNH PHỐ ĐÀ NẴNG'."""
        return self.committee.upper()

    def display(self, path: Path) -> str:
        """A path as the officer reads it: relative to the workspace when inside it."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def inbox(self, year: int) -> Path:
        return self.inbox_dir / str(year)

    def outbox(self, year: int | str) -> Path:
        return self.outbox_dir / str(year)

    def value(self, key: str) -> str:
        """A key's value as text ("signer.name" reaches into its table)."""
        target: Any = self
        for part in key.split("."):
            target = getattr(target, part)
        return "; ".join(target) if isinstance(target, tuple) else str(target)

    def missing(self, keys: tuple[str, ...]) -> list[str]:
        """The keys among `keys` left blank."""
        return [k for k in keys if not self.value(k).strip()]

    def require(self, keys: tuple[str, ...], purpose: str = "") -> None:
        """ConfigError naming every blank key of `keys` (and what it is needed for)."""
        blank = self.missing(keys)
        if blank:
            why = f" (cần để {purpose})" if purpose else ""
            raise ConfigError(f"chưa điền {', '.join(LABELS.get(k, k) for k in blank)}{why}. Mở tệp bằng Notepad, "
                              "điền rồi chạy lại", self.path)

    def resubmit_by(self, year: int, today: dt.date | None = None) -> dt.date:
        """When a corrected file is due: `resubmit_days` after the year's deadline, or after today once it has passed."""
        today = today or dt.date.today()
        try:
            start = max(self.deadline_for(year), today)
        except ConfigError:
            start = today
        return start + dt.timedelta(days=self.resubmit_days)

    def deadline_for(self, year: int) -> dt.date:
        """The date returns are due for reporting year `year`."""
        if year in self.deadlines:
            return self.deadlines[year]
        self.require(("deadline",))
        day, month = (int(x) for x in self.deadline.split("/"))
        return dt.date(year, month, day)


def _date(value: Any, path: Path, key: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", str(value).strip())
    if match:
        d, m, y = (int(x) for x in match.groups())
        try:
            return dt.date(y, m, d)
        except ValueError:
            pass
    raise ConfigError(f"hạn nộp “{value}” ở mục {key} không phải ngày dạng dd/mm/yyyy", path)


def split_province(text: str) -> tuple[str, str | None]:
    """'Thành phố Đà Nẵng' -> ('Đà Nẵng', 'thành phố'); 'Quảng Trị' -> ('Quảng Trị', None)."""
    text = nfc(text)
    folded = strip_diacritics(text).lower()
    for level, prefixes in (("thành phố", ("thanh pho ", "tp. ", "tp ")), ("tỉnh", ("tinh ",))):
        for prefix in prefixes:
            if folded.startswith(prefix):
                return text[len(prefix):].strip(), level
    return text, None


def _level(value: str, path: Path) -> str:
    folded = strip_diacritics(nfc(value)).lower()
    for level in PROVINCE_LEVELS:
        if folded == strip_diacritics(level):
            return level
    raise ConfigError(f"province_level “{value}” không hợp lệ; ghi “tỉnh” hoặc “thành phố” (thành phố trực thuộc "
                      "trung ương)", path)


_KNOWN = {"province", "province_level", "department", "department_code", "report_symbol", "year", "plan", "deadline",
          "deadlines", "recipients", "local_reports", "signer", "contact", "paths", "date_year", "resubmit_days"}


def load_settings(root: Path) -> Settings:
    """Read `root/baocao.toml` and resolve paths against `root`; a missing file says how to make one."""
    root = root.resolve()
    path = root / SETTINGS_FILE
    if not path.is_file():
        raise ConfigError(f"thư mục {root} chưa phải thư mục làm việc (không có {SETTINGS_FILE}). Chạy "
                          f"“baocao init {root} --province … --department … --department-code …” để tạo, "
                          "hoặc chọn đúng thư mục bằng -w")
    data = read_toml(path)
    check_strings(data, path)
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise ConfigError(f"khóa không dùng được: {', '.join(unknown)}", path)
    kwargs: dict[str, Any] = {}
    for key in ("province", "province_level", "department", "department_code", "report_symbol", "plan", "deadline",
                "local_reports"):
        if key in data:
            if not isinstance(data[key], str):
                raise ConfigError(f"khóa {key} phải là một chuỗi (trong dấu nháy kép)", path)
            if data[key].strip():
                kwargs[key] = nfc(data[key])
    province, level = split_province(kwargs.get("province", ""))
    if "province_level" in kwargs:
        kwargs["province_level"] = _level(kwargs["province_level"], path)
        if level and level != kwargs["province_level"]:
            raise ConfigError(f"province “{kwargs['province']}” không khớp province_level “{kwargs['province_level']}”",
                              path)
    elif level:
        kwargs["province_level"] = level
    kwargs["province"] = province
    if kwargs.get("local_reports", "auto") not in LOCAL_REPORTS:
        choices = "; ".join(f"“{k}”: {v}" for k, v in LOCAL_REPORTS.items())
        raise ConfigError(f"local_reports “{kwargs['local_reports']}” không hợp lệ; dùng một trong: {choices}", path)
    if "date_year" in data:
        if data["date_year"] not in DATE_YEARS:
            choices = "; ".join(f"“{k}”: {v}" for k, v in DATE_YEARS.items())
            raise ConfigError(f"date_year “{data['date_year']}” không hợp lệ; dùng một trong: {choices}", path)
        kwargs["date_year"] = data["date_year"]
    if "resubmit_days" in data:
        if not isinstance(data["resubmit_days"], int) or isinstance(data["resubmit_days"], bool) \
                or not 0 <= data["resubmit_days"] <= 90:
            raise ConfigError(f"resubmit_days “{data['resubmit_days']}” phải là số ngày từ 0 đến 90, ví dụ 5", path)
        kwargs["resubmit_days"] = data["resubmit_days"]
    if "year" in data:
        if not isinstance(data["year"], int) or not 2000 <= data["year"] <= 2100:
            raise ConfigError(f"năm báo cáo “{data['year']}” không hợp lệ", path)
        kwargs["year"] = data["year"]
    if "deadline" in kwargs and not re.fullmatch(r"\d{1,2}/\d{1,2}", kwargs["deadline"]):
        raise ConfigError(f"hạn nộp “{kwargs['deadline']}” phải có dạng ngày/tháng, ví dụ 15/12", path)
    deadlines = data.get("deadlines", {})
    if not isinstance(deadlines, dict):
        raise ConfigError("mục [deadlines] phải là bảng năm = \"dd/mm/yyyy\"", path)
    try:
        kwargs["deadlines"] = {int(y): _date(v, path, f"deadlines.{y}") for y, v in deadlines.items()}
    except ValueError:
        raise ConfigError("mục [deadlines]: khóa phải là năm, ví dụ 2015 = \"20/12/2015\"", path) from None
    if "recipients" in data:
        if not isinstance(data["recipients"], list):
            raise ConfigError("recipients phải là danh sách trong ngoặc vuông, ví dụ [\"Như trên;\", \"Lưu: VT.\"]", path)
        kwargs["recipients"] = tuple(nfc(str(x)) for x in data["recipients"] if str(x).strip())
    for key, cls in (("signer", Signer), ("contact", Contact)):
        section = data.get(key, {})
        if not isinstance(section, dict):
            raise ConfigError(f"mục [{key}] phải là một bảng", path)
        allowed = set(cls.__dataclass_fields__)
        extra = sorted(set(section) - allowed)
        if extra:
            raise ConfigError(f"mục [{key}] có khóa không dùng được: {', '.join(extra)}", path)
        kwargs[key] = cls(**{k: nfc(str(v)) for k, v in section.items()})
    paths = data.get("paths", {})
    names = {"plan": "plan_dir", "templates": "templates_dir", "inbox": "inbox_dir", "outbox": "outbox_dir"}
    for key, attr in names.items():
        kwargs[attr] = root / str(paths.get(key, Settings.__dataclass_fields__[attr].default))
    settings = Settings(root=root, **kwargs)
    try:
        if settings.deadline:
            settings.deadline_for(settings.year)
    except ValueError:
        raise ConfigError(f"hạn nộp “{settings.deadline}” không phải một ngày có thật", path) from None
    return settings
