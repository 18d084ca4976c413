"""Tests for legacy TCVN3/VNI detection and conversion."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.read.legacy import (
    TCVN3,
    TCVN3_TO_UNICODE,
    VNI,
    VNI_TO_UNICODE,
    detect_legacy,
    fix_legacy,
    to_unicode,
)

# Built independently of the module: every Vietnamese vowel with every tone, plus đ.
_TONE_MARKS = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_LOWER_LETTERS = frozenset(
    unicodedata.normalize("NFC", base + tone) for base in "aăâeêioôơuưy" for tone in _TONE_MARKS
) | {"đ"}
VIETNAMESE_LETTERS = frozenset(_LOWER_LETTERS | {ch.upper() for ch in _LOWER_LETTERS}) - set(
    "aeiouyAEIOUY"
)

# Encoders are the inverse of the module's decoding tables, so a round trip checks them.
_TCVN3_ENCODE = {letter: code for code, letter in TCVN3_TO_UNICODE.items()}
_VNI_ENCODE = {letter: code for code, letter in VNI_TO_UNICODE.items()}


def encode_tcvn3(text: str) -> str:
    """Encode Unicode text to TCVN3 as Excel shows it (one Latin-1 character per byte)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _TCVN3_ENCODE:
            out.append(_TCVN3_ENCODE[ch])
        elif ch.lower() in _TCVN3_ENCODE:
            out.append(_TCVN3_ENCODE[ch.lower()])  # uppercase toned letters use the lowercase code
        else:
            assert ch.isascii(), ch
            out.append(ch)
    return "".join(out)


def encode_vni(text: str) -> str:
    """Encode Unicode text to VNI-Windows as Excel shows it."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _VNI_ENCODE:
            out.append(_VNI_ENCODE[ch])
        else:
            assert ch.isascii(), ch
            out.append(ch)
    return "".join(out)


def expected_tcvn3(text: str) -> str:
    """What a TCVN3 round trip gives back: uppercase toned letters come back lowercase."""
    return "".join(
        ch if ch.isascii() or ch in _TCVN3_ENCODE else ch.lower()
        for ch in unicodedata.normalize("NFC", text)
    )


ENCODERS = {TCVN3: (encode_tcvn3, expected_tcvn3), VNI: (encode_vni, lambda s: s)}

PHRASES = [
    "Sở Y tế",
    "Sở Lao động - Thương binh và Xã hội",
    "Ủy ban nhân dân huyện Krông Pắc",
    "Đã hoàn thành",
    "Đang thực hiện",
    "Chưa thực hiện",
    "Tổ chức tập huấn cho 120 cán bộ làm công tác trẻ em",
    "BÁO CÁO KẾT QUẢ",
    "ĐVT: Triệu đồng",
    "Trường Đại học Tây Nguyên",
    "Không",
    "Đạt",
    "Người thực hiện: Nguyễn Thị Hương",
    "Ở nhà",
]


@pytest.mark.parametrize("encoding", [TCVN3, VNI])
@pytest.mark.parametrize("phrase", PHRASES)
def test_round_trip_detects_and_converts(phrase: str, encoding: str) -> None:
    encode, expected = ENCODERS[encoding]
    legacy = encode(phrase)
    assert legacy != phrase
    assert detect_legacy(legacy) == encoding
    assert fix_legacy(legacy) == (expected(phrase), encoding)


def test_tcvn3_uppercase_toned_letters_come_back_lowercase() -> None:
    assert fix_legacy(encode_tcvn3("BÁO CÁO KẾT QUẢ")) == ("BáO CáO KếT QUả", TCVN3)
    assert to_unicode("\xa7\xa2\xa6\xa1\xa3\xa4\xa5", TCVN3) == "ĐÂƯĂÊÔƠ"


@pytest.mark.parametrize(
    ("legacy", "encoding"),
    [
        ("Së Lao \xaeéng - Th\xad\xacng binh vµ X· héi", TCVN3),
        ("Sôû Lao ñoäng - Thöông binh vaø Xaõ hoäi", VNI),
        ("TRÖÔØNG ÑAÏI HOÏC", VNI),
    ],
)
def test_real_samples(legacy: str, encoding: str) -> None:
    expected = "TRƯỜNG ĐẠI HỌC" if legacy.isupper() else "Sở Lao động - Thương binh và Xã hội"
    assert fix_legacy(legacy) == (expected, encoding)


def test_tables_cover_every_vietnamese_letter() -> None:
    assert set(VNI_TO_UNICODE.values()) == VIETNAMESE_LETTERS
    assert set(TCVN3_TO_UNICODE.values()) == (
        {ch for ch in VIETNAMESE_LETTERS if ch.islower()} | set("ĂÂĐÊÔƠƯ")
    )
    assert all(0xA1 <= ord(code) <= 0xFE for code in TCVN3_TO_UNICODE)
    assert len(set(_VNI_ENCODE.values())) == len(_VNI_ENCODE)


@pytest.mark.parametrize("letter", sorted(VIETNAMESE_LETTERS))
def test_every_letter_round_trips(letter: str) -> None:
    assert to_unicode(encode_vni(letter), VNI) == letter
    assert to_unicode(encode_tcvn3(letter), TCVN3) == expected_tcvn3(letter)


def test_c1_controls_and_cp1252_punctuation_convert_alike() -> None:
    legacy = encode_tcvn3("Sở Y tế")
    with_cp1252 = f"\u201c{legacy}\u201d \u2013 {legacy}\u2026"
    with_c1 = f"\x93{legacy}\x94 \x96 {legacy}\x85"
    expected = "\u201cSở Y tế\u201d \u2013 Sở Y tế\u2026"
    assert fix_legacy(with_cp1252) == (expected, TCVN3)
    assert fix_legacy(with_c1) == (expected, TCVN3)


NOT_LEGACY = [
    "",
    "2.500.000",
    "nguyen.van.a@example.vn",
    "The report was submitted on time.",
    "Total budget for 2024",
    "café",
    "Müller",
    "Dr. Müller und Frau Schäfer aus Düsseldorf",
    "naïve café, crème brûlée, déjà vu",
    "Là où il est, il y a un café près de l'hôtel",
    "São Paulo e João",
    "El niño y la señora",
    "Particles below 2.5 µm and 10 µm",
    "© 2020 Microsoft®",
    "« Prix : £5 »",
    "25°C ± 2°C",
    "Sở Lao động - Thương binh và Xã hội",
    unicodedata.normalize("NFD", "Sở Lao động - Thương binh và Xã hội"),
    "Cà phê",
    unicodedata.normalize("NFD", "Cà phê"),
    "Tên tôi là Tú",
    "Cà Mau, Tây Ninh, Lê Văn Tám",
    "hoà khoá toà Hoàng",
    "BÁO CÁO KẾT QUẢ",
    "Cã",  # TCVN3 "Có", but also a possible Unicode word: too thin to call
]


@pytest.mark.parametrize("text", NOT_LEGACY)
def test_not_detected(text: str) -> None:
    assert detect_legacy(text) is None
    assert fix_legacy(text) == (unicodedata.normalize("NFC", text), None)


def test_unknown_encoding_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown legacy encoding"):
        to_unicode("abc", "viscii")


_CP1252_PUNCTUATION = bytes(range(0x80, 0xA0)).decode("cp1252", "ignore")
_LATIN_TEXT = st.text(
    alphabet=st.sampled_from(
        [chr(cp) for cp in range(0x20, 0x100)] + list(_CP1252_PUNCTUATION) + ["\u0301", "ở"]
    ),
    max_size=60,
)


@given(st.one_of(st.text(), _LATIN_TEXT))
def test_fix_legacy_never_raises_and_returns_nfc(text: str) -> None:
    fixed, encoding = fix_legacy(text)
    assert encoding in (None, TCVN3, VNI)
    assert unicodedata.is_normalized("NFC", fixed)
    if encoding is None:
        assert fixed == unicodedata.normalize("NFC", text)


_VIETNAMESE_TEXT = st.text(
    alphabet=st.sampled_from(sorted(VIETNAMESE_LETTERS) + list(" -,.0123456789abcdghklmnopqrstuvxyABCDGHKLMN")),
    max_size=40,
)


@given(_VIETNAMESE_TEXT)
def test_to_unicode_inverts_the_encoders(text: str) -> None:
    assert to_unicode(encode_vni(text), VNI) == text
    assert to_unicode(encode_tcvn3(text), TCVN3) == expected_tcvn3(text)
