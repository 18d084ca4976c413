"""Bad settings, plan and registry files: one Vietnamese line naming file and line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli.main import main


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8-sig")


CASES = [
    ("plan/qd2130-2014.csv", ",2014,2016", ",2014,201", "qd2130-2014.csv, dòng 2: HD01: năm “201”"),
    ("plan/qd2130-2014.csv", "HD02,", "HD01,", "qd2130-2014.csv, dòng 3: mã hoạt động HD01 trùng với dòng 2"),
    ("plan/qd2130-2014.csv", ",LDTBXH,NOIVU,", ",LDTBXH,Sở Vũ Trụ,", "dòng 2: không nhận ra cơ quan “Sở Vũ Trụ”"),
    ("plan/qd2130-2014.csv", "id,group,numbers,content,", "id,group,numbers,", "qd2130-2014.csv, dòng 1: thiếu cột content"),
    ("plan/qd2130-2014.toml", 'period = "2014-2020"', 'period = "2014-202"', "giai đoạn “2014-202” không hợp lệ"),
    ("plan/agencies.csv", "GDDT,", "LDTBXH,", "agencies.csv, dòng 3: mã cơ quan LDTBXH trùng với dòng 2"),
    ("baocao.toml", "year = 2015", "year = 20x5", "baocao.toml, dòng 9: sai cú pháp TOML ở cột 10"),
    ("baocao.toml", 'deadline = "15/12"', 'deadline = "31/02"', "hạn nộp “31/02” không phải một ngày có thật"),
    ("baocao.toml", 'plan = "qd2130-2014"', 'plan = "khong-co"', "khong-co.toml: không tìm thấy tệp thông tin kế hoạch"),
    # a line break pasted from Word into the officer's own files
    ("baocao.toml", 'province = "Đắk Lắk"', 'province = "Đắk\\nLắk"',
     "baocao.toml, dòng 4: giá trị ở province có ký tự xuống dòng"),
    ("baocao.toml", 'department = "Sở Lao động - Thương binh và Xã hội"',
     'department = """Sở Lao động -\nThương binh và Xã hội"""', "baocao.toml, dòng 6: giá trị ở department có ký tự"),
    ("plan/agencies.csv", "GDDT,Sở Giáo dục và Đào tạo,", 'GDDT,"Sở Giáo dục\r\nvà Đào tạo",',
     "agencies.csv, dòng 4: giá trị ở name có ký tự xuống dòng"),
    ("plan/agencies.csv", "GDDT,Sở Giáo dục và Đào tạo,", "GDDT,Sở Giáo dục\x07 và Đào tạo,",
     "agencies.csv, dòng 3: giá trị ở name có ký tự xuống dòng hoặc ký tự điều khiển"),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), CASES)
def test_bad_file_gives_one_line_and_exit_2(workspace_dir: Path, capsys: pytest.CaptureFixture[str],
                                            file: str, old: str, new: str, message: str) -> None:
    _edit(workspace_dir / file, old, new)
    code = main(["-w", str(workspace_dir), "plan", "show"])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.startswith("Lỗi: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_real_process_has_no_traceback(workspace_dir: Path) -> None:
    _edit(workspace_dir / "plan/agencies.csv", "so_nganh", "bo_nganh")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "-w", str(workspace_dir), "agencies"],
                          capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 2
    assert "loại cơ quan “bo_nganh” không hợp lệ" in proc.stderr
    assert "xa (xã, phường, thị trấn, đặc khu)" in proc.stderr  # the kinds, explained
    assert "Traceback" not in proc.stderr


def test_usage_error_is_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "show", "--bogus"]) == 2
    assert "Lỗi cách dùng: không có tùy chọn --bogus" in capsys.readouterr().err


@pytest.mark.parametrize(("old", "new", "message"), [
    ('province_level = "tỉnh"', 'province_level = "huyện"', "province_level “huyện” không hợp lệ; ghi “tỉnh” hoặc "
                                                           "“thành phố”"),
    ('local_reports = "auto"', 'local_reports = "some"', "local_reports “some” không hợp lệ; dùng một trong: “auto”"),
    ('province = "Đắk Lắk"', 'province = "Thành phố Đắk Lắk"', "không khớp province_level “tỉnh”"),
    ('department = "Sở Lao động - Thương binh và Xã hội"', 'department = ""',
     "baocao.toml: chưa điền tên cơ quan tổng hợp (department)"),
    ('year = 2015', 'year = 2015\nrecipients = "Như trên"\n[old]\nx = 1', "khóa không dùng được: old"),
])
def test_bad_or_blank_settings(workspace_dir: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
                               message: str) -> None:
    _edit(workspace_dir / "baocao.toml", old, new)
    code = main(["-w", str(workspace_dir), "plan", "show"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_report_names_the_blank_signer(workspace_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from conftest import ROOT

    shutil.copytree(ROOT / "inbox" / "2015", workspace_dir / "inbox" / "2015")
    _edit(workspace_dir / "baocao.toml", 'name = "Nguyễn Thị Hồng Vân"', 'name = ""')
    assert main(["-w", str(workspace_dir), "report", "--year", "2015"]) == 2
    err = capsys.readouterr().err
    assert "baocao.toml: chưa điền người ký ([signer] name) (cần để viết báo cáo)" in err


def test_registry_reserves_level_codes_and_skips_blank_lines(workspace_dir: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = workspace_dir / "plan" / "agencies.csv"
    path.write_text(path.read_text(encoding="utf-8-sig") + ",,,,,,\n", encoding="utf-8")
    assert main(["-w", str(workspace_dir), "plan", "show"]) == 0
    capsys.readouterr()
    path.write_text(path.read_text(encoding="utf-8") + "CAP_XA,Xã,Xã,,xa,,0\n", encoding="utf-8")
    assert main(["-w", str(workspace_dir), "plan", "show"]) == 2
    assert "mã cơ quan CAP_XA dành cho “mọi đơn vị một cấp”" in capsys.readouterr().err
