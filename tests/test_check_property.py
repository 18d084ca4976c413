"""Random values typed into a filled workbook: the checker never raises, every file gets one outcome."""

from __future__ import annotations

import datetime as dt
import functools
import io
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import IllegalCharacterError
from hypothesis import given, settings
from hypothesis import strategies as st

import corpus as c
from conftest import ROOT
from pipeline.model.assignments import by_agency
from pipeline.check.member import Context, check_member
from pipeline.model.vocab import Outcome

OUTCOMES = tuple(Outcome)
from pipeline.generate.workbooks import generate
from pipeline.check.select import select
from pipeline.intake.unpack import Member
from pipeline.workspace.load import load_workspace

WS = load_workspace(ROOT)
CTX = Context(WS.plan, WS.registry, c.YEAR, by_agency(WS.assignments(c.YEAR)))
CELLS = [f"{col}{row}" for col in "BCDEFGHIJKLMNOP" for row in (6, 7, 8)] + ["C4", "C5", "C7", "C11"]

values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["=1/0", "=SUM(A1:A3)", "1.500,5", "HD99", "Không phát sinh", "#REF!", "ngày 5 tháng 12 năm 2015",
                     "\x00\x07", "Tæ chøc", "Sôû Y teá", "  ", "HD1", "Sở Tư pháp"]),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)),
)


@functools.cache
def base() -> bytes:
    """A filled Sở Y tế workbook (built once; not a fixture, so hypothesis never prints its bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(WS, c.YEAR, out_dir=Path(tmp))
        return c.filled((Path(tmp) / "mau" / "YTE_so-y-te_2015.xlsx").read_bytes())


@settings(max_examples=30, deadline=None)
@given(edits=st.lists(st.tuples(st.sampled_from(["Báo cáo", "Thông tin đơn vị"]), st.sampled_from(CELLS), values),
                      max_size=6))
def test_random_values_never_break_the_check(edits: list[tuple[str, str, object]]) -> None:
    book = openpyxl.load_workbook(io.BytesIO(base()))
    for sheet, ref, value in edits:
        cell = book[sheet][ref]
        try:
            cell.value = value
        except (ValueError, TypeError, IllegalCharacterError):
            continue  # openpyxl refuses some values (control characters): an agency could not type them either
        if isinstance(value, str) and not value.startswith("="):
            cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    member = Member("random.xlsx", out.getvalue(), "xlsx", None, dt.datetime.now(dt.timezone.utc), None)
    result = check_member(member, CTX)
    outcomes, _ = select([result], [])
    assert len(outcomes) == 1 and outcomes[0].outcome in OUTCOMES
    assert all(f.message_vi for f in result.findings)
    assert not any(f.code == "unreadable" for f in result.findings), [f.message_vi for f in result.findings]


def test_garbage_bytes_get_an_outcome() -> None:
    for data in (b"", b"PK\x03\x04garbage", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), bytes(range(256))):
        for kind in ("xlsx", "xls", "ods", "other"):
            result = check_member(Member("x", data, kind, None, dt.datetime.now(dt.timezone.utc), None), CTX)
            assert result.status in OUTCOMES
