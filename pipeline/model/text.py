"""Unicode helpers: NFC storage and a folded key for lenient name matching."""

from __future__ import annotations

import functools
import re
import unicodedata

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def nfc(value: str) -> str:
    """Return `value` in Unicode NFC with dashes unified and runs of spaces collapsed."""
    text = unicodedata.normalize("NFC", value).translate(_DASHES)
    return _SPACES.sub(" ", text).strip()


def strip_diacritics(value: str) -> str:
    """Remove Vietnamese tone and vowel marks (đ becomes d)."""
    decomposed = unicodedata.normalize("NFD", value)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("đ", "d").replace("Đ", "D")


@functools.lru_cache(maxsize=65536)
def fold(value: str) -> str:
    """Key for lenient comparison: no case, no diacritics, no spaces or punctuation.

    "Sở TN&MT", "sở tnmt" and "SỞ TN-MT" all fold to "sotnmt"; the conjunction "và"
    is dropped so that "Sở Tư pháp và ..." style variants of '&' compare equal.
    """
    text = strip_diacritics(nfc(value)).lower()
    text = re.sub(r"\bva\b", " ", text)
    return _NOT_ALNUM.sub("", text)


def ascii_slug(value: str) -> str:
    """Readable ASCII for file names: 'Sở Y tế' -> 'so-y-te'."""
    text = strip_diacritics(nfc(value)).lower()
    return re.sub(r"[^0-9a-z]+", "-", text).strip("-")
