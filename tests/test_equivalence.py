"""Findings and outcomes are the same whichever reader and however many worker processes check the inbox."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import corpus as c
from pipeline.intake import guard, xmlscan, zipscan
from pipeline.read import book as reader
from pipeline.check.result import CheckResult
from pipeline.check.run import run_check
from pipeline.consolidate.merge import merge
from pipeline.generate.workbooks import generate
from pipeline.workspace.load import load_workspace

# (blank workbook, how it is filled, name in the inbox); names sort in this order
RETURNS = [
    ("YTE", "clean", "a-yte.xlsx"),
    ("GDDT", "errors", "b-gddt.xlsx"),
    ("LAK", "clean", "c-lak.xlsx"),
    ("TUPHAP", "errors", "d-tuphap.xlsx"),
    ("BMT", "clean", "e-bmt.xlsx"),
    ("NOIVU", "errors", "f-noivu.xlsx"),
    ("KRONGPAC", "empty", "g-krongpac.xlsx"),
    ("CONGAN", "clean", "h-congan.xlsx"),
]


def _xlsm(data: bytes) -> bytes:
    """Saved as .xlsm the way Excel writes it (corpus.macro's content type is one only calamine accepts)."""
    real = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(c.macro(data))) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "[Content_Types].xml":
                body = body.replace(b"application/vnd.openxmlformats-officedocument.ms-excel.sheet.macroEnabled.main+xml",
                                    real)
            dst.writestr(item, body)
    return out.getvalue()


def _blanks(out: Path) -> dict[str, bytes]:
    return {p.name.split("_")[0]: p.read_bytes() for p in (out / "mau").glob("*.xlsx")}


@pytest.fixture(scope="module")
def inbox_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose inbox holds clean and faulty returns, a formula, a zip, an e-mail and a PDF."""
    from conftest import ROOT
    import shutil

    root = tmp_path_factory.mktemp("tuongduong")
    for name in ("baocao.toml",):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "plan", root / "plan")
    shutil.copytree(ROOT / "templates", root / "templates")
    ws = load_workspace(root)
    made = root / "made"
    generate(ws, c.YEAR, out_dir=made)
    blanks = _blanks(made)
    inbox = root / "inbox" / str(c.YEAR)
    (inbox / "sub").mkdir(parents=True)
    for i, (code, quality, name) in enumerate(RETURNS):
        (inbox / name).write_bytes(c.filled(blanks[code], quality, seed=i))
    resent = c.filled(blanks["GDDT"], day=dt.date(2015, 12, 12), seed=3)
    (inbox / "sub" / "GDDT gửi lại.xlsx").write_bytes(resent)
    (inbox / "sub" / "GDDT bản sao.xlsx").write_bytes(resent)
    (inbox / "i-formula.xlsx").write_bytes(c.edit(c.filled(blanks["LDTBXH"], seed=9), c.formula))
    (inbox / "j-macro.xlsm").write_bytes(_xlsm(c.filled(blanks["DANTOC"], "errors", seed=10)))
    (inbox / "k-renamed.xlsx").write_bytes(c.edit(c.filled(blanks["MTTQ"], seed=11), c.rename_report))
    (inbox / "l-cukuin.zip").write_bytes(c.zipped("CUKUIN/bao cao.xlsx", c.filled(blanks["CUKUIN"], "errors",
                                                                                   seed=12)))
    (inbox / "m-forward.eml").write_bytes(c.eml("Báo cáo huyện Ea Kar.xlsx", c.filled(blanks["EAKAR"], seed=13)))
    (inbox / "n-scan.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (inbox / "o-truncated.xlsx").write_bytes(c.filled(blanks["TAICHINH"], seed=14)[:4000])
    return root


def _run(root: Path, **kw: Any) -> CheckResult:
    return run_check(load_workspace(root), c.YEAR, **kw)


def _view(result: CheckResult) -> dict[str, Any]:
    """Everything the officer and the report see of a check, as plain comparable data."""
    from conftest import ROOT

    merged = merge(result.counted(), load_workspace(ROOT).plan)
    return {
        "outcomes": [(o.path, o.outcome, o.agency, o.note) for o in result.outcomes],
        "findings": [(f.file, f.code, f.sheet, f.cell, f.severity, f.activity_id, f.message_vi)
                     for f in result.findings()],
        "files": [(f.path, f.kind, f.status, f.agency, f.year, f.report_date, f.content_hash) for f in result.files],
        "agencies": [(a.agency, a.state, a.file, a.received) for a in result.agencies],
        "digests": {f.path: f.digest for f in result.files},
        "tables": {name: getattr(merged, name) for name in ("rows", "others", "general")},
    }


@pytest.fixture(scope="module")
def reference(inbox_ws: Path) -> dict[str, Any]:
    return _view(_run(inbox_ws, engine="calamine", workers=1))


def test_the_corpus_covers_every_outcome(reference: dict[str, Any]) -> None:
    outcomes = {o for _, o, _, _ in reference["outcomes"]}
    assert outcomes == {"accepted", "accepted-with-warnings", "rejected", "duplicate", "superseded",
                        "not-a-spreadsheet"}
    codes = {f[1] for f in reference["findings"]}
    assert {"formula-no-value", "macro-workbook", "sheet-renamed", "corrupt-file", "not-a-number"} <= codes
    assert len(reference["digests"]) >= 4 and len(reference["tables"]["rows"]) > 100


@pytest.mark.parametrize("how", [
    {"engine": "openpyxl", "workers": 1},
    {"engine": "calamine", "workers": 2},
    {"engine": "openpyxl", "workers": 2},
    {"engine": "calamine", "workers": 2, "method": "spawn"},
], ids=["openpyxl", "2-workers", "openpyxl-2-workers", "spawned-workers"])
def test_same_findings_outcomes_and_tables(inbox_ws: Path, reference: dict[str, Any], how: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine, the number of workers and how they start (Windows spawns) never change a verdict."""
    import pipeline.isolation

    method = how.pop("method", None)
    if method is not None:
        monkeypatch.setattr(pipeline.isolation, "_default_method", lambda: method)
    got = _view(_run(inbox_ws, **how))
    for key in reference:
        if key != "tables":
            assert got[key] == reference[key], key
    for name, table in reference["tables"].items():
        pd.testing.assert_frame_equal(got["tables"][name], table, check_exact=True)


# --- the shortcuts taken for speed give exactly what the full work gives -------------------------

def _reference_scan(xml: bytes) -> frozenset[str]:
    """The formula scan as first written: every cell matched and looked into."""
    cells = set()
    for match in re.compile(rb'<c\b[^>]*?\br="([A-Z]+[0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.S).finditer(xml):
        inner = match.group(2) or b""
        if b"<f" in inner and not re.search(rb"<v>[^<]+</v>", inner):
            cells.add(match.group(1).decode())
    return frozenset(cells)


TOKENS = [b'<c r="A1">', b'<c r="B2" t="s">', b'<c r="C3"/>', b"<c ", b'r="D4"', b">", b"/>", b"</c>", b"<f>",
          b"</f>", b"<f/>", b"<f t=\"shared\"/>", b"<formula1>", b"</formula1>", b"<v>1</v>", b"<v></v>", b"x",
          b"<", b'<col r="E5">', b"<firstFooter>", b'"', b" ", b"<row>", b"</row>", b"<sheetData>"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join))
def test_formula_scan_matches_the_full_scan(xml: bytes) -> None:
    assert reader._scan_formulas(xml) == _reference_scan(xml)


def test_formula_scan_of_real_sheets(inbox_ws: Path) -> None:
    for path in (inbox_ws / "inbox" / str(c.YEAR)).glob("*.xlsx"):
        with contextlib.suppress(zipfile.BadZipFile), zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.startswith("xl/worksheets/"):
                    xml = zf.read(name)
                    assert reader._scan_formulas(xml) == _reference_scan(xml), (path.name, name)


def _verdict(data: bytes, kind: str, limits: guard.Limits) -> tuple[str, str] | None:
    try:
        guard.check(data, kind, limits)
    except guard.UnsafeFile as exc:
        return exc.code, exc.message_vi
    return None


def _corrupt(data: bytes, member: str) -> bytes:
    """The same archive with one byte of a member's compressed data changed (its CRC no longer holds)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    return data[:at] + bytes([data[at] ^ 0x55]) + data[at + 1:]


def test_guard_verdicts_do_not_depend_on_files_seen_before(inbox_ws: Path) -> None:
    inbox = inbox_ws / "inbox" / str(c.YEAR)
    good = [(inbox / "a-yte.xlsx").read_bytes(), (inbox / "j-macro.xlsm").read_bytes(),
            (inbox / "o-truncated.xlsx").read_bytes()]
    bad = [_corrupt(good[0], "xl/styles.xml"), _corrupt(good[0], "xl/theme/theme1.xml"),
           _corrupt(good[0], "docProps/app.xml")]
    tight = [guard.Limits(), guard.Limits(max_total_uncompressed=60_000), guard.Limits(max_entry_uncompressed=9_000),
             guard.Limits(max_ratio=2, ratio_min_entry_bytes=100), guard.Limits(max_sheets=3)]
    cases = [(data, guard.sniff(data, "x.xlsx"), limits) for data in good + bad for limits in tight]

    def fresh() -> list[tuple[str, str] | None]:
        out = []
        for data, kind, limits in cases:
            zipscan._REPEATS.clear()
            xmlscan._declared_sheets.cache_clear()
            out.append(_verdict(data, kind, limits))
        return out

    expected = fresh()
    assert {v[0] for v in expected if v} >= {"corrupt-file", "zip-bomb", "too-many-sheets"}
    for data in good:  # remember every sound entry of these files under the default limits
        with contextlib.suppress(guard.UnsafeFile):
            guard.check(data, guard.sniff(data, "x.xlsx"))
    assert zipscan._REPEATS
    assert [_verdict(data, kind, limits) for data, kind, limits in cases] == expected
    assert [_verdict(data, kind, limits) for data, kind, limits in reversed(cases)] == expected[::-1]
