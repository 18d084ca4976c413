"""The agencies of a workspace: codes, names, kinds, e-mails, and lenient name matching."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pipeline.model.errors import ConfigError
from pipeline.model.text import nfc, strip_diacritics

KINDS = {
    "so_nganh": "Sở, ban, ngành",
    "cong_an": "Công an",
    "doan_the": "Mặt trận, đoàn thể",
    "huyen": "UBND cấp huyện",
    "xa": "UBND cấp xã",
    "nhom": "Nhóm cơ quan",
}
# What each kind covers, for the officer choosing one.
KIND_HELP = {
    "so_nganh": "sở, ban, ngành và cơ quan cấp tỉnh khác",
    "cong_an": "công an tỉnh, thành phố",
    "doan_the": "Ủy ban Mặt trận Tổ quốc, các đoàn thể, hội",
    "huyen": "huyện, quận, thị xã, thành phố thuộc tỉnh",
    "xa": "xã, phường, thị trấn, đặc khu",
    "nhom": "tên gọi chung của nhiều cơ quan, ví dụ “Các sở, ngành liên quan”",
}
# Local units: each kind is one level of local government, reported on as "Địa phương".
LOCAL_KINDS = ("huyen", "xa")
# The registry stands for "every local unit of a level" with one pseudo-agency per level.
LEVEL_CODES = {"huyen": "CAP_HUYEN", "xa": "CAP_XA"}
LEVEL_NAMES = {"huyen": "UBND cấp huyện", "xa": "UBND cấp xã"}
LEVEL_FULL_NAMES = {"huyen": "UBND các huyện, thị xã, thành phố", "xa": "UBND các xã, phường, đặc khu"}
# Words that name the kind of body; a name may be written with or without them
# ("UBND huyện X", "huyện X", "X"; "Sở Y tế", "Y tế"; "UBND phường X", "phường X").
_PREFIXES = (("uy", "ban", "nhan", "dan"), ("ubnd",), ("so",), ("ban",), ("huyen",), ("quan",), ("thi", "xa"),
             ("tx",), ("thanh", "pho"), ("tp",), ("xa",), ("phuong",), ("thi", "tran"), ("dac", "khu"))
# How a plan names every local unit of a level: "UBND các huyện, thị xã, thành phố", "UBND cấp xã",
# "UBND các xã, phường, đặc khu", "Các địa phương". Folded words; "và" is already dropped.
_LEVEL_UNITS = {
    "huyen": (("huyen",), ("quan",), ("thi", "xa"), ("thanh", "pho"), ("tp",), ("tx",)),
    "xa": (("xa",), ("phuong",), ("thi", "tran"), ("dac", "khu"), ("co", "so")),
}
_BODY = (("chu", "tich"), ("uy", "ban", "nhan", "dan"), ("ubnd",), ("chinh", "quyen"))
_TRAILING = (("lien", "quan"), ("tren", "dia", "ban"), ("thuoc", "tinh"), ("thuoc", "thanh", "pho"), ("tinh",),
             ("trong", "tinh"))


@dataclass(frozen=True)
class Agency:
    """One body that leads, partners or reports on plan activities."""

    code: str
    name: str
    short_name: str
    aliases: tuple[str, ...]
    kind: str
    email: str
    in_related_group: bool
    covers: str = ""  # for the registry's own pseudo-agencies: the local level they stand for

    @property
    def is_local(self) -> bool:
        """A local unit (kind huyen or xa): reports as "Địa phương" and may answer "Không phát sinh"."""
        return self.kind in LOCAL_KINDS

    @property
    def is_district(self) -> bool:
        """The older name of `is_local`."""
        return self.is_local

    @property
    def is_group(self) -> bool:
        """The group "Các sở, ngành liên quan" (not a level of local units)."""
        return self.kind == "nhom" and not self.covers


def _take(rest: tuple[str, ...], options: tuple[tuple[str, ...], ...]) -> tuple[str, ...] | None:
    """`rest` without a leading option, or None when none leads it."""
    for option in options:
        if rest[: len(option)] == option:
            return rest[len(option):]
    return None


def local_levels(name: str) -> tuple[str, ...]:
    """The levels a name means as "every local unit of the level"; () for any other name.

    "UBND các huyện, thị xã, thành phố" and "UBND cấp huyện" mean the district level;
    "UBND cấp xã", "UBND các xã, phường, đặc khu" the commune level; "Các địa phương" both.
    A single unit ("UBND huyện X", "UBND phường Y") is not a level.
    """
    rest = words(name)
    while (after := _take(rest, _BODY)) is not None:
        rest = after
    while rest and (after := _trailing(rest)) is not None:
        rest = after
    if rest in (("cac", "dia", "phuong"), ("dia", "phuong"), ("cac", "cap")):
        return LOCAL_KINDS
    # "các xã", "cấp xã": every unit; a bare list ("xã, phường") needs two kinds of unit to be one
    plural = rest[:1] in (("cac",), ("cap",))
    found: list[str] = []
    count = 0
    while rest:
        if rest[:1] in (("cac",), ("cap",)):
            rest = rest[1:]
            continue
        level = next((lv for lv in LOCAL_KINDS if _take(rest, _LEVEL_UNITS[lv]) is not None), None)
        if level is None:
            return ()
        rest = _take(rest, _LEVEL_UNITS[level]) or ()
        count += 1
        if level not in found:
            found.append(level)
    return tuple(found) if found and (plural or count >= 2) else ()


def _any_level(name: str) -> bool:
    """True for the phrases meaning every local unit of whatever level ("Các địa phương")."""
    found = words(name)
    return any(found[i:i + 2] == ("dia", "phuong") for i in range(len(found)))


def _trailing(rest: tuple[str, ...]) -> tuple[str, ...] | None:
    """`rest` without a trailing qualifier ("liên quan", "trên địa bàn"), or None."""
    for option in _TRAILING:
        if len(rest) > len(option) and rest[-len(option):] == option:
            return rest[: -len(option)]
    return None


def words(value: str) -> tuple[str, ...]:
    """Folded ASCII words of a name: no case, no marks, no apostrophes, no 'và'/'&'."""
    text = strip_diacritics(nfc(value)).lower()
    text = re.sub(r"['’‘`]", "", text)
    return tuple(w for w in re.split(r"[^0-9a-z]+", text) if w and w != "va")


def _variants(name_words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The name with each leading kind-word group optionally dropped."""
    groups: list[tuple[str, ...]] = []
    rest = name_words
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if rest[: len(prefix)] == prefix and len(rest) > len(prefix):
                groups.append(prefix)
                rest = rest[len(prefix):]
                changed = True
                break
    out = []
    for keep in itertools.product((True, False), repeat=len(groups)):
        kept = tuple(w for g, k in zip(groups, keep) if k for w in g)
        out.append(kept + rest)
    return out


def _matches(query: tuple[str, ...], name: tuple[str, ...]) -> bool:
    """True if every query word is a name word or the initials of consecutive name words."""
    n, m = len(query), len(name)
    reach = [[False] * (m + 1) for _ in range(n + 1)]
    reach[n][m] = True
    for i in range(n - 1, -1, -1):
        q = query[i]
        for j in range(m - 1, -1, -1):
            if q == name[j] and reach[i + 1][j + 1]:
                reach[i][j] = True
                continue
            for k in range(2, min(len(q), m - j) + 1):
                if reach[i + 1][j + k] and q == "".join(w[0] for w in name[j : j + k]):
                    reach[i][j] = True
                    break
    return reach[0][0]


class Registry:
    """All agencies of a workspace, with lookup by code and by (messy) name."""

    def __init__(self, agencies: list[Agency], path: Path | str = "agencies.csv"):
        self.path = path
        levels = [Agency(LEVEL_CODES[level], LEVEL_FULL_NAMES[level], LEVEL_NAMES[level], (), "nhom", "", False,
                         covers=level)
                  for level in LOCAL_KINDS if any(a.kind == level for a in agencies)]
        self.agencies = (*agencies, *levels)
        self._by_code = {a.code: a for a in self.agencies}
        self._cache: dict[str, tuple[str, ...]] = {}

    def __iter__(self) -> Iterator[Agency]:
        return iter(self.agencies)

    def __len__(self) -> int:
        return len(self.agencies)

    def get(self, code: str) -> Agency:
        """The agency with this code (KeyError if none)."""
        return self._by_code[code]

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    @cached_property
    def group(self) -> Agency | None:
        """The pseudo-agency 'Các sở, ngành liên quan', if the registry defines one."""
        return next((a for a in self.agencies if a.is_group), None)

    @cached_property
    def _names(self) -> list[tuple[str, tuple[str, ...]]]:
        out = []
        for agency in self.agencies:
            if agency.covers:
                continue  # a level is named by its own phrases (local_levels), not matched loosely
            for name in (agency.name, agency.short_name, *agency.aliases):
                for variant in _variants(words(name)):
                    if variant:
                        out.append((agency.code, variant))
        return out

    @cached_property
    def _exact(self) -> dict[tuple[str, ...], set[str]]:
        index: dict[tuple[str, ...], set[str]] = {}
        for code, variant in self._names:
            index.setdefault(variant, set()).add(code)
        return index

    @cached_property
    def _by_ends(self) -> dict[tuple[str, str], list[tuple[str, tuple[str, ...]]]]:
        """Names by the first letter of their first and of their last word.

        A query matches a name only if its first word starts the name (a word, or the initials of
        words from the first) and its last word ends it (the last word, or initials ending with
        it): so only names under those letters need the full comparison, not the whole registry.
        """
        index: dict[tuple[str, str], list[tuple[str, tuple[str, ...]]]] = {}
        for code, variant in self._names:
            index.setdefault((variant[0][0], variant[-1][0]), []).append((code, variant))
        return index

    def _loose(self, query: tuple[str, ...]) -> set[str]:
        first, last = query[0][0], query[-1]
        keys = {(first, last[0]), (first, last[-1])}
        return {code for key in keys for code, name in self._by_ends.get(key, ()) if _matches(query, name)}

    def candidates(self, name: str) -> tuple[str, ...]:
        """Codes of every agency `name` may stand for (empty if none)."""
        query = words(name)
        if not query:
            return ()
        key = " ".join(query)
        if key not in self._cache:
            found: set[str] = set()
            # The query as written first; then without its kind words ("UBND huyện X" -> "X")
            # so that a bare alias such as "Krông Pắk" still matches.
            for variant in sorted(set(_variants(query)), key=len, reverse=True):
                found = set(self._exact.get(variant, ())) or (self._loose(variant) if variant else set())
                if found or not variant:
                    break
            self._cache[key] = tuple(sorted(found))
        return self._cache[key]

    def find(self, name: str) -> Agency | None:
        """The one agency `name` stands for, or None when unknown or ambiguous."""
        codes = self.candidates(name)
        return self._by_code[codes[0]] if len(codes) == 1 else None

    def resolve_list(self, text: str, where: Path | str = "", line: int | None = None) -> tuple[str, ...]:
        """Codes for a list of names separated by ';' or new lines, tolerating missing separators."""
        codes: list[str] = []
        for part in re.split(r"[;\n]+", nfc(text.replace("\r", "\n"))):
            part = part.strip(" .,;:")
            if not part:
                continue
            levels = local_levels(part)
            missing = [LEVEL_NAMES[lv] for lv in levels if LEVEL_CODES[lv] not in self._by_code]
            if missing and (len(missing) == len(levels) or not _any_level(part)):
                raise ConfigError(f"“{part}” giao việc cho {', '.join(missing)} nhưng danh mục cơ quan chưa có đơn vị "
                                  f"nào thuộc cấp này; hãy thêm các đơn vị (loại huyen hoặc xa) vào danh mục",
                                  where or self.path, line)
            found = self._segment(part)
            if found is None:
                raise ConfigError(f"không nhận ra cơ quan “{part}” trong danh mục cơ quan", where or self.path, line)
            codes.extend(c for c in found if c not in codes)
        return tuple(codes)

    def _one(self, name: str) -> list[str] | None:
        """The codes one name stands for: a registry code, every unit of a level, or one agency."""
        if name in self._by_code:
            return [name]
        levels = local_levels(name)
        if levels:
            codes = [LEVEL_CODES[lv] for lv in levels]
            present = [c for c in codes if c in self._by_code]
            # "Các địa phương" means the levels the province has; a named level must be there
            return present or None if _any_level(name) else (codes if present == codes else None)
        agency = self.find(name)
        return [agency.code] if agency is not None else None

    def _segment(self, part: str) -> list[str] | None:
        """Split a run of names written without separators into the fewest known agencies."""
        whole = self._one(part)
        if whole is not None:
            return whole
        tokens = part.split()
        best: dict[int, list[str]] = {len(tokens): []}
        for start in range(len(tokens) - 1, -1, -1):
            for end in range(start + 1, len(tokens) + 1):
                if end not in best:
                    continue
                hit = self._one(" ".join(tokens[start:end]))
                if hit is not None:
                    option = [*hit, *best[end]]
                    if start not in best or len(option) < len(best[start]):
                        best[start] = option
        return best.get(0)

    def local_units(self, level: str | None = None) -> list[Agency]:
        """Local units of `level` (huyen or xa), or of every level."""
        return [a for a in self.agencies if a.is_local and (level is None or a.kind == level)]

    def districts(self) -> list[Agency]:
        """The older name of `local_units()`."""
        return self.local_units()

    def group_members(self) -> list[Agency]:
        """Members of the group 'Các sở, ngành liên quan'."""
        return [a for a in self.agencies if a.in_related_group and not a.is_group]
