"""The words of the report: the docxtpl context built from the consolidated tables.

The structure follows the yearly reports provincial departments send up: the key figures first
(page 1), then công tác chỉ đạo, triển khai; kết quả by the plan's groups (one synthesised
paragraph per activity); tồn tại, hạn chế and nguyên nhân; phương hướng; đề xuất, kiến nghị.
Every count comes from the consolidation's one definition (pipeline.consolidate.summary): only
agencies whose status is "Đang thực hiện" or "Đã hoàn thành" are ever said to have implemented.
Names are written in full (no "HD01", no "&", no abbreviation left undefined); long lists are
summarised with a count and left to the summary workbook.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any

from pipeline.consolidate.merge import FIGURES, records
from pipeline.consolidate.review import Anomaly, anomalies
from pipeline.consolidate.summary import YearSummary
from pipeline.consolidate.texts import TextGroup, fold, group_texts
from pipeline.model.agencies import Agency
from pipeline.model.numbers import vn_number
from pipeline.model.plan import Activity, plan_reference
from pipeline.model.text import strip_diacritics
from pipeline.model.vocab import AgencyState, Role, Status
from pipeline.outputs.word.notes import note_text
from pipeline.workspace.load import Workspace
from pipeline.workspace.settings import NEEDED_TO_REPORT

# How the report counts local units of one level.
LOCAL_UNITS = {"huyen": "huyện, thị xã, thành phố", "xa": "xã, phường, đặc khu"}
KIND_WORDS = {"so_nganh": "sở, ban, ngành", "cong_an": "sở, ban, ngành", "doan_the": "tổ chức chính trị - xã hội",
              "nhom": "cơ quan", **LOCAL_UNITS}
SHORT_PAIR = 110  # characters: two notable results are quoted only when together they are this short
MAX_ITEMS = 4  # groups of agencies' texts stated in the body; the rest are counted and left to the workbook
MIN_ITEMS = 2  # statements of a single agency are printed only to reach this many
MAX_NAMED = 3  # agencies named in full after a statement; more are counted by kind
MAX_DETAILS = 8  # full variant: distinct results listed under an activity
MAX_GROUPED = 2000  # distinct texts grouped by similarity; beyond that only exact repeats are merged
LOW_SHARE = 0.5  # an activity where fewer than half the assigned partners or local units implemented is named
SUBJECT_RULE_SHARE = 0.4  # the rule under the trích yếu: 1/3 to 1/2 of its line (Nghị định 30), aimed at 0.4


@dataclass(frozen=True)
class Note:
    """A drafter's note: a Word comment on the first paragraph containing `anchor`."""

    anchor: str
    text: str


def pct(part: float, whole: float) -> str:
    """'47,4%' (one decimal, Vietnamese comma); '0%' of nothing."""
    return f"{vn_number(100 * part / whole, 1)}%" if whole else "0%"


def money(value: float) -> str:
    return f"{vn_number(value, 1)} triệu đồng"


def sentence(text: str) -> str:
    """A text as a sentence: first letter capital, one full stop."""
    text = text.strip().rstrip(" .;,")
    return text[:1].upper() + text[1:] + "." if text else ""


def lower_first(text: str) -> str:
    """'Tổ chức…' -> 'tổ chức…' unless it starts with a name (two capitals, e.g. 'UBND', 'Sở')."""
    text = text.strip()
    if not text or (len(text) > 1 and text[1].isupper()) or text.split(" ", 1)[0] in ("Sở", "Ủy", "Hội", "Ban"):
        return text
    return text[:1].lower() + text[1:]


def figures_sentence(figures: dict[str, float]) -> str:
    """'tổ chức 46 hoạt động/đợt, 4.113 lượt người tham gia, kinh phí 413,6 triệu đồng' (no stop)."""
    events, people = figures.get("events", 0.0), figures.get("people", 0.0)
    total = figures.get("money_state", 0.0) + figures.get("money_other", 0.0)
    if not (events or people or total):
        return "chưa có số liệu về số hoạt động, người tham gia và kinh phí"
    parts = []
    if events or people:
        parts.append(f"tổ chức {vn_number(events)} hoạt động/đợt" + (
            f", {vn_number(people)} lượt người tham gia" if people else ""))
    if total:
        parts.append(f"kinh phí {money(total)}")
    return ", ".join(parts)


class Words:
    """Names and references as the report writes them, for one workspace."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.plan = ws.plan
        self.number_label = ws.plan.terms.number_label
        self.department = ws.settings.department
        self.department_code = ws.settings.department_code
        # short names with an abbreviation in them ('Sở TN&MT', 'Sở VH-TT', 'UBND huyện A')
        self._full = {a.short_name: a.name for a in ws.registry if a.short_name != a.name
                      and any(sum(c.isupper() for c in w) >= 2 for w in a.short_name.split())}
        self._full["UBND"] = "Ủy ban nhân dân"
        keys = sorted(self._full, key=len, reverse=True)
        self._abbreviations = re.compile("|".join(rf"(?<!\w){re.escape(k)}(?!\w)" for k in keys))

    def agency(self, code: str) -> Agency:
        return self.ws.registry.get(code)

    def name(self, code: str) -> str:
        """The agency's full name (the report defines no abbreviation)."""
        return self.agency(code).name

    def who(self, codes: list[str] | tuple[str, ...], word: str = "cơ quan, đơn vị") -> str:
        """'Sở Y tế và Sở Nội vụ', or '18 cơ quan, đơn vị' (their names are in the summary workbook)."""
        codes = [c for c in dict.fromkeys(codes) if c in self.ws.registry]
        if len(codes) <= MAX_NAMED:
            names = [self.name(c) for c in codes]
            return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " và " + names[-1] if names else ""
        return f"{len(codes)} {word}"

    def ref(self, activity_id: str) -> str:
        """How prose names an activity: its number in the plan and the start of its content."""
        activity = self.plan.activity(activity_id)
        words = activity.content.rstrip(" .").split()
        short = " ".join(words[:9]) + ("…" if len(words) > 9 else "")
        return f"“{short}” ({self.number_label} {activity.numbers_label})" if activity.numbers else f"“{short}”"

    def level_words(self, codes: list[str]) -> str:
        kinds = {self.agency(c).kind for c in codes if c in self.ws.registry}
        if len(kinds) == 1:
            return LOCAL_UNITS.get(kinds.pop(), "địa phương")
        return "địa phương"

    def expand(self, text: str) -> str:
        """Agencies' own abbreviations written out: registry short names such as 'Sở TN&MT' by their full names,
        'UBND' by 'Ủy ban nhân dân' (the report defines no abbreviation; the original stays in the workbook)."""
        return self._abbreviations.sub(lambda m: self._full[m.group(0)], text)

    def names_of_department(self) -> list[str]:
        """Ways agencies name the department in their texts, folded."""
        out = [self.department]
        if self.department_code in self.ws.registry:
            a = self.agency(self.department_code)
            out += [a.name, a.short_name, *a.aliases]
        return [n for n in dict.fromkeys(out) if n]

    @functools.cached_property
    def department_keys(self) -> tuple[str, ...]:
        """The department's names folded without diacritics, for finding them in agencies' texts."""
        return tuple(k for k in dict.fromkeys(strip_diacritics(fold(n)) for n in self.names_of_department()) if k)


def _number_key(activity: Activity) -> tuple[Any, ...]:
    """Numeric order of an activity's first number: '12' < '22' < '83, 84'; 'II.3' after 'I.9'."""
    if not activity.numbers:
        return (10**9,)
    parts = []
    for piece in re.split(r"[.\s]+", activity.numbers[0]):
        if piece.isdigit():
            parts.append(int(piece))
        elif re.fullmatch(r"[IVXLC]+", piece):
            parts.append(_roman(piece))
        elif piece:
            parts.append(ord(piece[0]))
    return tuple(parts)


def _roman(text: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for i, ch in enumerate(text):
        v = values[ch]
        total += -v if i + 1 < len(text) and values[text[i + 1]] > v else v
    return total


def _title_case(title: str) -> str:
    """A section title written in capitals, as a sentence ('HẠ TẦNG SỐ' -> 'Hạ tầng số')."""
    letters = [c for c in title if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        title = title.lower()
    return title[:1].upper() + title[1:]


def build_context(ws: Workspace, summary: YearSummary, history: list[YearSummary] | None = None,
                  period: tuple[int, int] | None = None, today: dt.date | None = None,
                  full: bool = False) -> dict[str, Any]:
    """Everything the Word template needs, as plain strings and lists (and the drafter's notes)."""
    s, plan = ws.settings, ws.plan
    s.require(NEEDED_TO_REPORT, "viết báo cáo")
    words = Words(ws)
    history = list(history or [])
    label = summary.label
    years_label = _years_label(summary) if period else label
    previous = history[-1] if history and not period else None
    notes: list[Note] = []
    found = anomalies(summary, previous) if not period else _period_anomalies(summary)
    acts = summary.activities
    totals = summary.totals()
    date_year = _date_year(ws, summary, today)
    context: dict[str, Any] = {
        "authority": s.authority,
        "department": s.department.upper(),
        "department_name": s.department,
        "plan_title": plan.title,
        "number_line": f"Số:        /{s.report_symbol}",
        "place_date": f"{s.province}, ngày      tháng      năm {date_year}",
        "title": "BÁO CÁO",
        "subject": _subject(plan.title, label, period),
        "plan_period": _subject(plan.title, label, period).split(" thực hiện ", 1)[1],
        "recipient": s.committee_full,
        "intro": (f"Thực hiện {plan_reference(plan, s.committee_full)}; trên cơ sở báo cáo của các cơ quan, đơn vị và "
                  f"địa phương, {s.department} báo cáo kết quả thực hiện {label} như sau:"),
        "number_label": plan.terms.number_label,
        "year_label": label,
        "years_label": years_label,
        "is_period_review": period is not None,
        "data_years": f" ({summary.data_label})" if period else "",
        "full": full,
        "key_figures": _key_figures(ws, words, summary, years_label),
        "direction": _direction(ws, words, summary, period),
        "results_intro": _results_intro(words, summary, years_label),
        "groups": _groups(ws, words, summary, found, notes, full, period),
        "other_activities": _others(words, summary),
        "comparison": _comparison(words, summary, history, period),
        "shortcomings": _shortcomings(words, summary, found, notes, period),
        "causes": _grouped(words, _texts(summary, "difficulties"), exclude_self=False),
        "directions": _directions(words, summary),
        "proposals_to_department": _to_department(words, summary),
        "own_proposals": _own_proposals(ws, words, summary),
        "proposals": _grouped(words, [t for t in _texts(summary, "proposals") if not _addresses(words, t[1])]),
        "appendix_rows": _appendix_rows(words, summary),
        "appendix_totals": {k: vn_number(totals[k], 1 if k.startswith("money") else 0) for k in FIGURES},
        "appendix_status_label": f"Tình trạng (năm {summary.year})" if period else "Tình trạng",
        "signer": {"authority": s.signer.authority, "title": s.signer.title, "name": s.signer.name},
        "recipients": list(s.recipients),
        "charts": _charts(words, summary),
        # kept for templates written before the restructure
        "recommendations": [], "highlights": [], "difficulties": [], "reporting": _reporting(ws, summary),
    }
    for a in found:
        anchor = _anchor(words, a)
        if anchor and not any(n.anchor == anchor and n.text == note_text(ws, a) for n in notes):
            notes.append(Note(anchor, note_text(ws, a)))
    context["notes"] = notes
    del acts
    return context


def _subject(title: str, label: str, period: tuple[int, int] | None) -> str:
    """The trích yếu; a plan titled '… giai đoạn 2014-2020' is not followed by the same period again."""
    if period is not None:
        span = re.compile(rf"{period[0]}\s*[-–]\s*{period[1]}")
        return f"Tổng kết thực hiện {title}" + ("" if span.search(title) else f" {label}")
    return f"Kết quả thực hiện {title} {label}"


def _date_year(ws: Workspace, summary: YearSummary, today: dt.date | None) -> int:
    """The year on the date line: the reporting year (a period: its last year with data), or as configured."""
    choice = ws.settings.date_year
    if choice == "today":
        return (today or dt.date.today()).year
    return summary.year + (1 if choice == "next" else 0)


def _years_label(summary: YearSummary) -> str:
    """'giai đoạn 2014-2020 (số liệu các năm 2014-2016; các năm 2017-2020 chưa có báo cáo)'."""
    assert summary.period is not None
    start, end = summary.period
    have = list(summary.years)
    missing = [y for y in range(start, end + 1) if y not in have]
    out = f"giai đoạn {start}-{end} (số liệu {_span(have)}"
    if missing:
        out += f"; {_span(missing)} chưa có số liệu"
    return out + ")"


def _span(years: list[int]) -> str:
    """'năm 2015', 'các năm 2014-2016', 'các năm 2014, 2016'."""
    if len(years) == 1:
        return f"năm {years[0]}"
    if years == list(range(years[0], years[-1] + 1)):
        return f"các năm {years[0]}-{years[-1]}"
    return "các năm " + ", ".join(str(y) for y in years)


def _key_figures(ws: Workspace, words: Words, summary: YearSummary, label: str) -> list[str]:
    """Page 1: progress, scale, money by source, reporting — the figures `report --json` prints."""
    acts = summary.activities
    n = len(acts)
    c = summary.status_counts()
    totals = summary.totals()
    lines = []
    if n:
        parts = [f"{c[Status.DONE]} hoạt động đã hoàn thành ({pct(c[Status.DONE], n)})"]
        parts += [f"{c[s]} {word} ({pct(c[s], n)})" for s, word in ((Status.IN_PROGRESS, "đang thực hiện"),
                                                                   (Status.NOT_STARTED, "chưa thực hiện")) if c[s]]
        if c[Status.NOT_APPLICABLE]:
            parts.append(f"{c[Status.NOT_APPLICABLE]} không phát sinh ({pct(c[Status.NOT_APPLICABLE], n)})")
        if c[Status.NOT_REPORTED]:
            parts.append(f"{c[Status.NOT_REPORTED]} chưa có báo cáo của cơ quan chủ trì "
                         f"({pct(c[Status.NOT_REPORTED], n)})")
        when = f"đến năm {summary.year}" if summary.period else ""
        lines.append(f"Tiến độ{' ' + when if when else ''}: trong {n} hoạt động của Kế hoạch, " + ", ".join(parts) + ".")
    else:
        lines.append("Tiến độ: chưa có hoạt động nào của Kế hoạch được báo cáo.")
    lines.append(f"Quy mô: tổ chức {vn_number(totals['events'])} hoạt động/đợt, thu hút "
                 f"{vn_number(totals['people'])} lượt người tham gia, hưởng lợi.")
    total_money = totals["money_state"] + totals["money_other"]
    lines.append(f"Kinh phí: {money(total_money)}, trong đó ngân sách nhà nước {money(totals['money_state'])} "
                 f"({pct(totals['money_state'], total_money)}), nguồn tài trợ, viện trợ, huy động "
                 f"{money(totals['money_other'])} ({pct(totals['money_other'], total_money)}).")
    others = summary.merged.others
    if len(others):
        o = {k: float(others[k].sum()) for k in FIGURES}
        lines.append(f"Ngoài Kế hoạch: {others['agency'].nunique()} cơ quan, đơn vị báo cáo thêm "
                     f"{vn_number(len(others))} hoạt động khác, kinh phí {money(o['money_state'] + o['money_other'])}.")
    lines.append(_reporting_line(words, summary))
    return lines


def _reporting_line(words: Words, summary: YearSummary) -> str:
    if summary.period:
        parts = []
        for y in summary.per_year:
            sent = sum(1 for a in y.reporting if a.state.received)
            parts.append(f"năm {y.year}: {sent}/{len(y.reporting)}")
        return "Báo cáo: số cơ quan, đơn vị đã gửi báo cáo trên số phải báo cáo — " + "; ".join(parts) + "."
    rep = summary.reporting
    got = [a for a in rep if a.state.received]
    late = [a for a in got if a.state == AgencyState.LATE]
    missing = [a for a in rep if a.state == AgencyState.MISSING]
    bad = [a for a in rep if a.state in (AgencyState.REJECTED, AgencyState.UNREADABLE)]
    out = (f"Báo cáo: {len(got)}/{len(rep)} cơ quan, đơn vị đã gửi báo cáo ({pct(len(got), len(rep))}), "
           f"trong đó {len(got) - len(late)} đúng hạn, {len(late)} chậm hạn")
    if missing:
        out += f"; {len(missing)} chưa gửi"
    if bad:
        out += f"; {len(bad)} đã gửi nhưng báo cáo chưa đạt yêu cầu, chưa tổng hợp được"
    return out + "."


def _direction(ws: Workspace, words: Words, summary: YearSummary, period: tuple[int, int] | None) -> list[str]:
    """I. Công tác chỉ đạo, triển khai: who was asked, who reported, the documents agencies cite."""
    out = []
    if period:
        for y in summary.per_year:
            out.append(_reporting_sentence(ws, words, y, f"Năm {y.year}"))
        missed = [a for a in records(summary.agencies) if a["years_reported"] < a["years_expected"]]
        if missed:
            names = [f"{words.name(a['agency'])} ({a['years_reported']}/{a['years_expected']} năm)" for a in missed]
            out.append(f"Có {len(missed)} cơ quan, đơn vị chưa gửi đủ báo cáo các năm"
                       + (": " + "; ".join(names) if len(missed) <= MAX_NAMED * 2 else
                          " (danh sách tại trang “Tình trạng nộp” của bảng tổng hợp)") + ".")
    else:
        out.append(_reporting_sentence(ws, words, summary, ""))
    evidence = summary.merged.rows
    docs: dict[str, set[str]] = {}
    for agency, text in evidence[["agency", "evidence"]].itertuples(index=False, name=None):
        for item in re.split(r"[;\n]+", str(text or "")):
            if item.strip():
                docs.setdefault(fold(item), set()).add(agency)
    if docs:
        agencies = {a for who in docs.values() for a in who}
        out.append(f"Các cơ quan, đơn vị dẫn {len(docs)} văn bản làm minh chứng cho kết quả thực hiện "
                   f"({len(agencies)} cơ quan, đơn vị); danh mục tại trang “Chi tiết” của bảng tổng hợp.")
    return out


def _reporting_sentence(ws: Workspace, words: Words, summary: YearSummary, lead: str) -> str:
    rep = summary.reporting
    got = [a for a in rep if a.state.received]
    late = [a.agency for a in got if a.state == AgencyState.LATE]
    missing = [a.agency for a in rep if a.state == AgencyState.MISSING]
    rejected = [a.agency for a in rep if a.state == AgencyState.REJECTED]
    unreadable = [a.agency for a in rep if a.state == AgencyState.UNREADABLE]
    try:
        deadline = f" (hạn gửi ngày {ws.settings.deadline_for(summary.year):%d/%m/%Y})"
    except Exception:  # a deadline left blank: the sentence goes without it
        deadline = ""
    text = (f"{lead + ', t' if lead else 'T'}heo Kế hoạch, {len(rep)} cơ quan, đơn vị có nhiệm vụ báo cáo kết quả "
            f"thực hiện năm {summary.year}{deadline}. {ws.settings.department} đã nhận được báo cáo của "
            f"{len(got)}/{len(rep)} cơ quan, đơn vị ({pct(len(got), len(rep))}), trong đó {len(got) - len(late)} "
            f"đúng hạn, {len(late)} chậm hạn")
    text += f" ({words.who(late)})" if late else ""
    if rejected:
        text += f"; {words.who(rejected)} đã gửi nhưng báo cáo chưa đạt yêu cầu, chưa tổng hợp được"
    if unreadable:
        text += f"; tệp báo cáo của {words.who(unreadable)} không đọc được, chưa tổng hợp được"
    if missing:
        text += f"; {words.who(missing)} chưa gửi báo cáo"
    return text + "."


def _results_intro(words: Words, summary: YearSummary, label: str) -> str:
    acts = summary.activities
    part = summary.participation
    implemented = part[part["status"].isin([Status.DONE, Status.IN_PROGRESS])]
    local = list(dict.fromkeys(part[part["role"] == Role.LOCAL]["agency"]))
    units = f" (“địa phương” dưới đây là {len(local)} {words.level_words(local)})" if local else ""
    return (f"Trong {label}, {len(acts)} hoạt động của Kế hoạch được giao thực hiện; "
            f"{implemented['agency'].nunique()} cơ quan, đơn vị và địa phương báo cáo có hoạt động đang thực hiện hoặc "
            f"đã hoàn thành{units}. Kết quả từng hoạt động như sau (số liệu chi tiết tại Phụ lục kèm theo):")


def _groups(ws: Workspace, words: Words, summary: YearSummary, found: list[Anomaly], notes: list[Note],
            full: bool, period: tuple[int, int] | None) -> list[dict[str, Any]]:
    """Kết quả by the plan's groups in their order; a plan without groups in numeric order of its numbers."""
    acts: dict[str, dict[str, Any]] = {str(r["activity_id"]): {str(k): v for k, v in r.items()}
                                     for r in records(summary.activities)}
    rows_by: dict[str, list[dict[str, Any]]] = {}
    for r in records(summary.merged.rows):
        rows_by.setdefault(str(r["activity_id"]), []).append({str(k): v for k, v in r.items()})
    activities = [a for a in ws.plan.activities if a.id in acts]
    groups: list[dict[str, Any]] = []
    if ws.plan.groups:
        titles = {g.key: g for g in ws.plan.groups}
        for g in ws.plan.groups:
            mine = [a for a in activities if a.group == g.key]
            if mine:
                groups.append({"title": _title_case(g.title),
                               "activities": [_activity(ws, words, a, acts[a.id], rows_by.get(a.id, []), full, period, True)
                                              for a in mine]})
        loose = [a for a in activities if a.group not in titles]
        if loose:
            groups.append({"title": "Các hoạt động khác của Kế hoạch",
                           "activities": [_activity(ws, words, a, acts[a.id], rows_by.get(a.id, []), full, period, True)
                                          for a in loose]})
    else:
        ordered = sorted(activities, key=_number_key)
        groups.append({"title": "", "activities": [_activity(ws, words, a, acts[a.id], rows_by.get(a.id, []), full,
                                                             period, True) for a in ordered]})
    return groups


def _activity(ws: Workspace, words: Words, activity: Activity, a: dict[str, Any], rows: list[dict[str, Any]],
              full: bool, period: tuple[int, int] | None, labelled: bool) -> dict[str, Any]:
    """One synthesised paragraph: the status quoted, who implemented, the figures, the most substantive results."""
    status = Status(a["status"])
    when = f" (năm {a['status_year']})" if period else ""
    if a["status_source"] == "local":
        told = int(a["local_reported"])
        units = words.level_words([str(r["agency"]) for r in rows if r["role"] == Role.LOCAL]) \
            if any(r["role"] == Role.LOCAL for r in rows) else "địa phương"
        if status == Status.NOT_REPORTED:
            first = f"Chưa có {units} nào báo cáo hoạt động này (cơ quan chủ trì là các {units})."
        else:
            first = (f"Theo báo cáo của {told}/{int(a['local_assigned'])} {units} (cơ quan chủ trì){when}: "
                     f"{status.label.lower()}.")
    elif status == Status.NOT_REPORTED:
        state = str(a["lead_state"])
        why = {AgencyState.REJECTED: "đã gửi báo cáo nhưng chưa đạt yêu cầu, chưa tổng hợp được",
               AgencyState.UNREADABLE: "đã gửi tệp báo cáo nhưng không đọc được",
               AgencyState.MISSING: "chưa gửi báo cáo"}.get(AgencyState(state) if state else AgencyState.MISSING,
                                                           "chưa báo cáo tình trạng hoạt động này")
        first = f"Cơ quan chủ trì ({words.name(a['lead'])}) {why}."
    else:
        first = f"Chủ trì: {words.name(a['lead'])}, {status.label.lower()}{when}."
    who = []
    if int(a["partner_assigned"]):
        who.append(f"{int(a['partner_implemented'])}/{int(a['partner_assigned'])} cơ quan phối hợp")
    if int(a["local_assigned"]):
        who.append(f"{int(a['local_implemented'])}/{int(a['local_assigned'])} địa phương")
    second = ""
    if who:
        second = "Đã triển khai: " + ", ".join(who)
        if int(a["local_not_arising"]):
            second += f" ({int(a['local_not_arising'])} địa phương không phát sinh)"
        second += "; "
    figures = {k: float(a[k]) for k in FIGURES}
    text = first + " " + sentence(second + figures_sentence(figures))
    done_rows = [r for r in rows if isinstance(r["status"], str) and Status(r["status"]).implemented and r["result"]]
    best = _best_results(words, done_rows, 2 if not full else 0)
    if len(best) == 2 and len(best[0]) + len(best[1]) > SHORT_PAIR:
        best = best[:1]  # the second result only when both fit in about two lines
    if best:
        text += " Kết quả nổi bật: " + "; ".join(best) + "."
    details = []
    if full:
        grouped = group_texts([(str(r["agency"]), str(r["result"])) for r in done_rows])
        for g in grouped[:MAX_DETAILS]:
            details.append(f"{sentence(words.expand(g.text))[:-1]} ({words.who(list(g.agencies))}).")
        if len(grouped) > MAX_DETAILS:
            details.append(f"Và {len(grouped) - MAX_DETAILS} kết quả khác (xem trang “Chi tiết” của bảng tổng hợp).")
    label = f"{words.number_label} {activity.numbers_label}" if labelled and activity.numbers else ""
    return {"label": label, "content": activity.content.rstrip(" ."), "text": text, "details": details,
            "id": activity.id}


def _best_results(words: Words, rows: list[dict[str, Any]], limit: int) -> list[str]:
    """The most substantive results: most people, then money, then events; one per wording and agency."""
    if not limit:
        return []

    def weight(r: dict[str, Any]) -> tuple[float, float, float, int]:
        def v(k: str) -> float:
            x = r.get(k)
            return float(x) if isinstance(x, (int, float)) and x == x else 0.0
        return (v("people"), v("money_state") + v("money_other"), v("events"), len(str(r["result"])))

    out: list[str] = []
    seen: list[str] = []
    agencies: set[str] = set()
    for r in sorted(rows, key=weight, reverse=True):
        key = fold(str(r["result"]))
        if key in seen or r["agency"] in agencies:
            continue
        seen.append(key)
        agencies.add(str(r["agency"]))
        out.append(f"{words.name(str(r['agency']))} {lower_first(words.expand(str(r['result'])).rstrip(' .'))}")
        if len(out) == limit:
            break
    return out


def _others(words: Words, summary: YearSummary) -> dict[str, Any] | None:
    """Work beyond the plan: counted, summed, the three largest by people; the list stays in the workbook."""
    others = summary.merged.others
    if not len(others):
        return None
    figures = {k: float(others[k].sum()) for k in FIGURES}
    plan_money = summary.totals()["money_state"] + summary.totals()["money_other"]
    total = figures["money_state"] + figures["money_other"]
    text = (f"Ngoài các hoạt động theo Kế hoạch, {others['agency'].nunique()} cơ quan, đơn vị báo cáo "
            f"{vn_number(len(others))} hoạt động khác: {figures_sentence(figures)}"
            + (f" (bằng {pct(total, plan_money)} kinh phí các hoạt động theo Kế hoạch)" if plan_money and total else "")
            + ".")
    people = others.assign(p=others["people"].fillna(0)).sort_values("p", ascending=False).head(200)
    by_content: dict[str, dict[str, Any]] = {}
    for agency, content, p in people[["agency", "content", "p"]].itertuples(index=False, name=None):
        key = fold(str(content))
        if not key:
            continue
        item = by_content.setdefault(key, {"content": str(content).rstrip(" ."), "agencies": [], "people": 0.0})
        item["agencies"].append(str(agency))
        item["people"] += float(p)
    top = sorted(by_content.values(), key=lambda i: -i["people"])[:3]
    items = [f"{sentence(words.expand(i['content']))[:-1]} ({words.who(i['agencies'])}; "
             f"{vn_number(i['people'])} lượt người)."
             for i in top]
    rest = len(others) - sum(len(i["agencies"]) for i in top)
    return {"text": text, "lines": items,
            "rest": f"Danh sách đầy đủ ({vn_number(len(others))} hoạt động) tại trang “Hoạt động khác” của bảng tổng "
                    "hợp." if rest > 0 else ""}


def _comparison(words: Words, summary: YearSummary, history: list[YearSummary],
                period: tuple[int, int] | None) -> dict[str, Any] | None:
    """Per-year columns (and the period's total); what changed since the year before."""
    years = list(summary.per_year) if period else [*history, summary]
    if len(years) < 2 and not period:
        return None

    def total(y: YearSummary, key: str) -> float:
        return y.totals()[key] if key in FIGURES else 0.0

    def n_done(y: YearSummary) -> str:
        return str(y.status_counts()[Status.DONE])

    def sent(y: YearSummary) -> str:
        return f"{sum(1 for a in y.reporting if a.state.received)}/{len(y.reporting)}"

    rows: list[dict[str, Any]] = [
        {"label": "Số hoạt động/đợt tổ chức", "values": [vn_number(total(y, "events")) for y in years]},
        {"label": "Lượt người tham gia, hưởng lợi", "values": [vn_number(total(y, "people")) for y in years]},
        {"label": "Kinh phí ngân sách nhà nước (triệu đồng)",
         "values": [vn_number(total(y, "money_state"), 1) for y in years]},
        {"label": "Kinh phí tài trợ, viện trợ, huy động (triệu đồng)",
         "values": [vn_number(total(y, "money_other"), 1) for y in years]},
        {"label": "Hoạt động đã hoàn thành", "values": [n_done(y) for y in years]},
        {"label": "Cơ quan, đơn vị đã gửi báo cáo", "values": [sent(y) for y in years]},
    ]
    heads = [f"Năm {y.year}" for y in years]
    if period:
        t = summary.totals()
        extra = [vn_number(t["events"]), vn_number(t["people"]), vn_number(t["money_state"], 1),
                 vn_number(t["money_other"], 1), f"{n_done(summary)} (đến năm {summary.year})", "—"]
        for row, value in zip(rows, extra):
            row["values"].append(value)
        heads.append("Cả giai đoạn")
    changes = []
    if len(years) >= 2:
        first, last = years[-2], years[-1]
        before = dict(zip(first.activities["activity_id"], first.activities["status"])) if len(first.activities) else {}
        done, back = [], []
        for aid, status in zip(last.activities["activity_id"], last.activities["status"]):
            old = before.get(aid)
            if old is None or old == status:
                continue
            if status == Status.DONE:
                done.append(aid)
            elif old == Status.DONE or (old == Status.IN_PROGRESS and status == Status.NOT_STARTED):
                back.append(aid)
        t0, t1 = first.totals(), last.totals()
        people = _change(t0["people"], t1["people"])
        money_change = _change(t0["money_state"] + t0["money_other"], t1["money_state"] + t1["money_other"])
        text = (f"So với năm {first.year}, năm {last.year} số lượt người tham gia, hưởng lợi {people}, "
                f"tổng kinh phí {money_change}")
        if done:
            text += f"; thêm {len(done)} hoạt động chuyển sang đã hoàn thành"
        # a status reported as going backwards is usually a slip: a drafter's note, not a printed result
        del back
        changes.append(text + ".")
    return {"years": heads, "rows": rows, "status_changes": changes,
            "title": "So sánh kết quả qua các năm" if not period else f"Kết quả từng năm và cả {summary.label}"}


def _change(before: float, after: float) -> str:
    if not before:
        return "không so sánh được (năm trước chưa có số liệu)"
    ratio = (after - before) / before
    if abs(ratio) < 0.0005:
        return "không đổi"
    return f"{'tăng' if ratio > 0 else 'giảm'} {vn_number(abs(100 * ratio), 1)}%"


def _shortcomings(words: Words, summary: YearSummary, found: list[Anomaly], notes: list[Note],
                  period: tuple[int, int] | None) -> list[str]:
    """The department's own findings from the data, in its own voice."""
    acts = records(summary.activities)
    out = []
    not_started = [a for a in acts if a["status"] == Status.NOT_STARTED]
    if not_started:
        out.append(f"Còn {len(not_started)} hoạt động chưa được triển khai theo báo cáo của cơ quan chủ trì: "
                   + _by_lead(words, not_started) + ".")
    missing = [a for a in acts if a["status"] == Status.NOT_REPORTED]
    if missing:
        out.append(f"{len(missing)} hoạt động chưa có báo cáo của cơ quan chủ trì nên chưa đánh giá được tiến độ: "
                   + _by_lead(words, missing) + ".")
    for role, word in (("partner", "cơ quan phối hợp"), ("local", "địa phương")):
        low = [a for a in acts if int(a[f"{role}_assigned"]) >= 3
               and int(a[f"{role}_implemented"]) < LOW_SHARE * int(a[f"{role}_assigned"])]
        if low:
            worst = min(low, key=lambda a: int(a[f"{role}_implemented"]) / int(a[f"{role}_assigned"]))
            out.append(f"Sự tham gia của các {word} chưa đồng đều: ở {len(low)} hoạt động, chưa đến một nửa số {word} "
                       f"được giao đã triển khai (thấp nhất {int(worst[f'{role}_implemented'])}/"
                       f"{int(worst[f'{role}_assigned'])} ở hoạt động {words.ref(worst['activity_id'])}).")
    if period:
        pending = [a for a in acts if a["status"] == Status.IN_PROGRESS]
        if pending:
            out.append(f"Đến năm {summary.year}, còn {len(pending)} hoạt động chưa hoàn thành (đang thực hiện): "
                       + _by_lead(words, pending) + ".")
        gaps = [a for a in records(summary.agencies) if a["years_reported"] < a["years_expected"]]
        if gaps:
            out.append(f"{len(gaps)} cơ quan, đơn vị chưa gửi đủ báo cáo hằng năm theo quy định.")
    # a year's reporting discipline is stated once, in section I, and asked of the committee in section V
    if not out:
        out.append("Qua tổng hợp số liệu, không có hoạt động chưa thực hiện, thiếu báo cáo của cơ quan chủ trì hoặc "
                   "có ít đơn vị tham gia.")
    return out


def _by_lead(words: Words, acts: list[dict[Any, Any]]) -> str:
    """'“…” (Khuyến nghị số 48), “…” (Khuyến nghị số 55) do Sở X chủ trì; “…” do Sở Y chủ trì'."""
    leads: dict[str, list[str]] = {}
    for a in acts:
        leads.setdefault(str(a["lead"]), []).append(words.ref(str(a["activity_id"])))
    return "; ".join(f"{', '.join(refs)} do {words.name(lead)} chủ trì" for lead, refs in leads.items())


def _texts(summary: YearSummary, field: str) -> list[tuple[str, str]]:
    """(agency, text) of one kind of opinion: the 'Đánh giá chung' sheet and the rows' own column."""
    merged = summary.merged
    out = [(str(a), str(t)) for a, f, t in merged.general[["agency", "field", "text"]].itertuples(index=False, name=None)
           if f == field and t]
    if field in merged.rows:
        out += [(str(a), str(t)) for a, t in merged.rows[["agency", field]].itertuples(index=False, name=None) if t]
    return out


def _grouped(words: Words, items: list[tuple[str, str]], exclude_self: bool = True) -> dict[str, Any]:
    """Similar statements once each, with who made them; at most MAX_ITEMS, the rest counted."""
    own = words.department_code
    groups = _group(items)
    # what several agencies say first (at most MAX_ITEMS); a statement of one agency only while the list is short
    shared = [g for g in groups if len(g.agencies) > 1][:MAX_ITEMS]
    single = [g for g in groups if len(g.agencies) == 1][:max(0, MIN_ITEMS - len(shared))]
    shown = [g for g in groups if g in shared or g in single]
    out = []
    for g in shown:
        who = [a for a in g.agencies if a != own]
        out.append(sentence(words.expand(g.text))[:-1] + (f" ({words.who(who)})." if who else "."))
    rest = [g for g in groups if g not in shown]
    more = (f"Ngoài ra còn {len(rest)} ý kiến khác của {words.who([a for g in rest for a in g.agencies])}; toàn văn "
            "tại trang “Ý kiến của đơn vị” của bảng tổng hợp.") if rest else ""
    return {"lines": out, "more": more}


def _group(items: list[tuple[str, str]]) -> list[TextGroup]:
    distinct = list(dict.fromkeys(fold(t) for _, t in items))
    if len(distinct) <= MAX_GROUPED:
        return group_texts(items)
    return group_texts(items, threshold=100.0)  # too many to compare pairwise: exact repeats only


def _addresses(words: Words, text: str) -> bool:
    """True when a proposal is addressed to the department itself ("Đề nghị Sở … tổ chức …")."""
    folded = strip_diacritics(fold(text))
    return any(key in folded for key in words.department_keys)


def _strip_address(words: Words, text: str) -> str:
    """'Đề nghị Sở TN&MT tổ chức tập huấn…' -> 'Tổ chức tập huấn…'."""
    names = "|".join(re.escape(n) for n in sorted(words.names_of_department(), key=len, reverse=True))
    match = re.match(rf"^\s*(?:đề nghị|kiến nghị|đề xuất)\s+(?:{names})\s*[:,]?\s*(.+)$", text, re.I)
    return match.group(1) if match else text


def _to_department(words: Words, summary: YearSummary) -> dict[str, Any]:
    """Proposals addressed to the department: relayed as the agencies', never as its own."""
    own = words.department_code
    items = [(a, _strip_address(words, t)) for a, t in _texts(summary, "proposals")
             if _addresses(words, t) and a != own]
    return _grouped(words, items)


def _directions(words: Words, summary: YearSummary) -> dict[str, Any]:
    acts = records(summary.activities)
    pending = [a for a in acts if a["status"] in (Status.NOT_STARTED, Status.IN_PROGRESS, Status.NOT_REPORTED)]
    own = []
    if pending:
        idle = sum(1 for a in pending if a["status"] == Status.NOT_STARTED)
        own.append(f"Tập trung triển khai {len(pending)} hoạt động chưa hoàn thành"
                   + (f", trước hết {idle} hoạt động chưa thực hiện" if idle else "")
                   + "; đôn đốc các cơ quan chủ trì, phối hợp và địa phương báo cáo đầy đủ, đúng hạn.")
    grouped = _grouped(words, _texts(summary, "directions"))
    if not own and not grouped["lines"]:
        own.append(f"Tiếp tục triển khai các hoạt động của Kế hoạch theo tiến độ giai đoạn {words.plan.start_year}-"
                   f"{words.plan.end_year}; đôn đốc các cơ quan, đơn vị báo cáo đầy đủ, đúng hạn.")
    return {"own": own, "lines": grouped["lines"], "more": grouped["more"]}


def _own_proposals(ws: Workspace, words: Words, summary: YearSummary) -> list[str]:
    """What the data lets the department ask of the committee."""
    out = []
    rep = summary.reporting if not summary.period else ()
    missing = [a.agency for a in rep if a.state == AgencyState.MISSING]
    bad = [a.agency for a in rep if a.state in (AgencyState.REJECTED, AgencyState.UNREADABLE)]
    asks = []
    if missing:
        asks.append(f"{words.who(missing)} gửi báo cáo")
    if bad:
        asks.append(f"{words.who(bad)} hoàn thiện, gửi lại báo cáo")
    if asks:
        out.append(f"Đề nghị {ws.settings.committee_full} chỉ đạo " + "; ".join(asks) + f" để tổng hợp đầy đủ kết quả "
                   f"{summary.label}.")
    not_started = [a for a in records(summary.activities) if a["status"] == Status.NOT_STARTED]
    if not_started:
        leads = [c for c in dict.fromkeys(str(a["lead"]) for a in not_started) if c != words.department_code]
        if leads:
            out.append(f"Đề nghị {ws.settings.committee_full} chỉ đạo {words.who(leads)} khẩn trương triển khai "
                       "các hoạt động chưa thực hiện.")
    return out


def _appendix_rows(words: Words, summary: YearSummary) -> list[dict[str, str]]:
    rows = []
    acts = {r["activity_id"]: r for r in records(summary.activities)}
    order = [a for a in words.plan.activities if a.id in acts]
    if not words.plan.groups:
        order = sorted(order, key=_number_key)
    for i, activity in enumerate(order, start=1):
        r = acts[activity.id]
        rows.append({
            "stt": str(i), "id": activity.id, "recommendations": r["recommendations"], "content": r["content"],
            "lead": words.agency(str(r["lead"])).name,
            "status": Status(r["status"]).label, "events": vn_number(r["events"]), "people": vn_number(r["people"]),
            "money_state": vn_number(r["money_state"], 1), "money_other": vn_number(r["money_other"], 1),
            "reporters": f"{int(r['partner_implemented'])}/{int(r['partner_assigned'])}" if int(r["partner_assigned"])
            else "—",
            "locals": f"{int(r['local_implemented'])}/{int(r['local_assigned'])}" if int(r["local_assigned"]) else "—",
        })
    return rows


def _charts(words: Words, summary: YearSummary) -> list[dict[str, Any]]:
    """The data of the native charts: progress and money/people by the plan's groups (or numbers)."""
    acts = summary.activities
    if not len(acts):
        return []
    cats: list[tuple[str, list[str]]] = []
    if words.plan.groups:
        for g in words.plan.groups:
            ids = [a.id for a in words.plan.activities if a.group == g.key and a.id in set(acts["activity_id"])]
            if ids:
                cats.append((_title_case(g.title), ids))
        axis, x_title = "Nhóm nhiệm vụ", ""
    else:
        by: dict[str, list[str]] = {}
        plan_acts = sorted((a for a in words.plan.activities if a.id in set(acts["activity_id"])), key=_number_key)
        for a in plan_acts:
            by.setdefault(a.numbers_label or "—", []).append(a.id)
        cats = list(by.items())
        axis, x_title = words.plan.terms.item, words.number_label
    table = acts.set_index("activity_id")
    progress = {s.label: [int(sum(1 for i in ids if table.loc[i, "status"] == s)) for _, ids in cats]
                for s in (Status.DONE, Status.IN_PROGRESS, Status.NOT_STARTED, Status.NOT_REPORTED)}
    progress = {k: v for k, v in progress.items() if any(v)}
    labels = [c for c, _ in cats]
    state = [round(float(table.loc[ids, "money_state"].sum()), 1) for _, ids in cats]
    other = [round(float(table.loc[ids, "money_other"].sum()), 1) for _, ids in cats]
    people = [float(table.loc[ids, "people"].sum()) for _, ids in cats]
    when = f"{summary.label}, số liệu {summary.data_label}" if summary.period else summary.label
    return [
        {"key": "progress", "title": f"Tiến độ các hoạt động theo {axis.lower()} ({when})", "categories": labels,
         "axis": axis, "series": progress, "kind": "progress", "y_title": "Số hoạt động", "x_title": x_title},
        {"key": "money", "title": f"Kinh phí và lượt người tham gia theo {axis.lower()} ({when})", "categories": labels,
         "axis": axis, "series": {"Ngân sách nhà nước (triệu đồng)": state,
                                   "Tài trợ, viện trợ, huy động (triệu đồng)": other},
         "line": {"Lượt người tham gia, hưởng lợi": people}, "kind": "money", "y_title": "Triệu đồng",
         "x_title": x_title,
         "y2_title": "Lượt người"},
    ]


def _reporting(ws: Workspace, summary: YearSummary) -> dict[str, Any]:
    rep = summary.reporting

    def pick(*states: AgencyState) -> list[str]:
        return [ws.registry.get(a.agency).name for a in rep if a.state in states]

    return {"expected": len(rep), "received": len(pick(AgencyState.ON_TIME, AgencyState.LATE)),
            "on_time": pick(AgencyState.ON_TIME), "late": pick(AgencyState.LATE),
            "missing": pick(AgencyState.MISSING), "rejected": pick(AgencyState.REJECTED, AgencyState.UNREADABLE)}


def _period_anomalies(summary: YearSummary) -> list[Anomaly]:
    out: list[Anomaly] = []
    years = list(summary.per_year)
    for i, y in enumerate(years):
        out += [a for a in anomalies(y, years[i - 1] if i else None)
                if a.kind in ("lead-not-started-with-figures", "regression", "money-outlier", "row-contradiction")
                and (a.kind != "lead-not-started-with-figures" or y is years[-1])]
    return out


def _anchor(words: Words, a: Anomaly) -> str:
    """The text of the sentence a note belongs to: the activity's content in its paragraph."""
    if a.activity_id in {x.id for x in words.plan.activities}:
        return words.plan.activity(a.activity_id).content.rstrip(" .")
    return ""
