"""The plan register parsed from the decision: text extraction and Word table agree."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from pipeline.model.agencies import Registry
from pipeline.cli.main import cli
from pipeline.model.errors import ConfigError
from pipeline.model.plan import Plan
from pipeline.plan_import import import_plan

from conftest import ROOT, SEED

G = "LIENQUAN"
EXPECTED = [
    ("HD01", ["12"], "Nghiên cứu, xây dựng cơ chế phối hợp và nguồn nhân lực", "LDTBXH", ["NOIVU"], 2014, 2016),
    ("HD02", ["32"], "Phổ biến tới các tổ chức phúc lợi xã hội", "LDTBXH", [G], 2014, 2020),
    ("HD03", ["48"], "Nghiên cứu, đề xuất chính sách hỗ trợ trẻ em có hoàn cảnh đặc biệt", "LDTBXH", [G], 2014, 2020),
    ("HD04", ["48"], "Nghiên cứu, xây dựng và thực hiện kế hoạch điều tra toàn diện", "LDTBXH", [G], 2014, 2020),
    ("HD05", ["48"], "Nghiên cứu, xây dựng, đề xuất và thực hiện chính sách toàn diện", "LDTBXH", [G], 2014, 2020),
    ("HD06", ["55"], "Giảm tỷ lệ trẻ khuyết tật tại các cơ sở chăm sóc tập trung", "LDTBXH", [G], 2014, 2020),
    ("HD07", ["83", "84"], "Báo cáo ghép định kỳ lần thứ năm và thứ sáu", "LDTBXH", [G], 2014, 2020),
    ("HD08", ["22"], "Xây dựng đề án, kế hoạch hành động về giáo dục nhân quyền.", "GDDT", ["LDTBXH"], 2014, 2020),
    ("HD09", ["22"], "Xây dựng đề án, kế hoạch tổ chức phổ biến Công ước tới các dân tộc ít người", "GDDT",
     ["DANTOC", "TTTT"], 2014, 2020),
    ("HD10", ["55"], "Rà soát, đề nghị sửa đổi, hoàn thiện các chính sách, chương trình, đề án liên quan đến trẻ"
     " khuyết tật. Bố trí", "GDDT", ["LDTBXH", "YTE", G], 2014, 2020),
    ("HD11", ["67"], "Tăng cường đào tạo và hướng dẫn cho giáo viên nói tiếng dân tộc ít người.", "GDDT", [G], 2014, 2020),
    ("HD12", ["67"], "Thường xuyên kiểm tra, giám sát các trường dân tộc nội trú.", "GDDT", [G], 2014, 2020),
    ("HD13", ["67"], "Xây dựng đề án, kế hoạch thực hiện Công ước của UNESCO", "GDDT", [G], 2014, 2020),
    ("HD14", ["59"], "Nâng cao nhận thức và hướng dẫn cách tiếp cận", "YTE", [G], 2014, 2020),
    ("HD15", ["51"], "Giám sát các cơ sở nuôi con nuôi", "TUPHAP", ["LDTBXH", G], 2014, 2020),
    ("HD16", ["36", "42"], "Nghiên cứu, hoàn thiện và góp ý xây dựng Luật về Hội", "NOIVU", ["LDTBXH", G], 2014, 2020),
    ("HD17", ["71"], "Xây dựng đề án, kế hoạch thực hiện Quyết định số 605/QĐ-TTg", "CONGAN", [G], 2014, 2020),
    ("HD18", ["78"], "Giám sát việc thực hiện Nghị định thư không bắt buộc", "CONGAN", [G], 2014, 2020),
    ("HD19", ["12"], "Nghiên cứu, bổ sung ngân sách", "TAICHINH", [G], 2014, 2020),
]


def _assert_expected(plan: Plan) -> None:
    assert len(plan.activities) == 19
    for activity, (aid, recs, start, lead, partners, y0, y1) in zip(plan.activities, EXPECTED):
        assert activity.id == aid
        assert list(activity.numbers) == recs, aid
        assert activity.content.startswith(start), aid
        assert activity.leads == (lead,), aid
        assert list(activity.partners) == partners, aid
        assert (activity.start_year, activity.end_year) == (y0, y1), aid


def test_seed_text_gives_the_19_activities(registry: Registry) -> None:
    plan = import_plan(SEED, registry, "p")
    _assert_expected(plan)
    hd10 = plan.activity("HD10").content
    assert hd10.endswith("chống phân biệt đối xử với người khuyết tật.")
    assert "  " not in hd10
    assert plan.decision == "2130/QĐ-UBND" and plan.decision_date == "17/9/2014"
    assert (plan.start_year, plan.end_year) == (2014, 2020)
    assert len(plan.task_groups) == 4 and plan.task_groups[1].startswith("Truyền thông")
    assert plan.title.startswith("Kế hoạch triển khai thực hiện Quyết định số 535/QĐ-TTg")


def _write_docx(plan: Plan, registry: Registry, path: Path) -> None:
    """The appendix as a real Word table, vertically merging equal neighbouring cells."""
    document = docx.Document()
    for line in SEED.read_text(encoding="utf-8").split("PHỤ LỤC")[0].splitlines():
        document.add_paragraph(line.replace("**", "").replace("*", ""))
    rows = [["Số Khuyến nghị", "Nội dung hoạt động", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian thực hiện"]]
    for a in plan.activities:
        rows.append([f"Số {a.numbers_label}", a.content, registry.get(a.lead).name,
                     "; ".join(registry.get(p).short_name for p in a.partners), a.period])
    table = document.add_table(rows=len(rows), cols=5)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    for c in (0, 2, 3, 4):
        start = 1
        for r in range(2, len(rows) + 1):
            if r == len(rows) or rows[r][c] != rows[start][c]:
                if r - 1 > start:
                    top = table.cell(start, c)
                    for k in range(start + 1, r):
                        table.cell(k, c).text = ""
                    top.merge(table.cell(r - 1, c))
                    top.paragraphs[0].text = rows[start][c]
                    for extra in top.paragraphs[1:]:
                        extra._p.getparent().remove(extra._p)
                start = r
    document.save(str(path))


def test_docx_with_merged_cells_gives_the_same_plan(registry: Registry, tmp_path: Path) -> None:
    from_text = import_plan(SEED, registry, "p")
    source = tmp_path / "qd.docx"
    _write_docx(from_text, registry, source)
    cells = [tc for tr in docx.Document(str(source)).tables[0]._tbl.tr_lst for tc in tr.tc_lst]
    assert sum(tc.vMerge == "continue" for tc in cells) > 20  # really merged, not repeated text
    from_docx = import_plan(source, registry, "p")
    _assert_expected(from_docx)
    assert from_docx == from_text


def _table(tmp_path: Path, *lines: str) -> Path:
    header = "Số Khuyến nghị\tNội dung hoạt động\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian thực hiện"
    path = tmp_path / "qd.txt"
    path.write_text("Quyết định số 9/QĐ-UBND ngày 1/2/2014\n\n" + header + "\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # merged recommendation, lead and period cells are empty below their first row
        (["Số 5\tMột.\tSở Y tế\tSở Tư pháp\t2014-2018", "\tHai.\t\tSở Nội vụ\t"],
         [(("5",), "YTE", ("TUPHAP",), 2014, 2018), (("5",), "YTE", ("NOIVU",), 2014, 2018)]),
        # merged partner cell is carried down too
        (["Số 5\tMột.\tSở Y tế\tSở Tư pháp\t2014-2018", "Số 6\tHai.\tSở Nội vụ\t\t2015-2016"],
         [(("5",), "YTE", ("TUPHAP",), 2014, 2018), (("6",), "NOIVU", ("TUPHAP",), 2015, 2016)]),
        # merged lead cell dropped by the extraction: the line shifts left
        (["Số 5\tMột.\tSở Y tế\tSở Tư pháp\t2014-2018", "Số 7, 8\tHai.\tCác sở, ngành liên quan\t2014-2020\t"],
         [(("5",), "YTE", ("TUPHAP",), 2014, 2018), (("7", "8"), "YTE", ("LIENQUAN",), 2014, 2020)]),
        # a partner in the lead's place ("Sở LĐTBXH;") is recognised by the shift, not taken as lead
        (["Số 5\tMột.\tSở GD&ĐT\tSở Y tế\t2014-2020", "Số 55\tRà soát\tSở LĐTBXH;\t2014-2020\t"],
         [(("5",), "GDDT", ("YTE",), 2014, 2020), (("55",), "GDDT", ("LDTBXH",), 2014, 2020)]),
        # a row split by a page break: lower-case continuation joins content and partners
        (["Số 5\tRà soát các\tSở GD&ĐT\tSở LĐTBXH;\t2014-2020", "", "\tchính sách.\t\tSở Y tế\t"],
         [(("5",), "GDDT", ("LDTBXH", "YTE"), 2014, 2020)]),
    ],
)
def test_carry_down_rules(registry: Registry, tmp_path: Path, lines: list[str], expected: list[tuple]) -> None:
    plan = import_plan(_table(tmp_path, *lines), registry, "p")
    got = [(a.numbers, a.lead, a.partners, a.start_year, a.end_year) for a in plan.activities]
    assert got == expected


def test_continuation_joins_content(registry: Registry, tmp_path: Path) -> None:
    plan = import_plan(_table(tmp_path, "Số 5\tRà soát các\tSở GD&ĐT\tSở LĐTBXH;\t2014-2020",
                              "\tchính sách.\t\tSở Y tế\t"), registry, "p")
    assert plan.activities[0].content == "Rà soát các chính sách."


def test_ids_are_stable_on_reimport(registry: Registry, tmp_path: Path) -> None:
    first = import_plan(_table(tmp_path, "Số 5\tMột.\tSở Y tế\tSở Tư pháp\t2014-2018",
                               "Số 6\tHai.\tSở Nội vụ\tSở Y tế\t2014-2018"), registry, "p")
    again = import_plan(_table(tmp_path, "Số 4\tMới.\tSở Y tế\tSở Tư pháp\t2014-2018",
                               "Số 6\tHai.\tSở Nội vụ\tSở Y tế\t2014-2018",
                               "Số 5\tMột.\tSở Y tế\tSở Tư pháp\t2014-2018"), registry, "p", existing=first)
    assert [(a.id, a.content) for a in again.activities] == [("HD03", "Mới."), ("HD02", "Hai."), ("HD01", "Một.")]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Số 5\tMột.\tSở Y tế\tSở Tư pháp\t2014-202", "thời gian thực hiện “2014-202” không hợp lệ"),
        ("Số 5\tMột.\tSở Gì Đó\tSở Tư pháp\t2014-2020", "không nhận ra cơ quan “Sở Gì Đó”"),
        ("Số 5\tMột.\tSở Y tế\tSở Tư pháp; Ban Không Có\t2014-2020", "không nhận ra cơ quan “Ban Không Có”"),
        ("\tMột.\tSở Y tế\tSở Tư pháp\t2014-2020", "dòng đầu của bảng phụ lục thiếu số khuyến nghị"),
    ],
)
def test_bad_source_names_file_and_line(registry: Registry, tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        import_plan(_table(tmp_path, line), registry, "p")
    assert message in str(err.value)
    assert "qd.txt, dòng 4" in str(err.value)


def test_cli_import_then_show_json(workspace_dir: Path) -> None:
    (workspace_dir / "plan" / "qd2130-2014.csv").unlink()
    runner = CliRunner()
    result = runner.invoke(cli, ["-w", str(workspace_dir), "plan", "import", str(SEED)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    shown = runner.invoke(cli, ["-w", str(workspace_dir), "plan", "show", "--json"], catch_exceptions=False)
    data = json.loads(shown.output)
    assert [(d["id"], d["recommendations"], d["lead"], d["partners"], d["start_year"], d["end_year"]) for d in data] \
        == [(e[0], e[1], e[3], e[4], e[5], e[6]) for e in EXPECTED]
    assert set(data[0]) == {"id", "recommendations", "content", "lead", "partners", "start_year", "end_year"}


def test_committed_plan_matches_the_seed(registry: Registry, sample) -> None:  # type: ignore[no-untyped-def]
    assert import_plan(SEED, registry, sample.plan.id) == sample.plan
    assert (ROOT / "plan" / "qd2130-2014.csv").read_bytes().startswith(b"\xef\xbb\xbf")
