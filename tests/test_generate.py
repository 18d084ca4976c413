"""Submission workbooks and e-mail drafts: contents, protection, validations, identity, reruns."""

from __future__ import annotations

import csv
import email
import email.policy
import os
import shutil
import xml.etree.ElementTree as ET
import zipfile
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.model import layout
from pipeline.model.assignments import by_agency
from pipeline.cli.main import main
from pipeline.mail import Attachment, build_message, to_bytes
from pipeline.model.errors import UsageError
from pipeline.generate.workbooks import (
    GenerateResult, NothingToGenerate, escaped, generate, substitute_xml, workbook_name,
)
from pipeline.generate.master import (
    LOCAL_STATUS_LABELS, PLACEHOLDER, PLACEHOLDERS, STATUS_LABELS, TemplateError, header_columns, row_height,
)
from pipeline.workspace.templates import SUBMISSION_TEMPLATE as TEMPLATE_FILE


def init_template(path: Path) -> None:
    install_template(TEMPLATE_FILE, path)
from pipeline.workspace.load import Workspace, load_workspace
from pipeline.workspace.templates import install_template

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2015
COLUMNS = layout.report_columns("Khuyến nghị")  # the sample plan calls its items "Khuyến nghị"


def copy_workspace(dest: Path, templates: bool = True) -> Path:
    """The sample workspace's settings, plan and (optionally) templates in `dest`."""
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    shutil.copytree(ROOT / "plan", dest / "plan")
    if templates and (ROOT / "templates").is_dir():
        shutil.copytree(ROOT / "templates", dest / "templates")
    (dest / "inbox").mkdir()
    return dest


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, GenerateResult]:
    """One generation of the sample workspace for 2015, shared by the read-only tests."""
    root = copy_workspace(tmp_path_factory.mktemp("gen") / "ws")
    ws = load_workspace(root)
    return ws, generate(ws, YEAR)


@pytest.fixture(scope="module")
def books(run: tuple[Workspace, GenerateResult]) -> dict[str, Workbook]:
    """Every generated workbook, opened once, by agency code."""
    return {w.agency.code: load_workbook(w.workbook) for w in run[1].workbooks}


def report_rows(sheet: Worksheet) -> list[dict[str, Any]]:
    """Data rows of "Báo cáo" read the way the checker reads them: columns by header label."""
    columns = header_columns(sheet, COLUMNS)
    rows = []
    for r in range(layout.FIRST_DATA_ROW, sheet.max_row + 1):
        if not sheet.cell(r, columns["activity_id"]).value:
            break
        rows.append({"row": r, **{k: sheet.cell(r, c).value for k, c in columns.items()}})
    return rows


def meta(wb: Workbook) -> dict[str, str]:
    return {str(k): str(v) for k, v in wb[layout.SHEET_META].iter_rows(values_only=True)}


def validations(sheet: Worksheet, ref: str) -> list[Any]:
    return [dv for dv in sheet.data_validations.dataValidation if ref in dv.sqref]


def letter(sheet: Worksheet, key: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(header_columns(sheet, COLUMNS)[key])


# --- Who gets what ------------------------------------------------------------------------------


def test_every_assigned_agency_gets_a_workbook_and_a_draft(run: tuple[Workspace, GenerateResult]) -> None:
    ws, result = run
    expected = list(by_agency(ws.assignments(YEAR)))
    assert [w.agency.code for w in result.workbooks] == expected
    assert "XAYDUNG" not in expected and "LIENQUAN" not in expected  # nothing assigned: no workbook
    mau = sorted(p.name for p in result.workbooks_dir.iterdir())
    assert mau == sorted(workbook_name(ws.registry.get(c), YEAR) for c in expected)
    assert sorted(p.name for p in result.drafts_dir.iterdir()) == sorted(n.replace(".xlsx", ".eml") for n in mau)
    assert result.workbooks_dir == ws.settings.outbox_dir / "2015" / "mau"
    assert "YTE_so-y-te_2015.xlsx" in mau and "BMT_ubnd-tp-buon-ma-thuot_2015.xlsx" in mau


def test_send_list_names_files_and_rows_per_role(run: tuple[Workspace, GenerateResult]) -> None:
    _, result = run
    raw = result.send_list.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(rows) == len(result.workbooks)
    yte = next(r for r in rows if r["Mã đơn vị"] == "YTE")
    assert yte["Tên đơn vị"] == "Sở Y tế" and yte["Email"] == "vanthu.yte@daklak.example"
    assert yte["Tệp biểu mẫu"] == "mau/YTE_so-y-te_2015.xlsx" and yte["Thư nháp"] == "thu/YTE_so-y-te_2015.eml"
    assert (yte["Chủ trì"], yte["Phối hợp"], yte["Địa phương"]) == ("1", "15", "0")
    lak = next(r for r in rows if r["Mã đơn vị"] == "LAK")
    assert (lak["Chủ trì"], lak["Phối hợp"], lak["Địa phương"], lak["Tổng số hoạt động"]) == ("0", "0", "19", "19")


def test_rows_per_role(books: dict[str, Workbook]) -> None:
    yte = {r["activity_id"]: r for r in report_rows(books["YTE"][layout.SHEET_REPORT])}
    assert yte["HD14"]["role"] == "Chủ trì" and yte["HD14"]["lead"] == "Sở Y tế"
    assert yte["HD10"]["role"] == "Phối hợp" and yte["HD10"]["lead"] == "Sở GD&ĐT"
    assert {"HD02", "HD17", "HD19"} <= set(yte)  # through "Các sở, ngành liên quan"
    assert "HD01" not in yte and "HD08" not in yte
    lak = report_rows(books["LAK"][layout.SHEET_REPORT])
    assert [r["activity_id"] for r in lak] == [f"HD{i:02d}" for i in range(1, 20)]
    assert {r["role"] for r in lak} == {"Địa phương"}
    assert [r["stt"] for r in lak] == list(range(1, 20))
    assert lak[6]["recommendations"] == "83, 84" and lak[0]["period"] == "2014-2016"


def test_nobody_reports_hd01_in_2017(tmp_path: Path) -> None:
    ws = load_workspace(copy_workspace(tmp_path / "ws"))
    result = generate(ws, 2017)
    for w in result.workbooks:
        rows = report_rows(load_workbook(w.workbook, read_only=False)[layout.SHEET_REPORT])
        assert "HD01" not in {r["activity_id"] for r in rows}
    lak = next(w for w in result.workbooks if w.agency.code == "LAK")
    assert len(lak.items) == 18


def test_year_without_activities_is_refused(tmp_path: Path) -> None:
    ws = load_workspace(copy_workspace(tmp_path / "ws"))
    with pytest.raises(NothingToGenerate, match="năm 2030 không có hoạt động"):
        generate(ws, 2030)


# --- The workbook --------------------------------------------------------------------------------


def test_sheets_in_order_and_hidden_identity(run: tuple[Workspace, GenerateResult], books: dict[str, Workbook]) -> None:
    ws, result = run
    for w in result.workbooks:
        wb = books[w.agency.code]
        assert wb.sheetnames == [*layout.SHEETS, layout.SHEET_META]
        assert wb[layout.SHEET_META].sheet_state == "veryHidden"
        assert all(wb[s].sheet_state == "visible" for s in layout.SHEETS)
        rows = report_rows(wb[layout.SHEET_REPORT])
        values = meta(wb)
        assert list(values) == list(layout.META_KEYS)
        assert values["template_version"] == layout.TEMPLATE_VERSION
        assert values["plan_id"] == ws.plan.id and values["agency_code"] == w.agency.code
        assert values["year"] == "2015"
        assert values["generated_at"].startswith("20") and "T" in values["generated_at"]
        assert values["fingerprint"] == layout.fingerprint([(r["activity_id"], r["content"]) for r in rows])
        assert values["activity_ids"] == ",".join(r["activity_id"] for r in rows)
        props = {p.name: p.value for p in wb.custom_doc_props.props}
        assert props == values


def test_text_is_filled_in_and_no_placeholder_is_left(run: tuple[Workspace, GenerateResult],
                                                       books: dict[str, Workbook]) -> None:
    ws, _ = run
    wb = books["YTE"]
    report = wb[layout.SHEET_REPORT]
    assert report["A1"].value == "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH NĂM 2015"
    assert report["A2"].value == "Đơn vị báo cáo: Sở Y tế"
    labels = [report.cell(layout.HEADER_ROW, i + 1).value for i in range(len(layout.REPORT_COLUMNS))]
    assert labels == [c.label for c in COLUMNS] and labels[2] == "Khuyến nghị số"
    numbers = [report.cell(layout.HEADER_ROW + 1, i + 1).value for i in range(len(layout.REPORT_COLUMNS))]
    assert numbers == [f"({i})" for i in range(1, 17)]
    info = {row[1]: row[2] for row in wb[layout.SHEET_INFO].iter_rows(values_only=True) if row[1]}
    assert info["Tên cơ quan, đơn vị"] == "Sở Y tế" and info["Mã đơn vị"] == "YTE" and info["Năm báo cáo"] == 2015
    guide = "\n".join(str(v) for row in wb[layout.SHEET_GUIDE].iter_rows(values_only=True) for v in row if v)
    for phrase in ("Trước ngày 15/12/2015", "Không đổi tên trang tính, không sửa các ô màu xám",
                   "có thể thêm dòng ở trang Hoạt động khác", "triệu đồng", "dd/mm/yyyy",
                   "giữ nguyên tên tệp YTE_so-y-te_2015.xlsx", ws.settings.contact.phone,
                   ws.settings.contact.email, "Không phát sinh"):
        assert phrase in guide, phrase
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and PLACEHOLDER.search(value)), (sheet.title, value)


def test_locked_context_and_unlocked_inputs(books: dict[str, Workbook]) -> None:
    wb = books["GDDT"]
    report = wb[layout.SHEET_REPORT]
    rows = report_rows(report)
    columns = header_columns(report, COLUMNS)
    for row in (rows[0]["row"], rows[-1]["row"]):
        for column in layout.REPORT_COLUMNS:
            cell = report.cell(row, columns[column.key])
            assert cell.protection.locked is column.locked, (cell.coordinate, column.key)
            grey = cell.fill.fgColor.rgb.endswith("E7E6E6")
            assert grey is column.locked
    info = wb[layout.SHEET_INFO]
    for row in info.iter_rows(min_col=2, max_col=3):
        label, value = row
        key = next((k for k, text in layout.INFO_FIELDS if text == label.value), None)
        if key:
            assert value.protection.locked is (key in layout.INFO_LOCKED), key
    general = wb[layout.SHEET_GENERAL]
    for row in general.iter_rows(min_col=2, max_col=3):
        if row[0].value in dict(layout.GENERAL_FIELDS).values():
            assert row[1].protection.locked is False and row[1].alignment.wrap_text
    other = wb[layout.SHEET_OTHER]
    first = layout.FIRST_DATA_ROW
    assert all(not c.protection.locked for c in other[first + layout.OTHER_BLANK_ROWS - 1][: len(layout.OTHER_COLUMNS)])


def test_protection_without_password(books: dict[str, Workbook]) -> None:
    wb = books["YTE"]
    for name in (layout.SHEET_GUIDE, layout.SHEET_INFO, layout.SHEET_REPORT, layout.SHEET_GENERAL):
        protection = wb[name].protection
        assert protection.sheet, name
        assert not protection.password and not protection.hashValue
        assert protection.formatRows is False and protection.formatColumns is False
        assert protection.selectLockedCells is False and protection.selectUnlockedCells is False
    assert not wb[layout.SHEET_OTHER].protection.sheet


def test_status_dropdown_per_role_and_numbers_at_least_zero(books: dict[str, Workbook]) -> None:
    for code, statuses in (("YTE", STATUS_LABELS), ("LAK", LOCAL_STATUS_LABELS)):
        report = books[code][layout.SHEET_REPORT]
        rows = report_rows(report)
        status_col = letter(report, "status")
        for row in (rows[0]["row"], rows[-1]["row"]):
            (dv,) = validations(report, f"{status_col}{row}")
            assert dv.type == "list" and dv.formula1 == '"' + ",".join(statuses) + '"'
            assert dv.showErrorMessage and dv.showInputMessage and "danh sách" in dv.prompt
            for key in ("events", "people", "money_state", "money_other"):
                (num,) = validations(report, f"{letter(report, key)}{row}")
                assert (num.type, num.operator, num.formula1) == ("decimal", "greaterThanOrEqual", "0")
                assert "số" in num.error
        beyond = rows[-1]["row"] + 1
        assert not validations(report, f"{status_col}{beyond}")
    other = books["LAK"][layout.SHEET_OTHER]
    (dv,) = validations(other, "D500")
    assert dv.formula1 == '"' + ",".join(STATUS_LABELS) + '"'
    assert validations(other, "F500")[0].type == "decimal"


def test_number_and_date_formats(books: dict[str, Workbook]) -> None:
    wb = books["YTE"]
    report = wb[layout.SHEET_REPORT]
    row = layout.FIRST_DATA_ROW
    assert report[f"{letter(report, 'events')}{row}"].number_format == "#,##0"
    assert report[f"{letter(report, 'people')}{row}"].number_format == "#,##0"
    assert report[f"{letter(report, 'money_state')}{row}"].number_format == "#,##0.0"
    info = wb[layout.SHEET_INFO]
    date_cell = next(r[2] for r in info.iter_rows(min_col=1, max_col=3) if r[1].value == "Ngày báo cáo")
    assert date_cell.number_format == "dd/mm/yyyy"
    (dv,) = validations(info, date_cell.coordinate)
    assert dv.type == "date"


def test_print_setup_freeze_and_row_heights(books: dict[str, Workbook]) -> None:
    report = books["GDDT"][layout.SHEET_REPORT]
    assert report.page_setup.orientation == "landscape" and int(report.page_setup.paperSize) == 9
    assert report.page_setup.fitToWidth == 1 and report.page_setup.fitToHeight == 0
    assert report.sheet_properties.pageSetUpPr.fitToPage
    assert report.print_title_rows == "$4:$5"
    assert "&P" in (report.oddFooter.center.text or "")
    assert report.freeze_panes == f"C{layout.FIRST_DATA_ROW}"
    widths = {k: report.column_dimensions[letter(report, k)].width for k in ("content", "lead")}
    for row in report_rows(report):
        height = report.row_dimensions[row["row"]].height
        assert height >= row_height([(row["content"], widths["content"]), (row["lead"], widths["lead"])])
    tall = max(report_rows(report), key=lambda r: len(r["content"]))
    short = min(report_rows(report), key=lambda r: len(r["content"]))
    assert report.row_dimensions[tall["row"]].height > report.row_dimensions[short["row"]].height


def test_parts_are_well_formed_xml_without_formulas(run: tuple[Workspace, GenerateResult]) -> None:
    _, result = run
    for w in (result.workbooks[0], result.workbooks[-1]):
        with zipfile.ZipFile(w.workbook) as z:
            assert z.testzip() is None
            for name in z.namelist():
                if name.endswith((".xml", ".rels")):
                    ET.fromstring(z.read(name))
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)


def test_opens_at_the_guide_with_one_sheet_selected(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    path = root / "templates" / TEMPLATE_FILE
    wb = load_workbook(path)
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = True  # the officer saved with all sheets grouped
    wb.active = 2
    wb.save(path)
    out = load_workbook(generate(load_workspace(root), YEAR).workbooks[0].workbook)
    assert out.active.title == layout.SHEET_GUIDE
    assert [s.title for s in out.worksheets if s.sheet_view.tabSelected] == [layout.SHEET_GUIDE]


def test_placeholders_in_footers_keep_ampersands_literal() -> None:
    xml = '<c><t>{don_vi}</t></c><headerFooter><oddFooter>&amp;L{don_vi}&amp;R&amp;P</oddFooter></headerFooter>'
    out = substitute_xml(xml, escaped({"don_vi": "Sở GD&ĐT"}))
    assert out == ('<c><t>Sở GD&amp;ĐT</t></c><headerFooter><oddFooter>&amp;LSở GD&amp;&amp;ĐT&amp;R&amp;P'
                   '</oddFooter></headerFooter>')


# --- The master ----------------------------------------------------------------------------------


def test_committed_master_has_the_contract() -> None:
    path = ROOT / "templates" / TEMPLATE_FILE
    wb = load_workbook(path)
    assert wb.sheetnames == [*layout.SHEETS, layout.SHEET_META]
    report = wb[layout.SHEET_REPORT]
    assert set(header_columns(report, COLUMNS)) == {c.key for c in layout.REPORT_COLUMNS}
    text = " ".join(str(v) for s in wb.worksheets for row in s.iter_rows(values_only=True) for v in row if v)
    for name in ("don_vi", "nam", "han_nop", "lien_he", "dien_thoai", "email_lien_he", "ten_ke_hoach"):
        assert "{" + name + "}" in text
    assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDERS)


def _edit_master(root: Path) -> None:
    path = root / "templates" / TEMPLATE_FILE
    wb = load_workbook(path)
    guide = wb[layout.SHEET_GUIDE]
    cell = next(c for row in guide.iter_rows() for c in row if c.value == "Nhận xét chung, tồn tại và nguyên nhân, "
                "đề xuất, phương hướng năm tới.")
    cell.value = "Câu hướng dẫn do cán bộ sửa cho {don_vi}."
    report = wb[layout.SHEET_REPORT]
    for c in report[layout.HEADER_ROW]:
        c.fill = PatternFill(fill_type="solid", start_color="FFC000", end_color="FFC000")
    report.column_dimensions["I"].width = 50
    wb.save(path)


def test_officer_edits_of_the_master_reach_every_workbook(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    _edit_master(root)
    result = generate(load_workspace(root), YEAR)
    for w in result.workbooks[:3]:
        wb = load_workbook(w.workbook)
        guide = [v for row in wb[layout.SHEET_GUIDE].iter_rows(values_only=True) for v in row if v]
        assert f"Câu hướng dẫn do cán bộ sửa cho {w.agency.name}." in guide
        report = wb[layout.SHEET_REPORT]
        assert report.cell(layout.HEADER_ROW, 4).fill.fgColor.rgb.endswith("FFC000")
        assert report.column_dimensions["I"].width == 50
        assert len(report_rows(report)) == len(w.items)


def test_logo_and_comments_in_the_master_are_kept(tmp_path: Path) -> None:
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image
    from PIL import Image as Picture

    root = copy_workspace(tmp_path / "ws")
    Picture.new("RGB", (80, 40), "red").save(tmp_path / "logo.png")
    path = root / "templates" / TEMPLATE_FILE
    wb = load_workbook(path)
    wb[layout.SHEET_GUIDE].add_image(Image(str(tmp_path / "logo.png")), "E1")
    wb[layout.SHEET_REPORT]["H4"].comment = Comment("Chọn trong danh sách", "Sở")
    wb.save(path)
    result = generate(load_workspace(root), YEAR)
    for w in (result.workbooks[0], result.workbooks[-1]):  # an agency and a district
        out = load_workbook(w.workbook)
        assert len(out[layout.SHEET_GUIDE]._images) == 1
        assert out[layout.SHEET_REPORT]["H4"].comment.text == "Chọn trong danh sách"


def test_missing_master_is_created(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws", templates=False)
    result = generate(load_workspace(root), YEAR)
    assert result.template_created and (root / "templates" / TEMPLATE_FILE).is_file()
    assert not generate(load_workspace(root), YEAR).template_created


def test_unknown_placeholder_is_reported(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    path = root / "templates" / TEMPLATE_FILE
    wb = load_workbook(path)
    wb[layout.SHEET_GUIDE]["C40"] = "Xem {khong_co}"
    wb.save(path)
    result = generate(load_workspace(root), YEAR)
    assert any("{khong_co}" in w and "C40" in w for w in result.warnings)


@pytest.mark.parametrize(("change", "message"), [
    ("rename", "mẫu gốc thiếu trang tính “Báo cáo”"),
    ("header", "thiếu cột “Tình trạng” ở dòng 4"),
    ("below", "có nội dung ở ô A9, dưới dòng mẫu 6"),
    ("label", "trang “Thông tin đơn vị” của mẫu gốc thiếu nhãn “Ngày báo cáo” ở cột B"),
])
def test_broken_master_is_explained(tmp_path: Path, change: str, message: str) -> None:
    root = copy_workspace(tmp_path / "ws")
    path = root / "templates" / TEMPLATE_FILE
    wb = load_workbook(path)
    report = wb[layout.SHEET_REPORT]
    if change == "rename":
        report.title = "Bao cao"
    elif change == "header":
        report.cell(layout.HEADER_ROW, 8).value = "Trạng thái"
    elif change == "below":
        report["A9"] = "Ghi chú thêm"
    else:
        info = wb[layout.SHEET_INFO]
        next(c for c in info["B"] if c.value == "Ngày báo cáo").value = "Ngày lập"
    wb.save(path)
    with pytest.raises(TemplateError, match=message):
        generate(load_workspace(root), YEAR)


def test_unreadable_master_is_explained(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    (root / "templates" / TEMPLATE_FILE).write_bytes(b"not a workbook")
    with pytest.raises(TemplateError, match="không đọc được mẫu gốc"):
        generate(load_workspace(root), YEAR)


# --- Text that looks like a formula --------------------------------------------------------------

TINY_AGENCIES = """code,name,short_name,aliases,kind,email,in_related_group
SOMOT,=Sở Một,=Sở Một,,so_nganh,a@x.example,0
HUYENHAI,+Huyện Hai,@UBND huyện Hai,,huyen,b@x.example,0
"""
TINY_PLAN = """id,recommendations,content,lead,partners,start_year,end_year
HD01,1,=1+2 là nội dung,SOMOT,,2014,2020
HD02,2,-Nội dung có gạch đầu,SOMOT,,2014,2020
HD03,3,@SUM(A1:A2) nội dung,SOMOT,,2014,2020
HD04,4,+84 nội dung,SOMOT,,2014,2020
"""
TINY_META = """id = "tiny"
title = "=Kế hoạch thử"
decision = "1/QĐ-UBND"
decision_date = "1/1/2014"
period = "2014-2020"
task_groups = ["Nhóm"]
"""


def tiny_workspace(root: Path) -> Path:
    (root / "plan").mkdir(parents=True)
    (root / "baocao.toml").write_text('plan = "tiny"\nprovince = "Thử"\ndepartment = "=Sở Một"\ndeadline = "1/12"\n'
                                      'department_code = "SOMOT"\n[contact]\nname = "=Cán bộ"\n'
                                      'email = "c@x.example"\nphone = "0900"\n', encoding="utf-8")
    (root / "plan" / "agencies.csv").write_text(TINY_AGENCIES, encoding="utf-8")
    (root / "plan" / "tiny.csv").write_text(TINY_PLAN, encoding="utf-8")
    (root / "plan" / "tiny.toml").write_text(TINY_META, encoding="utf-8")
    return root


def test_formula_like_text_is_stored_as_text(tmp_path: Path) -> None:
    result = generate(load_workspace(tiny_workspace(tmp_path / "ws")), YEAR)
    assert [w.workbook.name for w in result.workbooks] == ["SOMOT_so-mot_2015.xlsx", "HUYENHAI_ubnd-huyen-hai_2015.xlsx"]
    for w in result.workbooks:
        wb = load_workbook(w.workbook)
        report = wb[layout.SHEET_REPORT]
        rows = report_rows(report)
        assert [r["content"] for r in rows] == ["=1+2 là nội dung", "-Nội dung có gạch đầu", "@SUM(A1:A2) nội dung",
                                                "+84 nội dung"]
        assert {r["lead"] for r in rows} == {"=Sở Một"}
        columns = header_columns(report, COLUMNS)
        for r in rows:
            for key in ("content", "lead"):
                assert report.cell(r["row"], columns[key]).data_type == "s"
        info = {row[1].value: row[2] for row in wb[layout.SHEET_INFO].iter_rows(min_col=1, max_col=3)}
        assert info["Tên cơ quan, đơn vị"].value == w.agency.name and info["Tên cơ quan, đơn vị"].data_type == "s"
        with zipfile.ZipFile(w.workbook) as z:
            assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    msg = email.message_from_bytes(result.workbooks[0].draft.read_bytes(), policy=email.policy.default)
    assert str(msg["Subject"]).endswith("— =Sở Một")


# --- Reruns and the inbox ------------------------------------------------------------------------


def test_second_run_replaces_outputs_and_removes_stale_ones(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    inbox = root / "inbox" / "2015"
    inbox.mkdir()
    received = inbox / "YTE_so-y-te_2015.xlsx"
    received.write_bytes(b"what the agency sent")
    os.utime(received, (1_000_000_000, 1_000_000_000))
    ws = load_workspace(root)
    first = generate(ws, YEAR)
    mau, thu = first.workbooks_dir, first.drafts_dir
    listing = sorted(p.name for p in mau.iterdir()), sorted(p.name for p in thu.iterdir())
    (mau / "OLD_so-cu_2015.xlsx").write_bytes(b"stale")
    (thu / "OLD_so-cu_2015.eml").write_bytes(b"stale")
    (mau / ".YTE_so-y-te_2015.xlsx.abc.tmp").write_bytes(b"crash leftover")
    (mau / "ghi-chu-cua-can-bo.txt").write_text("giữ lại", encoding="utf-8")
    second = generate(ws, YEAR)
    assert sorted(p.name for p in mau.iterdir()) == sorted([*listing[0], "ghi-chu-cua-can-bo.txt"])
    assert sorted(p.name for p in thu.iterdir()) == listing[1]
    assert {p.name for p in second.removed} == {"OLD_so-cu_2015.xlsx", "OLD_so-cu_2015.eml",
                                                ".YTE_so-y-te_2015.xlsx.abc.tmp"}
    assert not list(root.rglob("*.tmp"))
    assert sorted(p.name for p in inbox.iterdir()) == ["YTE_so-y-te_2015.xlsx"]
    assert received.read_bytes() == b"what the agency sent" and received.stat().st_mtime == 1_000_000_000
    assert load_workbook(second.workbooks[0].workbook).sheetnames[0] == layout.SHEET_GUIDE


def test_output_inside_inbox_is_refused(tmp_path: Path) -> None:
    root = copy_workspace(tmp_path / "ws")
    with pytest.raises(UsageError, match="không được ghi biểu mẫu vào thư mục"):
        generate(load_workspace(root), YEAR, root / "inbox" / "2015")


def test_speed_is_measured(run: tuple[Workspace, GenerateResult]) -> None:
    _, result = run
    assert 0 < result.workbook_ms < 100  # ~5 ms on a laptop; generous for slow CI machines
    assert result.setup_ms > 0 and result.email_ms > 0


# --- E-mail drafts -------------------------------------------------------------------------------


def parse(path: Path) -> EmailMessage:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_drafts_address_the_agency_and_carry_its_workbook(run: tuple[Workspace, GenerateResult]) -> None:
    ws, result = run
    contact = ws.settings.contact
    for w in result.workbooks:
        msg = parse(w.draft)
        (sender,) = msg["From"].addresses
        assert (sender.display_name, sender.addr_spec) == (contact.name, contact.email)
        (to,) = msg["To"].addresses
        assert (to.display_name, to.addr_spec) == (w.agency.name, w.agency.email)
        assert str(msg["Subject"]) == ("[Sở LĐTBXH] Đề nghị báo cáo kết quả thực hiện Kế hoạch 2130/QĐ-UBND "
                                       f"năm 2015 — {w.agency.short_name}")
        assert msg["X-Unsent"] == "1" and msg["Date"].datetime is not None
        (attachment,) = list(msg.iter_attachments())
        assert attachment.get_filename() == w.workbook.name
        assert attachment.get_content() == w.workbook.read_bytes()
        assert b"\r\n" in w.draft.read_bytes()[:200]


def test_draft_body_says_what_by_when_and_whom_to_ask(run: tuple[Workspace, GenerateResult]) -> None:
    ws, result = run
    yte = next(w for w in result.workbooks if w.agency.code == "YTE")
    body = parse(yte.draft).get_body(("plain",))
    assert body is not None
    text = body.get_content()
    for phrase in ("Kính gửi: Sở Y tế", "Quyết định số 2130/QĐ-UBND", "năm 2015", "Chủ trì (1 hoạt động):",
                   "  - HD14: Nâng cao nhận thức", "Phối hợp (15 hoạt động):", "  - HD10:",
                   "trước ngày 15/12/2015", "giữ nguyên tên tệp", "trả lời thư này", "YTE_so-y-te_2015.xlsx",
                   ws.settings.contact.name, ws.settings.contact.phone, ws.settings.contact.email):
        assert phrase in text, phrase


def test_message_builder_encodes_vietnamese_names(tmp_path: Path) -> None:
    subject = "[Sở LĐTBXH] Phản hồi báo cáo năm 2015 của Ủy ban nhân dân thành phố Buôn Ma Thuột — cần bổ sung"
    msg = build_message(
        [Address("Trần Minh Đức, Phòng Bảo vệ, chăm sóc trẻ em", addr_spec="a@x.example")],
        [Address("Ủy ban nhân dân thành phố Buôn Ma Thuột", addr_spec="b@x.example"),
         Address("Sở Y tế", addr_spec="c@x.example")],
        subject, "Nội dung thư.\n", [Attachment("Phản hồi Sở Y tế năm 2015 bản cuối.xlsx", b"PK\x03\x04data")],
        draft=False)
    raw = to_bytes(msg)
    assert raw.isascii() or b"\r\n" in raw
    back = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(back["Subject"]) == subject
    assert [a.display_name for a in back["To"].addresses] == ["Ủy ban nhân dân thành phố Buôn Ma Thuột", "Sở Y tế"]
    assert "X-Unsent" not in back
    (attachment,) = list(back.iter_attachments())
    assert attachment.get_filename() == "Phản hồi Sở Y tế năm 2015 bản cuối.xlsx"
    assert "filename*" in str(attachment["Content-Disposition"]) or "filename*" in raw.decode("ascii", "replace")
    assert attachment.get_content() == b"PK\x03\x04data"


# --- Command line --------------------------------------------------------------------------------


def test_cli_generate_prints_a_vietnamese_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pipeline.cli.generate  # noqa: F401  (registers the commands until cli.py imports it)

    root = copy_workspace(tmp_path / "ws")
    assert main(["-w", str(root), "generate", "--year", "2015"]) == 0
    out = capsys.readouterr().out
    assert "Đã tạo 31 biểu mẫu năm 2015 trong outbox/2015/mau/" in out
    assert "Thư nháp kèm biểu mẫu: outbox/2015/thu/" in out and "danh-sach-gui.csv" in out
    assert main(["-w", str(root), "generate", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["year"] == 2015 and len(data["workbooks"]) == 31
    yte = next(w for w in data["workbooks"] if w["code"] == "YTE")
    assert yte["workbook"] == "outbox/2015/mau/YTE_so-y-te_2015.xlsx" and yte["chu_tri"] == 1


def test_cli_template_init_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pipeline.cli.generate  # noqa: F401

    root = copy_workspace(tmp_path / "ws", templates=False)
    assert main(["-w", str(root), "template", "init"]) == 0
    assert "Đã tạo mẫu gốc templates/submission_template.xlsx" in capsys.readouterr().out
    path = root / "templates" / TEMPLATE_FILE
    path.write_bytes(b"edited by the officer")
    assert main(["-w", str(root), "template", "init"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Lỗi: mẫu gốc templates/submission_template.xlsx đã có; thêm --force")
    assert path.read_bytes() == b"edited by the officer"
    assert main(["-w", str(root), "template", "init", "--force"]) == 0
    assert load_workbook(path).sheetnames[: len(layout.SHEETS)] == list(layout.SHEETS)


def test_init_template_writes_atomically(tmp_path: Path) -> None:
    path = tmp_path / "t" / TEMPLATE_FILE
    init_template(path)
    init_template(path)
    assert [p.name for p in path.parent.iterdir()] == [TEMPLATE_FILE]


def test_only_some_agencies_get_the_same_workbooks(run: tuple[Workspace, GenerateResult], tmp_path: Path) -> None:
    """A blank form made for a reminder is the agency's own workbook, laid out as in the full generation."""
    ws, full = run
    codes = [w.agency.code for w in full.workbooks][-2:]
    some = generate(ws, YEAR, out_dir=tmp_path / "some", only=set(codes))
    assert [w.agency.code for w in some.workbooks] == codes
    for mine in some.workbooks:
        reference = next(w for w in full.workbooks if w.agency.code == mine.agency.code)
        a, b = load_workbook(mine.workbook), load_workbook(reference.workbook)
        stamped = {"generated_at", "fingerprint"}  # when it was made, and the seal over that
        assert {k: v for k, v in meta(a).items() if k not in stamped} == \
            {k: v for k, v in meta(b).items() if k not in stamped}
        for name in a.sheetnames:
            if name == layout.SHEET_META:
                continue
            assert [list(r) for r in a[name].iter_rows(values_only=True)] == \
                [list(r) for r in b[name].iter_rows(values_only=True)], name
            widths = {k: d.width for k, d in a[name].column_dimensions.items()}
            assert widths == {k: d.width for k, d in b[name].column_dimensions.items()}, name
