"""Who reports on what in a given year."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.model.agencies import Registry
from pipeline.model.plan import Activity, Plan
from pipeline.model.vocab import Role


@dataclass(frozen=True)
class Assignment:
    """An agency's part in one activity in one year."""

    agency: str
    activity: Activity
    role: Role
    via_group: bool = False


def assignments(plan: Plan, registry: Registry, year: int) -> list[Assignment]:
    """Every assignment in `year`, ordered by agency registry order then plan order.

    The lead is Chủ trì; named partners are Phối hợp; when the partners include the group
    "Các sở, ngành liên quan", each member of the group that is not already lead or named
    partner is Phối hợp through the group; every district reports on every active activity.
    Activities outside their period are assigned to nobody.
    """
    group = registry.group
    out: dict[str, list[Assignment]] = {a.code: [] for a in registry}
    for activity in plan.active(year):
        out[activity.lead].append(Assignment(activity.lead, activity, Role.LEAD))
        named = [p for p in activity.partners if group is None or p != group.code]
        for code in named:
            out[code].append(Assignment(code, activity, Role.PARTNER))
        if group is not None and group.code in activity.partners:
            for member in registry.group_members():
                if member.code != activity.lead and member.code not in named:
                    out[member.code].append(Assignment(member.code, activity, Role.PARTNER, via_group=True))
        for district in registry.districts():
            out[district.code].append(Assignment(district.code, activity, Role.LOCAL))
    return [a for code in out for a in out[code]]


def by_agency(items: list[Assignment]) -> dict[str, list[Assignment]]:
    """Group assignments by agency code, keeping order."""
    grouped: dict[str, list[Assignment]] = {}
    for item in items:
        grouped.setdefault(item.agency, []).append(item)
    return grouped
