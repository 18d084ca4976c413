"""The words of the report: the docxtpl context built from the consolidated tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipeline.consolidate.merge import FIGURES
from pipeline.consolidate.summary import YearSummary
from pipeline.model.numbers import vn_number
from pipeline.model.plan import plan_reference
from pipeline.model.vocab import AgencyState, Role, Status
from pipeline.workspace.load import Workspace
from pipeline.workspace.settings import NEEDED_TO_REPORT

# How the report counts local units of one level.
LOCAL_UNITS = {"huyen": "huyện, thị xã, thành phố", "xa": "xã, phường, đặc khu"}


def figures_sentence(figures: dict[str, float]) -> str:
    """'Tổ chức 12 hoạt động, 1.250 lượt người tham gia, kinh phí 350,5 triệu đồng (…).'"""
    if not any(figures.get(k, 0) for k in FIGURES):
        return "Chưa có số liệu được báo cáo."
    money = figures["money_state"] + figures["money_other"]
    parts = [f"Tổ chức {vn_number(figures['events'])} hoạt động/đợt",
             f"{vn_number(figures['people'])} lượt người tham gia, hưởng lợi",
             f"kinh phí {vn_number(money, 1)} triệu đồng (ngân sách nhà nước {vn_number(figures['money_state'], 1)}; "
             f"tài trợ, huy động {vn_number(figures['money_other'], 1)})"]
    return ", ".join(parts) + "."


def _attributed(items: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Same text from several agencies once, naming them all, in first-seen order."""
    grouped: dict[str, list[str]] = {}
    for agency, text in items:
        if text and agency not in grouped.setdefault(text, []):
            grouped[text].append(agency)
    return [{"agency": ", ".join(agencies), "text": text} for text, agencies in grouped.items()]


def build_context(ws: Workspace, summary: YearSummary, history: list[YearSummary] | None = None,
                  chart_png: bytes | None = None, period: tuple[int, int] | None = None,
                  today: dt.date | None = None) -> dict[str, Any]:
    """Everything the Word template needs, as plain strings and lists."""
    s, plan = ws.settings, ws.plan
    s.require(NEEDED_TO_REPORT, "viết báo cáo")
    today = today or dt.date.today()
    names = {a.code: a.short_name for a in ws.registry}
    full = {a.code: a.name for a in ws.registry}
    merged = summary.merged
    label = f"giai đoạn {period[0]}-{period[1]}" if period else f"năm {summary.year}"
    acts = summary.activities
    return {
        "authority": s.authority,
        "department": s.department.upper(),
        "department_name": s.department,
        "plan_title": plan.title,
        "number_line": f"Số:        /{s.report_symbol}",
        "place_date": f"{s.province}, ngày      tháng      năm {today.year}",
        "title": "BÁO CÁO",
        "subject": f"{'Tổng kết' if period else 'Kết quả'} thực hiện {plan.title} {label}",
        "recipient": s.committee_full,
        "intro": (f"Thực hiện {plan_reference(plan, s.committee)}; trên cơ sở báo cáo của các cơ quan, đơn vị và "
                  f"địa phương, {s.department} báo cáo kết quả thực hiện {label} như sau:"),
        "number_label": plan.terms.number_label,
        "year_label": label,
        "is_period_review": period is not None,
        "recommendations": _recommendations(ws, summary, names, full, period is not None),
        "other_activities": _attributed([(names.get(a, a), f"{c}{' ' + r if r else ''}".strip())
                                         for a, c, r in merged.others[["agency", "content", "result"]]
                                         .itertuples(index=False, name=None)]),
        "highlights": _highlights(summary, names, label),
        "difficulties": _attributed(_texts(merged, "difficulties", names)),
        "directions": _attributed(_texts(merged, "directions", names)),
        "proposals": _attributed(_texts(merged, "proposals", names)),
        "reporting": _reporting(summary, full),
        # a period's own total is not a year: compare the years themselves
        "comparison": _comparison(list(history) if period else [*history, summary]) if history else None,
        "appendix_rows": [
            {"stt": str(i), "id": r["activity_id"], "recommendations": r["recommendations"], "content": r["content"],
             "lead": r["lead_name"], "status": Status(r["status"]).label, "events": vn_number(r["events"]),
             "people": vn_number(r["people"]), "money_state": vn_number(r["money_state"], 1),
             "money_other": vn_number(r["money_other"], 1),
             "reporters": f"{r['partners_reported']}/{r['partners_expected']}"}
            for i, r in enumerate(acts.to_dict("records"), start=1)
        ],
        "appendix_totals": {k: vn_number(float(acts[k].sum()) if len(acts) else 0.0, 1 if k.startswith("money") else 0)
                            for k in FIGURES},
        "chart_png": chart_png,
        "signer": {"authority": s.signer.authority, "title": s.signer.title, "name": s.signer.name},
        "recipients": list(s.recipients),
    }


def _recommendations(ws: Workspace, summary: YearSummary, names: dict[str, str], full: dict[str, str],
                     period: bool = False) -> list[dict[str, Any]]:
    acts: dict[Any, Any] = {r["activity_id"]: r for r in summary.activities.to_dict("records")}
    # one pass over the rows, grouped by activity (filtering the frame per activity costs 20x more)
    by_activity: dict[str, list[dict[Any, Any]]] = {}
    for r in summary.merged.rows.to_dict("records"):
        by_activity.setdefault(str(r["activity_id"]), []).append(r)
    groups: dict[str, list[dict[str, Any]]] = {}
    for activity in ws.plan.activities:
        if activity.id not in acts:
            continue
        a = acts[activity.id]
        mine = by_activity.get(activity.id, [])
        reports = []
        for role in (Role.LEAD, Role.PARTNER):
            for r in mine:
                if r["role"] == role and r["result"]:
                    text = f"Năm {r['year']}: {r['result']}" if period else r["result"]
                    reports.append({"agency": names[r["agency"]], "role": role.label, "text": text})
        districts = [r for r in mine if r["role"] == Role.LOCAL and isinstance(r["status"], str)
                     and r["status"] != Status.NOT_APPLICABLE]
        if districts:
            figures = {k: float(sum(v for r in districts if (v := r[k]) == v and v is not None)) for k in FIGURES}
            places = list(dict.fromkeys(r["agency"] for r in districts))  # a period counts each district once
            sentence = figures_sentence(figures)
            levels = {ws.registry.get(d).kind for d in places}
            units = LOCAL_UNITS[levels.pop()] if len(levels) == 1 else "đơn vị cấp huyện, cấp xã"
            reports.append({"agency": "Các địa phương", "role": f"{len(places)} {units}",
                            "text": f"{', '.join(names[d] for d in places)} báo cáo có triển khai; "
                                    + sentence[0].lower() + sentence[1:]})
        status = Status(a["status"]).label if a["status"] != Status.NOT_REPORTED \
            else "chưa có báo cáo của cơ quan chủ trì"
        groups.setdefault(activity.numbers_label, []).append({
            "id": activity.id, "content": activity.content, "lead": full[activity.lead], "status": status,
            "summary": figures_sentence({k: float(a[k]) for k in FIGURES}), "reports": reports,
        })
    return [{"title": f"{ws.plan.terms.number_label} {label}", "activities": items} for label, items in groups.items()]


def _texts(merged: Any, field: str, names: dict[str, str]) -> list[tuple[str, str]]:
    out = [(names[a], t) for a, f, t in merged.general[["agency", "field", "text"]].itertuples(index=False, name=None)
           if f == field]
    if field in ("difficulties", "proposals"):
        out += [(names[a], t) for a, t in merged.rows[["agency", field]].itertuples(index=False, name=None) if t]
    return out


def _highlights(summary: YearSummary, names: dict[str, str], label: str) -> list[str]:
    acts = summary.activities
    if not len(acts):
        return []
    counts = {s: int((acts["status"] == s).sum()) for s in (Status.DONE, Status.IN_PROGRESS, Status.NOT_STARTED,
                                                             Status.NOT_REPORTED)}
    total = {k: float(acts[k].sum()) for k in FIGURES}
    out = [f"Trong {len(acts)} hoạt động của Kế hoạch triển khai {label}, {counts[Status.DONE]} hoạt động đã hoàn "
           f"thành, {counts[Status.IN_PROGRESS]} hoạt động đang thực hiện, {counts[Status.NOT_STARTED]} hoạt động "
           f"chưa thực hiện" + (f" và {counts[Status.NOT_REPORTED]} hoạt động chưa có báo cáo của cơ quan chủ trì."
                                if counts[Status.NOT_REPORTED] else "."),
           "Các cơ quan, đơn vị đã " + figures_sentence(total)[0].lower() + figures_sentence(total)[1:]]
    top = acts.sort_values("people", ascending=False).head(3)
    top = top[top["people"] > 0]
    if len(top):
        out.append("Các hoạt động có số lượt người tham gia, hưởng lợi nhiều nhất: " + "; ".join(
            f"{r['activity_id']} ({vn_number(r['people'])} lượt, chủ trì {r['lead_name']})"
            for r in top.to_dict("records")) + ".")
    assessments = [(names[a], t) for a, f, t in summary.merged.general[["agency", "field", "text"]]
                   .itertuples(index=False, name=None) if f == "assessment"]
    out += [f"{agency}: {text}" for agency, text in assessments[:5]]
    return out


def _reporting(summary: YearSummary, full: dict[str, str]) -> dict[str, Any]:
    agencies = summary.reporting

    def pick(*states: AgencyState) -> list[str]:
        return [full[a.agency] for a in agencies if a.state in states]

    rejected = [f"{name} (đã gửi nhưng báo cáo chưa đạt yêu cầu)" for name in pick(AgencyState.REJECTED)]
    rejected += [f"{name} (đã gửi nhưng tệp không đọc được)" for name in pick(AgencyState.UNREADABLE)]
    return {"expected": len(agencies), "received": len(pick(AgencyState.ON_TIME, AgencyState.LATE)),
            "on_time": pick(AgencyState.ON_TIME), "late": pick(AgencyState.LATE),
            "missing": pick(AgencyState.MISSING) + rejected}


def _comparison(years: list[YearSummary]) -> dict[str, Any]:
    def total(y: YearSummary, key: str, decimals: int = 0) -> str:
        return vn_number(float(y.activities[key].sum()) if len(y.activities) else 0.0, decimals)
    rows = [
        {"label": "Số hoạt động/đợt tổ chức", "values": [total(y, "events") for y in years]},
        {"label": "Lượt người tham gia, hưởng lợi", "values": [total(y, "people") for y in years]},
        {"label": "Kinh phí ngân sách nhà nước (triệu đồng)", "values": [total(y, "money_state", 1) for y in years]},
        {"label": "Kinh phí tài trợ, huy động (triệu đồng)", "values": [total(y, "money_other", 1) for y in years]},
        {"label": "Hoạt động đã hoàn thành", "values": [str(int((y.activities["status"] == Status.DONE).sum()))
                                                       for y in years]},
        {"label": "Đơn vị gửi báo cáo", "values": [str(sum(1 for a in y.reporting if a.state.received))
                                                  for y in years]},
    ]
    changes = []
    first, last = years[-2], years[-1]
    before = dict(zip(first.activities["activity_id"], first.activities["status"])) if len(first.activities) else {}
    for aid, status in zip(last.activities["activity_id"], last.activities["status"]):
        if aid in before and before[aid] != status:
            changes.append(f"{aid}: {Status(before[aid]).label} → {Status(status).label}")
    return {"years": [y.year for y in years], "rows": rows, "status_changes": changes}
