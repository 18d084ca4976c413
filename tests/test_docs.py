"""Every command is documented in the README; every finding code in the officer's guide."""

from __future__ import annotations

import re

import click
import pytest

from conftest import ROOT
from pipeline.cli.main import cli
from pipeline.model.findings import CATALOGUE


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    out = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out += _commands(command, f"{prefix}{name} ")
        else:
            out.append(f"{prefix}{name}")
    return out


@pytest.mark.parametrize("command", _commands(cli))
def test_command_is_in_readme(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"### `baocao {re.escape(command)}\b", readme), command


@pytest.mark.parametrize("command", _commands(cli))
def test_command_help_has_an_example(command: str) -> None:
    target: click.Command = cli
    for part in command.split():
        assert isinstance(target, click.Group)
        target = target.commands[part]
    assert "Ví dụ:" in (target.help or ""), command


def test_every_finding_code_is_in_the_guide() -> None:
    guide = (ROOT / "docs" / "huong-dan-su-dung.md").read_text(encoding="utf-8")
    missing = [code for code in CATALOGUE if f"`{code}`" not in guide]
    assert missing == []


def test_guide_table_is_in_step_with_the_catalogue() -> None:
    """Each code of the guide's table has the catalogue's severity; the table names no unknown code."""
    guide = (ROOT / "docs" / "huong-dan-su-dung.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z-]+)` \| ([^|]+) \|", guide, re.M)
    assert rows
    for code, severity in rows:
        assert code in CATALOGUE, code
        assert severity.strip() == CATALOGUE[code].severity.label, code
    assert sorted({c for c, _ in rows}) == sorted(CATALOGUE)
