"""A second province and plan from scratch: init, registry, plan import, generate, fill, run.

Đà Nẵng (a city under the central government, wards, communes and a special zone), its Sở Khoa
học và Công nghệ, a Kế hoạch with sections, a sixth column and other period forms (see
tests/second_sample.py). Everything the tool writes must speak of them and of nothing of the
bundled sample.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import re
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from pipeline.cli.main import main
from pipeline.model import layout
from pipeline.model.assignments import assignments, by_agency
from pipeline.model.vocab import Role, Status
from pipeline.plan_import import import_plan
from pipeline.workspace.load import load_workspace
from pipeline.workspace.registry import load_registry

DATA = Path(__file__).resolve().parent / "data" / "danang"
YEAR = 2026
COMMUNES = ("HAICHAU", "THANHKHE", "SONTRA", "BANA", "HOANGSA")
# Wording of the bundled sample that must never reach another province's outputs.
SAMPLE_WORDS = ("Đắk Lắk", "ĐẮK LẮK", "LĐTBXH", "Lao động - Thương binh", "2130", "Khuyến nghị", "khuyến nghị",
                "Quyền trẻ em", "quyền trẻ em", "trẻ em", "TRẺ EM", "0262", "daklak", "Buôn Ma Thuột", "huyện Lắk")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SETTINGS = {
    "deadline": "10/12", "report_symbol": "BC-SKHCN", "signer.authority": "KT. GIÁM ĐỐC",
    "signer.title": "PHÓ GIÁM ĐỐC", "contact.name": "Lê Thị Thu, Phòng Chuyển đổi số",
    "contact.phone": "0236 3822 111", "contact.email": "cds.skhcn@danang.example",
}


def _fill_settings(path: Path, values: dict[str, str]) -> None:
    """Fill keys of baocao.toml as the officer does in Notepad, keeping the comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for dotted, value in values.items():
        section, _, key = dotted.rpartition(".")
        start = next(i for i, line in enumerate(lines) if line.startswith(f"[{section}]")) if section else 0
        i = next(i for i in range(start, len(lines)) if re.match(rf'{key}\s*=\s*""', lines[i]))
        lines[i] = lines[i].replace('""', f'"{value}"', 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _texts_of_xlsx(path: Path) -> str:
    book = openpyxl.load_workbook(path)
    values = [str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v]
    values += [str(dv.prompt or "") + str(dv.error or "") for ws in book.worksheets
               for dv in ws.data_validations.dataValidation]
    return "\n".join(values)


def _texts_of_docx(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    parts.append(document.core_properties.title or "")
    return "\n".join(parts)


def _texts_of_eml(path: Path) -> str:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = msg.get_body(("plain",))
    return "\n".join([str(msg["Subject"]), str(msg["From"] or ""), str(msg["To"] or ""),
                      body.get_content() if body is not None else ""])


def _fill(data: bytes, local: bool, seed: int) -> bytes:
    """Fill a workbook as an agency does: every row, the reporter, a date."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    info = book[layout.SHEET_INFO]
    labels = {layout.label_key(str(c.value)): c for c in info["B"] if c.value}
    for key, value in (("Người lập báo cáo", "Trần Văn Nam"), ("Chức vụ", "Chuyên viên"),
                       ("Điện thoại", "0905 000 111"), ("Email", "nam@danang.example")):
        info.cell(labels[layout.label_key(key)].row, 3).value = value
    info.cell(labels[layout.label_key("Ngày báo cáo")].row, 3).value = dt.date(YEAR, 12, 5)
    sheet = book[layout.SHEET_REPORT]
    columns = {c.key: i + 1 for i, c in enumerate(layout.REPORT_COLUMNS)}
    for r in range(layout.FIRST_DATA_ROW, sheet.max_row + 1):
        if not sheet.cell(r, columns["activity_id"]).value:
            break
        if local and (r + seed) % 4 == 0:
            sheet.cell(r, columns["status"]).value = Status.NOT_APPLICABLE.label
            continue
        sheet.cell(r, columns["status"]).value = Status.DONE.label
        sheet.cell(r, columns["result"]).value = f"Đã triển khai tại đơn vị, đợt {seed}."
        sheet.cell(r, columns["events"]).value = 1 + seed % 3
        sheet.cell(r, columns["people"]).value = 10 * (1 + seed % 5)
        sheet.cell(r, columns["money_state"]).value = 2.5
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def cycle_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The whole cycle in a fresh folder, through the real commands."""
    root = tmp_path_factory.mktemp("dn") / "chuyen-doi-so"
    codes: dict[str, int] = {}
    codes["init"] = main(["init", str(root), "--province", "Đà Nẵng", "--level", "thành phố",
                          "--department", "Sở Khoa học và Công nghệ", "--department-code", "SKHCN"])
    shutil.copy(DATA / "agencies.csv", root / "plan" / "agencies.csv")
    shutil.copy(DATA / "kh45-2026.docx", root / "plan" / "nguon" / "kh45-2026.docx")
    codes["import"] = main(["-w", str(root), "plan", "import", str(root / "plan" / "nguon" / "kh45-2026.docx")])
    codes["generate_unfilled"] = main(["-w", str(root), "generate", "--year", str(YEAR)])
    _fill_settings(root / "baocao.toml", SETTINGS)
    codes["generate"] = main(["-w", str(root), "generate", "--year", str(YEAR)])
    inbox = root / "inbox" / str(YEAR)
    inbox.mkdir(parents=True)
    for seed, path in enumerate(sorted((root / "outbox" / str(YEAR) / "mau").glob("*.xlsx"))):
        (inbox / path.name).write_bytes(_fill(path.read_bytes(), path.name.split("_")[0] in COMMUNES, seed))
    codes["run_unsigned"] = main(["-w", str(root), "run", "--year", str(YEAR)])
    _fill_settings(root / "baocao.toml", {"signer.name": "Nguyễn Hữu Phước"})
    codes["run"] = main(["-w", str(root), "run", "--year", str(YEAR)])
    return {"root": root, "codes": codes}


def test_commands_succeed_and_blanks_are_named(cycle_run: dict[str, object],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    codes = cycle_run["codes"]
    assert codes == {"init": 0, "import": 0, "generate_unfilled": 2, "generate": 0, "run_unsigned": 2, "run": 0}


def test_blank_settings_are_named_by_the_command_that_needs_them(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ws"
    assert main(["init", str(root), "--province", "Đà Nẵng", "--department", "Sở Khoa học và Công nghệ",
                 "--department-code", "SKHCN"]) == 0
    shutil.copy(DATA / "agencies.csv", root / "plan" / "agencies.csv")
    assert main(["-w", str(root), "plan", "show"]) == 2
    assert "chưa có kế hoạch (khóa plan để trống)" in capsys.readouterr().err
    assert main(["-w", str(root), "plan", "import", str(DATA / "kh45-2026.txt")]) == 0
    assert main(["-w", str(root), "generate", "--year", "2026"]) == 2
    err = capsys.readouterr().err
    assert "baocao.toml: chưa điền hạn nộp (deadline), cán bộ đầu mối ([contact] name), email đầu mối " \
           "([contact] email) (cần để tạo biểu mẫu và thư gửi các đơn vị)" in err
    assert err.count("\n") == 1


def test_import_named_the_plan_in_the_settings(cycle_run: dict[str, object]) -> None:
    root = cycle_run["root"]
    assert isinstance(root, Path)
    ws = load_workspace(root)
    assert ws.settings.plan == "kh45-2026" and (root / "plan" / "kh45-2026.csv").is_file()
    assert "# mã kế hoạch" in (root / "baocao.toml").read_text(encoding="utf-8")  # comments kept
    plan = ws.plan
    assert plan.title == "Kế hoạch chuyển đổi số trong cơ quan hành chính cấp xã trên địa bàn thành phố giai đoạn " \
                         "2026 - 2030"
    assert (plan.terms.document, plan.terms.number, plan.terms.date, plan.terms.item) == \
        ("Kế hoạch", "45/KH-UBND", "12/3/2026", "Nhiệm vụ")
    assert [(g.key, g.title) for g in plan.groups] == [("I", "HOÀN THIỆN THỂ CHẾ"), ("II", "HẠ TẦNG SỐ VÀ DỮ LIỆU SỐ"),
                                                       ("III", "NHÂN LỰC SỐ")]
    assert [a.numbers_label for a in plan.activities] == ["I.1", "I.2", "II.1", "II.2", "II.3", "III.1", "III.2",
                                                          "III.3"]
    assert [a.period for a in plan.activities] == ["Quý IV/2026", "Năm 2027", "2026-2028", "Hằng năm", "Hằng năm",
                                                   "2026", "2026-2030", "Thường xuyên"]
    assert [(a.start_year, a.end_year) for a in plan.activities] == [
        (2026, 2026), (2027, 2027), (2026, 2028), (2026, 2030), (2026, 2030), (2026, 2026), (2026, 2030), (2026, 2030)]
    assert plan.activity("HD05").leads == ("CONGAN", "SKHCN")
    assert plan.activity("HD03").leads == ("CAP_XA",) and "CAP_XA" in plan.activity("HD07").partners
    assert plan.activity("HD01").field("Sản phẩm") == "Quyết định của UBND thành phố"
    assert plan.extra_columns == ("Sản phẩm",)


def test_assignments_follow_what_the_plan_gives_each_level(cycle_run: dict[str, object]) -> None:
    root = cycle_run["root"]
    assert isinstance(root, Path)
    ws = load_workspace(root)
    roles = {code: {a.activity.id: a.role for a in items} for code, items in by_agency(ws.assignments(YEAR)).items()}
    for commune in COMMUNES:  # named as lead of II.1, II.2 and partner of III.1, III.2; I.2 runs in 2027 only
        assert roles[commune] == {"HD03": Role.LOCAL, "HD04": Role.LOCAL, "HD06": Role.LOCAL, "HD07": Role.LOCAL}
    assert roles["CONGAN"]["HD05"] == Role.LEAD and roles["SKHCN"]["HD05"] == Role.LEAD  # several leads
    assert roles["GDDT"] == {"HD05": Role.PARTNER}  # only through "Các sở, ngành liên quan"
    assert "CAP_XA" not in roles and "LIENQUAN" not in roles
    later = by_agency(ws.assignments(2027))
    assert [a.activity.id for a in later["BANA"]] == ["HD02", "HD03", "HD04", "HD07"]
    every = by_agency(assignments(ws.plan, ws.registry, YEAR, "all"))
    assert len(every["BANA"]) == 7  # every activity running in 2026
    named = by_agency(assignments(ws.plan, ws.registry, YEAR, "named"))
    assert [a.activity.id for a in named["BANA"]] == ["HD03", "HD04", "HD06", "HD07"]


def test_workbooks_and_drafts_speak_of_this_plan(cycle_run: dict[str, object]) -> None:
    root = cycle_run["root"]
    assert isinstance(root, Path)
    folder = root / "outbox" / str(YEAR)
    bana = folder / "mau" / "BANA_ubnd-xa-ba-na_2026.xlsx"
    book = openpyxl.load_workbook(bana)
    report = book[layout.SHEET_REPORT]
    assert report.cell(layout.HEADER_ROW, 3).value == "Nhiệm vụ số"
    assert [report.cell(r, 3).value for r in range(6, 10)] == ["II.1", "II.2", "III.1", "III.2"]
    assert report.cell(6, 6).value == "UBND cấp xã" and report.cell(7, 7).value == "Hằng năm"
    assert book[layout.SHEET_OTHER].cell(layout.HEADER_ROW, 3).value == "Nhiệm vụ số (nếu có)"
    text = _texts_of_xlsx(bana)
    assert "Kế hoạch số 45/KH-UBND ngày 12/3/2026 của UBND thành phố Đà Nẵng" in text
    assert Status.NOT_APPLICABLE.label in text
    mail = _texts_of_eml(folder / "thu" / "BANA_ubnd-xa-ba-na_2026.eml")
    assert "[Sở KH&CN] Đề nghị báo cáo kết quả thực hiện Kế hoạch 45/KH-UBND năm 2026" in mail
    assert "Thực hiện Kế hoạch số 45/KH-UBND ngày 12/3/2026 của UBND thành phố Đà Nẵng về việc chuyển đổi số" in mail
    assert "báo cáo UBND thành phố Đà Nẵng." in mail
    assert "Lê Thị Thu, Phòng Chuyển đổi số, điện thoại 0236 3822 111, email cds.skhcn@danang.example" in mail
    assert "Sở Khoa học và Công nghệ thành phố Đà Nẵng" in mail
    assert "cds.skhcn@danang.example" in mail.split("\n")[1]  # From


def test_report_names_this_city_department_and_plan(cycle_run: dict[str, object]) -> None:
    root = cycle_run["root"]
    assert isinstance(root, Path)
    text = _texts_of_docx(root / "outbox" / str(YEAR) / "bao-cao-2026.docx")
    for phrase in ("UBND THÀNH PHỐ ĐÀ NẴNG", "SỞ KHOA HỌC VÀ CÔNG NGHỆ", "Số:        /BC-SKHCN",
                   "Đà Nẵng, ngày", "Kính gửi: Ủy ban nhân dân thành phố Đà Nẵng",
                   "Thực hiện Kế hoạch số 45/KH-UBND ngày 12/3/2026 của Ủy ban nhân dân thành phố Đà Nẵng",
                   "Nhiệm vụ số II.1", "Nguyễn Hữu Phước", "PHÓ GIÁM ĐỐC", "xã, phường, đặc khu"):
        assert phrase in text, phrase


def test_nothing_of_the_sample_in_any_output(cycle_run: dict[str, object]) -> None:
    root = cycle_run["root"]
    assert isinstance(root, Path)
    outputs = sorted(p for p in (root / "outbox").rglob("*") if p.is_file())
    assert len([p for p in outputs if p.suffix == ".xlsx"]) > 15 and any(p.suffix == ".docx" for p in outputs)
    readers = {".xlsx": _texts_of_xlsx, ".docx": _texts_of_docx, ".eml": _texts_of_eml,
               ".csv": lambda p: p.read_text(encoding="utf-8-sig")}
    for path in [*outputs, root / "baocao.toml", *(root / "plan").glob("*.*")]:
        reader = readers.get(path.suffix, lambda p: p.read_text(encoding="utf-8") if p.suffix == ".toml" else "")
        text = unicodedata.normalize("NFC", reader(path))
        found = [w for w in SAMPLE_WORDS if w in text]
        assert not found, (path.name, found)


def _cp1258(text: str) -> bytes:
    """Text as Notepad's ANSI on a Vietnamese Windows writes it: base letters with combining tone marks."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tones))
            out.append((base + "".join(p for p in parts if p in tones)).encode("cp1258"))
    return b"".join(out)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1258"])
def test_text_in_any_notepad_encoding_gives_the_docx_plan(tmp_path: Path, encoding: str) -> None:
    registry = load_registry(DATA / "agencies.csv")
    from_docx = import_plan(DATA / "kh45-2026.docx", registry, "p")
    text = (DATA / "kh45-2026.txt").read_text(encoding="utf-8")
    source = tmp_path / "kh.txt"
    source.write_bytes(_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    assert import_plan(source, registry, "p") == from_docx


def test_word_table_really_has_merged_cells() -> None:
    table = docx.Document(str(DATA / "kh45-2026.docx")).tables[1]
    cells = [tc for tr in table._tbl.tr_lst for tc in tr.tc_lst]
    assert sum(tc.vMerge == "continue" for tc in cells) == 2
    assert sum(tc.grid_span > 1 for tc in cells) == 3  # the section rows


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_docx_saved_again_by_libreoffice_gives_the_same_plan(tmp_path: Path) -> None:
    registry = load_registry(DATA / "agencies.csv")
    shutil.copy(DATA / "kh45-2026.docx", tmp_path / "in.docx")
    subprocess.run([str(SOFFICE), "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                    "docx:MS Word 2007 XML", "--outdir", str(tmp_path / "out"), str(tmp_path / "in.docx")],
                   check=True, capture_output=True, timeout=180)
    with zipfile.ZipFile(tmp_path / "out" / "in.docx") as z:
        assert "LibreOffice" in z.read("docProps/app.xml").decode("utf-8")
    assert import_plan(tmp_path / "out" / "in.docx", registry, "p") == import_plan(DATA / "kh45-2026.docx",
                                                                                  registry, "p")


def test_report_follows_this_plans_groups_and_its_local_leads(cycle_run: dict[str, object]) -> None:
    root = cycle_run["root"]
    assert isinstance(root, Path)
    paragraphs = [p.text for p in docx.Document(str(root / "outbox" / str(YEAR) / "bao-cao-2026.docx")).paragraphs]
    text = "\n".join(paragraphs)
    assert "1.1. Hoàn thiện thể chế" in text and "1.2. Hạ tầng số và dữ liệu số" in text and "1.3. Nhân lực số" in text
    assert text.index("1.1. Hoàn thiện thể chế") < text.index("1.2. Hạ tầng số") < text.index("1.3. Nhân lực số")
    # the communes lead "Nâng cấp mạng nội bộ…" as a whole level: its status comes from them, not "no lead report"
    lead_by_level = next(p for p in paragraphs if p.startswith("Nhiệm vụ số II.1:"))
    assert "Theo báo cáo của 5/5 xã, phường, đặc khu (cơ quan chủ trì)" in lead_by_level
    assert "chưa có báo cáo" not in lead_by_level.lower() and "chưa gửi" not in lead_by_level
    assert "Nhiệm vụ" in text and "Biểu đồ 1. Tiến độ các hoạt động theo nhóm nhiệm vụ" in text
