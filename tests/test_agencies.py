"""Agency registry: name matching as real files spell names, and bad registry files."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from pipeline.model.agencies import Registry
from pipeline.workspace.registry import load_registry
from pipeline.model.errors import ConfigError

from conftest import ROOT


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Sở Lao động - Thương binh và Xã hội", "LDTBXH"),
        ("Sở Lao động – Thương binh và Xã hội", "LDTBXH"),  # en dash
        ("Sở Lao động — Thương binh và Xã hội", "LDTBXH"),  # em dash
        (unicodedata.normalize("NFD", "Sở Lao động - Thương binh và Xã hội"), "LDTBXH"),
        ("Sở LĐTBXH", "LDTBXH"),
        ("LĐTBXH", "LDTBXH"),
        ("SỞ LĐTBXH", "LDTBXH"),
        ("  sở   lđtbxh ", "LDTBXH"),
        ("Sở GD&ĐT", "GDDT"),
        ("Sở GDĐT", "GDDT"),
        ("Sở GD-ĐT", "GDDT"),
        ("Sở Giáo dục & Đào tạo", "GDDT"),
        ("Sở TT&TT", "TTTT"),
        ("Sở TT và Truyền thông", "TTTT"),
        ("Sở Thông tin - Truyền thông", "TTTT"),
        ("Sở KH&ĐT", "KHDT"),
        ("Sở NN&PTNT", "NNPTNT"),
        ("Ban Dân tộc", "DANTOC"),
        ("Công an tỉnh", "CONGAN"),
        ("Sở Y Tế", "YTE"),
        ("UBND huyện Krông Pắc", "KRONGPAC"),
        ("UBND huyện Krông Pắk", "KRONGPAC"),
        ("huyện Krông Pắk", "KRONGPAC"),
        ("UBND huyện M'Đrăk", "MDRAK"),
        ("M’Đrắk", "MDRAK"),
        ("Ủy ban nhân dân huyện Cư M'gar", "CUMGAR"),
        ("UBND TX Buôn Hồ", "BUONHO"),
        ("Thị xã Buôn Hồ", "BUONHO"),
        ("TP. Buôn Ma Thuột", "BMT"),
        ("UBND thành phố Buôn Ma Thuột", "BMT"),
        ("Huyện Lắk", "LAK"),
        ("Các sở, ngành liên quan", "LIENQUAN"),
        ("các sở ngành liên quan", "LIENQUAN"),
        ("Ủy ban MTTQ Việt Nam tỉnh", "MTTQ"),
        ("Văn phòng UBND tỉnh", "VPUBND"),
        ("Sở Ngoại vụ", "NGOAIVU"),
    ],
)
def test_name_matching(registry: Registry, name: str, code: str) -> None:
    found = registry.find(name)
    assert found is not None and found.code == code


@pytest.mark.parametrize("name", ["Sở Khoa học", "Đắk Lắk", "Buôn", "Sở", "", "Bộ Y tế xyz"])
def test_unknown_or_partial_names_are_not_guessed(registry: Registry, name: str) -> None:
    assert registry.find(name) is None


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Sở LĐTBXH; Sở Y tế; Các sở, ngành liên quan", ("LDTBXH", "YTE", "LIENQUAN")),
        ("Sở LĐTBXH Các sở, ngành liên quan", ("LDTBXH", "LIENQUAN")),  # missing separator
        ("Ban Dân tộc; Sở TT và Truyền thông", ("DANTOC", "TTTT")),
        ("Sở LĐTBXH;", ("LDTBXH",)),
        ("Sở Y tế\nSở Tư pháp", ("YTE", "TUPHAP")),
        ("YTE; NOIVU", ("YTE", "NOIVU")),  # registry codes are accepted as they are
        ("", ()),
    ],
)
def test_resolve_list(registry: Registry, text: str, codes: tuple[str, ...]) -> None:
    assert registry.resolve_list(text) == codes


def test_unknown_name_is_an_error_quoting_it(registry: Registry) -> None:
    with pytest.raises(ConfigError, match="không nhận ra cơ quan “Sở Vũ Trụ”"):
        registry.resolve_list("Sở Y tế; Sở Vũ Trụ")


def test_registry_holds_what_the_plan_names(registry: Registry) -> None:
    codes = {a.code for a in registry}
    assert {"LDTBXH", "GDDT", "YTE", "TUPHAP", "NOIVU", "CONGAN", "TAICHINH", "DANTOC", "TTTT",
            "NGOAIVU", "VPUBND", "MTTQ", "LIENQUAN"} <= codes
    assert len(registry.districts()) == 15
    assert all(a.email.endswith(".example") for a in registry if a.kind != "nhom")
    assert registry.group is not None and registry.group.code == "LIENQUAN"


def _registry_file(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    lines = (ROOT / "plan" / "agencies.csv").read_text(encoding="utf-8-sig").splitlines()
    path = tmp_path / "agencies.csv"
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "message", "line"),
    [
        (lambda ls: [ls[0].replace(",email", "")] + [",".join(l.split(",")[:5]) for l in ls[1:]], "thiếu cột email", 1),
        (lambda ls: ls + [ls[1]], "mã cơ quan LDTBXH trùng với dòng 2", len((ROOT / "plan" / "agencies.csv").read_text(encoding="utf-8-sig").splitlines()) + 1),
        (lambda ls: ls[:1] + [ls[1].replace("so_nganh", "bo")] + ls[2:], "loại cơ quan “bo” không hợp lệ", 2),
        (lambda ls: ls[:1] + [ls[1].replace("LDTBXH", "ld tb", 1)] + ls[2:], "mã cơ quan “ld tb” không hợp lệ", 2),
    ],
)
def test_bad_registry_files(tmp_path: Path, edit, message: str, line: int) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as err:
        load_registry(_registry_file(tmp_path, edit))
    assert message in str(err.value)
    assert f"dòng {line}:" in str(err.value)
