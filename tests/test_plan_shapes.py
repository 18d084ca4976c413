"""Appendices of every common shape: headers, sections, extra columns, periods, documents, leads, levels."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest

from pipeline.model.agencies import Agency, Registry, local_levels
from pipeline.model.errors import ConfigError
from pipeline.model.plan import parse_numbers, parse_period
from pipeline.plan_import import import_plan
from pipeline.plan_import.source import decode

DOC = "Quyết định số 9/QĐ-UBND ngày 1/2/2022"
HEADER = "STT\tNội dung\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian thực hiện"


def _write(tmp_path: Path, *lines: str, doc: str = DOC, header: str = HEADER) -> Path:
    path = tmp_path / "kh.txt"
    path.write_text(f"{doc}\nKẾ HOẠCH\nThử nghiệm giai đoạn 2022-2025\n\n{header}\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize(("header", "item"), [
    ("STT\tNội dung\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian thực hiện", "Nhiệm vụ"),
    ("TT\tNhiệm vụ\tĐơn vị chủ trì\tĐơn vị phối hợp\tThời gian hoàn thành", "Nhiệm vụ"),
    ("Số Khuyến nghị\tNội dung hoạt động\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian thực hiện", "Khuyến nghị"),
    ("Khuyến nghị số\tNội dung\tChủ trì\tPhối hợp\tThời hạn", "Khuyến nghị"),
    ("Mục tiêu\tNội dung hoạt động\tCơ quan chủ trì\tCơ quan phối hợp\tTiến độ", "Mục tiêu"),
    ("TT\tMục tiêu, chỉ tiêu\tCơ quan, đơn vị chủ trì\tCơ quan, đơn vị phối hợp\tThời gian", "Mục tiêu"),
])
def test_header_wordings_and_the_plans_own_term(registry: Registry, tmp_path: Path, header: str, item: str) -> None:
    plan = import_plan(_write(tmp_path, "1\tMột.\tSở Y tế\tSở Tư pháp\t2022", header=header), registry, "p")
    a = plan.activities[0]
    assert (a.numbers, a.content, a.leads, a.partners, a.start_year, a.end_year) == \
        (("1",), "Một.", ("YTE",), ("TUPHAP",), 2022, 2022)
    assert plan.terms.item == item and plan.terms.number_label == f"{item} số"


def test_two_row_header_column_numbers_and_extra_columns(registry: Registry, tmp_path: Path) -> None:
    header = ("TT\tNội dung\tCơ quan thực hiện\t\tThời gian hoàn thành\tSản phẩm\tKinh phí (triệu đồng)\tGhi chú\n"
              "\t\tChủ trì\tPhối hợp\t\t\t\t\n(1)\t(2)\t(3)\t(4)\t(5)\t(6)\t(7)\t(8)")
    plan = import_plan(_write(tmp_path, "1\tMột.\tSở Y tế\tSở Tư pháp\t2023\tBáo cáo\t120\t", header=header),
                       registry, "p")
    a = plan.activities[0]
    assert (a.leads, a.partners, a.start_year) == (("YTE",), ("TUPHAP",), 2023)
    assert a.extra == (("Sản phẩm", "Báo cáo"), ("Kinh phí (triệu đồng)", "120"), ("Ghi chú", ""))
    assert plan.extra_columns == ("Sản phẩm", "Kinh phí (triệu đồng)", "Ghi chú")


def test_sections_become_groups(registry: Registry, tmp_path: Path) -> None:
    plan = import_plan(_write(
        tmp_path,
        "I. CÔNG TÁC TRUYỀN THÔNG",  # a full-width merged cell loses its tabs in a text extraction
        "1\tTruyền thông.\tSở Y tế\tSở Tư pháp\t2022",
        "2\tTập huấn.\tSở Tư pháp\t\t2023",
        "II\tKIỂM TRA, GIÁM SÁT",
        "1\tKiểm tra.\tSở Nội vụ\tSở Y tế\tHằng năm",
        "2\tGiám sát\tSở Nội vụ\tSở Y tế\t2024",
        "\tliên ngành.\t\t\t",  # a row split by a page break
    ), registry, "p")
    assert [(g.key, g.title) for g in plan.groups] == [("I", "CÔNG TÁC TRUYỀN THÔNG"), ("II", "KIỂM TRA, GIÁM SÁT")]
    assert [(a.group, a.numbers) for a in plan.activities] == [
        ("I", ("I.1",)), ("I", ("I.2",)), ("II", ("II.1",)), ("II", ("II.2",))]  # numbers restart: qualified
    assert plan.activities[3].content == "Giám sát liên ngành."


def test_nested_sections_and_sub_numbers(registry: Registry, tmp_path: Path) -> None:
    plan = import_plan(_write(
        tmp_path,
        "A\tNHIỆM VỤ CHUNG",
        "1\tXây dựng văn bản",
        "1.1\tBan hành kế hoạch.\tSở Y tế\t\t2022",
        "1.2\tBan hành hướng dẫn.\tSở Y tế\tSở Tư pháp\t2023",
        "B\tNHIỆM VỤ RIÊNG",
        "2.1\tTổ chức thực hiện.\tSở Nội vụ\tSở Y tế\t2022-2025",
    ), registry, "p")
    assert [(g.key, g.parent) for g in plan.groups] == [("A", ""), ("A.1", "A"), ("B", "")]
    assert [(a.group, a.numbers_label) for a in plan.activities] == [("A.1", "1.1"), ("A.1", "1.2"), ("B", "2.1")]


@pytest.mark.parametrize(("text", "years"), [
    ("2026-2030", (2026, 2030)), ("2026 - 2030", (2026, 2030)), ("2026–2030", (2026, 2030)),
    ("2026 — 2030", (2026, 2030)), ("Hằng năm", (2026, 2030)), ("Hàng năm", (2026, 2030)),
    ("Thường xuyên", (2026, 2030)), ("2026", (2026, 2026)), ("Năm 2027", (2027, 2027)),
    ("Quý IV/2026", (2026, 2026)), ("Quý 2/2028", (2028, 2028)), ("Trước 30/6/2027", (2027, 2027)),
    ("Từ năm 2027", (2027, 2030)), ("Năm 2026 và hằng năm", (2026, 2030)), ("Giai đoạn 2026-2028", (2026, 2028)),
    ("2014-202", None), ("Sở Y tế", None), ("", None), ("2030-2026", None),
])
def test_periods(text: str, years: tuple[int, int] | None) -> None:
    assert parse_period(text, (2026, 2030)) == years


def test_every_year_needs_the_plans_period(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "kh.txt"
    path.write_text(f"{DOC}\n\n{HEADER}\n1\tMột.\tSở Y tế\t\tHằng năm\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="không hiểu được “hằng năm”"):
        import_plan(path, registry, "p")


@pytest.mark.parametrize(("doc", "expected"), [
    (DOC, ("Quyết định", "9/QĐ-UBND", "1/2/2022")),
    ("ỦY BAN NHÂN DÂN\nTỈNH QUẢNG TRỊ\nSố: 123/KH-UBND\nQuảng Trị, ngày 12 tháng 10 năm 2021",
     ("Kế hoạch", "123/KH-UBND", "12/10/2021")),
    ("Căn cứ Kế hoạch số 7/KH-UBND ngày 2/1/2020 của UBND tỉnh;\n(Ban hành kèm theo Quyết định số 2130/QĐ - UBND\n"
     "ngày 17 tháng 9 năm 2014 của Chủ tịch UBND tỉnh)", ("Quyết định", "2130/QĐ-UBND", "17/9/2014")),
    ("Kèm theo Kế hoạch số 45/KH-UBND ngày 12/3/2026", ("Kế hoạch", "45/KH-UBND", "12/3/2026")),
])
def test_issuing_document_dated_either_way(registry: Registry, tmp_path: Path, doc: str,
                                           expected: tuple[str, str, str]) -> None:
    plan = import_plan(_write(tmp_path, "1\tMột.\tSở Y tế\t\t2022", doc=doc), registry, "p")
    assert (plan.terms.document, plan.terms.number, plan.terms.date) == expected


def test_a_plan_without_its_document_is_refused(registry: Registry, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="không tìm thấy số và ngày của văn bản ban hành kế hoạch"):
        import_plan(_write(tmp_path, "1\tMột.\tSở Y tế\t\t2022", doc="Căn cứ Quyết định số 1/QĐ-UBND ngày 1/1/2020"),
                    registry, "p")


@pytest.mark.parametrize(("cell", "leads"), [
    ("Sở Y tế; Sở Tư pháp", ("YTE", "TUPHAP")),
    ("Sở Y tế, Sở Tư pháp", ("YTE", "TUPHAP")),
    ("Sở Y tế\nSở Tư pháp", ("YTE", "TUPHAP")),
    ("UBND các huyện, thị xã, thành phố", ("CAP_HUYEN",)),
    ("UBND các huyện, thị xã, thành phố; Sở Y tế", ("YTE", "CAP_HUYEN")),  # an agency first: the one quoted
    ("UBND cấp huyện", ("CAP_HUYEN",)),
    ("Các địa phương", ("CAP_HUYEN",)),  # the levels the province has
])
def test_several_leads_and_levels(registry: Registry, tmp_path: Path, cell: str, leads: tuple[str, ...]) -> None:
    assert registry.resolve_list(cell) and import_plan(
        _write(tmp_path, f"1\tMột.\t{cell.replace(chr(10), ' ; ')}\t\t2022"), registry, "p").activities[0].leads == leads


@pytest.mark.parametrize(("name", "levels"), [
    ("UBND các huyện, thị xã, thành phố", ("huyen",)), ("UBND cấp xã", ("xa",)),
    ("UBND các xã, phường, đặc khu", ("xa",)), ("UBND các xã, phường, thị trấn", ("xa",)),
    ("Chủ tịch UBND các huyện, thị xã, thành phố", ("huyen",)), ("UBND cấp huyện, cấp xã", ("huyen", "xa")),
    ("UBND các quận, huyện", ("huyen",)), ("Các địa phương", ("huyen", "xa")),
    ("UBND các huyện, thị xã, thành phố liên quan", ("huyen",)),
    ("UBND huyện Lắk", ()), ("UBND phường Hải Châu", ()), ("Thị xã Buôn Hồ", ()), ("Các sở, ngành liên quan", ()),
    ("Sở Xây dựng", ()),
])
def test_level_phrases(name: str, levels: tuple[str, ...]) -> None:
    assert local_levels(name) == levels


def test_a_level_the_registry_lacks_is_explained(tmp_path: Path) -> None:
    registry = Registry([Agency("SYT", "Sở Y tế", "Sở Y tế", (), "so_nganh", "", False),
                         Agency("HAICHAU", "UBND phường Hải Châu", "UBND phường Hải Châu", (), "xa", "", False)])
    assert registry.resolve_list("Các địa phương") == ("CAP_XA",)
    with pytest.raises(ConfigError) as err:
        import_plan(_write(tmp_path, "1\tMột.\tSở Y tế\tUBND các huyện, thị xã, thành phố\t2022"), registry, "p")
    assert "“UBND các huyện, thị xã, thành phố” giao việc cho UBND cấp huyện nhưng danh mục cơ quan chưa có đơn vị " \
           "nào thuộc cấp này" in str(err.value)
    assert "kh.txt, dòng 6" in str(err.value)


def test_numbers() -> None:
    assert parse_numbers("Số 83, 84") == ("83", "84")
    assert parse_numbers("1.2.") == ("1.2",) and parse_numbers("II.3") == ("II.3",)


@pytest.mark.parametrize(("data", "text"), [
    ("Tiếng Việt".encode("utf-16"), "Tiếng Việt"),
    ("Tiếng Việt".encode("utf-16-le"), "Tiếng Việt"),
    ("Tiếng Việt".encode("utf-16-be"), "Tiếng Việt"),
    ("Tiếng Việt".encode("utf-8-sig"), "Tiếng Việt"),
    (b"Ti\xeang Vi\xea\xf2t", "Tiêng Viê\u0323t"),  # Windows-1258: base letters with combining tone marks
])
def test_decoding(data: bytes, text: str, tmp_path: Path) -> None:
    assert decode(data, tmp_path / "x.txt") == text


@pytest.mark.parametrize(("name", "message"), [
    ("kh.doc", "tệp .doc (Word 97-2003) chưa đọc được"),
    ("kh.pdf", "chỉ nhập được tệp .docx (Word) hoặc .txt"),
])
def test_other_files_are_explained(registry: Registry, tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / name).write_bytes(b"x")
    with pytest.raises(ConfigError, match=re.escape(message)):
        import_plan(tmp_path / name, registry, "p")


def _word(path: Path, paragraphs: list[str], center: bool | None) -> Path:
    """A decision made in Word: paragraphs one after another (no blank lines), the appendix as a table."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()
    for text in paragraphs:
        paragraph = document.add_paragraph(text)
        if center is not None and text.isupper() or text.startswith("Phòng"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    table = document.add_table(rows=2, cols=5)
    for c, value in enumerate(HEADER.split("\t")):
        table.cell(0, c).text = value
    for c, value in enumerate(["1", "Một.", "Sở Y tế", "Sở Tư pháp", "Hằng năm"]):
        table.cell(1, c).text = value
    document.save(str(path))
    return path


BODY = ["Thực hiện Chương trình quốc gia giai đoạn 2021-2025, UBND tỉnh ban hành Kế hoạch như sau:",
        "I. MỤC ĐÍCH, YÊU CẦU", "Bảo đảm an toàn cho người dân.", "II. NHIỆM VỤ", "1. Truyền thông.",
        "2. Kiểm tra.", "III. TỔ CHỨC THỰC HIỆN", "Các sở, ngành thực hiện.", "PHỤ LỤC"]


@pytest.mark.parametrize("center", [None, True])
def test_title_from_word_stops_at_the_body(registry: Registry, tmp_path: Path, center: bool | None) -> None:
    paragraphs = ["ỦY BAN NHÂN DÂN", "TỈNH QUẢNG TRỊ", "Số: 123/KH-UBND", "Quảng Trị, ngày 12 tháng 10 năm 2021",
                  "KẾ HOẠCH", "Phòng, chống tai nạn thương tích giai đoạn 2021-2025", *BODY]
    plan = import_plan(_word(tmp_path / "kh.docx", paragraphs, center), registry, "p")
    assert plan.title == "Kế hoạch phòng, chống tai nạn thương tích giai đoạn 2021-2025"
    assert (plan.terms.document, plan.terms.number, plan.terms.date) == ("Kế hoạch", "123/KH-UBND", "12/10/2021")
    assert (plan.start_year, plan.end_year) == (2021, 2025) and plan.task_groups == ("Truyền thông", "Kiểm tra")
    assert (plan.activities[0].start_year, plan.activities[0].end_year) == (2021, 2025)


def test_title_of_a_decision_without_a_plan_heading(registry: Registry, tmp_path: Path) -> None:
    paragraphs = ["Số: 55/QĐ-UBND", "Quảng Trị, ngày 3 tháng 2 năm 2022", "QUYẾT ĐỊNH",
                  "Về việc ban hành Kế hoạch phòng, chống tai nạn thương tích giai đoạn 2022-2025",
                  "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH", "Căn cứ Luật Tổ chức chính quyền địa phương;", *BODY]
    plan = import_plan(_word(tmp_path / "qd.docx", paragraphs, None), registry, "p")
    assert plan.title == "Kế hoạch phòng, chống tai nạn thương tích giai đoạn 2022-2025"
    assert (plan.terms.document, plan.terms.number) == ("Quyết định", "55/QĐ-UBND")
