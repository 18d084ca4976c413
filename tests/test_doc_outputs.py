"""Sample outputs in the README and the officer's guide are what the commands print.

A fenced block preceded by `<!-- output: baocao … -->` is run on a copy of the sample workspace
and must match line for line, so the documentation cannot drift from the tool.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from pipeline.cli.main import cli

DOCS = (ROOT / "README.md", ROOT / "docs" / "huong-dan-su-dung.md")
MARKED = re.compile(r"<!-- output: (baocao [^>]+?) -->\n```\n[$>] \1\n(.*?)```", re.S)


def _blocks() -> list[tuple[str, str, str]]:
    return [(path.name, cmd, out) for path in DOCS for cmd, out in MARKED.findall(path.read_text(encoding="utf-8"))]


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A fresh copy each time: a second run on the same copy would find its outputs unchanged and say so."""
    dest = tmp_path
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    for folder in ("plan", "templates", "inbox"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


def test_docs_mark_their_sample_outputs() -> None:
    assert {(name, cmd) for name, cmd, _ in _blocks()} >= {("README.md", "baocao report --year 2015"),
                                                           ("huong-dan-su-dung.md", "baocao report --year 2015")}


@pytest.mark.parametrize(("doc", "command", "shown"), _blocks())
def test_sample_output_is_what_the_command_prints(sample: Path, doc: str, command: str, shown: str) -> None:
    result = CliRunner().invoke(cli, ["-w", str(sample), *shlex.split(command)[1:]], catch_exceptions=False,
                                env={"COLUMNS": "110"})
    printed = [line.rstrip() for line in result.output.rstrip("\n").split("\n")]
    assert printed == [line.rstrip() for line in shown.rstrip("\n").split("\n")], doc
