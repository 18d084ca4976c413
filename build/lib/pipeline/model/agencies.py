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
    "huyen": "UBND cấp huyện",
    "doan_the": "Mặt trận, đoàn thể",
    "nhom": "Nhóm cơ quan",
}
# Words that name the kind of body; a name may be written with or without them
# ("UBND huyện Lắk", "huyện Lắk", "Lắk"; "Sở Y tế", "Y tế").
_PREFIXES = (("uy", "ban", "nhan", "dan"), ("ubnd",), ("so",), ("ban",), ("huyen",), ("thi", "xa"), ("tx",),
             ("thanh", "pho"), ("tp",))


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

    @property
    def is_district(self) -> bool:
        return self.kind == "huyen"

    @property
    def is_group(self) -> bool:
        return self.kind == "nhom"


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
        self.agencies = tuple(agencies)
        self._by_code = {a.code: a for a in agencies}
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
                found = set(self._exact.get(variant, ())) or {
                    code for code, name in self._names if _matches(variant, name)}
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
            found = self._segment(part)
            if found is None:
                raise ConfigError(f"không nhận ra cơ quan “{part}” trong danh mục cơ quan", where or self.path, line)
            codes.extend(c for c in found if c not in codes)
        return tuple(codes)

    def _segment(self, part: str) -> list[str] | None:
        """Split a run of names written without separators into the fewest known agencies."""
        if part in self._by_code:
            return [part]
        agency = self.find(part)
        if agency is not None:
            return [agency.code]
        tokens = part.split()
        best: dict[int, list[str]] = {len(tokens): []}
        for start in range(len(tokens) - 1, -1, -1):
            for end in range(start + 1, len(tokens) + 1):
                if end not in best:
                    continue
                hit = self.find(" ".join(tokens[start:end]))
                if hit is not None:
                    option = [hit.code, *best[end]]
                    if start not in best or len(option) < len(best[start]):
                        best[start] = option
        return best.get(0)

    def districts(self) -> list[Agency]:
        """District-level People's Committees."""
        return [a for a in self.agencies if a.is_district]

    def group_members(self) -> list[Agency]:
        """Members of the group 'Các sở, ngành liên quan'."""
        return [a for a in self.agencies if a.in_related_group and not a.is_group]
