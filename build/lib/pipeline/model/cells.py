"""Cell addresses of the workbook contract: 0-based (row, column) <-> 'H7'.

The reader and the rules name a cell for every finding, thousands of times a run. Writers that
already import openpyxl or xlsxwriter use those libraries' helpers; the check does not import
openpyxl (0.2-0.4 s) just to spell a column, so this module is the one converter it uses.
"""

from __future__ import annotations

import re
from functools import lru_cache

_KEPT_ROWS, _KEPT_COLUMNS = 1000, 64
_ADDRESS = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def column_letter(index: int) -> str:
    """0-based column index -> 'A', 'B', … 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def address(row: int, col: int) -> str:
    """0-based (row, col) -> 'H7'.

    The same string object for the same cell: a check records a dozen addresses per row, and
    thousands of results then share them instead of each holding its own copies (also once
    pickled back from a worker, whose pickle stores each shared object once).
    """
    if 0 <= row < _KEPT_ROWS and 0 <= col < _KEPT_COLUMNS:
        return _address_kept(row, col)
    return f"{column_letter(col)}{row + 1}"


@lru_cache(maxsize=None)
def _address_kept(row: int, col: int) -> str:
    return f"{column_letter(col)}{row + 1}"


def parse_address(ref: str) -> tuple[int, int] | None:
    """'H7' -> 0-based (6, 7); None if `ref` is not one cell's address."""
    match = _ADDRESS.fullmatch(ref or "")
    if match is None:
        return None
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, col - 1
