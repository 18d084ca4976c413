"""Mutants of real returned workbooks, made the way damage and hostility really happen.

Byte flips, truncation, zip members swapped or dropped, XML cut short or bloated, a sheet part
renamed, far cell references and lying dimensions — each mutant from a real filled workbook,
reproducible from its seed. Used by tests/test_isolation.py (a few hundred) and by
scripts/fuzz_run.py (thousands).
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable, Iterator

Mutation = Callable[[bytes, random.Random], bytes]


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info, zf.read(info)) for info in zf.infolist()]


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members:
            zf.writestr(name, body)
    return out.getvalue()


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    blob = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        blob[rng.randrange(len(blob))] = rng.randrange(256)
    return bytes(blob)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(0, len(data))]


def swap_members(data: bytes, rng: random.Random) -> bytes:
    members = [(i.filename, b) for i, b in _members(data)]
    a, b = rng.sample(range(len(members)), 2)
    members[a], members[b] = (members[a][0], members[b][1]), (members[b][0], members[a][1])
    return _zip(members)


def drop_member(data: bytes, rng: random.Random) -> bytes:
    members = [(i.filename, b) for i, b in _members(data)]
    members.pop(rng.randrange(len(members)))
    return _zip(members)


def _edit_sheets(data: bytes, rng: random.Random, change: Callable[[bytes, random.Random], bytes]) -> bytes:
    members = [(i.filename, b) for i, b in _members(data)]
    sheets = [k for k, (name, _) in enumerate(members) if re.match(r"xl/worksheets/sheet\d+\.xml$", name)]
    k = rng.choice(sheets)
    members[k] = (members[k][0], change(members[k][1], rng))
    return _zip(members)


def cut_xml(data: bytes, rng: random.Random) -> bytes:
    def change(xml: bytes, r: random.Random) -> bytes:
        a = r.randrange(len(xml))
        return xml[:a] + xml[a + r.randint(1, 400):]
    return _edit_sheets(data, rng, change)


def far_cell(data: bytes, rng: random.Random) -> bytes:
    """A cell reference far beyond the sheet's limits, the kind that makes readers allocate wildly."""
    ref = rng.choice([b"A99999999999", b"XFD1048576", b"ZZZZ1", b"A0", b"AAAAAAAA7"])

    def change(xml: bytes, r: random.Random) -> bytes:
        return xml.replace(b"</sheetData>", b'<row r="9"><c r="' + ref + b'"><v>1</v></c></row></sheetData>', 1)
    return _edit_sheets(data, rng, change)


def lying_dimension(data: bytes, rng: random.Random) -> bytes:
    def change(xml: bytes, r: random.Random) -> bytes:
        return re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml, count=1)
    return _edit_sheets(data, rng, change)


def odd_xml(data: bytes, rng: random.Random) -> bytes:
    """Entities, deep nesting, a bloated attribute, invalid characters: what a hostile editor writes."""
    payloads = [
        b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>',
        b"<x>" * 5000 + b"</x>" * 5000,
        b'<c r="B9" t="inlineStr"><is><t>' + b"\x01\x02\xff" * 50 + b"</t></is></c>",
        b'<c r="B9" s="999999"><v>1e400</v></c>',
        b'<c r="B9" t="n"><v>nan</v></c><c r="C9" t="n"><v>inf</v></c>',
        b'<mergeCell ref="A1:XFD1048576"/>',
    ]
    payload = rng.choice(payloads)

    def change(xml: bytes, r: random.Random) -> bytes:
        if payload.startswith(b"<!DOCTYPE"):
            return xml.replace(b"?>", b"?>" + payload, 1)
        return xml.replace(b"<sheetData>", b"<sheetData>" + payload, 1)
    return _edit_sheets(data, rng, change)


def sheet_as_png(data: bytes, rng: random.Random) -> bytes:
    """A worksheet part renamed with a picture's extension, the workbook still pointing at it."""
    if rng.random() < 0.5:
        data = far_cell(data, rng)  # the case that once slipped past the guard's extent check
    members = [(i.filename, b) for i, b in _members(data)]
    renamed = []
    for name, body in members:
        if re.match(r"xl/worksheets/sheet\d+\.xml$", name):
            name = name[:-4] + ".png"
        elif name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
            body = re.sub(rb"(worksheets/sheet\d+)\.xml", rb"\1.png", body)
        renamed.append((name, body))
    return _zip(renamed)


MUTATIONS: tuple[Mutation, ...] = (flip_bytes, truncate, swap_members, drop_member, cut_xml, far_cell,
                                   lying_dimension, odd_xml, sheet_as_png)


def mutants(bases: list[bytes], count: int, seed: int) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of `count` mutants of `bases`, the same for the same seed."""
    rng = random.Random(seed)
    for n in range(count):
        mutation = MUTATIONS[n % len(MUTATIONS)]
        base = bases[rng.randrange(len(bases))]
        try:
            data = mutation(base, rng)
        except (zipfile.BadZipFile, ValueError, IndexError):
            data = flip_bytes(base, rng)
        yield f"m{n:05d}-{mutation.__name__}.xlsx", data
