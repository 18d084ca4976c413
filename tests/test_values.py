"""Tests for pipeline.read.values: status, number, date and text normalisation of single cells."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.read.values import (
    CODES,
    Parsed,
    clean_text,
    parse_date,
    parse_number,
    parse_status,
)

from pipeline.model.vocab import Status

STATUS_NOT_STARTED, STATUS_IN_PROGRESS = Status.NOT_STARTED, Status.IN_PROGRESS
STATUS_DONE, STATUS_NOT_APPLICABLE = Status.DONE, Status.NOT_APPLICABLE
NORMALISED = "status-normalised"
INVALID = "status-invalid"
NA_NOT_ALLOWED = "status-not-applicable-not-allowed"


def nfd(text: str) -> str:
    """Return text in NFD, as some Mac and web sources send it."""
    return unicodedata.normalize("NFD", text)


def without_marks(text: str) -> str:
    """Return text typed without a Vietnamese keyboard."""
    decomposed = nfd(text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_nfc(text: str) -> bool:
    """Whether text is already NFC."""
    return unicodedata.is_normalized("NFC", text)


# ---------------------------------------------------------------------------
# Status
# ---------------------------------------------------------------------------

STATUS_CASES: list[tuple[object, bool, Parsed]] = [
    # Exact canonical values, after strip and NFC only.
    ("Chưa thực hiện", False, Parsed(STATUS_NOT_STARTED, None)),
    ("Đang thực hiện", False, Parsed(STATUS_IN_PROGRESS, None)),
    ("Đã hoàn thành", False, Parsed(STATUS_DONE, None)),
    ("  Đã hoàn thành \n", False, Parsed(STATUS_DONE, None)),
    (nfd("Đã hoàn thành"), False, Parsed(STATUS_DONE, None)),
    ("Không phát sinh", True, Parsed(STATUS_NOT_APPLICABLE, None)),
    # Other spellings of the canonical values.
    ("đã hoàn thành", False, Parsed(STATUS_DONE, NORMALISED)),
    ("ĐÃ HOÀN THÀNH", False, Parsed(STATUS_DONE, NORMALISED)),
    ("da hoan thanh", False, Parsed(STATUS_DONE, NORMALISED)),
    ("Da hoan thanh", False, Parsed(STATUS_DONE, NORMALISED)),
    ("Đã hoan thanh", False, Parsed(STATUS_DONE, NORMALISED)),
    ("Dang thuc hien", False, Parsed(STATUS_IN_PROGRESS, NORMALISED)),
    ("chua thuc hien", False, Parsed(STATUS_NOT_STARTED, NORMALISED)),
    ("Chưa thuc hiên", False, Parsed(STATUS_NOT_STARTED, NORMALISED)),
    ("Đã  hoàn   thành", False, Parsed(STATUS_DONE, NORMALISED)),
    ("Đã\u00a0hoàn thành", False, Parsed(STATUS_DONE, NORMALISED)),
    ("Đã hoàn thành.", False, Parsed(STATUS_DONE, NORMALISED)),
    ("- Đang thực hiện;", False, Parsed(STATUS_IN_PROGRESS, NORMALISED)),
    ("(Chưa thực hiện)", False, Parsed(STATUS_NOT_STARTED, NORMALISED)),
    (nfd("ĐANG THỰC HIỆN"), False, Parsed(STATUS_IN_PROGRESS, NORMALISED)),
    # Short forms and synonyms.
    ("hoàn thành", False, Parsed(STATUS_DONE, NORMALISED)),
    ("Hoàn thành", False, Parsed(STATUS_DONE, NORMALISED)),
    ("đã xong", False, Parsed(STATUS_DONE, NORMALISED)),
    ("xong", False, Parsed(STATUS_DONE, NORMALISED)),
    ("Xong.", False, Parsed(STATUS_DONE, NORMALISED)),
    ("HT", False, Parsed(STATUS_DONE, NORMALISED)),
    ("ht", False, Parsed(STATUS_DONE, NORMALISED)),
    ("đang làm", False, Parsed(STATUS_IN_PROGRESS, NORMALISED)),
    ("dang lam", False, Parsed(STATUS_IN_PROGRESS, NORMALISED)),
    ("đang triển khai", False, Parsed(STATUS_IN_PROGRESS, NORMALISED)),
    ("chưa", False, Parsed(STATUS_NOT_STARTED, NORMALISED)),
    ("Chưa làm", False, Parsed(STATUS_NOT_STARTED, NORMALISED)),
    ("chưa triển khai", False, Parsed(STATUS_NOT_STARTED, NORMALISED)),
    ("chưa bắt đầu", False, Parsed(STATUS_NOT_STARTED, NORMALISED)),
    ("không phát sinh", True, Parsed(STATUS_NOT_APPLICABLE, NORMALISED)),
    ("khong phat sinh", True, Parsed(STATUS_NOT_APPLICABLE, NORMALISED)),
    ("Không có", True, Parsed(STATUS_NOT_APPLICABLE, NORMALISED)),
    ("KPS", True, Parsed(STATUS_NOT_APPLICABLE, NORMALISED)),
    # "Không phát sinh" outside district rows has its own code, in every spelling.
    ("Không phát sinh", False, Parsed(None, NA_NOT_ALLOWED)),
    ("khong phat sinh", False, Parsed(None, NA_NOT_ALLOWED)),
    ("KPS", False, Parsed(None, NA_NOT_ALLOWED)),
    ("không có", False, Parsed(None, NA_NOT_ALLOWED)),
    # Ambiguous phrases are refused so the agency picks the status.
    ("chưa hoàn thành", False, Parsed(None, INVALID)),
    ("chưa xong", False, Parsed(None, INVALID)),
    ("đã thực hiện", False, Parsed(None, INVALID)),
    ("thực hiện", False, Parsed(None, INVALID)),
    ("đã", False, Parsed(None, INVALID)),
    ("đang", False, Parsed(None, INVALID)),
    ("có", False, Parsed(None, INVALID)),
    ("x", False, Parsed(None, INVALID)),
    ("-", False, Parsed(None, INVALID)),
    ("100%", False, Parsed(None, INVALID)),
    ("Đã hoàn thành 100%", False, Parsed(None, INVALID)),
    # Wrong (not missing) diacritics are a different word: "chùa" is a pagoda, "đáng" is "worth".
    ("chùa", False, Parsed(None, INVALID)),
    ("đáng làm", False, Parsed(None, INVALID)),
    ("Đá hoàn thành", False, Parsed(None, INVALID)),
    # Not text at all.
    (1, False, Parsed(None, INVALID)),
    (0.0, False, Parsed(None, INVALID)),
    (math.nan, False, Parsed(None, INVALID)),
    (True, False, Parsed(None, INVALID)),
    (dt.date(2015, 12, 5), False, Parsed(None, INVALID)),
    # Empty.
    (None, False, Parsed(None, "missing")),
    ("", False, Parsed(None, "missing")),
    ("   ", True, Parsed(None, "missing")),
    ("\t\n\u00a0", False, Parsed(None, "missing")),
    ("\u200b", False, Parsed(None, "missing")),
]


@pytest.mark.parametrize(("value", "allow", "expected"), STATUS_CASES)
def test_parse_status(value: object, allow: bool, expected: Parsed) -> None:
    """Each status spelling maps to the expected canonical value and code."""
    assert parse_status(value, allow_not_applicable=allow) == expected


def test_status_canonical_values_are_nfc() -> None:
    """The canonical constants are NFC whatever the source file encoding did."""
    for status in (STATUS_NOT_STARTED, STATUS_IN_PROGRESS, STATUS_DONE, STATUS_NOT_APPLICABLE):
        assert is_nfc(status.label)


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------

NUMBER_CASES: list[tuple[object, object, str | None]] = [
    # Real numbers from the reader.
    (0, 0, None),
    (12, 12, None),
    (12.5, 12.5, None),
    (-5, -5, "number-negative"),
    (-0.5, -0.5, "number-negative"),
    (True, None, "not-a-number"),
    (False, None, "not-a-number"),
    (math.nan, None, "not-a-number"),
    (math.inf, None, "not-a-number"),
    (-math.inf, None, "not-a-number"),
    (dt.date(2015, 12, 5), None, "not-a-number"),
    # Empty is allowed here; required-ness is checked elsewhere.
    (None, None, None),
    ("", None, None),
    ("   ", None, None),
    ("'", None, None),
    # Plain text numbers.
    ("12", 12, "number-as-text"),
    ("0", 0, "number-as-text"),
    ("  12 ", 12, "number-as-text"),
    ("12\u00a0", 12, "number-as-text"),
    ("\u00a012\u202f", 12, "number-as-text"),
    ("'12", 12, "number-as-text"),
    ("+12", 12, "number-as-text"),
    # Vietnamese separators: "." thousands, "," decimal.
    ("1.500.000", 1500000, "number-as-text"),
    ("12.345.678", 12345678, "number-as-text"),
    ("1,5", 1.5, "number-as-text"),
    ("0,25", 0.25, "number-as-text"),
    ("12,50", 12.5, "number-as-text"),
    ("1234,567", 1234.567, "number-as-text"),
    ("1.500,5", 1500.5, "number-as-text"),
    ("1.500.000,25", 1500000.25, "number-as-text"),
    ("1 500 000", 1500000, "number-as-text"),
    ("1\u00a0500\u00a0000", 1500000, "number-as-text"),
    ("1 500,5", 1500.5, "number-as-text"),
    # Ambiguous: both readings fit, the Vietnamese one is kept.
    ("1.500", 1500, "number-ambiguous"),
    ("12.345", 12345, "number-ambiguous"),
    ("1,500", 1.5, "number-ambiguous"),
    # Ambiguous: only the English reading fits, it is used but flagged.
    ("1.5", 1.5, "number-ambiguous"),
    ("12.5", 12.5, "number-ambiguous"),
    ("0.5", 0.5, "number-ambiguous"),
    ("0.500", 0.5, "number-ambiguous"),
    ("1234.5", 1234.5, "number-ambiguous"),
    ("1,500.5", 1500.5, "number-ambiguous"),
    ("1,500,000", 1500000, "number-ambiguous"),
    # Scale words: the column is in triệu đồng already.
    ("2 triệu", 2, "number-unit-converted"),
    ("2,5 triệu", 2.5, "number-unit-converted"),
    ("2.5tr", 2.5, "number-unit-converted"),
    ("3 trđ", 3, "number-unit-converted"),
    ("3 tr.đ", 3, "number-unit-converted"),
    ("3 tr.", 3, "number-unit-converted"),
    ("2 triệu đồng", 2, "number-unit-converted"),
    ("2 trieu", 2, "number-unit-converted"),
    ("2 TRIỆU", 2, "number-unit-converted"),
    ("1 tỷ", 1000, "number-unit-converted"),
    ("1 tỉ", 1000, "number-unit-converted"),
    ("1,5 tỷ", 1500, "number-unit-converted"),
    ("1,5tỷ đồng", 1500, "number-unit-converted"),
    ("0,5 ty", 500, "number-unit-converted"),
    ("1.500 triệu", 1500, "number-ambiguous"),
    ("1.500.000 triệu", 1500000, "number-unit-converted"),
    # Label words: tolerated, value unchanged.
    ("12 đ", 12, "number-as-text"),
    ("12đ", 12, "number-as-text"),
    ("1.500.000 đồng", 1500000, "number-as-text"),
    ("12 VNĐ", 12, "number-as-text"),
    ("5 người", 5, "number-as-text"),
    ("7 lượt", 7, "number-as-text"),
    ("7 luot", 7, "number-as-text"),
    ("5 người.", 5, "number-as-text"),
    # Negative.
    ("-5", -5, "number-negative"),
    ("- 5", -5, "number-negative"),
    ("\u22125", -5, "number-negative"),
    ("-1,5 tỷ", -1500, "number-negative"),
    ("-1.5", -1.5, "number-negative"),
    ("-0", 0, "number-as-text"),
    # Not numbers.
    ("nhiều", None, "not-a-number"),
    ("khoảng 10", None, "not-a-number"),
    ("10-15", None, "not-a-number"),
    ("10 - 15", None, "not-a-number"),
    ("10 15", None, "not-a-number"),
    ("N/A", None, "not-a-number"),
    ("không", None, "not-a-number"),
    ("12%", None, "not-a-number"),
    ("1e5", None, "not-a-number"),
    ("12.", None, "not-a-number"),
    (",5", None, "not-a-number"),
    ("1.50.000", None, "not-a-number"),
    ("1.500,000.5", None, "not-a-number"),
    ("1,5,5", None, "not-a-number"),
    ("1 500.5", None, "not-a-number"),
    ("12 cái", None, "not-a-number"),
    ("5 tí", None, "not-a-number"),
    ("(5)", None, "not-a-number"),
    ("--5", None, "not-a-number"),
    ("１２", None, "not-a-number"),
    ("9" * 400, None, "not-a-number"),
    # Excel error values stored as text.
    ("#DIV/0!", None, "formula-error"),
    ("#VALUE!", None, "formula-error"),
    ("#REF!", None, "formula-error"),
    ("#N/A", None, "formula-error"),
    ("#NAME?", None, "formula-error"),
    ("#NUM!", None, "formula-error"),
    (" #n/a ", None, "formula-error"),
]


@pytest.mark.parametrize(("value", "expected_value", "expected_code"), NUMBER_CASES)
def test_parse_number(value: object, expected_value: object, expected_code: str | None) -> None:
    """Each number spelling gives the expected value and code."""
    result = parse_number(value)
    assert result.code == expected_code
    if isinstance(expected_value, float):
        assert isinstance(result.value, float)
        assert result.value == pytest.approx(expected_value)
    else:
        assert result.value == expected_value


# The same text in a count column (events, people: whole numbers) and a money column (triệu đồng).
KIND_CASES: list[tuple[object, object, str | None, object, str | None]] = [
    # typed, count value, count code, money value, money code
    ("1.500", 1500, "number-as-text", 1500, "number-ambiguous"),
    ("1,500", 1500, "number-thousands-comma", 1.5, "number-ambiguous"),
    ("1,000", 1000, "number-thousands-comma", 1, "number-ambiguous"),
    ("1.000", 1000, "number-as-text", 1000, "number-ambiguous"),
    ("1,500,000", 1500000, "number-thousands-comma", 1500000, "number-ambiguous"),
    ("1.500.000", 1500000, "number-as-text", 1500000, "number-as-text"),
    ("1 500", 1500, "number-as-text", 1500, "number-as-text"),
    ("12", 12, "number-as-text", 12, "number-as-text"),
    ("12,0", 12, "number-as-text", 12, "number-as-text"),
    ("1,5", None, "number-not-whole", 1.5, "number-as-text"),
    ("12,5", None, "number-not-whole", 12.5, "number-as-text"),
    ("1.5", None, "number-not-whole", 1.5, "number-ambiguous"),
    ("1,500.5", None, "number-not-whole", 1500.5, "number-ambiguous"),
    ("1.500,5", None, "number-not-whole", 1500.5, "number-as-text"),
    ("1 500,5", None, "number-not-whole", 1500.5, "number-as-text"),
    (12.5, None, "number-not-whole", 12.5, None),
    (12, 12, None, 12, None),
    ("-1,500", -1500, "number-negative", -1.5, "number-negative"),
    ("5 người", 5, "number-as-text", 5, "number-as-text"),
    ("2 triệu", None, "not-a-number", 2, "number-unit-converted"),
    ("1.500.000 đồng", 1500000, "number-as-text", 1.5, "number-unit-converted"),
    ("1.500.000 dong", 1500000, "number-as-text", 1.5, "number-unit-converted"),
    ("3 VNĐ", 3, "number-as-text", 0.000003, "number-unit-converted"),
    ("-1.500.000 đồng", -1500000, "number-negative", -1.5, "number-negative"),
    ("1.50.000", None, "not-a-number", None, "not-a-number"),
    ("khoảng 200", None, "not-a-number", None, "not-a-number"),
]


@pytest.mark.parametrize(("value", "count", "count_code", "money", "money_code"), KIND_CASES)
def test_parse_number_by_column_kind(value: object, count: object, count_code: str | None, money: object,
                                     money_code: str | None) -> None:
    """A count has no fraction, so its separators group thousands; money keeps the decimal comma."""
    assert parse_number(value, "count") == Parsed(count, count_code)
    got = parse_number(value, "money")
    assert got.code == money_code
    assert got.value == (pytest.approx(money) if isinstance(money, float) else money)


def test_parse_number_keeps_type_of_real_numbers() -> None:
    """Numbers that the reader already typed are returned as they are."""
    assert type(parse_number(3).value) is int
    assert type(parse_number(3.0).value) is float


def test_parse_number_text_gives_int_for_whole_values() -> None:
    """Whole numbers read from text come back as int so counts stay counts."""
    assert type(parse_number("1.500.000").value) is int
    assert type(parse_number("1,5 tỷ").value) is int


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

D = dt.date(2015, 12, 5)

DATE_CASES: list[tuple[object, Parsed]] = [
    (D, Parsed(D, None)),
    (dt.datetime(2015, 12, 5, 10, 30), Parsed(D, None)),
    (42343, Parsed(D, None)),
    (42343.75, Parsed(D, None)),
    (20000, Parsed(dt.date(1954, 10, 3), None)),
    (80000, Parsed(dt.date(2119, 1, 11), None)),
    (19999, Parsed(None, "date-invalid")),
    (80000.99, Parsed(dt.date(2119, 1, 11), None)),
    (80001, Parsed(None, "date-invalid")),
    (19999.5, Parsed(None, "date-invalid")),
    (5, Parsed(None, "date-invalid")),
    (-42343, Parsed(None, "date-invalid")),
    (math.nan, Parsed(None, "date-invalid")),
    (math.inf, Parsed(None, "date-invalid")),
    (True, Parsed(None, "date-invalid")),
    (dt.time(10, 30), Parsed(None, "date-invalid")),
    (None, Parsed(None, None)),
    ("", Parsed(None, None)),
    ("  ", Parsed(None, None)),
    ("05/12/2015", Parsed(D, "date-as-text")),
    ("5/12/2015", Parsed(D, "date-as-text")),
    (" 5 / 12 / 2015 ", Parsed(D, "date-as-text")),
    ("05-12-2015", Parsed(D, "date-as-text")),
    ("05.12.2015", Parsed(D, "date-as-text")),
    ("'05/12/2015", Parsed(D, "date-as-text")),
    ("05/12/2015 00:00", Parsed(D, "date-as-text")),
    ("2015-12-05", Parsed(D, "date-as-text")),
    ("2015-12-05 10:30:00", Parsed(D, "date-as-text")),
    ("2015-12-05T10:30", Parsed(D, "date-as-text")),
    ("2015/12/05", Parsed(D, "date-as-text")),
    ("ngày 5 tháng 12 năm 2015", Parsed(D, "date-as-text")),
    ("Ngày 05 tháng 12 năm 2015", Parsed(D, "date-as-text")),
    ("ngay 5 thang 12 nam 2015", Parsed(D, "date-as-text")),
    (nfd("Ngày 5 Tháng 12 Năm 2015"), Parsed(D, "date-as-text")),
    ("5 tháng 12, năm 2015", Parsed(D, "date-as-text")),
    ("ngày 05/12/2015", Parsed(D, "date-as-text")),
    # Day-first only: 12/05 is 12 May, and 12/31 does not exist.
    ("12/05/2015", Parsed(dt.date(2015, 5, 12), "date-as-text")),
    ("12/31/2015", Parsed(None, "date-invalid")),
    ("31/02/2015", Parsed(None, "date-invalid")),
    ("29/02/2015", Parsed(None, "date-invalid")),
    ("29/02/2016", Parsed(dt.date(2016, 2, 29), "date-as-text")),
    ("ngày 31 tháng 4 năm 2015", Parsed(None, "date-invalid")),
    ("00/12/2015", Parsed(None, "date-invalid")),
    ("05/12/15", Parsed(None, "date-invalid")),
    ("05/12-2015", Parsed(None, "date-invalid")),
    ("05/12/0015", Parsed(None, "date-invalid")),
    ("05/12/2515", Parsed(None, "date-invalid")),
    ("42343", Parsed(None, "date-invalid")),
    ("hôm qua", Parsed(None, "date-invalid")),
    ("tháng 12/2015", Parsed(None, "date-invalid")),
    ("2015", Parsed(None, "date-invalid")),
]


@pytest.mark.parametrize(("value", "expected"), DATE_CASES)
def test_parse_date(value: object, expected: Parsed) -> None:
    """Each date spelling gives the expected date and code."""
    assert parse_date(value) == expected


def test_parse_date_returns_plain_date_for_datetime() -> None:
    """A datetime is narrowed to a date so comparisons with dates work."""
    result = parse_date(dt.datetime(2015, 12, 5, 10, 30))
    assert type(result.value) is dt.date


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

TEXT_CASES: list[tuple[object, str]] = [
    (None, ""),
    ("", ""),
    ("  Ủy ban  nhân dân  ", "Ủy ban nhân dân"),
    (nfd("Ủy ban nhân dân"), "Ủy ban nhân dân"),
    ("a\t\tb", "a b"),
    ("a\u00a0 b", "a b"),
    ("dòng 1  \n  dòng 2", "dòng 1\ndòng 2"),
    ("dòng 1\r\ndòng 2\rdòng 3", "dòng 1\ndòng 2\ndòng 3"),
    ("dòng 1\n\ndòng 3", "dòng 1\n\ndòng 3"),
    ("\n a \n", "a"),
    ("a\u200bb", "ab"),
    (12, "12"),
    (12.0, "12"),
    (-3.0, "-3"),
    (-0.0, "0"),
    (12.5, "12.5"),
    (0.1 + 0.2, "0.3"),
    (1e20, "100000000000000000000"),
    (True, "TRUE"),
    (False, "FALSE"),
    (dt.date(2015, 12, 5), "05/12/2015"),
    (dt.datetime(2015, 12, 5), "05/12/2015"),
    (dt.datetime(2015, 12, 5, 10, 30), "05/12/2015 10:30"),
    (dt.datetime(2015, 12, 5, 10, 30, 15), "05/12/2015 10:30:15"),
]


@pytest.mark.parametrize(("value", "expected"), TEXT_CASES)
def test_clean_text(value: object, expected: str) -> None:
    """Each cell value is turned into the expected clean text."""
    assert clean_text(value) == expected


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
NOISE = " \t\n\r\u00a0\u202f\u200b.,;:-+/'#%!?()\u0300\u0301\u0303\u0309\u0323"
cell_text = st.one_of(
    st.text(),
    st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + NOISE + "0123456789"),
    st.text(alphabet="0123456789.,- '\u00a0").map(lambda s: s + " tr"),
    st.builds(nfd, st.text(alphabet=VIETNAMESE + " ")),
)
cell_values = st.one_of(
    cell_text,
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.none(),
    st.booleans(),
)


def check_parsed(result: Parsed) -> None:
    """A parse result is well formed: known code, NFC text."""
    assert isinstance(result, Parsed)
    assert result.code is None or result.code in CODES
    if isinstance(result.value, str):
        assert is_nfc(result.value)


@given(cell_values, st.booleans())
def test_parse_status_never_raises(value: object, allow: bool) -> None:
    """parse_status accepts any cell value and only returns canonical statuses."""
    result = parse_status(value, allow_not_applicable=allow)
    check_parsed(result)
    allowed = {STATUS_NOT_STARTED, STATUS_IN_PROGRESS, STATUS_DONE} | ({STATUS_NOT_APPLICABLE} if allow else set())
    assert result.value is None or result.value in allowed
    assert (result.value is None) == (result.code not in (None, NORMALISED))


@given(cell_values)
def test_parse_number_never_raises(value: object) -> None:
    """parse_number accepts any cell value and returns a finite number or None."""
    result = parse_number(value)
    check_parsed(result)
    if result.value is not None:
        assert isinstance(result.value, (int, float)) and not isinstance(result.value, bool)
        assert math.isfinite(result.value)
        assert (result.value < 0) == (result.code == "number-negative")
    else:
        assert result.code in (None, "not-a-number", "formula-error")


@given(cell_values)
def test_parse_date_never_raises(value: object) -> None:
    """parse_date accepts any cell value and returns a date or None."""
    result = parse_date(value)
    check_parsed(result)
    if result.value is None:
        assert result.code in (None, "date-invalid")
    else:
        assert type(result.value) is dt.date
        assert result.code in (None, "date-as-text")


@given(cell_values)
def test_clean_text_never_raises(value: object) -> None:
    """clean_text returns NFC text without tabs, double spaces or padded lines, and is idempotent."""
    text = clean_text(value)
    assert isinstance(text, str)
    assert is_nfc(text)
    assert "\t" not in text and "  " not in text and "\r" not in text
    assert all(line == line.strip() for line in text.split("\n"))
    assert clean_text(text) == text


@given(st.sampled_from([math.nan, math.inf, -math.inf]))
def test_non_finite_floats_are_not_numbers(value: float) -> None:
    """NaN and infinities are never accepted as numbers."""
    assert parse_number(value) == Parsed(None, "not-a-number")


@given(st.integers(min_value=1_000_000, max_value=10**15))
def test_vietnamese_thousands_round_trip(number: int) -> None:
    """Any integer written with Vietnamese thousands dots (two or more) reads back exactly."""
    text = f"{number:,}".replace(",", ".")
    assert parse_number(text) == Parsed(number, "number-as-text")


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=99))
def test_vietnamese_decimal_comma_round_trip(whole: int, cents: int) -> None:
    """A Vietnamese decimal with two fraction digits reads back as that value, never ambiguous."""
    text = f"{whole:,}".replace(",", ".") + f",{cents:02d}"
    result = parse_number(text)
    assert result.code == "number-as-text"
    assert result.value == pytest.approx(whole + cents / 100)


@given(
    st.sampled_from([STATUS_NOT_STARTED, STATUS_IN_PROGRESS, STATUS_DONE]),
    st.sampled_from([str.upper, str.lower, without_marks, lambda s: f" {s}. ", lambda s: s.replace(" ", "  ")]),
    st.booleans(),
)
def test_status_respellings_normalise(status: Status, respell: Callable[[str], str], decompose: bool) -> None:
    """Case, spacing, punctuation, missing diacritics and NFD never change the status read."""
    text = respell(status.label)
    if decompose:
        text = nfd(text)
    expected_code = None if unicodedata.normalize("NFC", text).strip() == status.label else NORMALISED
    assert parse_status(text, allow_not_applicable=False) == Parsed(status, expected_code)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)), st.sampled_from("/-."))
def test_day_first_dates_round_trip(date: dt.date, separator: str) -> None:
    """Any plausible date written dd/mm/yyyy reads back as the same date, day first."""
    text = f"{date.day:02d}{separator}{date.month:02d}{separator}{date.year:04d}"
    assert parse_date(text) == Parsed(date, "date-as-text")


@given(st.dates(min_value=dt.date(1954, 10, 3), max_value=dt.date(2119, 1, 11)))
def test_excel_serials_round_trip(date: dt.date) -> None:
    """Excel serials in the plausible range read back as the date Excel would show."""
    serial = (date - dt.date(1899, 12, 30)).days
    assert parse_date(serial) == Parsed(date, None)
    assert parse_date(float(serial) + 0.5) == Parsed(date, None)


@given(cell_values)
def test_a_count_is_whole_or_refused(value: object) -> None:
    """Whatever is typed, a count column reads a whole number or nothing, never a silent fraction."""
    result = parse_number(value, "count")
    check_parsed(result)
    if result.value is not None:
        assert float(result.value).is_integer() or result.code == "number-negative"  # refused all the same
    else:
        assert result.code in (None, "not-a-number", "formula-error", "number-not-whole")


@given(st.integers(min_value=1000, max_value=10**12))
def test_counts_round_trip_with_either_thousands_separator(number: int) -> None:
    """A whole number grouped with "." or "," reads back as itself in a count column."""
    assert parse_number(f"{number:,}".replace(",", "."), "count") == Parsed(number, "number-as-text")
    assert parse_number(f"{number:,}", "count") == Parsed(number, "number-thousands-comma")
