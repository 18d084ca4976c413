"""The plan register on disk: one CSV row per activity (opens in Excel) and a small TOML identity."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from pipeline.model.agencies import Registry
from pipeline.model.errors import ConfigError
from pipeline.model.plan import Activity, Plan, parse_period, parse_recommendations
from pipeline.model.text import nfc
from pipeline.workspace.files import read_csv, read_toml, write_atomic, write_toml

COLUMNS = ("id", "recommendations", "content", "lead", "partners", "start_year", "end_year")
_ID = re.compile(r"^HD\d{2,3}$")


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
    return Plan(meta["id"], meta["title"], meta["decision"], meta["decision_date"], meta["start_year"],
                meta["end_year"], meta["task_groups"], tuple(activities))


def _load_meta(path: Path) -> dict[str, Any]:
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


def write_plan(plan: Plan, csv_path: Path, meta_path: Path) -> None:
    """Write the plan register: CSV with a UTF-8 BOM (Excel-friendly) and its TOML identity."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for a in plan.activities:
        writer.writerow([a.id, a.recommendations_label, a.content, a.lead, "; ".join(a.partners),
                         a.start_year, a.end_year])
    write_atomic(csv_path, out.getvalue().encode("utf-8-sig"))
    write_toml(meta_path, {
        "id": plan.id, "title": plan.title, "decision": plan.decision, "decision_date": plan.decision_date,
        "period": f"{plan.start_year}-{plan.end_year}", "task_groups": list(plan.task_groups),
    }, header="Thông tin kế hoạch; danh sách hoạt động ở tệp CSV cùng tên.")
