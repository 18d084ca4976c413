"""A workspace: settings, agency registry and plan, loaded together."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pipeline.model.agencies import Registry
from pipeline.model.assignments import Assignment, assignments
from pipeline.model.errors import ConfigError
from pipeline.model.plan import Plan
from pipeline.workspace.plan_file import load_plan
from pipeline.workspace.registry import load_registry
from pipeline.workspace.settings import Settings, load_settings


@dataclass(frozen=True)
class Workspace:
    """Everything the commands need to know about one officer's folder."""

    settings: Settings
    registry: Registry
    plan: Plan

    @cached_property
    def _assignments(self) -> dict[int, list[Assignment]]:
        return {}

    def assignments(self, year: int) -> list[Assignment]:
        """Assignments in `year` (cached)."""
        if year not in self._assignments:
            self._assignments[year] = assignments(self.plan, self.registry, year, self.settings.local_reports)
        return self._assignments[year]


def load_workspace(root: Path) -> Workspace:
    """Load settings, registry and plan from `root`; ConfigError on any bad file."""
    settings = load_settings(root)
    settings.require(("province", "department"))
    registry = load_registry(settings.agencies_csv)
    if not settings.plan:
        raise ConfigError("chưa có kế hoạch (khóa plan để trống). Chạy “baocao plan import TỆP” với văn bản "
                          "ban hành kế hoạch (.docx hoặc .txt) để nhập", settings.path)
    plan = load_plan(settings.plan_csv, settings.plan_meta, registry)
    return Workspace(settings, registry, plan)
