"""The package as a user installs it: the wheel carries both default templates; the runtime builds none."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from pipeline.model.plan import Activity, Plan, Terms
from pipeline.workspace.plan_file import load_plan, write_plan
from pipeline.workspace.registry import load_registry


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the tracked sources: building in the repository would leave a build/ folder behind,
    and stale files in it would reach later wheels."""
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source") / "baocao"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", "outbox", "inbox", "benchmarks", "docs", "tests"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(source)], check=True, capture_output=True)
    return next(out.glob("baocao-*.whl"))


def test_wheel_carries_the_templates(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "pipeline/templates/submission_template.xlsx" in names
    assert "pipeline/templates/bao_cao.docx" in names
    assert not any("build_templates" in n for n in names)


def test_init_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    """`baocao init` in an empty folder, with the package taken from the wheel, not the repo, copies both templates."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    empty = tmp_path / "empty"
    empty.mkdir()
    deps = sysconfig.get_paths()["purelib"]
    env = {"PYTHONPATH": f"{site}:{deps}", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    code = "import sys, pipeline; from pipeline.cli.main import main; print(pipeline.__file__); sys.exit(main())"
    done = subprocess.run([sys.executable, "-S", "-c", code, "init", str(empty), "--province", "Quảng Trị",
                           "--department", "Sở Y tế", "--department-code", "SYT"], env=env,
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(str(site))
    for name in ("submission_template.xlsx", "bao_cao.docx"):
        assert (empty / "templates" / name).read_bytes() == (ROOT / "pipeline" / "templates" / name).read_bytes()
    assert "Quảng Trị" in (empty / "baocao.toml").read_text(encoding="utf-8")


def test_sample_workspace_uses_the_default_templates() -> None:
    for name in ("submission_template.xlsx", "bao_cao.docx"):
        assert (ROOT / "templates" / name).read_bytes() == (ROOT / "pipeline" / "templates" / name).read_bytes()


def test_a_title_with_a_line_break_round_trips(tmp_path: Path) -> None:
    """A title taken from Word holds a line break; the plan files written must read back the same."""
    registry = load_registry(ROOT / "plan" / "agencies.csv")
    title = 'Kế hoạch "thí điểm"\nthực hiện \\ năm 2026'
    plan = Plan("kh-1", title, Terms("Nhiệm vụ", "Kế hoạch", "12/KH-UBND", "01/02/2026"), 2026, 2030,
                ("Nhóm 1\nnhóm 2",), (), (Activity("HD01", "", ("1",), "Nội dung\nhai dòng", ("YTE",), ("GDDT",), 2026,
                                                 2030),))
    write_plan(plan, tmp_path / "kh-1.csv", tmp_path / "kh-1.toml")
    assert load_plan(tmp_path / "kh-1.csv", tmp_path / "kh-1.toml", registry) == plan
