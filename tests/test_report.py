"""The consolidated outputs: one truth for every count, the Word layout is the state's, the period review is true."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from conftest import ROOT
from pipeline.cli.main import main
from pipeline.cycle import report as build_report
from pipeline.model.numbers import vn_number
from pipeline.model.vocab import Role, Status
from pipeline.workspace.load import load_workspace

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
IMPLEMENTED = {str(Status.DONE), str(Status.IN_PROGRESS)}


def _copy_sample(dest: Path) -> Path:
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    for folder in ("plan", "templates", "inbox"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The sample workspace with its real inbox (2014-2016), reported for 2015."""
    ws = load_workspace(_copy_sample(tmp_path_factory.mktemp("ws")))
    return ws, build_report(ws, 2015)


@pytest.fixture(scope="module")
def period(built):  # type: ignore[no-untyped-def]
    ws, _ = built
    return build_report(ws, period=(2014, 2020))


def _texts(path: Path) -> list[str]:
    document = docx.Document(str(path))
    return [p.text for p in document.paragraphs]


def _appendix(path: Path) -> list[list[str]]:
    document = docx.Document(str(path))
    table = next(t for t in document.tables if t.cell(0, 0).text == "STT")
    return [[c.text.strip() for c in r.cells] for r in table.rows]


def _independent_counts(ws, result) -> dict[str, dict[str, tuple[int, int]]]:  # type: ignore[no-untyped-def]
    """Per activity, recomputed from the merged rows and the assignments: (implemented, assigned) per role."""
    rows = result.summary.merged.rows
    status = {(a, i): s for a, i, s in rows[["agency", "activity_id", "status"]].itertuples(index=False, name=None)}
    out: dict[str, dict[str, list[int]]] = {}
    for a in ws.assignments(2015):
        role = {Role.PARTNER: "partner", Role.LOCAL: "local", Role.LEAD: "lead"}[a.role]
        cell = out.setdefault(a.activity.id, {}).setdefault(role, [0, 0])
        cell[1] += 1
        cell[0] += status.get((a.agency, a.activity.id)) in IMPLEMENTED
    return {k: {r: (v[0], v[1]) for r, v in d.items()} for k, d in out.items()}


def test_counts_are_identical_in_docx_workbook_and_merged_table(built) -> None:  # type: ignore[no-untyped-def]
    ws, result = built
    truth = _independent_counts(ws, result)
    acts = result.summary.activities.set_index("activity_id")
    for aid, roles in truth.items():
        for role, (done, assigned) in roles.items():
            assert (acts.loc[aid, f"{role}_implemented"], acts.loc[aid, f"{role}_assigned"]) == (done, assigned)
    # the Word appendix: one row per activity, in the report's order, with "x/y" for partners and local units
    rows = _appendix(result.document)[2:-1]
    contents = {ws.plan.activity(a).content: a for a in truth}
    book = openpyxl.load_workbook(result.workbook, data_only=True)
    sheet = book["Theo hoạt động"]
    heads = [c.value for c in sheet[3]]
    by_id = {r[0]: r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0]}
    for row in rows:
        aid = contents[row[2]]
        partner, local = truth[aid].get("partner", (0, 0)), truth[aid].get("local", (0, 0))
        assert row[5] == (f"{partner[0]}/{partner[1]}" if partner[1] else "—")
        assert row[6] == (f"{local[0]}/{local[1]}" if local[1] else "—")
        line = by_id[aid]
        assert line[heads.index("Phối hợp đã triển khai")] == partner[0]
        assert line[heads.index("Địa phương đã triển khai")] == local[0]
        assert line[heads.index("Địa phương được giao")] == local[1]
    # and the activity paragraph of the body says the same
    body = "\n".join(_texts(result.document))
    for aid, roles in truth.items():
        paragraph = next(p for p in body.split("\n") if ws.plan.activity(aid).content.rstrip(" .") in p
                         and "Đã triển khai" in p)
        local = roles.get("local", (0, 0))
        assert f"{local[0]}/{local[1]} địa phương" in paragraph


def test_figures_agree_in_docx_workbook_json_and_merged_table(built, capsys) -> None:  # type: ignore[no-untyped-def]
    ws, result = built
    merged = result.summary.merged.rows
    sums = {k: float(merged[k].sum()) for k in ("events", "people", "money_state", "money_other")}
    book = openpyxl.load_workbook(result.workbook, data_only=True)
    sheet = book["Theo hoạt động"]
    heads = [c.value for c in sheet[3]]
    total = next(r for r in sheet.iter_rows(min_row=4, values_only=True) if r[2] == "Tổng cộng")
    assert total[heads.index("Lượt người")] == pytest.approx(sums["people"])
    assert total[heads.index("Kinh phí NSNN (tr.đ)")] == pytest.approx(sums["money_state"])
    appendix_total = _appendix(result.document)[-1]
    assert appendix_total[-4:] == [vn_number(sums["events"]), vn_number(sums["people"]),
                                   vn_number(sums["money_state"], 1), vn_number(sums["money_other"], 1)]
    assert main(["-w", str(ws.settings.root), "report", "--year", "2015", "--json"]) == 0
    totals = json.loads(capsys.readouterr().out)["totals"]
    assert set(totals) == {"events", "people", "money_state", "money_other"}
    for key, value in sums.items():
        assert totals[key] == pytest.approx(value)
    # page 1 states exactly those figures
    key = "\n".join(_texts(result.document))
    key = key[key.index("Kết quả chủ yếu"):key.index("I. CÔNG TÁC CHỈ ĐẠO")]
    assert f"tổ chức {vn_number(totals['events'])} hoạt động/đợt, thu hút {vn_number(totals['people'])} lượt" in key
    assert f"ngân sách nhà nước {vn_number(totals['money_state'], 1)} triệu đồng" in key
    assert f"huy động {vn_number(totals['money_other'], 1)} triệu đồng" in key
    assert f"Kinh phí: {vn_number(totals['money_state'] + totals['money_other'], 1)} triệu đồng" in key
    detail = book["Chi tiết"]
    heads = [c.value for c in detail[1]]
    trail = [r[heads.index("Ô nguồn")] for r in detail.iter_rows(min_row=2, values_only=True)]
    assert all(t and t.startswith("Tình trạng: ") for t in trail)  # every row names its source cells, in Vietnamese
    assert {r[0] for r in detail.iter_rows(min_row=2, values_only=True)} == {2015}


def test_only_implementing_agencies_are_said_to_have_implemented(built) -> None:  # type: ignore[no-untyped-def]
    ws, result = built
    rows = result.summary.merged.rows
    doing = {aid: {ws.registry.get(a).name for a, s in zip(g["agency"], g["status"]) if s in IMPLEMENTED}
             for aid, g in rows.groupby("activity_id")}
    names = sorted((a.name for a in ws.registry), key=len, reverse=True)
    body = _texts(result.document)
    checked = 0
    for aid in doing:
        content = ws.plan.activity(aid).content.rstrip(" .")
        paragraph = next(p for p in body if content in p and "Kết quả nổi bật:" in p)
        cited = paragraph.split("Kết quả nổi bật:", 1)[1]
        found = [n for n in names if n in cited]
        assert found and set(found) <= doing[aid] | {n for n in found if any(n in m and n != m for m in found)}, aid
        checked += 1
    assert checked == len(result.summary.activities) - 0
    text = "\n".join(body)
    assert "báo cáo có triển khai" not in text  # the old sentence that named districts saying "Chưa thực hiện"


def test_report_reads_as_a_signed_report(built) -> None:  # type: ignore[no-untyped-def]
    _, result = built
    document = docx.Document(str(result.document))
    body = "\n".join(p.text for p in document.paragraphs)
    main_text = body[:body.index("\nPhụ lục\n")]
    assert not re.search(r"\bHD\d\d\b", main_text) and "KN " not in main_text and "&" not in main_text
    # abbreviations agencies write (Sở LĐTBXH, UBND) are written out; a document's symbol (2130/QĐ-UBND) stays
    assert not re.search(r"(?<![-/])\bUBND\b", main_text) and "LĐTBXH" not in main_text.replace("/BC-SLĐTBXH", "")
    assert "năm 2015" in "".join(c.text for c in document.tables[0].rows[1].cells)  # the date line's year
    assert "(số liệu chi tiết tại Phụ lục kèm theo)" in main_text
    for heading in ("I. CÔNG TÁC CHỈ ĐẠO, TRIỂN KHAI", "II. KẾT QUẢ THỰC HIỆN", "III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
                    "2. Nguyên nhân", "IV. PHƯƠNG HƯỚNG", "V. ĐỀ XUẤT, KIẾN NGHỊ"):
        assert heading in main_text
    # proposals addressed to the department are relayed as the agencies', never as its own
    own = main_text.split("V. ĐỀ XUẤT, KIẾN NGHỊ", 1)[1]
    assert "Lao động - Thương binh và Xã hội tổ chức tập huấn" not in own and "Sở LĐTBXH tổ chức" not in own
    assert "Các cơ quan, đơn vị đề nghị Sở Lao động - Thương binh và Xã hội:\n- Tổ chức tập huấn nghiệp vụ" in main_text
    # the department's own findings come first in section III, in its voice
    shortcomings = main_text.split("1. Tồn tại, hạn chế", 1)[1].split("2. Nguyên nhân", 1)[0]
    assert "Còn 2 hoạt động chưa được triển khai" in shortcomings
    assert "chưa có báo cáo của cơ quan chủ trì" in shortcomings and "Sở Tư pháp" in shortcomings
    # each similar statement once, with how many said it
    causes = main_text.split("2. Nguyên nhân", 1)[1].split("IV. PHƯƠNG HƯỚNG", 1)[0]
    assert causes.count("Đội ngũ cán bộ làm công tác trẻ em cấp xã thường xuyên thay đổi") == 1
    assert "(23 cơ quan, đơn vị)" in causes
    # work beyond the plan with its figures
    assert "83 hoạt động/đợt, 12.284 lượt người tham gia, kinh phí 805,3 triệu đồng" in main_text
    with zipfile.ZipFile(result.document) as zf:
        assert {"word/charts/chart1.xml", "word/charts/chart2.xml"} <= set(zf.namelist())


def test_drafter_notes_are_comments_and_a_review_sheet(built) -> None:  # type: ignore[no-untyped-def]
    ws, result = built
    with zipfile.ZipFile(result.document) as zf:
        comments = zf.read("word/comments.xml").decode("utf-8")
    assert comments.count("<w:comment ") == 5
    assert "báo cáo “Chưa thực hiện”, nhưng 20 cơ quan phối hợp" in comments  # HD04, HD06
    assert "tệp của cơ quan chủ trì bị từ chối" in comments  # HD15
    assert "năm 2014 cơ quan chủ trì" in comments  # HD03, HD04 went backwards
    body = "\n".join(_texts(result.document))
    assert "lùi" not in body.split("\nPhụ lục\n")[0]  # never printed as a result
    sheet = openpyxl.load_workbook(result.workbook)["Cần rà soát"]
    notes = [r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0]]
    assert len(notes) == 5


def test_summary_workbook_sheets_and_charts(built) -> None:  # type: ignore[no-untyped-def]
    _, result = built
    book = openpyxl.load_workbook(result.workbook)
    assert book.sheetnames == ["Theo hoạt động", "Theo đơn vị", "Chi tiết", "Hoạt động khác", "Ý kiến của đơn vị",
                               "Tình trạng nộp", "Kết quả kiểm tra", "Cần rà soát", "Biểu đồ tiến độ",
                               "Biểu đồ kinh phí", "Qua các năm"]
    assert book["Chi tiết"].auto_filter.ref and book["Chi tiết"].freeze_panes == "A2"
    for name in ("Biểu đồ tiến độ", "Biểu đồ kinh phí"):
        setup = book[name].sheet_properties.pageSetUpPr
        assert setup is not None and setup.fitToPage
        # 1 is the default: openpyxl reads it as None when the file leaves it out
        assert {book[name].page_setup.fitToWidth, book[name].page_setup.fitToHeight} <= {None, 1}
    with zipfile.ZipFile(result.workbook) as zf:
        assert {"xl/charts/chart1.xml", "xl/charts/chart2.xml"} <= set(zf.namelist())
        money = zf.read("xl/charts/chart2.xml").decode("utf-8")
    assert '<c:tickLblSkip val="1"/>' in money  # every agency's name shown
    years = [r[0] for r in book["Qua các năm"].iter_rows(min_row=2, values_only=True)]
    assert years == ["2014", "2015"]
    values = [v for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r
              if isinstance(v, float)]
    assert all(len(repr(v).split(".")[-1]) <= 6 for v in values)  # no 8016.700000000002


def test_agency_text_is_never_a_formula(tmp_path: Path) -> None:
    from pipeline.outputs.xlsx import formats, workbook, write

    path = tmp_path / "t.xlsx"
    with workbook(path) as book:
        sheet = book.add_worksheet("x")
        for r, text in enumerate(("=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "http://example.vn")):
            write(sheet, r, 0, text, formats(book)["text"])
    cells = [c for (c,) in openpyxl.load_workbook(path)["x"].iter_rows()]
    assert all(c.data_type == "s" for c in cells)
    assert not list(tmp_path.glob(".tmp-*"))


def _ratios(text: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r"(?<![\d/.,])(\d+)/(\d+)(?![\d/])", text)]


def test_period_review_is_true(period) -> None:  # type: ignore[no-untyped-def]
    result = period
    assert result.document.name == "bao-cao-tong-ket-2014-2020.docx"
    assert [h.year for h in result.history] == [2014, 2015, 2016]
    document = docx.Document(str(result.document))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for r in t.rows for c in r.cells])
    ratios = _ratios(text.replace("/BC-", " "))
    assert ratios and all(a <= b for a, b in ratios), [r for r in ratios if r[0] > r[1]]
    assert "giai đoạn 2014-2020 (số liệu các năm 2014-2016; các năm 2017-2020 chưa có số liệu)" in text
    assert "Tiến độ đến năm 2016" in text and "Tình trạng (năm 2016)" in text
    assert "Năm 2014, theo Kế hoạch" in text and "Năm 2016, theo Kế hoạch" in text
    comparison = next(t for t in document.tables if t.cell(0, 0).text == "Chỉ tiêu")
    assert [c.text for c in comparison.rows[0].cells] == ["Chỉ tiêu", "Năm 2014", "Năm 2015", "Năm 2016",
                                                           "Cả giai đoạn"]
    assert "giai đoạn 2014-2020 giai đoạn" not in text  # the plan's title already names its period
    book = openpyxl.load_workbook(result.workbook, data_only=True)
    for name in ("Chi tiết", "Hoạt động khác", "Ý kiến của đơn vị"):
        assert book[name].cell(1, 1).value == "Năm"
        assert {r[0] for r in book[name].iter_rows(min_row=2, values_only=True)} == {2014, 2015, 2016}
    status = [c.value for c in book["Tình trạng nộp"][1]]
    assert {"Năm 2014", "Năm 2015", "Năm 2016"} <= set(status)
    years = [r[0] for r in book["Qua các năm"].iter_rows(min_row=2, values_only=True)]
    assert years[:3] == ["2014", "2015", "2016"] and "2017 (chưa có số liệu)" in years
    assert years[-1] == "Cả giai đoạn 2014-2020"
    acts = book["Theo hoạt động"]
    heads = [c.value for c in acts[3]]
    for row in acts.iter_rows(min_row=4, values_only=True):
        if row[0]:
            assert row[heads.index("Phối hợp đã triển khai")] <= row[heads.index("Phối hợp được giao")]
            assert row[heads.index("Địa phương đã triển khai")] <= row[heads.index("Địa phương được giao")]


@pytest.mark.parametrize("span", ["2016-2020", "2015-2015"])
def test_period_with_one_year_of_data(built, span: str) -> None:  # type: ignore[no-untyped-def]
    ws, _ = built
    assert main(["-w", str(ws.settings.root), "report", "--period", span]) == 0
    text = "\n".join(_texts(ws.settings.outbox(span) / f"bao-cao-tong-ket-{span}.docx"))
    start, end = span.split("-")
    assert f"số liệu năm {start}" in text


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice không có trên máy")
def test_rendered_report_is_short_with_figures_on_page_one(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, result = built
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(result.document)], check=True, capture_output=True, timeout=300)
    pdf = tmp_path / (result.document.stem + ".pdf")
    pages = []
    for i in range(1, 40):
        done = subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"], capture_output=True,
                              text=True, timeout=60)
        if done.returncode != 0 or not done.stdout.strip():
            break
        pages.append(done.stdout)
    body = next(i for i, p in enumerate(pages, start=1) if "Nơi nhận" in p)
    assert body <= 8, f"body is {body} pages"
    assert "92.394" in pages[0] and "8.592,7" in pages[0] and "Kinh phí" in pages[0]
    assert not any(re.search(r"\bHD\d\d\b", p) for p in pages[:body])
    appendix = pages[body:]
    assert appendix and appendix[0].lstrip().startswith("Phụ lục")
    if len(appendix) > 1:
        assert appendix[1].strip().split("\n")[0].strip() == "2"  # numbered from 1 of its own
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    assert next(tmp_path.glob("page*.png")).stat().st_size > 20_000
    # the rule under the trích yếu, measured on the page: 1/3 to 1/2 of the subject's longest line
    subprocess.run(["pdftoppm", "-gray", "-r", "150", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "gray")],
                   check=True, timeout=120)
    rule, line = _subject_rule(next(tmp_path.glob("gray*.pgm")).read_bytes())
    assert 1 / 3 <= rule / line <= 1 / 2, (rule, line)


def _subject_rule(pgm: bytes) -> tuple[int, int]:
    """(rule length, longest text line above it) in pixels: the second long solid line of page 1 is that rule."""
    fields = pgm.split(maxsplit=4)
    width, height, pixels = int(fields[1]), int(fields[2]), fields[4]
    spans: list[tuple[int, int, int] | None] = []  # (first dark x, last dark x, dark count) per row
    for y in range(height):
        row = pixels[y * width:(y + 1) * width]
        dark = [x for x in range(width) if row[x] < 140]
        spans.append((dark[0], dark[-1], len(dark)) if dark else None)
    rules = [y for y, s in enumerate(spans) if s and s[2] > width // 10 and s[2] >= 0.97 * (s[1] - s[0] + 1)]
    below_motto = [y for y in rules if y > rules[0] + 20]  # the motto's rule comes first
    y = below_motto[0]
    rule = spans[y][1] - spans[y][0] + 1  # type: ignore[index]
    top = y - 1
    while top > 0 and spans[top] is None:
        top -= 1
    widest = 0
    while top > 0 and y - top < 300:  # the subject's lines, up to the blank above "BÁO CÁO"
        band = []
        while top > 0 and spans[top] is not None:
            band.append(spans[top])
            top -= 1
        widest = max(widest, max(s[1] for s in band if s) - min(s[0] for s in band if s))  # type: ignore[misc]
        gap = top
        while top > 0 and spans[top] is None:
            top -= 1
        if gap - top > 15:  # a wider gap: the title "BÁO CÁO" is above
            break
    return rule, widest


def _pdf_pages(pdf: Path) -> list[str]:
    pages = []
    for i in range(1, 200):
        done = subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"], capture_output=True,
                              text=True, timeout=60)
        if done.returncode != 0 or not done.stdout.strip():
            break
        pages.append(done.stdout)
    return pages


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice không có trên máy")
def test_ten_thousand_rows_beyond_the_plan_keep_the_body_short(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """One agency sends 10,000 rows of "Hoạt động khác" and long opinions: counted and summed, listed in the workbook."""
    import dataclasses

    import pandas as pd

    from pipeline.outputs.word.context import build_context
    from pipeline.outputs.word.render import render_report

    ws, result = built
    summary = result.summary
    one = summary.merged.others.iloc[0].to_dict()
    flood = pd.DataFrame.from_records([{**one, "agency": "YTE", "content": f"Hoạt động truyền thông số {i}",
                                        "people": float(i % 97), "money_other": 0.5, "row": 6 + i}
                                       for i in range(10_000)])
    general = summary.merged.general
    import random

    rng = random.Random(13)
    vocabulary = ("kinh phí", "đào tạo", "thiết bị", "truyền thông", "kiểm tra", "hướng dẫn", "biên chế", "phần mềm",
                  "hội nghị", "khen thưởng", "dữ liệu", "giám sát", "cơ sở", "nhân lực", "văn bản", "quy trình")
    opinions = pd.DataFrame.from_records([{**general.iloc[0].to_dict(), "field": "proposals",
                                           "text": "Đề nghị " + " ".join(rng.sample(vocabulary, 6))}
                                          for i in range(300)])
    merged = dataclasses.replace(summary.merged, others=pd.concat([summary.merged.others, flood], ignore_index=True),
                                 general=pd.concat([general, opinions], ignore_index=True))
    big = dataclasses.replace(summary, merged=merged)
    context = build_context(ws, big, list(result.history))
    out = tmp_path / "big.docx"
    render_report(ws.settings.templates_dir / "bao_cao.docx", context, out)
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(out)], check=True, capture_output=True, timeout=300)
    pages = _pdf_pages(tmp_path / "big.pdf")
    body = next(i for i, p in enumerate(pages, start=1) if "Nơi nhận" in p)
    assert body <= 8, f"body is {body} pages"
    text = " ".join("\n".join(pages).split())
    assert "10.013 hoạt động khác" in text and "trang “Hoạt động khác” của bảng tổng hợp" in text
    assert "ý kiến khác" in text  # the opinions beyond the first five are counted, not printed
