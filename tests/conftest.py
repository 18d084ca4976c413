"""Shared fixtures: the sample workspace, copied so tests never write into the repo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.check.result import CheckResult
from pipeline.consolidate.merge import Merged, merge
from pipeline.model.agencies import Registry
from pipeline.workspace.registry import load_registry
from pipeline.workspace.load import Workspace, load_workspace

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "plan" / "nguon" / "qd2130-2014.txt"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(ROOT / "plan" / "agencies.csv")


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    """A fresh copy of the sample workspace's settings, plan and templates."""
    dest = tmp_path / "ws"
    dest.mkdir()
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    shutil.copytree(ROOT / "plan", dest / "plan")
    if (ROOT / "templates").is_dir():
        shutil.copytree(ROOT / "templates", dest / "templates")
    (dest / "inbox").mkdir()
    (dest / "outbox").mkdir()
    return dest


@pytest.fixture(scope="session")
def sample() -> Workspace:
    """The bundled sample workspace, read-only."""
    return load_workspace(ROOT)


def merged_of(result: CheckResult, ws: Workspace) -> Merged:
    """The merged tables of a check's counted files."""
    return merge(result.counted(), ws.plan)
