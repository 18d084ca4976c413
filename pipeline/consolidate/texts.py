"""Agencies' free texts grouped by similarity: near-duplicates stated once, with who said them.

Agencies copy and lightly edit each other's sentences ("Đề nghị UBND tỉnh bố trí kinh phí riêng…",
"Kiến nghị UBND tỉnh bố trí kinh phí riêng để…"). Texts are compared by rapidfuzz's normalised
Indel similarity (`fuzz.ratio`, 0-100) after folding case, punctuation and spacing. Measured on the
sample's 2014-2016 texts: sentences of different meaning score at most 51, edited copies (a word
added or dropped, "Đề nghị"/"Kiến nghị", "UBND"/"Ủy ban nhân dân", a missing full stop) 88-97.
THRESHOLD sits in that gap, nearer the copies' side so two different proposals are never merged.
Texts whose numbers differ ("tập huấn 3 lớp", "tập huấn 5 lớp") are never merged: a figure is never
attributed to an agency that did not write it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

THRESHOLD = 75.0
_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class TextGroup:
    """One statement and everyone who made it (or a close variant of it)."""

    text: str  # the variant most agencies wrote (the first seen on a tie)
    agencies: tuple[str, ...]  # registry codes, each once, in the order they were seen
    variants: tuple[str, ...]  # every distinct wording merged into the group


def fold(text: str) -> str:
    """What two texts are compared on: NFC, lower case, no punctuation, single spaces."""
    return _SPACE.sub(" ", _PUNCT.sub(" ", unicodedata.normalize("NFC", text).lower())).strip()


def group_texts(items: Iterable[tuple[str, str]], threshold: float = THRESHOLD) -> list[TextGroup]:
    """(agency, text) pairs as groups of similar texts, the most widely shared first."""
    from rapidfuzz import fuzz

    seen: dict[str, list[tuple[str, str]]] = {}  # folded text -> (agency, original) in order
    for agency, text in items:
        text = text.strip()
        key = fold(text)
        if key:
            seen.setdefault(key, []).append((agency, text))
    # the most repeated wordings found the groups; rarer ones join the closest founder
    keys = sorted(seen, key=lambda k: -len(seen[k]))
    founders: list[str] = []
    members: dict[str, list[str]] = {}
    for key in keys:
        best, score = None, threshold
        numbers = _DIGITS.findall(key)
        for founder in founders:
            if _DIGITS.findall(founder) != numbers:
                continue
            s = fuzz.ratio(key, founder, score_cutoff=score)
            if s >= score:
                best, score = founder, s
        if best is None:
            founders.append(key)
            members[key] = [key]
        else:
            members[best].append(key)
    order = {k: i for i, k in enumerate(seen)}  # first appearance
    groups = []
    for founder in founders:
        pairs = [p for k in members[founder] for p in seen[k]]
        wordings: dict[str, int] = {}
        for _, text in pairs:
            wordings[text] = wordings.get(text, 0) + 1
        text = max(wordings, key=lambda t: wordings[t])
        groups.append((min(order[k] for k in members[founder]),
                       TextGroup(text, tuple(dict.fromkeys(a for a, _ in pairs)), tuple(wordings))))
    groups.sort(key=lambda g: (-len(g[1].agencies), g[0]))
    return [g for _, g in groups]
