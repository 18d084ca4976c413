"""What `plan show` and `agencies` print: tables for people, JSON for programs."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from pipeline.model.agencies import KINDS
from pipeline.model.assignments import by_agency
from pipeline.model.vocab import Role
from pipeline.workspace.load import Workspace


def plan_json(ws: Workspace) -> list[dict[str, Any]]:
    """The activities as plain objects; agencies as registry codes."""
    return [
        {"id": a.id, "recommendations": list(a.recommendations), "content": a.content, "lead": a.lead,
         "partners": list(a.partners), "start_year": a.start_year, "end_year": a.end_year}
        for a in ws.plan.activities
    ]


def _names(ws: Workspace, codes: tuple[str, ...] | list[str]) -> str:
    return "; ".join(ws.registry.get(c).short_name for c in codes)


def print_plan(console: Console, ws: Workspace) -> None:
    """A readable table of the plan's activities."""
    p = ws.plan
    console.print(f"[bold]{p.title}[/bold]")
    console.print(f"Văn bản ban hành: {p.terms.reference}; "
                  f"giai đoạn {p.start_year}-{p.end_year}; {len(p.activities)} hoạt động.")
    for i, group in enumerate(p.task_groups, start=1):
        console.print(f"  Nhiệm vụ {i}. {group}")
    table = Table(show_lines=True, expand=True)
    for name, ratio in (("Mã", None), (p.terms.number_label, None), ("Nội dung hoạt động", 5), ("Chủ trì", 1), ("Phối hợp", 2),
                        ("Thời gian", None)):
        table.add_column(name, ratio=ratio, no_wrap=ratio is None)
    for a in p.activities:
        table.add_row(a.id, a.numbers_label, a.content, _names(ws, a.leads), _names(ws, a.partners),
                      a.period)
    console.print(table)


def agencies_json(ws: Workspace, year: int) -> list[dict[str, Any]]:
    """Every agency with what it leads and partners in `year`."""
    grouped = by_agency(ws.assignments(year))
    out = []
    for agency in ws.registry:
        items = grouped.get(agency.code, [])
        out.append({
            "code": agency.code, "name": agency.name, "short_name": agency.short_name,
            "aliases": list(agency.aliases), "kind": agency.kind, "email": agency.email,
            "in_related_group": agency.in_related_group,
            "leads": [a.activity.id for a in items if a.role == Role.LEAD],
            "partners": [a.activity.id for a in items if a.role == Role.PARTNER and not a.via_group],
            "partners_via_group": [a.activity.id for a in items if a.role == Role.PARTNER and a.via_group],
            "district_rows": [a.activity.id for a in items if a.role == Role.LOCAL],
        })
    return out


def print_agencies(console: Console, ws: Workspace, year: int) -> None:
    """A table of agencies and their assignments in `year`."""
    rows = agencies_json(ws, year)
    reporting = sum(1 for r in rows if r["leads"] or r["partners"] or r["partners_via_group"] or r["district_rows"])
    console.print(f"[bold]Danh mục cơ quan, đơn vị — nhiệm vụ năm {year}[/bold] "
                  f"({len(rows)} cơ quan; {reporting} đơn vị phải báo cáo)")
    table = Table(show_lines=False, expand=True)
    for name in ("Mã", "Cơ quan", "Loại", "Chủ trì", "Phối hợp", "Phối hợp (qua nhóm)", "Địa bàn"):
        table.add_column(name)
    for r in rows:
        table.add_row(r["code"], r["short_name"], KINDS[r["kind"]], _span(r["leads"]), _span(r["partners"]),
                      _span(r["partners_via_group"]), _span(r["district_rows"]))
    console.print(table)


def _span(ids: list[str]) -> str:
    """Activity ids with consecutive runs folded: 'HD02-HD07, HD11'."""
    if not ids:
        return "—"
    numbers = [int(i[2:]) for i in ids]
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"HD{r[0]:02d}" if len(r) == 1 else f"HD{r[0]:02d}-HD{r[-1]:02d}" for r in runs)
