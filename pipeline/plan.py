"""The plan register: the activities of the decision's appendix, as a CSV plus a small TOML."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.agencies import Registry
from pipeline.errors import ConfigError
from pipeline.files import read_csv, read_toml
from pipeline.text import nfc

COLUMNS = ("id", "recommendations", "content", "lead", "partners", "start_year", "end_year")
_ID = re.compile(r"^HD\d{2,3}$")
_PERIOD = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$")


@dataclass(frozen=True)
class Activity:
    """One row of the appendix; agencies are registry codes."""

    id: str
    recommendations: tuple[int, ...]
    content: str
    lead: str
    partners: tuple[str, ...]
    start_year: int
    end_year: int

    def active(self, year: int) -> bool:
        """True if the activity runs in `year`."""
        return self.start_year <= year <= self.end_year

    @property
    def period(self) -> str:
        return f"{self.start_year}-{self.end_year}"

    @property
    def recommendations_label(self) -> str:
        return ", ".join(str(r) for r in self.recommendations)


@dataclass(frozen=True)
class Plan:
    """The plan's identity and its activities."""

    id: str
    title: str
    decision: str
    decision_date: str
    start_year: int
    end_year: int
    task_groups: tuple[str, ...]
    activities: tuple[Activity, ...]

    def activity(self, activity_id: str) -> Activity:
        """The activity with this id (KeyError if none)."""
        for a in self.activities:
            if a.id == activity_id:
                return a
        raise KeyError(activity_id)

    def active(self, year: int) -> list[Activity]:
        """Activities running in `year`, in plan order."""
        return [a for a in self.activities if a.active(year)]


def parse_period(text: str) -> tuple[int, int] | None:
    """'2014-2020' (any dash, spaces) -> (2014, 2020); None if not a period."""
    match = _PERIOD.match(nfc(text))
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    return (start, end) if start <= end else None


def parse_recommendations(text: str) -> tuple[int, ...] | None:
    """'Số 83, 84' -> (83, 84); None if no number is there."""
    numbers = re.findall(r"\d+", text)
    return tuple(int(n) for n in numbers) or None


def load_plan(csv_path: Path, meta_path: Path, registry: Registry) -> Plan:
    """Read the plan register; agencies may be written as codes or names."""
    meta = _load_meta(meta_path)
    activities: list[Activity] = []
    seen: dict[str, int] = {}
    absent = "không tìm thấy tệp kế hoạch (chạy “baocao plan import” để tạo)"
    for line, values in read_csv(csv_path, COLUMNS, absent):
        activity_id = values["id"].upper()
        if not _ID.match(activity_id):
            raise ConfigError(f"mã hoạt động “{values['id']}” không hợp lệ (dạng HD01)", csv_path, line)
        if activity_id in seen:
            raise ConfigError(f"mã hoạt động {activity_id} trùng với dòng {seen[activity_id]}", csv_path, line)
        seen[activity_id] = line
        recs = parse_recommendations(values["recommendations"])
        if recs is None:
            raise ConfigError(f"{activity_id}: thiếu số khuyến nghị", csv_path, line)
        if not values["content"]:
            raise ConfigError(f"{activity_id}: thiếu nội dung hoạt động", csv_path, line)
        lead = registry.resolve_list(values["lead"], csv_path, line)
        if len(lead) != 1:
            raise ConfigError(f"{activity_id}: cần đúng một cơ quan chủ trì, có “{values['lead']}”", csv_path, line)
        partners = registry.resolve_list(values["partners"], csv_path, line)
        years = []
        for key in ("start_year", "end_year"):
            if not re.fullmatch(r"\d{4}", values[key]):
                raise ConfigError(f"{activity_id}: năm “{values[key]}” ở cột {key} không hợp lệ", csv_path, line)
            years.append(int(values[key]))
        if years[0] > years[1]:
            raise ConfigError(f"{activity_id}: năm bắt đầu sau năm kết thúc", csv_path, line)
        activities.append(Activity(activity_id, recs, values["content"], lead[0],
                                   tuple(p for p in partners if p != lead[0]), years[0], years[1]))
    if not activities:
        raise ConfigError("kế hoạch không có hoạt động nào", csv_path)
    return Plan(activities=tuple(activities), **meta)


def _load_meta(path: Path) -> dict:  # type: ignore[type-arg]
    if not path.is_file():
        raise ConfigError("không tìm thấy tệp thông tin kế hoạch", path)
    data = read_toml(path)
    need = ("id", "title", "decision", "decision_date", "period", "task_groups")
    missing = [k for k in need if k not in data]
    if missing:
        raise ConfigError(f"thiếu khóa {', '.join(missing)}", path)
    period = parse_period(str(data["period"]))
    if period is None:
        raise ConfigError(f"giai đoạn “{data['period']}” không hợp lệ (dạng 2014-2020)", path)
    return {
        "id": str(data["id"]), "title": nfc(str(data["title"])), "decision": nfc(str(data["decision"])),
        "decision_date": str(data["decision_date"]), "start_year": period[0], "end_year": period[1],
        "task_groups": tuple(nfc(str(t)) for t in data["task_groups"]),
    }


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_plan(plan: Plan, csv_path: Path, meta_path: Path) -> None:
    """Write the plan register: CSV with a UTF-8 BOM (Excel-friendly) and its TOML identity."""
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = csv_path.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for a in plan.activities:
            writer.writerow([a.id, a.recommendations_label, a.content, a.lead, "; ".join(a.partners),
                             a.start_year, a.end_year])
    tmp.replace(csv_path)
    groups = ",\n".join(f"    {_toml_str(t)}" for t in plan.task_groups)
    meta_path.write_text(
        "# Thông tin kế hoạch; danh sách hoạt động ở tệp CSV cùng tên.\n"
        f"id = {_toml_str(plan.id)}\n"
        f"title = {_toml_str(plan.title)}\n"
        f"decision = {_toml_str(plan.decision)}\n"
        f"decision_date = {_toml_str(plan.decision_date)}\n"
        f"period = \"{plan.start_year}-{plan.end_year}\"\n"
        f"task_groups = [\n{groups},\n]\n",
        encoding="utf-8",
    )
