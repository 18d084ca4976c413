"""Normalisation of single input cell values (status, number, date, text) into clean values plus finding codes."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Generic, Literal, TypeVar

from pipeline.model.vocab import Status

__all__ = [
    "CODES",
    "DATE_AS_TEXT",
    "DATE_INVALID",
    "FORMULA_ERROR",
    "MISSING",
    "NOT_A_NUMBER",
    "NUMBER_AMBIGUOUS",
    "NUMBER_AS_TEXT",
    "NUMBER_NEGATIVE",
    "NUMBER_NOT_WHOLE",
    "NUMBER_THOUSANDS_COMMA",
    "NUMBER_UNIT_CONVERTED",
    "STATUS_INVALID",
    "STATUS_NORMALISED",
    "STATUS_NOT_APPLICABLE_NOT_ALLOWED",
    "NumberKind",
    "Parsed",
    "clean_text",
    "parse_date",
    "parse_number",
    "parse_status",
]


def _nfc(text: str) -> str:
    """Return text in Unicode NFC."""
    return unicodedata.normalize("NFC", text)


# Finding codes; severities are assigned by the checker, not here.
MISSING: Final = "missing"
STATUS_NORMALISED: Final = "status-normalised"
STATUS_INVALID: Final = "status-invalid"
STATUS_NOT_APPLICABLE_NOT_ALLOWED: Final = "status-not-applicable-not-allowed"
NUMBER_NEGATIVE: Final = "number-negative"
NUMBER_AS_TEXT: Final = "number-as-text"
NUMBER_UNIT_CONVERTED: Final = "number-unit-converted"
NUMBER_AMBIGUOUS: Final = "number-ambiguous"
NOT_A_NUMBER: Final = "not-a-number"
NUMBER_NOT_WHOLE: Final = "number-not-whole"
NUMBER_THOUSANDS_COMMA: Final = "number-thousands-comma"
FORMULA_ERROR: Final = "formula-error"
DATE_AS_TEXT: Final = "date-as-text"
DATE_INVALID: Final = "date-invalid"
CODES: Final = frozenset(
    {
        MISSING,
        STATUS_NORMALISED,
        STATUS_INVALID,
        STATUS_NOT_APPLICABLE_NOT_ALLOWED,
        NUMBER_NEGATIVE,
        NUMBER_AS_TEXT,
        NUMBER_UNIT_CONVERTED,
        NUMBER_AMBIGUOUS,
        NOT_A_NUMBER,
        NUMBER_NOT_WHOLE,
        NUMBER_THOUSANDS_COMMA,
        FORMULA_ERROR,
        DATE_AS_TEXT,
        DATE_INVALID,
    }
)

_V = TypeVar("_V")


@dataclass(frozen=True)
class Parsed(Generic[_V]):
    """A normalised cell value and the finding code it raised (None when the value was clean)."""

    value: _V | None
    code: str | None


# ---------------------------------------------------------------------------
# Accent-tolerant matching
# ---------------------------------------------------------------------------

_T = TypeVar("_T")

# Horizontal spaces that Excel users paste from Word or the web.
_SPACE_LIKE = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Zero-width space, word joiner and BOM carry no meaning in a cell; ZWJ/ZWNJ are left alone.
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff]")
_STROKE: Final = "\u0111"  # đ: not decomposable in Unicode, so it is handled as d + a pseudo-mark


def _skeleton(char: str) -> tuple[str, frozenset[str]]:
    """Split one casefolded character into its base letter and its set of diacritic marks."""
    if char == _STROKE:
        return "d", frozenset({"stroke"})
    decomposed = unicodedata.normalize("NFD", char)
    return decomposed[0], frozenset(decomposed[1:])


def _strip_marks(folded: str) -> str:
    """Return the base letters of a casefolded NFC string."""
    return "".join(_skeleton(char)[0] for char in folded)


def _fold(text: str, *, keep_spaces: bool) -> str:
    """Casefold, turn punctuation and symbols into spaces, collapse (or drop) spaces."""
    folded = _nfc(_INVISIBLE.sub("", text)).casefold()
    kept = "".join(" " if unicodedata.category(char)[0] in "PSZC" else char for char in folded)
    return " ".join(kept.split()) if keep_spaces else "".join(kept.split())


class _AccentTolerantTable(Mapping[str, _T]):
    """Lookup that forgives missing diacritics but not wrong ones ("chua" finds "chưa", "chùa" does not)."""

    def __init__(self, entries: Mapping[str, _T], *, keep_spaces: bool) -> None:
        self._keep_spaces = keep_spaces
        self._exact = {_fold(key, keep_spaces=keep_spaces): target for key, target in entries.items()}
        self._by_base: dict[str, list[str]] = {}
        for key in self._exact:
            self._by_base.setdefault(_strip_marks(key), []).append(key)

    def __getitem__(self, text: str) -> _T:
        folded = _fold(text, keep_spaces=self._keep_spaces)
        if folded in self._exact:
            return self._exact[folded]
        for key in self._by_base.get(_strip_marks(folded), []):
            # Every mark typed must belong to the key; marks may only be missing, never different.
            if all(_skeleton(a)[1] <= _skeleton(b)[1] for a, b in zip(folded, key, strict=True)):
                return self._exact[key]
        raise KeyError(text)

    def __iter__(self) -> Iterator[str]:
        return iter(self._exact)

    def __len__(self) -> int:
        return len(self._exact)


# ---------------------------------------------------------------------------
# Status
# ---------------------------------------------------------------------------

# Synonyms accepted with "status-normalised". Matching ignores case, punctuation, extra spaces and
# missing (not wrong) diacritics. Only phrases with a single reading are listed. Deliberately NOT
# listed, so they end as "status-invalid" and the agency must choose:
#   "chưa hoàn thành" / "chưa xong"  - not started, or started and not finished?
#   "đã thực hiện" / "đã triển khai" / "thực hiện" - started, or finished?
#   "đang" / "đã" / "có" / "không" / "x" / "-" / percentages - too short or not a status at all.
_STATUS_SYNONYMS: Final[Mapping[str, Status]] = _AccentTolerantTable(
    {
        Status.NOT_STARTED.label: Status.NOT_STARTED,
        "chưa": Status.NOT_STARTED,
        "chưa làm": Status.NOT_STARTED,
        "chưa triển khai": Status.NOT_STARTED,
        "chưa bắt đầu": Status.NOT_STARTED,
        Status.IN_PROGRESS.label: Status.IN_PROGRESS,
        "đang làm": Status.IN_PROGRESS,
        "đang triển khai": Status.IN_PROGRESS,
        Status.DONE.label: Status.DONE,
        "hoàn thành": Status.DONE,
        "đã xong": Status.DONE,
        "xong": Status.DONE,
        "HT": Status.DONE,
        Status.NOT_APPLICABLE.label: Status.NOT_APPLICABLE,
        "không có": Status.NOT_APPLICABLE,
        "KPS": Status.NOT_APPLICABLE,
    },
    keep_spaces=True,
)


def parse_status(value: object, allow_not_applicable: bool) -> Parsed[Status]:
    """Map a status cell to one of the canonical statuses, with a finding code when it was not exact."""
    if value is None:
        return Parsed(None, MISSING)
    if not isinstance(value, str):
        return Parsed(None, STATUS_INVALID)
    if len(value) <= _CACHED_CHARS:  # a handful of labels fill the status column of every return
        return _parse_status_text(value, allow_not_applicable)
    return _parse_status_uncached(value, allow_not_applicable)


_CACHED_CHARS = 80  # texts this short are remembered (statuses, labels); long ones are never kept in memory


@functools.lru_cache(maxsize=4096)
def _parse_status_text(value: str, allow_not_applicable: bool) -> Parsed[Status]:
    return _parse_status_uncached(value, allow_not_applicable)


def _parse_status_uncached(value: str, allow_not_applicable: bool) -> Parsed[Status]:
    text = _nfc(value).strip()
    if not text or not _INVISIBLE.sub("", _SPACE_LIKE.sub(" ", text)).strip():
        return Parsed(None, MISSING)
    canonical = _STATUS_SYNONYMS.get(text)
    if canonical is None:
        return Parsed(None, STATUS_INVALID)
    if canonical == Status.NOT_APPLICABLE and not allow_not_applicable:
        return Parsed(None, STATUS_NOT_APPLICABLE_NOT_ALLOWED)
    return Parsed(canonical, None if text == canonical.label else STATUS_NORMALISED)


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------

# Money columns are in triệu đồng: a scale word rescales to millions, "đồng"/count words are labels.
_UNIT_SCALES: Final[Mapping[str, Decimal | None]] = _AccentTolerantTable(
    {
        "triệu": Decimal(1),
        "triệu đồng": Decimal(1),
        "tr": Decimal(1),
        "trđ": Decimal(1),
        "tr đồng": Decimal(1),
        "tỷ": Decimal(1000),
        "tỉ": Decimal(1000),
        "tỷ đồng": Decimal(1000),
        "tỉ đồng": Decimal(1000),
        # None: tolerated label, value unchanged.
        "đ": None,
        "đồng": None,
        "vnđ": None,
        "người": None,
        "lượt": None,
    },
    keep_spaces=False,
)

_FORMULA_ERRORS: Final = frozenset(
    {"#div/0!", "#value!", "#ref!", "#n/a", "#name?", "#num!", "#null!", "#spill!", "#calc!", "#getting_data"}
)

# Number body: digits with "." / "," separators; a space only as a separator between digits.
_NUMBER_TEXT = re.compile(r"(?P<sign>[-+\u2212]?)\s*(?P<body>[0-9](?:[0-9.,]|\s(?=[0-9]))*)\s*(?P<unit>.*)", re.S)
_GROUP_HEAD = re.compile(r"[1-9][0-9]{0,2}")
_GROUP_TAIL = re.compile(r"[0-9]{3}")
_DIGITS = re.compile(r"[0-9]+")


def _grouped(integer: str, separator: str) -> bool:
    """Whether integer is a valid thousands grouping such as 1.500.000 (head 1-3 digits, then groups of 3)."""
    head, *tail = integer.split(separator)
    return bool(tail) and _GROUP_HEAD.fullmatch(head) is not None and all(_GROUP_TAIL.fullmatch(g) for g in tail)


def _read_with(body: str, thousands: str, decimal: str) -> Decimal | None:
    """Read body with the given separator convention, or None when it does not fit that convention."""
    parts = body.split(decimal)
    if len(parts) > 2:
        return None
    integer = parts[0]
    fraction = parts[1] if len(parts) == 2 else ""
    if len(parts) == 2 and not _DIGITS.fullmatch(fraction):
        return None
    if thousands in integer:
        if not _grouped(integer, thousands):
            return None
        integer = integer.replace(thousands, "")
    elif not _DIGITS.fullmatch(integer):
        return None
    return Decimal(f"{integer}.{fraction}" if fraction else integer)


# How a separator-bearing number was read.
_CLEAR: Final = "clear"  # only the Vietnamese reading fits (or there are no separators)
_ENGLISH: Final = "english"  # only the English reading fits: "1.5", "1,500.5"
_BOTH: Final = "both"  # both fit with different values: "1.500", "1,500" -> the Vietnamese one is kept


def _read_body(body: str) -> tuple[Decimal, str] | None:
    """Read the digits-and-separators part of a number written as text."""
    if " " in body:
        # Space grouping ("1 500 000,5") is unambiguous, but is never mixed with dots.
        if "." in body:
            return None
        integer, _, fraction = body.partition(",")
        if not _grouped(integer, " ") or ("," in body and not _DIGITS.fullmatch(fraction)):
            return None
        return Decimal(integer.replace(" ", "") + (f".{fraction}" if fraction else "")), _CLEAR
    vietnamese = _read_with(body, ".", ",")
    english = _read_with(body, ",", ".")
    if vietnamese is not None and english is not None and vietnamese != english:
        return vietnamese, _BOTH
    if vietnamese is not None:
        return vietnamese, _CLEAR
    if english is not None:
        return english, _ENGLISH
    return None


def _to_python_number(number: Decimal) -> int | float | None:
    """Return an int for whole numbers, a float otherwise, None when it does not fit a float."""
    as_float = float(number)
    if not math.isfinite(as_float):
        return None
    if number == number.to_integral_value():
        return int(number)
    return as_float


# What a number column counts, which decides how its separators read:
#   "count": events, people. A fraction is impossible, so a separator followed by groups of three
#            digits is a thousands separator, "." (Vietnamese) or "," (English, with its own
#            warning): "1.500" and "1,500" are both 1500. A genuine fraction ("12,5", "1.5") is
#            an error (number-not-whole), never rounded. Scale words ("2 triệu") are not-a-number.
#   "money": triệu đồng, where decimals are meaningful. "1,500" keeps the Vietnamese reading 1,5
#            with number-ambiguous; an amount written in đồng ("1.500.000 đồng") is converted.
#   None:    the reading shared by both, for callers that do not know the column.
NumberKind = Literal["count", "money"]
_IN_DONG: Final[Mapping[str, bool]] = _AccentTolerantTable({"đ": True, "đồng": True, "vnđ": True}, keep_spaces=False)


def parse_number(value: object, kind: NumberKind | None = None) -> Parsed[int | float]:
    """Read a count or an amount in triệu đồng, accepting Vietnamese text formats with a finding code."""
    if value is None:
        return Parsed(None, None)
    if isinstance(value, bool):
        return Parsed(None, NOT_A_NUMBER)
    if isinstance(value, int):
        return Parsed(value, NUMBER_NEGATIVE if value < 0 else None)
    if isinstance(value, float):
        if not math.isfinite(value):
            return Parsed(None, NOT_A_NUMBER)
        if value < 0:
            return Parsed(value, NUMBER_NEGATIVE)
        if kind == "count" and not value.is_integer():
            return Parsed(None, NUMBER_NOT_WHOLE)
        return Parsed(value, None)
    if not isinstance(value, str):
        return Parsed(None, NOT_A_NUMBER)
    try:
        return _parse_number_text(value, kind)
    except (ArithmeticError, ValueError):  # defensive: the contract is to never raise on cell input
        return Parsed(None, NOT_A_NUMBER)


def _read_count(body: str) -> tuple[Decimal, str] | None:
    """Read a count's digits: thousands grouping only, "." before ","; a fraction gives NUMBER_NOT_WHOLE."""
    if " " in body:
        read = _read_body(body)
        if read is None:
            return None
        return read[0], (NUMBER_NOT_WHOLE if "," in body else NUMBER_AS_TEXT)
    for thousands, decimal, code in ((".", ",", NUMBER_AS_TEXT), (",", ".", NUMBER_THOUSANDS_COMMA)):
        if decimal not in body:
            whole = _read_with(body, thousands, decimal)
            if whole is not None:
                return whole, (code if thousands in body else NUMBER_AS_TEXT)
    # Only a reading with a fraction is left: whole when the fraction is zeros ("12,0"), else not a count.
    read = _read_body(body)
    if read is None:
        return None
    number = read[0]
    return number, (NUMBER_AS_TEXT if number == number.to_integral_value() else NUMBER_NOT_WHOLE)


def _parse_number_text(value: str, kind: NumberKind | None = None) -> Parsed[int | float]:
    """Read a number typed as text."""
    text = _INVISIBLE.sub("", _SPACE_LIKE.sub(" ", _nfc(value))).strip()
    if text[:1] in ("'", "\u2019", "\u2018"):
        # Excel's "store as text" prefix.
        text = text[1:].strip()
    if not text:
        return Parsed(None, None)
    if text.casefold() in _FORMULA_ERRORS:
        return Parsed(None, FORMULA_ERROR)
    match = _NUMBER_TEXT.fullmatch(text)
    if match is None:
        return Parsed(None, NOT_A_NUMBER)
    unit = match["unit"].strip()
    if any(char.isdigit() for char in unit):
        return Parsed(None, NOT_A_NUMBER)  # ranges "10-15", "5/7", "1e5"
    scale: Decimal | None = None
    if unit:
        if unit not in _UNIT_SCALES:
            return Parsed(None, NOT_A_NUMBER)
        scale = _UNIT_SCALES[unit]
    negative = match["sign"] in ("-", "\u2212")
    if kind == "count":
        if scale is not None:
            return Parsed(None, NOT_A_NUMBER)  # "2 triệu" people: too vague to count
        counted = _read_count(match["body"])
        if counted is None:
            return Parsed(None, NOT_A_NUMBER)
        whole = _to_python_number(-counted[0] if negative else counted[0])
        if whole is None:
            return Parsed(None, NOT_A_NUMBER)
        if whole < 0:
            return Parsed(whole, NUMBER_NEGATIVE)
        return Parsed(None, NUMBER_NOT_WHOLE) if counted[1] == NUMBER_NOT_WHOLE else Parsed(whole, counted[1])
    read = _read_body(match["body"])
    if read is None:
        return Parsed(None, NOT_A_NUMBER)
    number, reading = read
    if scale is not None:
        number *= scale
    in_dong = kind == "money" and scale is None and unit != "" and unit in _IN_DONG
    if in_dong:
        number /= 1_000_000  # "1.500.000 đồng" in a column counted in triệu đồng: whole đồng, converted
    result = _to_python_number(-number if negative else number)
    if result is None:
        return Parsed(None, NOT_A_NUMBER)
    negative = result < 0
    if negative:
        code = NUMBER_NEGATIVE
    elif in_dong:
        code = NUMBER_UNIT_CONVERTED
    elif reading == _BOTH or (reading == _ENGLISH and scale is None):
        # A scale word ("2.5tr", "1,5 tỷ") marks a short figure with a fraction, so a lone
        # decimal point there is clear; "1.500 tr" still is not (1500 or 1.5).
        code = NUMBER_AMBIGUOUS
    elif scale is not None:
        code = NUMBER_UNIT_CONVERTED
    else:
        code = NUMBER_AS_TEXT
    return Parsed(result, code)


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

_EXCEL_EPOCH: Final = dt.date(1899, 12, 30)  # 1900 system; the fake 29/02/1900 lies below the serial range
_SERIAL_MIN: Final = 20000  # 1954-10-03
_SERIAL_MAX: Final = 80000  # 2119-01-11
_YEAR_MIN: Final = 1900
_YEAR_MAX: Final = 2100

_TIME = r"(?:(?:\s+|\s*t\s*)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
# Patterns run on casefolded, mark-stripped text, so "ngày"/"ngay" and "Tháng"/"thang" both fit.
# Two-digit years are refused: the century would be a guess.
_DAY_FIRST = re.compile(r"(?:ngay\s*)?([0-9]{1,2})\s*([/.-])\s*([0-9]{1,2})\s*\2\s*([0-9]{4})" + _TIME)
_YEAR_FIRST = re.compile(r"([0-9]{4})\s*([/.-])\s*([0-9]{1,2})\s*\2\s*([0-9]{1,2})" + _TIME)
_SPELLED = re.compile(r"(?:ngay\s*)?([0-9]{1,2})\s*,?\s*thang\s*([0-9]{1,2})\s*,?\s*nam\s*([0-9]{4})")


def _make_date(year: str, month: str, day: str) -> dt.date | None:
    """Build a date from digit strings, or None when it does not exist or is implausible."""
    try:
        result = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return result if _YEAR_MIN <= result.year <= _YEAR_MAX else None


def parse_date(value: object) -> Parsed[dt.date]:
    """Read a date cell (date object, Excel serial or day-first text) into a datetime.date."""
    if value is None:
        return Parsed(None, None)
    if isinstance(value, dt.datetime):
        return Parsed(value.date(), None)
    if isinstance(value, dt.date):
        return Parsed(value, None)
    if isinstance(value, bool):
        return Parsed(None, DATE_INVALID)
    if isinstance(value, (int, float)):
        # The fraction is the time of day, so 80000.5 is still day 80000.
        if not math.isfinite(value) or not _SERIAL_MIN <= value < _SERIAL_MAX + 1:
            return Parsed(None, DATE_INVALID)
        return Parsed(_EXCEL_EPOCH + dt.timedelta(days=int(value)), None)
    if not isinstance(value, str):
        return Parsed(None, DATE_INVALID)
    text = _INVISIBLE.sub("", _SPACE_LIKE.sub(" ", _nfc(value))).strip()
    if text[:1] in ("'", "\u2019", "\u2018"):
        text = text[1:].strip()
    if not text:
        return Parsed(None, None)
    folded = " ".join(_strip_marks(text.casefold()).split())
    result: dt.date | None = None
    if match := _DAY_FIRST.fullmatch(folded):
        result = _make_date(match[4], match[3], match[1])
    elif match := _YEAR_FIRST.fullmatch(folded):
        result = _make_date(match[1], match[3], match[4])
    elif match := _SPELLED.fullmatch(folded):
        result = _make_date(match[3], match[2], match[1])
    return Parsed(result, DATE_INVALID if result is None else DATE_AS_TEXT)


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

_LINE_BREAK = re.compile(r"\r\n|\r|[\u2028\u2029\x0b\x0c\x85]")
_INLINE_SPACES = re.compile(r"[^\S\n]+")


def _format_number(value: int | float) -> str:
    """Format a number the way a user reads it in the cell: no ".0" on whole numbers."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value != int(value):
            return format(value, ".15g")  # Excel shows 15 significant digits, hiding noise like 0.30000000000000004
    whole = int(value)
    try:
        return str(whole)
    except ValueError:  # beyond sys.get_int_max_str_digits
        return format(Decimal(whole), ".15g")


def clean_text(value: object) -> str:
    """Return the cell as NFC text with spaces collapsed inside lines, line breaks kept, None as ""."""
    if value is None:
        return ""
    if type(value) is str and len(value) <= _CACHED_CHARS:
        return _clean_short(value)
    return _clean_text(value)


@functools.lru_cache(maxsize=16384)
def _clean_short(value: str) -> str:
    return _clean_text(value)


def _clean_text(value: object) -> str:
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"  # what Excel displays
    elif isinstance(value, (int, float)):
        text = _format_number(value)
    elif isinstance(value, dt.datetime):
        text = value.strftime("%d/%m/%Y")
        if value.time() != dt.time(0):
            text += value.strftime(" %H:%M:%S" if value.second else " %H:%M")
    elif isinstance(value, dt.date):
        text = value.strftime("%d/%m/%Y")
    elif isinstance(value, str):
        text = value
    else:
        try:
            text = str(value)
        except Exception:  # a foreign object with a broken __str__ must not stop a whole check run
            return ""
    text = _INVISIBLE.sub("", _LINE_BREAK.sub("\n", _nfc(text)))
    lines = (_INLINE_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    # NFC again: removing spaces can bring a base letter next to a combining mark.
    return _nfc("\n".join(lines).strip())
