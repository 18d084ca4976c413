"""Reminders find each agency's blank workbook from one listing of mau/, with the same answer as a search per agency."""

from __future__ import annotations

import random
from pathlib import Path

from pipeline.outputs.check_outputs import blank_index


def test_index_answers_like_a_search_per_code(tmp_path: Path) -> None:
    rng = random.Random(7)
    words = ["SYT", "UBND", "HUYEN", "XA", "A1", "SO", "GD", "hoa", "binh", ""]
    codes = set()
    for _ in range(400):
        code = "_".join(rng.choice(words[:6]) for _ in range(rng.randint(1, 3)))
        name = "_".join(rng.choice(words) for _ in range(rng.randint(0, 3)))
        year = rng.choice([2015, 2016])
        (tmp_path / f"{code}_{name}_{year}.xlsx").write_bytes(b"")
        codes.add(code)
    (tmp_path / "SYT_x_2015.xlsx.tmp").write_bytes(b"")
    (tmp_path / "SYT_dir_2015.xlsx").mkdir(exist_ok=True)
    index = blank_index(tmp_path, 2015)
    for code in sorted(codes | {"NONE", "SYT_UBND"}):
        searched = sorted(p for p in tmp_path.glob(f"{code}_*_2015.xlsx") if p.is_file())
        assert index.get(code) == (searched[0] if searched else None), code


def test_index_follows_the_folder_and_tolerates_its_absence(tmp_path: Path) -> None:
    assert blank_index(tmp_path / "missing", 2015) == {}
    (tmp_path / "SYT_so-y-te_2015.xlsx").write_bytes(b"")
    assert set(blank_index(tmp_path, 2015)) == {"SYT"}
    (tmp_path / "XA_A_phuong-a_2015.xlsx").write_bytes(b"")
    assert set(blank_index(tmp_path, 2015)) == {"SYT", "XA", "XA_A"}
