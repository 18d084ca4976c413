"""Who reports on what, year by year."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pipeline.model.assignments import assignments, by_agency
from pipeline.model.vocab import Role

CHU_TRI, PHOI_HOP, DIA_PHUONG = Role.LEAD, Role.PARTNER, Role.LOCAL
from pipeline.cli.main import cli
from pipeline.workspace.load import Workspace


def _roles(ws: Workspace, year: int) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for a in assignments(ws.plan, ws.registry, year):
        assert a.activity.id not in out.setdefault(a.agency, {}), "one role per agency and activity"
        out[a.agency][a.activity.id] = a.role
    return out


def test_lead_partner_group_and_district_roles(sample: Workspace) -> None:
    roles = _roles(sample, 2015)
    assert roles["LDTBXH"]["HD01"] == CHU_TRI
    assert roles["NOIVU"]["HD01"] == PHOI_HOP
    assert "HD01" not in roles.get("YTE", {})  # HD01's partner is Sở Nội vụ alone
    assert roles["YTE"]["HD14"] == CHU_TRI
    assert roles["YTE"]["HD10"] == PHOI_HOP  # named partner
    assert roles["YTE"]["HD02"] == PHOI_HOP  # through the group
    assert roles["GDDT"]["HD10"] == CHU_TRI  # a lead is never also its own group partner
    assert "LIENQUAN" not in roles  # the group itself reports nothing
    assert "VPUBND" not in roles  # not a group member, never named
    assert set(roles["KRONGPAC"].values()) == {DIA_PHUONG}
    assert len(roles["KRONGPAC"]) == 19


def test_group_partner_is_marked(sample: Workspace) -> None:
    items = by_agency(assignments(sample.plan, sample.registry, 2015))
    yte = {a.activity.id: a for a in items["YTE"]}
    assert yte["HD02"].via_group and not yte["HD10"].via_group


def test_activities_outside_their_period_are_assigned_to_nobody(sample: Workspace) -> None:
    assert any(a.activity.id == "HD01" for a in assignments(sample.plan, sample.registry, 2016))
    assert not any(a.activity.id == "HD01" for a in assignments(sample.plan, sample.registry, 2017))
    assert assignments(sample.plan, sample.registry, 2021) == []
    assert len(_roles(sample, 2017)["LAK"]) == 18


def test_cli_agencies_json(workspace_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["-w", str(workspace_dir), "agencies", "--year", "2017", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    data = {d["code"]: d for d in json.loads(result.output)}
    assert data["LDTBXH"]["leads"] == ["HD02", "HD03", "HD04", "HD05", "HD06", "HD07"]
    assert data["NOIVU"]["leads"] == ["HD16"] and "HD01" not in data["NOIVU"]["partners"]
    assert data["TTTT"]["partners"] == ["HD09"]
    assert "HD02" in data["TTTT"]["partners_via_group"]
    assert len(data["EASUP"]["district_rows"]) == 18


def test_local_reports_setting_on_a_plan_that_names_no_level(sample: Workspace) -> None:
    auto = by_agency(assignments(sample.plan, sample.registry, 2015))
    assert auto == by_agency(assignments(sample.plan, sample.registry, 2015, "all"))
    named = by_agency(assignments(sample.plan, sample.registry, 2015, "named"))
    assert "LAK" not in named and named["YTE"] == auto["YTE"]
