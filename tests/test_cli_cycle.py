"""The yearly commands end to end through the command line, on a copy of the sample workspace."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from pipeline.cli.main import cli, main


@pytest.fixture(scope="module")
def sample_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace with its real inbox, in a folder of its own."""
    dest = tmp_path_factory.mktemp("cycle")
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    for folder in ("plan", "templates", "inbox"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


def test_run_writes_check_and_report(sample_copy: Path) -> None:
    result = CliRunner().invoke(cli, ["-w", str(sample_copy), "run", "--year", "2015", "--json"])
    assert result.exit_code == 1, result.output  # the sample has a rejected file and a missing agency
    data = json.loads(result.output)
    assert data["check"]["files_found"] == sum(data["check"]["counts"].values()) == 33
    assert data["check"]["counts"]["rejected"] == 1
    assert data["report"]["years"] == [2014, 2015]
    assert data["report"]["totals"]["people"] > 0
    for key in ("workbook", "document"):
        assert Path(data["report"][key]).is_file()
    assert (sample_copy / "outbox" / "2015" / "kiem-tra" / "kiem-tra-2015.xlsx").is_file()


def test_report_alone_and_its_summary_line(sample_copy: Path) -> None:
    result = CliRunner().invoke(cli, ["-w", str(sample_copy), "report", "--year", "2016"])
    assert result.exit_code == 0, result.output
    assert "Đã viết báo cáo tổng hợp" in result.output
    assert "Báo cáo Word: outbox/2016/bao-cao-2016.docx" in result.output
    assert (sample_copy / "outbox" / "2016" / "tong-hop-2016.xlsx").is_file()


def test_report_of_a_period_through_the_cli(sample_copy: Path) -> None:
    result = CliRunner().invoke(cli, ["-w", str(sample_copy), "report", "--period", "2014-2020", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["years"] == [2014, 2015, 2016]


def test_codes_lists_the_catalogue() -> None:
    from pipeline.model.findings import CATALOGUE

    result = CliRunner().invoke(cli, ["codes", "--json"])
    assert result.exit_code == 0
    listed = json.loads(result.output)
    assert [c["code"] for c in listed] == list(CATALOGUE)
    one = CliRunner().invoke(cli, ["codes", "not-a-number"])
    assert one.exit_code == 0 and "Không phải là số" in one.output and "Lỗi" in one.output
    assert main(["codes", "no-such-code"]) == 2
