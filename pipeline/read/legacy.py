"""Detect and repair Vietnamese text typed in the legacy 8-bit TCVN3 (ABC) and VNI encodings.

When a workbook cell was typed with a TCVN3 font (.VnTime, .VnArial) or a VNI font
(VNI-Times), each legacy byte reaches us as the Windows-1252/Latin-1 character of that
byte: "Së Y tÕ" (TCVN3) or "Sôû Y teá" (VNI) instead of "Sở Y tế".

Detection heuristic (``detect_legacy``):

* Cheap precheck: pure ASCII, or any character outside Latin-1 and the Windows-1252
  punctuation (real Unicode Vietnamese such as "ở", or an NFD combining mark) means
  the text is not legacy; no scoring happens.
* Otherwise each distinct word holding a non-ASCII character is read twice: as it
  stands, and converted from the candidate encoding. It *gains* when the converted form
  is a well-formed Vietnamese syllable (onset + rhyme grammar, at most one tone, stop
  finals p/t/c/ch only with the acute or dot-below tone) while the word as it stands
  is not (foreign letters, symbols inside a word, mixed case like "tÕ"). A word that was
  valid and breaks, or is invalid either way, counts *against*. A gain counts double
  when ordinary text cannot explain it (TCVN3: a symbol such as "¸" or "®" inside a
  word, or "µ" after a letter; VNI: two legacy sequences in one word, or a vowel plus
  a bare "â"/"ê"), and half for a one-character word (Danish "ø" would become "ứ").
* An encoding is reported when its gains are worth at least two words and exceed the
  weight against it; if both encodings qualify equally, nothing is reported. A word
  valid both ways is neutral, which keeps Latin-1-only Unicode Vietnamese ("Cà phê")
  and French or German words ("café", "Müller") from being flagged.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from types import MappingProxyType
from typing import Final, Mapping

__all__ = ["TCVN3", "TCVN3_TO_UNICODE", "VNI", "VNI_TO_UNICODE", "detect_legacy", "fix_legacy", "to_unicode"]

TCVN3: Final = "tcvn3"
VNI: Final = "vni"

# TCVN3 (TCVN 5712:1993 VN3, the "ABC" set). Each row: legacy bytes, then the Unicode
# letters they stand for in the same order. Toned vowels go grave, hook, tilde, acute,
# dot below. VN3 has no precomposed uppercase toned letters: uppercase fonts (.VnTimeH)
# draw the lowercase codes as capitals, so those codes decode to lowercase letters.
_TCVN3_ROWS: Final[tuple[tuple[str, str], ...]] = (
    ("a1 a2 a3 a4 a5 a6 a7", "ĂÂÊÔƠƯĐ"),
    ("a8 a9 aa ab ac ad ae", "ăâêôơưđ"),
    ("b5 b6 b7 b8 b9", "àảãáạ"),
    ("bb bc bd be c6", "ằẳẵắặ"),
    ("c7 c8 c9 ca cb", "ầẩẫấậ"),
    ("cc ce cf d0 d1", "èẻẽéẹ"),
    ("d2 d3 d4 d5 d6", "ềểễếệ"),
    ("d7 d8 dc dd de", "ìỉĩíị"),
    ("df e1 e2 e3 e4", "òỏõóọ"),
    ("e5 e6 e7 e8 e9", "ồổỗốộ"),
    ("ea eb ec ed ee", "ờởỡớợ"),
    ("ef f1 f2 f3 f4", "ùủũúụ"),
    ("f5 f6 f7 f8 f9", "ừửữứự"),
    ("fa fb fc fd fe", "ỳỷỹýỵ"),
)

# VNI-Windows. Each row: Unicode letters and their lowercase VNI spelling, a base letter
# followed by a mark byte, or a single byte for đ, ơ, ư and the toned i/ỵ forms. Every
# VNI uppercase code is str.upper() of the lowercase one ("aù" -> "AÙ" for "Á").
_VNI_ROWS: Final[tuple[tuple[str, str], ...]] = (
    ("á à ả ã ạ", "aù aø aû aõ aï"),
    ("ă ắ ằ ẳ ẵ ặ", "aê aé aè aú aü aë"),
    ("â ấ ầ ẩ ẫ ậ", "aâ aá aà aå aã aä"),
    ("é è ẻ ẽ ẹ", "eù eø eû eõ eï"),
    ("ê ế ề ể ễ ệ", "eâ eá eà eå eã eä"),
    ("í ì ỉ ĩ ị", "í ì æ ó ò"),
    ("ó ò ỏ õ ọ", "où oø oû oõ oï"),
    ("ô ố ồ ổ ỗ ộ", "oâ oá oà oå oã oä"),
    ("ơ ớ ờ ở ỡ ợ", "ô ôù ôø ôû ôõ ôï"),
    ("ú ù ủ ũ ụ", "uù uø uû uõ uï"),
    ("ư ứ ừ ử ữ ự", "ö öù öø öû öõ öï"),
    ("ý ỳ ỷ ỹ ỵ", "yù yø yû yõ î"),
    ("đ", "ñ"),
)


def _build_tcvn3() -> dict[str, str]:
    table: dict[str, str] = {}
    for hexes, letters in _TCVN3_ROWS:
        for byte, letter in zip(bytes.fromhex(hexes), letters, strict=True):
            table[chr(byte)] = letter
    return table


def _build_vni() -> dict[str, str]:
    table: dict[str, str] = {}
    for letters, codes in _VNI_ROWS:
        for letter, code in zip(letters.split(), codes.split(), strict=True):
            table[code] = letter
            table[code.upper()] = letter.upper()
    return table


TCVN3_TO_UNICODE: Final[Mapping[str, str]] = MappingProxyType(_build_tcvn3())
"""TCVN3 code (as its Latin-1 character) -> Unicode letter."""

VNI_TO_UNICODE: Final[Mapping[str, str]] = MappingProxyType(_build_vni())
"""VNI spelling (one or two Latin-1 characters) -> Unicode letter."""


def _build_c1_table() -> dict[int, str]:
    # Excel hands bytes 0x80-0x9F back either as Windows-1252 punctuation or as raw C1
    # controls; neither legacy set puts letters there, so fold C1 onto the cp1252 form.
    table: dict[int, str] = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue  # 0x81, 0x8D, 0x8F, 0x90, 0x9D have no cp1252 character
    return table


_C1_TO_CP1252: Final[dict[int, str]] = _build_c1_table()
_TCVN3_TRANSLATE: Final[dict[int, str]] = {ord(code): letter for code, letter in TCVN3_TO_UNICODE.items()}
# Two-character spellings must win over the single ô/ö they may start with.
_VNI_RE: Final = re.compile(
    "|".join(re.escape(code) for code in sorted(VNI_TO_UNICODE, key=len, reverse=True))
)

_ALLOWED = r"\x00-\xff" + "".join(re.escape(ch) for ch in sorted(set(_C1_TO_CP1252.values())))
_FOREIGN_RE: Final = re.compile(f"[^{_ALLOWED}]")
_HIGH_RE: Final = re.compile(r"[\xa1-\xff]")

_LEGACY_CHARS: Final = frozenset(TCVN3_TO_UNICODE) | frozenset("".join(VNI_TO_UNICODE))
_WORD_CHARS: Final = "".join(
    re.escape(chr(cp)) for cp in range(0xA1, 0x100) if chr(cp).isalpha() or chr(cp) in _LEGACY_CHARS
)
_TOKEN_RE: Final = re.compile(f"[A-Za-z{_WORD_CHARS}]+")

_TONES: Final = frozenset("\u0300\u0301\u0303\u0309\u0323")
_STOP_TONES: Final = frozenset("\u0301\u0323")
_CODA = "(?:ch|nh|ng|[cmnpt])"
_SYLLABLE_RE: Final = re.compile(
    # onset: the standard consonants plus the clusters of ethnic place names (Krông, Plông)
    "(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdgkpt][lr]|[bcdđghklmnprstvx])?"
    "(?:"
    f"[aeêioôơuưy]{_CODA}?"
    "|[ăâ](?:ng|[cmnpt])"
    "|oai|oao|oay|oeo|uây|uôi|ươi|ươu|iêu|yêu|uya|uyu"
    "|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ui|ưi|ưu|ưa|ua|uơ"
    f"|(?:oa|oe|uê|uy){_CODA}?"
    "|(?:oă|uâ)(?:ng|[cmnpt])"
    "|(?:iê|yê|uô|ươ|uyê)(?:ng|nh|[cmnpt])"
    "|oo(?:ng|c)"
    ")"
)


@lru_cache(maxsize=65536)
def _is_syllable(word: str, strict: bool) -> bool:
    """Whether a lowercase word is one well-formed Vietnamese syllable."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONES]
    if len(tones) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    if _SYLLABLE_RE.fullmatch(bare) is None:
        return False
    # Syllables closed by p/t/c/ch only carry the acute or dot-below tone.
    if strict and bare.endswith(("c", "ch", "p", "t")):
        return bool(tones) and tones[0] in _STOP_TONES
    return True


def _plausible_as_is(token: str) -> bool:
    """Whether a token already reads as a Unicode Vietnamese syllable with sane casing."""
    lower = token.lower()
    cased = token == lower or token == token.upper() or (token[0].isupper() and token[1:] == lower[1:])
    return cased and _is_syllable(lower, False)


def _convert_token(token: str, encoding: str) -> tuple[str, bool]:
    """Convert one word; also say whether it carries evidence hard to explain otherwise."""
    if encoding == TCVN3:
        converted = token.translate(_TCVN3_TRANSLATE)
        # A symbol glued inside a word, or a micro/ordinal sign after a letter ("nhµ"),
        # is not how any Latin-1 language writes.
        odd = any(ch in TCVN3_TO_UNICODE and not ch.isalpha() for ch in token) or any(
            ch in "µª" for ch in token[1:]
        )
        return converted, odd and len(converted) >= 2
    codes = [m.group() for m in _VNI_RE.finditer(token) if VNI_TO_UNICODE[m.group()] != m.group()]
    converted = _VNI_RE.sub(lambda m: VNI_TO_UNICODE[m.group()], token)
    # A vowel followed by a bare â/ê ("oâ" for ô, "aê" for ă) occurs in no Latin-1
    # language, unlike "où" or "aú", which French and Spanish write.
    odd = len(codes) >= 2 or any(len(code) == 2 and code[1] in "âêÂÊ" for code in codes)
    return converted, odd and len(converted) >= 2


@lru_cache(maxsize=65536)
def _token_score(token: str, encoding: str) -> int:
    """Evidence one word gives for an encoding: >0 for, <0 against, 0 neutral."""
    if len(token) == 1 and not token.isalpha():
        return 0  # a lone "«" or "£" says nothing about the words around it
    before = _plausible_as_is(token)
    converted, strong = _convert_token(token, encoding)
    after = before if converted == token else _is_syllable(converted.lower(), True)
    # Weights are doubled so a one-letter word ("ø" -> "ứ") can count half a word.
    if after and not before:
        if strong:
            return 4
        return 1 if len(token) == 1 else 2
    if before and not after:
        return -4
    if not before and not after:
        return -2
    return 0


def detect_legacy(text: str) -> str | None:
    """Return "tcvn3" or "vni" when text looks typed in that legacy encoding, else None."""
    if text.isascii() or _FOREIGN_RE.search(text) is not None or _HIGH_RE.search(text) is None:
        return None
    # Repeats of one word (in any case) are not independent evidence.
    tokens = {token.lower(): token for token in _TOKEN_RE.findall(text) if not token.isascii()}.values()
    if not tokens:
        return None
    best: str | None = None
    best_margin = 0
    tied = False
    for encoding in (TCVN3, VNI):
        gain = against = 0
        for token in tokens:
            score = _token_score(token, encoding)
            if score > 0:
                gain += score
            else:
                against -= score
        if gain < 4 or gain <= against:
            continue
        margin = gain - against
        if margin > best_margin:
            best, best_margin, tied = encoding, margin, False
        elif margin == best_margin:
            tied = True
    return None if tied else best


def to_unicode(text: str, encoding: str) -> str:
    """Convert TCVN3 or VNI text (as Latin-1/cp1252 characters) to Unicode NFC."""
    folded = text.translate(_C1_TO_CP1252)
    if encoding == TCVN3:
        converted = folded.translate(_TCVN3_TRANSLATE)
    elif encoding == VNI:
        converted = _VNI_RE.sub(lambda m: VNI_TO_UNICODE[m.group()], folded)
    else:
        raise ValueError(f"unknown legacy encoding {encoding!r}; expected {TCVN3!r} or {VNI!r}")
    return unicodedata.normalize("NFC", converted)


def fix_legacy(text: str) -> tuple[str, str | None]:
    """Return (text in Unicode NFC, legacy encoding found or None)."""
    if len(text) <= 80:  # short texts repeat from return to return (labels, statuses): remembered
        return _fix_short(text)
    return _fix_legacy(text)


@lru_cache(maxsize=16384)
def _fix_short(text: str) -> tuple[str, str | None]:
    return _fix_legacy(text)


def _fix_legacy(text: str) -> tuple[str, str | None]:
    encoding = detect_legacy(text)
    if encoding is None:
        return unicodedata.normalize("NFC", text), None
    return to_unicode(text, encoding), encoding
