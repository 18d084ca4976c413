"""XML parts of OOXML and ODS workbooks scanned as bytes: DOCTYPE/ENTITY anywhere, cell extents, sheet counts.

Longer than most modules on purpose: the OOXML and ODS analysers share one tokenizer, one
streaming state machine (parts arrive in chunks while they are inflated) and the workbook-wide
counters, and every limit they enforce is tested against both. Split apart, each half would
need the other's internals.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Iterable
from xml.parsers import expat

from defusedxml import ElementTree as SafeET

from pipeline.intake.xlsbscan import Counts, XlsbPart

from pipeline.intake.limits import (
    CONTAINER,
    HEAD_BYTES,
    MAX_CARRY,
    MEDIA_EXT,
    ODS,
    REPEAT_BYTES,
    XLSB,
    WORKBOOK_KEEP,
    Escalate,
    Limits,
    unsafe_file,
)

_NAME = rb"[A-Za-z_][\w.-]*"
_ATTR_ONE = rb"(?:\s+[^\s=>/]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))"
_ATTRS = _ATTR_ONE + rb"*"
_ATTRS_LAZY = _ATTR_ONE + rb"*?"
_REF_ATTR = rb"\s+ref\s*=\s*[\"']([^\"']*)[\"']"
_START_TAG = re.compile(rb"<((?:" + _NAME + rb":)?" + _NAME + rb")(" + _ATTRS + rb")\s*(/?)>")
_TOKEN = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<![^>]*>"
    rb"|<(/?)(?:" + _NAME + rb":)?(" + _NAME + rb")(" + _ATTRS + rb")\s*(/?)>",
    re.S,
)
# ODS scan: Python only sees table structure; comments, CDATA and PIs are matched whole so a
# table tag written inside them is not mistaken for a real one.
_ODS_TOKEN = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>"
    rb"|<(/?)(?:" + _NAME + rb":)?(table|table-row|table-cell|covered-table-cell)(?=[\s/>])(" + _ATTRS + rb")\s*(/?)>",
    re.S,
)
_ATTR = re.compile(rb"(?:(" + _NAME + rb"):)?(" + _NAME + rb")\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_CHAR_REF = re.compile(rb"&(#[0-9]+|#x[0-9A-Fa-f]+|amp|lt|gt|quot|apos);")
_ENTITY_CHARS = {b"amp": b"&", b"lt": b"<", b"gt": b">", b"quot": b'"', b"apos": b"'"}
_REF = re.compile(rb"^\$?([A-Za-z]{1,7})?\$?([0-9]{1,10})?$")

# Fast path for canonical sheets (every writer in practice emits <c r="A1" ...>): C-level regex
# passes only. Anything else, including namespace prefixes on cells, goes to the exact scanner.
_ALL_CELL_REFS = re.compile(rb'<c r="([A-Za-z]{1,3}[0-9]{1,7})"')
_NUMBER = re.compile(rb"^[0-9]{1,10}(?:\.[0-9]*)?(?:[eE]\+?[0-9]{1,2})?$")
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
# Starts with a literal so the scan stays in C; the owning element is looked up per (rare) hit.
_REF_VALUE = re.compile(rb"ref\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_NAME_AT = re.compile(rb"(?:" + _NAME + rb":)?(" + _NAME + rb")")
_SHEET_COUNT_FALLBACK = re.compile(rb"<(?:" + _NAME + rb":)?sheet[\s/>]")

_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = b"0123456789"
_COLMAX = {1: 26, 2: 702, 3: 18_278}
_MAX_ROW = 1_048_576
_MAX_COL = 16_384


@functools.lru_cache(maxsize=16)
def _fast_cell_pattern(max_cells: int) -> tuple[re.Pattern[bytes], int, int]:
    """Cell scanner for a cell budget: refs inside a safe box match an empty group (no allocation).

    Returns the pattern and the (max_row, max_col) bound of the refs it leaves uncaptured. A
    captured item is either a longer ref (two bytes or more), or one delimiter byte for a cell
    tag that is not in canonical form.
    """
    box = None
    for letters, digits in ((2, 3), (1, 4), (1, 3), (1, 2), (1, 1)):
        if _COLMAX[letters] * (10**digits - 1) <= max_cells:
            box = (letters, digits)
            break
    # The whole start tag must be canonical: r first, then only the schema's other attributes.
    # A second r (calamine takes the last one), a prefixed r or a quoted '>' all fall through to
    # the one-byte alternative and send the part to the exact scanner.
    tail = rb'"(?: (?:s|t|cm|vm|ph|i|l|a)="[^"<]*")*/?>'
    long_ref = rb"[A-Za-z]{1,3}[0-9]{1,7}"
    rest = rb'(?: r="(?=' + long_ref + tail + rb"))?(" + long_ref + rb"|[\s/>])"
    if box is None:
        return re.compile(rb"<c" + rest), 0, 0
    short = rb' r="[A-Za-z]{1,%d}[0-9]{1,%d}' % box + tail
    return re.compile(rb"<c(?:" + short + rb"|" + rest + rb")"), 10 ** box[1] - 1, _COLMAX[box[0]]


def _exact_extent(refs: Iterable[bytes]) -> tuple[int, int]:
    """Exact (max_row, max_col) of canonical cell refs such as b'AB12'."""
    joined = b"\n".join(refs)
    if not joined:
        return 0, 0
    rows = joined.translate(None, _LETTERS).split()
    cols = joined.translate(None, _DIGITS).upper().split()
    longest = max(map(len, cols))
    return max(map(int, rows)), _col_index(max(c for c in cols if len(c) == longest))


def _unescape(value: bytes) -> bytes:
    """Resolve XML character and predefined entity references the way an XML parser would."""
    if b"&" not in value:
        return value

    def repl(match: re.Match[bytes]) -> bytes:
        ref = match.group(1)
        if ref.startswith(b"#x"):
            return chr(min(int(ref[2:], 16), 0x10FFFF)).encode("utf-8", "replace")
        if ref.startswith(b"#"):
            return chr(min(int(ref[1:]), 0x10FFFF)).encode("utf-8", "replace")
        return _ENTITY_CHARS[ref]

    return _CHAR_REF.sub(repl, value)


def _col_index(letters: bytes) -> int:
    """Convert column letters (A, Z, AA, XFD) to a 1-based index."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


def _parse_ref(ref: bytes) -> tuple[int, int] | None:
    """Parse a cell reference into (row, col); a missing part is reported as 0."""
    match = _REF.match(_unescape(ref).strip())
    if match is None or not (match.group(1) or match.group(2)):
        return None
    col = _col_index(match.group(1)) if match.group(1) else 0
    row = int(match.group(2)) if match.group(2) else 0
    return row, col


def _range_box(ref: bytes) -> tuple[int, int, int] | None:
    """Return (area, max_row, max_col) of a range such as A1:C9, A:A or 3:3 (space-separated lists summed)."""
    # Workbooks made from one template repeat the same merged ranges and dimensions file after
    # file: remember short ones (long, possibly hostile values are not kept).
    return _range_box_short(ref) if len(ref) <= _CACHED_REF_BYTES else _range_box_uncached(ref)


_CACHED_REF_BYTES = 64


@functools.lru_cache(maxsize=4096)
def _range_box_short(ref: bytes) -> tuple[int, int, int] | None:
    return _range_box_uncached(ref)


def _range_box_uncached(ref: bytes) -> tuple[int, int, int] | None:
    area = 0
    max_row = max_col = 0
    found = False
    for part in _unescape(ref).split():
        ends = part.split(b":")
        if len(ends) > 2:
            continue
        parsed = [_parse_ref(e) for e in ends]
        if any(p is None for p in parsed):
            continue
        pairs = [p for p in parsed if p is not None]
        rows = [r for r, _ in pairs]
        cols = [c for _, c in pairs]
        r1, r2 = (min(rows), max(rows)) if all(rows) else (1, _MAX_ROW)
        c1, c2 = (min(cols), max(cols)) if all(cols) else (1, _MAX_COL)
        area += (r2 - r1 + 1) * (c2 - c1 + 1)
        max_row = max(max_row, r2)
        max_col = max(max_col, c2)
        found = True
    return (area, max_row, max_col) if found else None


def _detect_encoding(head: bytes) -> str | None:
    """Name the codec of a non ASCII-compatible XML part (UTF-16/32), or None for UTF-8 and kin."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"<\x00\x00\x00"):
        return "utf-32-le"
    if head.startswith(b"\x00\x00\x00<"):
        return "utf-32-be"
    if head.startswith(b"<\x00"):
        return "utf-16-le"
    if head.startswith(b"\x00<"):
        return "utf-16-be"
    return None


_DTD_ANYWHERE = re.compile(rb"<!(?:DOCTYPE|ENTITY)")


def _prolog(head: bytes) -> tuple[str, re.Match[bytes] | None]:
    """Walk the XML prolog: ('root', tag), ('doctype', None), ('not-xml', None) or ('undecided', None)."""
    i = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    n = len(head)
    while True:
        while i < n and head[i] in b" \t\r\n":
            i += 1
        if i >= n:
            return "undecided", None
        if head[i] != 0x3C:
            return "not-xml", None
        if head.startswith(b"<?", i):
            j = head.find(b"?>", i + 2)
            if j < 0:
                return "undecided", None
            i = j + 2
            continue
        if head.startswith(b"<!--", i):
            j = head.find(b"-->", i + 4)
            if j < 0:
                return "undecided", None
            i = j + 3
            continue
        if head.startswith(b"<!", i):
            # Only a DOCTYPE can stand here, and ENTITY declarations live inside it.
            return "doctype", None
        match = _START_TAG.match(head, i)
        if match is None:
            return "undecided", None  # malformed, or a root tag longer than the head
        return "root", match


def _safe_cut(buf: bytes) -> int:
    """Index where a streamed XML buffer can be split without cutting a tag, comment, CDATA or PI."""
    cut = buf.rfind(b"<")
    if cut < 0:
        return len(buf)
    for opener, closer in ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>")):
        start = buf.rfind(opener)
        if start < 0:
            continue
        end = buf.find(closer, start + len(opener))
        if end < 0:
            cut = min(cut, start)
        elif start <= cut < end:
            cut = len(buf)  # last '<' is inside a finished construct: nothing after it starts a tag
    return cut


class _Analyser:
    """Base class: buffers the head, checks the prolog, then streams markup-aligned pieces."""

    def __init__(self, book: Book, name: str) -> None:
        self.book = book
        self.name = name
        self.head = b""
        self.started = False
        self.active = False
        self.carry = b""
        self.decoder: codecs.IncrementalDecoder | None = None

    def feed(self, chunk: bytes, last: bool) -> None:
        """Accept the next inflated chunk of the part."""
        if not self.started:
            self.head += chunk
            if len(self.head) < HEAD_BYTES and not last:
                return
            raw, self.head = self.head, b""
            self.started = True
            encoding = _detect_encoding(raw[:4])
            if encoding is not None:
                self.decoder = codecs.getincrementaldecoder(encoding)("replace")
                chunk = self.decoder.decode(raw, last).encode("utf-8")
            else:
                chunk = raw
            self.active = self._start(chunk, last)
            if not self.active:
                return
            self.raw(raw)
        else:
            if not self.active:
                return
            self.raw(chunk)
            if self.decoder is not None:
                chunk = self.decoder.decode(chunk, last).encode("utf-8")
        buf = self.carry + chunk if self.carry else chunk
        if last:
            self.carry = b""
        else:
            cut = _safe_cut(buf)
            self.carry = buf[cut:]
            if len(self.carry) > MAX_CARRY:
                raise unsafe_file("xml-bomb", self.book.limits)
            buf = buf[:cut]
        if buf:
            self._piece(buf)

    def _piece(self, buf: bytes) -> None:
        """Checks every piece gets, then the subclass's own scan."""
        if _DTD_ANYWHERE.search(buf) is not None:
            # Lenient readers keep parsing after junk, so a DOCTYPE is refused wherever it sits.
            raise unsafe_file("xml-bomb", self.book.limits)
        self.piece(buf)

    def _start(self, first: bytes, last: bool) -> bool:
        """Inspect the prolog of the first buffer; return True when the part should be scanned."""
        status, root = _prolog(first)
        if status == "doctype":
            raise unsafe_file("xml-bomb", self.book.limits)
        # The root only hints at the part's role: lenient readers (calamine) also parse parts
        # with junk before the real root, so the content scans never depend on it.
        return self.begin(_local(root.group(1)) if root is not None else b"")

    def close(self) -> None:
        """Finish after the last chunk."""
        if not self.started:
            self.feed(b"", True)
        if not self.active:
            return
        if self.carry:
            buf, self.carry = self.carry, b""
            self._piece(buf)
        self.end()

    def begin(self, root: bytes) -> bool:
        """Note the local name of the apparent root; return False to skip the rest of the part."""
        return True

    def raw(self, chunk: bytes) -> None:
        """See the undecoded bytes of an active part."""

    def contributes_nothing(self) -> bool:
        """True when the part added nothing to the workbook-wide counts, so its verdict depends on its bytes alone."""
        return True

    def piece(self, buf: bytes) -> None:
        """Process a markup-aligned piece of the part."""

    def end(self) -> None:
        """Report what was found to the book."""


def _local(qname: bytes) -> bytes:
    """Local part of a possibly prefixed XML name."""
    return qname.rsplit(b":", 1)[-1]


class _OoxmlPart(_Analyser):
    """Dispatches an OOXML part by its root element: worksheet, comments, workbook or ignored."""

    def __init__(self, book: Book, name: str, exact: bool) -> None:
        super().__init__(book, name)
        self.exact = exact
        self.role = ""
        self.cells = 0
        self.max_row = 0
        self.max_col = 0
        self.bounded = False  # some maxima are shape bounds, not exact values
        self.workbook: list[bytes] = []
        self.workbook_size = 0
        self.sheet_tags = 0
        # exact-scanner state
        self.depth = 0
        self.row_depth = -1
        self.cur_row = 0
        self.col_counter = 0

    def begin(self, root: bytes) -> bool:
        lower = self.name.lower()
        if root == b"workbook" or lower.endswith("workbook.xml"):
            self.role = "workbook"
        elif root in (b"worksheet", b"macrosheet", b"dialogsheet") or "/worksheets/" in lower:
            self.role = "sheet"
        elif root == b"calcChain":
            self.role = "calcchain"
        return True

    def raw(self, chunk: bytes) -> None:
        if self.role == "workbook":
            self._keep_workbook(chunk)

    def _keep_workbook(self, chunk: bytes) -> None:
        """Keep workbook.xml for an accurate sheet count, falling back to counting tags when huge."""
        self.workbook_size += len(chunk)
        if self.workbook_size <= WORKBOOK_KEEP:
            self.workbook.append(chunk)
            return
        for kept in self.workbook:
            self.sheet_tags += len(_SHEET_COUNT_FALLBACK.findall(kept))
        self.workbook.clear()
        self.sheet_tags += len(_SHEET_COUNT_FALLBACK.findall(chunk))

    def piece(self, buf: bytes) -> None:
        # Every part is scanned as if it were a sheet: a reader follows the workbook's
        # relationships, which may point anywhere, and calamine reads <c> by local name.
        if self.exact:
            self._sheet_exact(buf)
        else:
            self._sheet_fast(buf)

    # -- fast path --------------------------------------------------------------------------

    def _sheet_fast(self, buf: bytes) -> None:
        """Count canonical cells and bound their extent with C-level passes only."""
        if _PREFIXED_CELL.search(buf) is not None:
            raise Escalate
        pattern, short_rows, short_cols = _fast_cell_pattern(self.book.limits.max_cells)
        found = pattern.findall(buf)
        if found:
            self._add_cells(len(found))
            n_short = found.count(b"")
            kinds: set[bytes] = set() if n_short == len(found) else set(found)
            kinds.discard(b"")
            if 1 in set(map(len, kinds)):
                raise Escalate  # a cell tag without a leading r="..." attribute
            has_short = n_short > 0
            row, col = _exact_extent(kinds)
            if has_short:
                row, col = max(row, short_rows), max(col, short_cols)
            limit = self.book.limits.max_cells
            if has_short and max(self.max_row, row) * max(self.max_col, col) > limit:
                row, col = _exact_extent(_ALL_CELL_REFS.findall(buf))
                has_short = False
            if has_short:
                self.bounded = True
            self._extend(row, col)
        for match in _REF_VALUE.finditer(buf):
            start = match.start()
            if start == 0 or buf[start - 1] not in b" \t\r\n":
                continue  # sqref=, href=... belong to other attributes
            tag = buf.rfind(b"<", 0, start)
            name = _NAME_AT.match(buf, tag + 1) if tag >= 0 else None
            if name is None:
                continue
            value = match.group(1) if match.group(1) is not None else match.group(2)
            local = name.group(1)
            if local in (b"mergeCell", b"hyperlink"):
                self._range(value)
            elif local == b"dimension":
                self._declared(value)
            elif local == b"comment":
                self._position(value)

    # -- exact path -------------------------------------------------------------------------

    def _sheet_exact(self, buf: bytes) -> None:
        """Replay the cell placement rules of openpyxl and calamine tag by tag."""
        for match in _TOKEN.finditer(buf):
            local = match.group(2)
            if local is None:
                continue
            closing = match.group(1) == b"/"
            if closing:
                self.depth -= 1
                if self.depth <= self.row_depth:
                    self.row_depth = -1
                continue
            self_closing = match.group(4) == b"/"
            attrs = match.group(3)
            in_row = self.row_depth >= 0 and self.depth == self.row_depth + 1
            if local == b"row" and not in_row:
                r = self._attr_int(attrs, b"r")
                self.cur_row = r if r else self.cur_row + 1
                self.col_counter = 0
                if not self_closing:
                    self.row_depth = self.depth
            elif in_row or local == b"c":
                # openpyxl turns every child of <row> into a cell; calamine reads every <c>.
                self._cell(attrs)
            elif local in (b"mergeCell", b"hyperlink"):
                ref = self._attr(attrs, b"ref")
                if ref is not None:
                    self._range(ref)
            elif local == b"dimension":
                ref = self._attr(attrs, b"ref")
                if ref is not None:
                    self._declared(ref)
            elif local == b"comment":
                ref = self._attr(attrs, b"ref")
                if ref is not None:
                    self._position(ref)
            if not self_closing:
                self.depth += 1

    def _cell(self, attrs: bytes) -> None:
        """Place one cell like the parsers do: explicit reference, else next column of the row."""
        ref = self._attr(attrs, b"r")
        pos = _parse_ref(ref) if ref is not None else None
        if pos is not None and pos[0] and pos[1]:
            row, col = pos
            self.col_counter = col
        else:
            self.col_counter += 1
            row, col = max(self.cur_row, 1), self.col_counter
        self._add_cells(1)
        self._extend(row, col)

    @staticmethod
    def _attr(attrs: bytes, wanted: bytes) -> bytes | None:
        """Largest-position-wins lookup of an attribute by local name (prefixed or not)."""
        found: bytes | None = None
        for match in _ATTR.finditer(attrs):
            if match.group(2) == wanted:
                value = match.group(3) if match.group(3) is not None else match.group(4)
                if found is None or len(value) > len(found):
                    found = value
        return found

    def _attr_int(self, attrs: bytes, wanted: bytes) -> int:
        """Row number as openpyxl reads it ("5", "5.0", "1e6"), or 0 when absent or unreadable."""
        value = self._attr(attrs, wanted)
        if value is None:
            return 0
        value = _unescape(value).strip()
        if _NUMBER.match(value) is None:
            return 0
        return int(min(float(value), 1e12))

    # -- accounting -------------------------------------------------------------------------

    def _add_cells(self, n: int) -> None:
        self.cells += n
        if self.book.cells + self.cells > self.book.limits.max_cells:
            raise unsafe_file("too-many-cells", self.book.limits)

    def _extend(self, row: int, col: int) -> None:
        self.max_row = max(self.max_row, row)
        self.max_col = max(self.max_col, col)
        if self.max_row * self.max_col > self.book.limits.max_cells:
            if self.bounded:
                raise Escalate  # a shape bound, not a fact: recount exactly before refusing
            raise unsafe_file("too-many-cells", self.book.limits)

    def _range(self, ref: bytes) -> None:
        """Merged cells and hyperlink ranges are materialised cell by cell by openpyxl."""
        box = _range_box(ref)
        if box is not None:
            self._add_cells(box[0])
            self._extend(box[1], box[2])

    def _declared(self, ref: bytes) -> None:
        """A declared dimension drives openpyxl read-only iteration and calamine preallocation."""
        box = _range_box(ref)
        if box is not None:
            self._extend(box[1], box[2])

    def _position(self, ref: bytes) -> None:
        """A comment anchor creates one cell in openpyxl at that position."""
        pos = _parse_ref(ref)
        if pos is not None:
            self._add_cells(1)
            self._extend(max(pos[0], 1), max(pos[1], 1))

    def contributes_nothing(self) -> bool:
        return self.role == "" and self.cells == 0 and self.max_row == 0 and self.max_col == 0

    def end(self) -> None:
        if self.role == "sheet":
            self.book.sheet_parts += 1
        if self.role == "workbook":
            self.book.count_workbook(b"".join(self.workbook), self.sheet_tags, self.workbook_size)
        if self.role != "calcchain":
            # calcChain.xml repeats the address of every formula cell: its extent and size are
            # checked like any part, but it must not count the same cells twice in the total.
            self.book.cells += self.cells


class _OdsContent(_Analyser):
    """Replays ODF row/column repetition in content.xml to bound the cells a reader materialises."""

    def __init__(self, book: Book, name: str) -> None:
        super().__init__(book, name)
        self.cells = 0
        self.stack: list[list[int]] = []  # per open table: [row_pos, row_start, row_rep, col_pos, max_row, max_col]
        # python-calamine loops forever on some malformed content.xml (a table that is never
        # closed), so ODS gets a full well-formedness pass; expat runs in C with no callbacks.
        self.expat = expat.ParserCreate()

    def raw(self, chunk: bytes) -> None:
        self._parse(chunk, False)

    def _parse(self, chunk: bytes, final: bool) -> None:
        """Feed expat; a well-formedness error means no reader can be trusted with the file."""
        try:
            self.expat.Parse(chunk, final)
        except (expat.ExpatError, LookupError, UnicodeError, ValueError) as exc:
            # An unknown declared encoding surfaces as the codec lookup's LookupError.
            raise unsafe_file("corrupt-file", self.book.limits) from exc

    def piece(self, buf: bytes) -> None:
        limits = self.book.limits
        for match in _ODS_TOKEN.finditer(buf):
            local = match.group(2)
            if local is None:
                continue
            closing = match.group(1) == b"/"
            self_closing = match.group(4) == b"/"
            attrs = match.group(3)
            if local == b"table":
                if closing:
                    if self.stack:
                        self.stack.pop()
                elif not self_closing:
                    self.book.sheet_parts += 1
                    if self.book.sheet_parts > limits.max_sheets:
                        raise unsafe_file("too-many-sheets", limits)
                    self.stack.append([0, 0, 1, 0, 0, 0])
            elif closing or not self.stack:
                continue
            elif local == b"table-row":
                state = self.stack[-1]
                rep = _repeat(attrs, b"number-rows-repeated")
                state[1] = state[0]
                state[2] = rep
                state[0] += rep
                state[3] = 0
            elif local in (b"table-cell", b"covered-table-cell"):
                state = self.stack[-1]
                rep = _repeat(attrs, b"number-columns-repeated")
                # Empty repeated cells (LibreOffice pads every sheet to 1024 x 1048576 this way)
                # are skipped by readers; anything with content is materialised rep times.
                empty = self_closing and b"value" not in attrs and b"formula" not in attrs
                if not empty:
                    self.cells += rep * state[2]
                    state[4] = max(state[4], state[1] + state[2])
                    state[5] = max(state[5], state[3] + rep)
                    if self.book.cells + self.cells > limits.max_cells or state[4] * state[5] > limits.max_cells:
                        raise unsafe_file("too-many-cells", limits)
                state[3] += rep

    def contributes_nothing(self) -> bool:
        return False

    def end(self) -> None:
        self._parse(b"", True)
        self.book.cells += self.cells


def _repeat(attrs: bytes, wanted: bytes) -> int:
    """ODF repetition count of a row or cell (1 when absent)."""
    if b"repeated" not in attrs:
        return 1
    for match in _ATTR.finditer(attrs):
        if match.group(2) == wanted:
            value = match.group(3) if match.group(3) is not None else match.group(4)
            value = _unescape(value).strip()
            return max(1, int(value[:10])) if value.isdigit() else 1
    return 1


class Book:
    """Collects per-part findings of one archive and enforces the workbook-wide limits."""

    def __init__(self, flavor: str, limits: Limits) -> None:
        self.flavor = flavor
        self.limits = limits
        self.cells = 0
        self.sheet_parts = 0
        self.sheets_declared = 0
        self.binary = Counts(limits)

    def analyser_for(self, name: str, exact: bool) -> _Analyser | XlsbPart | None:
        """Pick the analyser for a member, or None when only its size and CRC matter."""
        if self.flavor == CONTAINER or name.endswith("/"):
            return None
        if name.lower().endswith(MEDIA_EXT):
            return None  # pictures are never parsed as XML; an SVG logo may carry a harmless DOCTYPE
        if self.flavor == ODS:
            return _OdsContent(self, name) if name == "content.xml" else _Analyser(self, name)
        if self.flavor == XLSB:
            # binary parts are walked as records; the few XML ones (relationships, properties) as XML
            if name.lower().endswith(".bin"):
                if name.lower().startswith(("xl/worksheets/", "xl/macrosheets/", "xl/dialogsheets/")):
                    self.sheet_parts += 1
                return XlsbPart(self.binary, name)
            return _Analyser(self, name)
        return _OoxmlPart(self, name, exact)

    def count_workbook(self, xml: bytes, tag_count: int, size: int) -> None:
        """Count <sheet> entries of workbook.xml with a hardened parser."""
        if size > WORKBOOK_KEEP or not xml:
            count = tag_count
        else:
            try:
                count = _declared_sheets(xml) if len(xml) <= REPEAT_BYTES else _count_sheet_elements(xml)
            except Exception as exc:
                # defusedxml refuses DTDs and entities; a malformed workbook.xml is unreadable anyway.
                code = "xml-bomb" if type(exc).__module__.startswith("defusedxml") else "corrupt-file"
                raise unsafe_file(code, self.limits) from exc
        self.sheets_declared = max(self.sheets_declared, count)

    def finish(self) -> None:
        """Apply the workbook-wide limits once every part was measured."""
        self.sheets_declared = max(self.sheets_declared, self.binary.sheets_declared)
        self.cells += self.binary.cells
        if max(self.sheets_declared, self.sheet_parts) > self.limits.max_sheets:
            raise unsafe_file("too-many-sheets", self.limits)
        if self.cells > self.limits.max_cells:
            raise unsafe_file("too-many-cells", self.limits)


def _count_sheet_elements(xml: bytes) -> int:
    """<sheet> elements of workbook.xml, parsed with the hardened parser (which raises on DTDs)."""
    root = SafeET.fromstring(xml)
    return sum(1 for el in root.iter() if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == "sheet")


@functools.lru_cache(maxsize=64)
def _declared_sheets(xml: bytes) -> int:
    """The same, remembered: workbooks made from one template share their workbook.xml (failures are not kept)."""
    return _count_sheet_elements(xml)
