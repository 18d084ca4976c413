"""`baocao init`: a complete workspace from nothing, every key commented, blanks named later."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.workspace.registry import load_registry
from pipeline.workspace.settings import load_settings
from pipeline.workspace.templates import TEMPLATES, default_template


def test_init_writes_a_working_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "Báo cáo TNTT"
    code = main(["init", str(root), "--province", "Quảng Trị", "--department", "Sở Y tế", "--department-code", "syt"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Việc tiếp theo" in out and "baocao plan import" in out and "plan/agencies.csv" in out
    for folder in ("plan/nguon", "templates", "inbox", "outbox"):
        assert (root / folder).is_dir()
    for name in TEMPLATES:
        assert (root / "templates" / name).read_bytes() == default_template(name)
    text = (root / "baocao.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert set(data) == {"province", "province_level", "department", "department_code", "report_symbol", "year",
                         "plan", "deadline", "local_reports", "recipients", "deadlines", "signer", "contact", "paths", "date_year", "resubmit_days"}
    assert (data["province"], data["province_level"], data["department"], data["department_code"]) == \
        ("Quảng Trị", "tỉnh", "Sở Y tế", "SYT")
    assert data["plan"] == data["deadline"] == data["report_symbol"] == data["signer"]["name"] == ""
    for line in text.splitlines():  # every key is explained in Vietnamese
        if "=" in line and not line.startswith(("#", " ")) and not line.startswith(('"', "plan =", "templates =",
                                                                                     "inbox =", "outbox =")):
            assert "#" in line, line
    settings = load_settings(root)
    assert settings.authority == "UBND TỈNH QUẢNG TRỊ" and settings.deadline == ""
    registry = load_registry(settings.agencies_csv)
    assert [(a.code, a.kind) for a in registry] == [("SYT", "so_nganh"), ("LIENQUAN", "nhom")]
    assert (root / "plan" / "agencies.csv").read_bytes().startswith(b"\xef\xbb\xbfcode,name,short_name,aliases,kind")


@pytest.mark.parametrize(("args", "authority", "locality"), [
    (["--province", "Đà Nẵng", "--level", "thành phố"], "UBND THÀNH PHỐ ĐÀ NẴNG", "thành phố Đà Nẵng"),
    (["--province", "Thành phố Hồ Chí Minh"], "UBND THÀNH PHỐ HỒ CHÍ MINH", "thành phố Hồ Chí Minh"),
    (["--province", "tỉnh Quảng Trị"], "UBND TỈNH QUẢNG TRỊ", "tỉnh Quảng Trị"),
])
def test_province_level(tmp_path: Path, args: list[str], authority: str, locality: str) -> None:
    assert main(["init", str(tmp_path / "ws"), *args, "--department", "Sở Nội vụ", "--department-code", "SNV"]) == 0
    settings = load_settings(tmp_path / "ws")
    assert (settings.authority, settings.locality) == (authority, locality)
    assert settings.committee_full == f"Ủy ban nhân dân {locality}"


def test_init_refuses_an_existing_workspace_and_bad_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--province", "Quảng Trị", "--department", "Sở Y tế"]
    assert main(["init", str(tmp_path / "ws"), *args, "--department-code", "SYT"]) == 0
    before = (tmp_path / "ws" / "baocao.toml").read_bytes()
    capsys.readouterr()
    assert main(["init", str(tmp_path / "ws"), *args, "--department-code", "SYT"]) == 2
    assert "đã là thư mục làm việc (có baocao.toml); không ghi đè" in capsys.readouterr().err
    assert (tmp_path / "ws" / "baocao.toml").read_bytes() == before
    assert main(["init", str(tmp_path / "other"), *args, "--department-code", "CAP_XA"]) == 2
    assert "mã cơ quan “CAP_XA” không dùng được" in capsys.readouterr().err
    assert main(["init", str(tmp_path / "third"), "--department", "Sở Y tế", "--department-code", "SYT"]) == 2
    assert "Lỗi cách dùng: thiếu --province" in capsys.readouterr().err


def test_an_empty_folder_says_how_to_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-w", str(tmp_path), "generate", "--year", "2026"]) == 2
    err = capsys.readouterr().err
    assert "chưa phải thư mục làm việc (không có baocao.toml)" in err and "baocao init" in err
    assert "danh mục cơ quan" not in err
