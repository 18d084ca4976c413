"""Feedback copies and reminders of the sample year: titled, with a deadline, "for information" when nothing is wrong."""

from __future__ import annotations

import email
import email.policy
import shutil
from pathlib import Path

import openpyxl
import pytest

from conftest import ROOT
from pipeline.cli.main import main


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`baocao check --year 2015` on a copy of the sample, where `generate` never ran (no outbox/2015/mau/)."""
    dest = tmp_path_factory.mktemp("ws")
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    for folder in ("plan", "templates", "inbox"):
        shutil.copytree(ROOT / folder, dest / folder)
    assert main(["-w", str(dest), "check", "--year", "2015"]) == 1
    return dest / "outbox" / "2015" / "kiem-tra"


def test_a_copy_with_errors_has_a_title_a_deadline_and_prints_one_page_wide(checked: Path) -> None:
    book = openpyxl.load_workbook(checked / "phan-hoi" / "TUPHAP_so-tu-phap_2015_can-sua.xlsx")
    sheet = book["Lỗi cần sửa"]
    assert sheet["A1"].value == "LỖI CẦN SỬA TRONG BÁO CÁO NĂM 2015"
    assert "gửi lại trước ngày" in sheet["A2"].value
    assert [c.value for c in sheet[4]][:2] == ["STT", "Mức độ"]
    assert sheet.page_setup.fitToHeight == 0 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.orientation == "landscape"
    cells = [(r[2], r[3], r[1]) for r in sheet.iter_rows(min_row=5, values_only=True) if r[3]]
    errors = {(s, c) for s, c, level in cells if level == "Lỗi"}
    assert not [(s, c) for s, c, level in cells if level != "Lỗi" and (s, c) in errors]  # one instruction per cell


def test_a_copy_with_warnings_only_is_for_information(checked: Path) -> None:
    copies = sorted((checked / "phan-hoi").glob("*_de-biet.xlsx"))
    assert copies
    for path in copies:
        sheet = openpyxl.load_workbook(path)["Điểm cần lưu ý"]
        assert "(ĐỂ BIẾT)" in sheet["A1"].value and "không cần gửi lại" in sheet["A2"].value
    assert not any("de-biet" in p.name for p in (checked / "phan-hoi").glob("*_can-sua.xlsx"))


def test_a_reminder_carries_its_blank_form_even_before_generate(checked: Path) -> None:
    draft = checked / "thu" / "KHDT_nhac-nop_2015.eml"
    msg = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    names = [part.get_filename() for part in msg.iter_attachments()]
    assert names == ["KHDT_so-kh-dt_2015.xlsx"]
    assert "đính kèm" in msg.get_body(("plain",)).get_content()
