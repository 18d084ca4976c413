"""The plan: its identity and the activities of the decision's appendix."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.model.text import nfc

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
