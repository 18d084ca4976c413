"""The plan register on disk: one CSV row per activity (opens in Excel) and a small TOML identity.

The CSV's fixed columns come first; any further column is one of the appendix's own columns
("Sản phẩm", "Kinh phí") kept as it was, under its header. The TOML holds the title, the issuing
document, the plan's own terms and the appendix's sections.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from pipeline.model.agencies import Registry
from pipeline.model.errors import ConfigError
from pipeline.model.plan import Activity, Group, Plan, Terms, parse_numbers, parse_span
from pipeline.model.text import nfc
from pipeline.workspace.files import read_csv, read_toml, write_atomic, write_toml

COLUMNS = ("id", "group", "numbers", "content", "lead", "partners", "start_year", "end_year", "period")
_REQUIRED = ("id", "content", "lead", "start_year", "end_year")
# "recommendations" is what the numbers column was called before plans had their own terms.
_OPTIONAL = ("group", "numbers", "recommendations", "partners", "period")
_ID = re.compile(r"^HD\d{2,3}$")
DOCUMENTS = {"QĐ": "Quyết định", "KH": "Kế hoạch"}


def load_plan(csv_path: Path, meta_path: Path, registry: Registry) -> Plan:
    """Read the plan register; agencies may be written as codes or names."""
    meta = _load_meta(meta_path)
    groups = {g.key for g in meta["groups"]}
    activities: list[Activity] = []
    seen: dict[str, int] = {}
    absent = "không tìm thấy tệp kế hoạch (chạy “baocao plan import” để tạo)"
    for line, values in read_csv(csv_path, _REQUIRED, absent, optional=_OPTIONAL, others=True):
        activity_id = values["id"].upper()
        if not _ID.match(activity_id):
            raise ConfigError(f"mã hoạt động “{values['id']}” không hợp lệ (dạng HD01)", csv_path, line)
        if activity_id in seen:
            raise ConfigError(f"mã hoạt động {activity_id} trùng với dòng {seen[activity_id]}", csv_path, line)
        seen[activity_id] = line
        numbers = parse_numbers(values["numbers"] or values["recommendations"])
        if not values["content"]:
            raise ConfigError(f"{activity_id}: thiếu nội dung hoạt động", csv_path, line)
        if values["group"] and values["group"] not in groups:
            raise ConfigError(f"{activity_id}: mục “{values['group']}” không có trong danh sách mục của "
                              f"{meta_path.name}", csv_path, line)
        leads = registry.resolve_list(values["lead"], csv_path, line)
        if not leads:
            raise ConfigError(f"{activity_id}: thiếu cơ quan chủ trì", csv_path, line)
        partners = registry.resolve_list(values["partners"], csv_path, line)
        years = []
        for key in ("start_year", "end_year"):
            if not re.fullmatch(r"\d{4}", values[key]):
                raise ConfigError(f"{activity_id}: năm “{values[key]}” ở cột {key} không hợp lệ", csv_path, line)
            years.append(int(values[key]))
        if years[0] > years[1]:
            raise ConfigError(f"{activity_id}: năm bắt đầu sau năm kết thúc", csv_path, line)
        extra = tuple((k, v) for k, v in values.items() if k not in (*_REQUIRED, *_OPTIONAL))
        activities.append(Activity(activity_id, values["group"], numbers, values["content"], leads,
                                   tuple(p for p in partners if p not in leads), years[0], years[1], extra,
                                   values["period"]))
    if not activities:
        raise ConfigError("kế hoạch không có hoạt động nào", csv_path)
    return Plan(meta["id"], meta["title"], meta["terms"], meta["start_year"], meta["end_year"], meta["task_groups"],
                meta["groups"], tuple(activities))


def _text(data: dict[str, Any], key: str, path: Path, default: str = "") -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"khóa {key} phải là một chuỗi", path)
    return nfc(value)


def _load_meta(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError("không tìm thấy tệp thông tin kế hoạch", path)
    data = read_toml(path)
    need = ("id", "title", "decision", "decision_date", "period")
    missing = [k for k in need if k not in data]
    if missing:
        raise ConfigError(f"thiếu khóa {', '.join(missing)}", path)
    period = parse_span(str(data["period"]))
    if period is None:
        raise ConfigError(f"giai đoạn “{data['period']}” không hợp lệ (dạng 2014-2020)", path)
    terms = data.get("terms", {})
    if not isinstance(terms, dict):
        raise ConfigError("mục [terms] phải là một bảng", path)
    number = _text(data, "decision", path)
    symbol = re.search(r"/\s*([A-ZĐ]+)", number)
    document = _text(terms, "document", path, DOCUMENTS.get(symbol.group(1), "Quyết định") if symbol else "Quyết định")
    groups = []
    for entry in data.get("groups", []):
        if not isinstance(entry, dict) or "key" not in entry or "title" not in entry:
            raise ConfigError("mỗi mục [[groups]] cần key và title", path)
        groups.append(Group(_text(entry, "key", path), _text(entry, "title", path), _text(entry, "parent", path)))
    return {
        "id": _text(data, "id", path), "title": _text(data, "title", path),
        "terms": Terms(_text(terms, "item", path, Terms.item) or Terms.item, document, number,
                       _text(data, "decision_date", path)),
        "start_year": period[0], "end_year": period[1],
        "task_groups": tuple(nfc(str(t)) for t in data.get("task_groups", [])), "groups": tuple(groups),
    }


def write_plan(plan: Plan, csv_path: Path, meta_path: Path) -> None:
    """Write the plan register: CSV with a UTF-8 BOM (Excel-friendly) and its TOML identity."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    extra = plan.extra_columns
    writer.writerow([*COLUMNS, *extra])
    for a in plan.activities:
        writer.writerow([a.id, a.group, a.numbers_label, a.content, "; ".join(a.leads), "; ".join(a.partners),
                         a.start_year, a.end_year, a.period_text, *(a.field(k) for k in extra)])
    write_atomic(csv_path, out.getvalue().encode("utf-8-sig"))
    meta: dict[str, Any] = {
        "id": plan.id, "title": plan.title, "decision": plan.terms.number, "decision_date": plan.terms.date,
        "period": f"{plan.start_year}-{plan.end_year}", "task_groups": list(plan.task_groups),
        "terms": {"item": plan.terms.item, "document": plan.terms.document},
    }
    if plan.groups:
        meta["groups"] = [{"key": g.key, "title": g.title, **({"parent": g.parent} if g.parent else {})}
                          for g in plan.groups]
    write_toml(meta_path, meta, header="Thông tin kế hoạch; danh sách hoạt động ở tệp CSV cùng tên.\n"
               "terms.item: tên gọi các mục của phụ lục (tiêu đề cột “… số” trong biểu mẫu và báo cáo).")
