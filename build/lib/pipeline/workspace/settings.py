"""Workspace settings from baocao.toml, with defaults that fit the sample province."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.model.errors import ConfigError
from pipeline.workspace.files import read_toml
from pipeline.model.text import nfc

SETTINGS_FILE = "baocao.toml"


@dataclass(frozen=True)
class Signer:
    """Who signs the consolidated report."""

    authority: str = "KT. GIÁM ĐỐC"
    title: str = "PHÓ GIÁM ĐỐC"
    name: str = ""


@dataclass(frozen=True)
class Contact:
    """The officer agencies call or write to."""

    name: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Settings:
    """Everything a workspace configures; paths are absolute."""

    root: Path
    province: str = "Đắk Lắk"
    department: str = "Sở Lao động - Thương binh và Xã hội"
    department_code: str = "LDTBXH"
    report_symbol: str = "BC-SLĐTBXH"
    year: int = 2015
    plan: str = "qd2130-2014"
    deadline: str = "15/12"
    deadlines: dict[int, dt.date] = field(default_factory=dict)
    recipients: tuple[str, ...] = ("Như trên;", "Bộ Lao động - Thương binh và Xã hội (để b/c);", "Lưu: VT, BVCSTE.")
    signer: Signer = Signer()
    contact: Contact = Contact()
    plan_dir: Path = Path("plan")
    templates_dir: Path = Path("templates")
    inbox_dir: Path = Path("inbox")
    outbox_dir: Path = Path("outbox")

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
    def authority(self) -> str:
        """The governing body line of the report header, e.g. 'UBND TỈNH ĐẮK LẮK'."""
        return f"UBND TỈNH {self.province}".upper()

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

    def deadline_for(self, year: int) -> dt.date:
        """The date returns are due for reporting year `year`."""
        if year in self.deadlines:
            return self.deadlines[year]
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


def load_settings(root: Path) -> Settings:
    """Read `root/baocao.toml` (all keys optional) and resolve paths against `root`."""
    root = root.resolve()
    path = root / SETTINGS_FILE
    data: dict[str, Any] = {}
    if path.is_file():
        data = read_toml(path)
    known = {"province", "department", "department_code", "report_symbol", "year", "plan", "deadline",
             "deadlines", "recipients", "signer", "contact", "paths"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"khóa không dùng được: {', '.join(unknown)}", path)
    kwargs: dict[str, Any] = {}
    for key in ("province", "department", "department_code", "report_symbol", "plan", "deadline"):
        if key in data:
            if not isinstance(data[key], str) or not data[key].strip():
                raise ConfigError(f"khóa {key} phải là một chuỗi không rỗng", path)
            kwargs[key] = nfc(data[key])
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
        kwargs["recipients"] = tuple(nfc(str(x)) for x in data["recipients"])
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
        settings.deadline_for(settings.year)
    except ValueError:
        raise ConfigError(f"hạn nộp “{settings.deadline}” không phải một ngày có thật", path) from None
    return settings
