"""Who reports on what in a given year."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.model.agencies import LOCAL_KINDS, Registry
from pipeline.model.plan import Activity, Plan
from pipeline.model.vocab import Role

# What local units report where the plan gives their level no task (setting `local_reports`):
LOCAL_REPORTS = {
    "auto": "mọi hoạt động, nếu Kế hoạch không giao việc nào cho cấp đó; nếu có, chỉ những hoạt động được giao",
    "all": "mọi hoạt động đang thực hiện trong năm",
    "named": "chỉ những hoạt động Kế hoạch giao cho cấp đó hoặc ghi tên đơn vị",
}
_STRENGTH = {Role.LEAD: 3, Role.PARTNER: 2, Role.LOCAL: 1}


@dataclass(frozen=True)
class Assignment:
    """An agency's part in one activity in one year."""

    agency: str
    activity: Activity
    role: Role
    via_group: bool = False


def named_levels(plan: Plan, registry: Registry) -> set[str]:
    """The local levels the plan gives tasks to (as lead or partner) anywhere."""
    return {registry.get(code).covers for a in plan.activities for code in (*a.leads, *a.partners)
            if code in registry and registry.get(code).covers}


def assignments(plan: Plan, registry: Registry, year: int, local_reports: str = "auto") -> list[Assignment]:
    """Every assignment in `year`, ordered by agency registry order then plan order.

    Leads are Chủ trì; named partners are Phối hợp; when the partners include the group
    "Các sở, ngành liên quan", each member of the group that is not already lead or named
    partner is Phối hợp through the group. Where a lead or partner names every local unit
    of a level ("UBND các xã, phường, đặc khu"), each unit of that level reports the
    activity as Địa phương. A level the plan never names reports on every activity with
    `local_reports` "auto" (the rule of plans that give local units no explicit role) or
    "all", on nothing with "named". One role per agency and activity: the strongest.
    Activities outside their period are assigned to nobody.
    """
    if local_reports not in LOCAL_REPORTS:
        raise ValueError(local_reports)
    group = registry.group
    named = named_levels(plan, registry)
    everything = [lv for lv in LOCAL_KINDS
                  if local_reports == "all" or (local_reports == "auto" and lv not in named)]
    out: dict[str, dict[str, Assignment]] = {a.code: {} for a in registry}

    def give(codes: Iterable[str], activity: Activity, role: Role, via_group: bool = False) -> None:
        for code in codes:
            held = out[code].get(activity.id)
            if held is None or _STRENGTH[role] > _STRENGTH[held.role]:
                out[code][activity.id] = Assignment(code, activity, role, via_group)

    def units(level: str) -> list[str]:
        return [u.code for u in registry.local_units(level)]

    for activity in plan.active(year):
        for code in (*activity.leads, *activity.partners):
            level = registry.get(code).covers
            if level:
                give(units(level), activity, Role.LOCAL)
        give((c for c in activity.leads if not registry.get(c).covers), activity, Role.LEAD)
        partners = [p for p in activity.partners if not registry.get(p).covers and (group is None or p != group.code)]
        give((p for p in partners if p not in activity.leads), activity, Role.PARTNER)
        if group is not None and group.code in activity.partners:
            members = [m.code for m in registry.group_members() if m.code not in activity.leads and m.code not in partners]
            give(members, activity, Role.PARTNER, via_group=True)
        for level in everything:
            give(units(level), activity, Role.LOCAL)
    return [a for code in out for a in out[code].values()]


def by_agency(items: list[Assignment]) -> dict[str, list[Assignment]]:
    """Group assignments by agency code, keeping order."""
    grouped: dict[str, list[Assignment]] = {}
    for item in items:
        grouped.setdefault(item.agency, []).append(item)
    return grouped
