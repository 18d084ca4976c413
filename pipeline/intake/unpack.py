"""Walk the inbox read-only and turn every file, zip member and attachment (.eml, .msg, winmail.dat) into a Member.

Every entry found gives at least one Member, so that the counts of a check add up to the files
found: an empty container, a link, an unreadable or vanished file each get one with the reason.
"""

from __future__ import annotations

import io
import mimetypes
import os
import stat
import struct
import unicodedata
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from pipeline.intake.decrypt import ASK_PASSWORD, WrongPassword, can_decrypt, decrypt, menu
from pipeline.intake.describe import describe
from pipeline.intake.guard import CHECKED_KINDS, check
from pipeline.intake.limits import Limits, UnsafeFile, unsafe_file
from pipeline.intake.mime import MAX_DEPTH, Letter, TooDeep, read_letter
from pipeline.intake.outlook import read_msg, read_tnef
from pipeline.intake.sniff import sniff
from pipeline.intake.zipscan import is_unsafe_member_name
from pipeline.model.findings import Params, params_of, render

SEP = " » "

# Files the operating system or Excel drops next to real attachments; never reported.
_JUNK_NAMES = frozenset({"thumbs.db", "desktop.ini"})
# Zips may nest max_zip_depth deep; e-mails forwarded as attachments add levels too.
_MAX_CONTAINER_DEPTH = 4
_CONTAINERS = frozenset({"zip", "eml", "msg", "tnef"})
_LETTERS: dict[str, Callable[[bytes], Letter]] = {"eml": read_letter, "msg": read_msg, "tnef": read_tnef}
# O_NOFOLLOW: a file swapped for a link after the walk is not followed; O_NONBLOCK: nor does a
# FIFO put in its place block the run. Neither exists on Windows, which has neither risk.
_OPEN_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


@dataclass(frozen=True)
class Rejection:
    """Why a file or member was refused: a stable catalogue code and its message's parameters."""

    code: str
    params: Params = ()

    @property
    def message_vi(self) -> str:
        return render(self.code, self.params)


@dataclass(frozen=True)
class Member:
    """One file found in the inbox, or one member of a zip or e-mail found there.

    `senders` are the From addresses of the messages it came in (innermost first); `notices` are
    warnings of the unpacking itself (a file opened with the officer's password).
    """

    path: str
    data: bytes
    kind: str
    email_date: datetime | None
    mtime: datetime
    rejection: Rejection | None
    senders: tuple[str, ...] = ()
    notices: tuple[Rejection, ...] = ()
    # the workbook's sheet parts as the guard inflated them, so the reader does not inflate them again
    parts: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)


def _reject(code: str, **params: object) -> Rejection:
    """Rejection of an unpack-level code."""
    return Rejection(code, params_of(params))


def _from_unsafe(exc: UnsafeFile, data: bytes = b"") -> Rejection:
    """Turn a guard verdict into a Rejection value; a password refusal names the program's menu."""
    if exc.code == "encrypted":
        # only what msoffcrypto-tool opens can be read with a recorded password (not an .ods)
        return _reject("encrypted", detail=menu(data), ask=ASK_PASSWORD if can_decrypt(data) else "")
    return Rejection(exc.code, exc.params)


def _nfc(text: str) -> str:
    """Normalise to NFC: macOS and some mailers hand out decomposed Vietnamese letters."""
    return unicodedata.normalize("NFC", text)


def shown_name(name: str) -> str:
    """A file name as people see it: bytes that are not UTF-8 become U+FFFD, letters composed (NFC).

    A name holding the separator of members (" » ") shows it as " › ", so that a file named like a
    member of a zip next to it never shares its display path (each path gets one outcome).
    """
    if any("\udc80" <= ch <= "\udcff" for ch in name):
        name = os.fsencode(name).decode("utf-8", "replace")
    return _nfc(name).replace(SEP, " › ")


def _is_junk(name: str) -> bool:
    """Hidden files, Excel lock files (~$...) and Thumbs.db are noise, not attachments."""
    return name.startswith((".", "~$")) or name.lower() in _JUNK_NAMES


class _Budget:
    """Bytes still allowed to be extracted from one inbox file, across every nesting level."""

    def __init__(self, total: int) -> None:
        self.remaining = total

    def take(self, n: int) -> bool:
        """Consume n bytes; False when the budget is exhausted."""
        if n > self.remaining:
            self.remaining = 0
            return False
        self.remaining -= n
        return True


@dataclass(frozen=True)
class _Ctx:
    """Where a payload sits: its inbox file's mtime, the enclosing e-mail's date and senders, nesting."""

    mtime: datetime
    email_date: datetime | None
    zip_depth: int
    depth: int
    limits: Limits
    budget: _Budget
    senders: tuple[str, ...] = ()
    passwords: Mapping[str, str] = field(default_factory=dict)

    def member(self, path: str, data: bytes, kind: str, rejection: Rejection | None,
               parts: Mapping[str, bytes] | None = None) -> Member:
        """A Member found here, dated and attributed like its container."""
        return Member(path, data, kind, self.email_date, self.mtime, rejection, self.senders, parts=parts or {})


_EPOCH = datetime.fromtimestamp(0, timezone.utc)


def iter_members(inbox: Path, limits: Limits = Limits(),
                 passwords: Mapping[str, str] | None = None) -> Iterator[Member]:
    """Yield every file under inbox (recursively, sorted), expanding zips and e-mails; never raise."""
    for entry, display in iter_entries(inbox):
        yield from members_of(entry, display, limits, passwords)


def iter_entries(inbox: Path) -> Iterator[tuple[Path | Rejection, str]]:
    """The inbox walk alone (recursive, sorted, nothing read yet): what `members_of` expands one by one.

    Walking is cheap; reading and guarding is not. Splitting the two lets the check hand whole
    inbox files to worker processes, so that unpacking and the guard run in parallel too.
    Display paths are unique: two names that show alike (NFD and NFC, undecodable bytes) are numbered.
    """
    try:
        root = os.path.realpath(inbox)
    except (OSError, ValueError):
        root = str(inbox)
    return _walk(inbox, root, "", set())


def members_of(entry: Path | Rejection, display: str, limits: Limits = Limits(),
               passwords: Mapping[str, str] | None = None) -> Iterator[Member]:
    """Every member of one walked inbox entry (one, or several for a zip or e-mail); never raise.

    `passwords` maps display paths (as the check shows them) to the password the officer recorded.
    """
    if isinstance(entry, Rejection):
        yield Member(display, b"", "other", None, _EPOCH, entry)
        return
    try:
        yield from _from_inbox_file(entry, display, limits, passwords or {})
    except Exception:
        # Last line of defence: whatever went wrong with this file, the next one still runs.
        yield Member(display, b"", "other", None, _EPOCH, _reject("unexpected-error"))


def reread_member(path: Path, display: str, member_path: str, limits: Limits = Limits(),
                  passwords: Mapping[str, str] | None = None) -> Member | None:
    """Read one member again (e.g. for a feedback copy) from its inbox file; None if it is gone."""
    for member in members_of(path, display, limits, passwords):
        if member.path == member_path:
            return member
    return None


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _walk(folder: Path, root: str, prefix: str, seen: set[str]) -> Iterator[tuple[Path | Rejection, str]]:
    """Depth-first, name-sorted walk that reports unreadable folders and links instead of skipping them.

    A link to a file inside the inbox is read (it is one more name for a file there, so its
    result is a duplicate at worst); a link to a folder is not walked (loops, double counts);
    a link out of the inbox is refused, whatever it points to.
    """
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: (shown_name(e.name).casefold(), e.name))
    except OSError:
        yield _reject("unreadable-folder"), _unique(prefix.rstrip("/") or ".", seen)
        return
    for entry in entries:
        name = shown_name(entry.name)
        if _is_junk(name):
            continue
        display = _unique(prefix + name, seen)
        try:
            is_link = entry.is_symlink()
            is_dir = not is_link and entry.is_dir(follow_symlinks=False)
        except OSError:
            is_link = is_dir = False
        if is_link:
            try:
                target = os.path.realpath(entry.path)
            except (OSError, ValueError):
                yield _reject("unreadable-file"), display
                continue
            if not _inside(target, root):
                yield _reject("symlink-outside"), display
            elif os.path.isdir(target):
                yield _reject("symlink-folder"), display
            elif not os.path.lexists(target):
                yield _reject("unreadable-file"), display  # a link to nothing
            else:
                yield Path(target), display
        elif is_dir:
            yield from _walk(Path(entry.path), root, display + "/", seen)
        else:
            yield Path(entry.path), display


def _opener(path: str, flags: int) -> int:
    return os.open(path, flags | _OPEN_FLAGS)


def _from_inbox_file(path: Path, display: str, limits: Limits, passwords: Mapping[str, str]) -> Iterator[Member]:
    """Read one inbox file without modifying it and expand it; every failure becomes a rejection."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        yield Member(display, b"", "other", None, _EPOCH, _reject("file-changed"))  # gone since the walk
        return
    except OSError:
        yield Member(display, b"", "other", None, _EPOCH, _reject("unreadable-file"))
        return
    mtime = _mtime(st)
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO or device would block or read forever.
        yield Member(display, b"", "other", None, mtime, _reject("unreadable-file"))
        return
    cap = 64 * 1024 if st.st_size > limits.max_file_bytes else limits.max_file_bytes + 1
    try:
        with open(path, "rb", opener=_opener) as fh:
            opened = os.fstat(fh.fileno())
            if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
                yield Member(display, b"", "other", None, mtime, _reject("file-changed"))
                return
            # Only the head of an oversized file is read: enough to say what it is.
            data = fh.read(cap)
            after = os.fstat(fh.fileno())
    except FileNotFoundError:
        yield Member(display, b"", "other", None, mtime, _reject("file-changed"))
        return
    except OSError:
        yield Member(display, b"", "other", None, mtime, _reject("unreadable-file"))
        return
    changed = (after.st_size, after.st_mtime_ns) != (opened.st_size, opened.st_mtime_ns)
    if changed or len(data) != min(cap, opened.st_size):
        # still being copied or saved: what was read may be neither the old file nor the new one
        yield Member(display, b"", sniff(data[:64 * 1024], display), None, mtime, _reject("file-changed"))
        return
    ctx = _Ctx(mtime, None, 0, 0, limits, _Budget(limits.max_total_uncompressed), passwords=passwords)
    if opened.st_size > limits.max_file_bytes:
        rejection = _from_unsafe(unsafe_file("file-too-large", limits))
        yield Member(display, b"", sniff(data, display), None, mtime, rejection)
        return
    yield from _guarded(display, data, ctx)


def _mtime(st: os.stat_result) -> datetime:
    try:
        return datetime.fromtimestamp(st.st_mtime, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return _EPOCH  # a timestamp outside the platform's range (copied from a broken device)


def _guarded(display: str, data: bytes, ctx: _Ctx) -> Iterator[Member]:
    """Expand a payload, converting any unexpected exception into a rejection of that payload."""
    try:
        yield from _expand(display, data, ctx)
    except Exception:
        # Hostile input can hit bugs in the standard library parsers; one file must not stop the run.
        yield ctx.member(display, b"", "other", _reject("unexpected-error"))


def _expand(display: str, data: bytes, ctx: _Ctx) -> Iterator[Member]:
    """Sniff a payload and dispatch it: container, spreadsheet to check, or plain file."""
    if len(data) > ctx.limits.max_file_bytes:
        rejection = _from_unsafe(unsafe_file("file-too-large", ctx.limits))
        yield ctx.member(display, b"", sniff(data[: 64 * 1024], display), rejection)
        return
    if not data:
        # an empty file is a failed download or save, whatever its name says
        yield ctx.member(display, data, sniff(data, display), _from_unsafe(unsafe_file("corrupt-file")))
        return
    kind = sniff(data, display)
    if kind in _CONTAINERS and ctx.depth >= _MAX_CONTAINER_DEPTH:
        yield ctx.member(display, data, kind, _reject("too-deeply-nested", depth=_MAX_CONTAINER_DEPTH))
    elif kind == "zip":
        yield from _expand_zip(display, data, ctx)
    elif kind in _LETTERS:
        yield from _expand_letter(display, data, kind, ctx)
    elif kind == "encrypted" and display in ctx.passwords and can_decrypt(data):
        yield from _expand_decrypted(display, data, ctx)
    elif kind in CHECKED_KINDS:
        try:
            parts = check(data, kind, ctx.limits)
        except UnsafeFile as exc:
            yield ctx.member(display, data, kind, _from_unsafe(exc, data))
            return
        yield ctx.member(display, data, kind, None, parts)
    elif kind == "csv":
        yield ctx.member(display, data, kind, _reject("csv-export"))
    elif kind == "html":
        yield ctx.member(display, data, kind, _web_page(data))
    else:
        what, ask = describe(data, display)
        yield ctx.member(display, data, kind, _reject("not-a-spreadsheet", detail=what, ask=ask))


_RESAVE = "đơn vị mở tệp bằng Excel, chọn Tệp > Lưu thành > Sổ làm việc Excel (*.xlsx) rồi gửi lại tệp .xlsx."


def _web_page(data: bytes) -> Rejection:
    """What kind of page it is: Excel's own export (re-save it) or a page saved by mistake (resend)."""
    head = data[:4096].lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head or b"excel.sheet" in head:
        return _reject("web-page-export", detail="bảng tính XML 2003 (Excel “XML Spreadsheet 2003”)", ask=_RESAVE)
    if b"urn:schemas-microsoft-com:office:excel" in head:
        return _reject("web-page-export", detail="trang web do Excel lưu (Lưu thành > Trang web)", ask=_RESAVE)
    return _reject("web-page-export", detail="một trang web (HTML), thường do tải tệp đính kèm không thành công",
                   ask="cán bộ tải lại tệp đính kèm từ thư; nếu vẫn vậy, đề nghị đơn vị gửi lại tệp .xlsx.")


def _expand_decrypted(display: str, data: bytes, ctx: _Ctx) -> Iterator[Member]:
    """Open a workbook with the officer's password and guard what comes out like any other file."""
    password = ctx.passwords[display]
    try:
        plain = decrypt(data, password, ctx.limits)
    except WrongPassword:
        yield ctx.member(display, data, "encrypted", _reject("wrong-password", detail=menu(data)))
        return
    except UnsafeFile as exc:
        yield ctx.member(display, data, "encrypted", _from_unsafe(exc, data))
        return
    # the same path must not be decrypted twice (a file encrypted inside an encrypted file)
    others = {k: v for k, v in ctx.passwords.items() if k != display}
    inner = replace(ctx, depth=ctx.depth + 1, passwords=others)
    notice = _reject("opened-with-password", detail=display)
    for member in _expand(display, plain, inner):
        yield replace(member, notices=member.notices + (notice,))


def _decode_member_name(info: zipfile.ZipInfo, undecodable: frozenset[str] = frozenset()) -> str:
    """Recover the real name of a zip member written without the UTF-8 flag."""
    name = info.filename
    if info.orig_filename in undecodable:
        # flagged UTF-8 but not UTF-8: shown with replacement characters, like an inbox file name
        name = info.orig_filename.encode("cp437").decode("utf-8", "replace")
    elif not info.flag_bits & 0x800:
        raw = info.orig_filename.encode("cp437")
        # Windows' built-in zip writes the local code page, 7-Zip and macOS often write UTF-8
        # without saying so; cp437 (zipfile's default) is almost never what was meant here.
        for encoding in ("utf-8", "cp1258"):
            try:
                name = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return shown_name(name.replace("\\", "/"))


def _tolerate_bad_names(data: bytes, max_entries: int) -> tuple[bytes, frozenset[str]]:
    """Clear the UTF-8 flag of members whose names are not UTF-8, so that zipfile can list them.

    zipfile refuses the whole archive over one such name; the flag is cleared in a copy, in the
    central and the local header alike (the guard compares the two), never in the inbox file.
    """
    eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if eocd < 0 or eocd + 22 > len(data):
        return data, frozenset()
    count, _, cd_start = struct.unpack_from("<HII", data, eocd + 10)
    if count > max_entries or cd_start >= len(data):
        return data, frozenset()
    patched: bytearray | None = None
    names: set[str] = set()
    pos = cd_start
    for _ in range(count):
        if pos + 46 > len(data) or data[pos: pos + 4] != b"PK\x01\x02":
            break
        flags = struct.unpack_from("<H", data, pos + 8)[0]
        nlen, elen, clen = struct.unpack_from("<HHH", data, pos + 28)
        local = struct.unpack_from("<I", data, pos + 42)[0]
        raw = data[pos + 46: pos + 46 + nlen]
        if flags & 0x800:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                patched = patched if patched is not None else bytearray(data)
                struct.pack_into("<H", patched, pos + 8, flags & ~0x800)
                if local + 30 <= len(data) and data[local: local + 4] == b"PK\x03\x04":
                    lflags = struct.unpack_from("<H", data, local + 6)[0]
                    struct.pack_into("<H", patched, local + 6, lflags & ~0x800)
                names.add(raw.decode("cp437"))
        pos += 46 + nlen + elen + clen
    return (bytes(patched), frozenset(names)) if patched is not None else (data, frozenset())


def _expand_zip(display: str, data: bytes, ctx: _Ctx) -> Iterator[Member]:
    """Yield the members of a zip that passed the bomb checks; never write anything to disk."""
    limits = ctx.limits
    if ctx.zip_depth >= limits.max_zip_depth:
        yield ctx.member(display, data, "zip", _reject("too-deeply-nested", depth=limits.max_zip_depth))
        return
    data, undecodable = _tolerate_bad_names(data, limits.max_entries)
    try:
        # Nested archives share one budget so a zip of zips cannot multiply the work.
        check(data, "zip", replace(limits, max_total_uncompressed=ctx.budget.remaining))
        zf = zipfile.ZipFile(io.BytesIO(data))
    except UnsafeFile as exc:
        yield ctx.member(display, data, "zip", _from_unsafe(exc, data))
        return
    inner = replace(ctx, zip_depth=ctx.zip_depth + 1, depth=ctx.depth + 1)
    seen: set[str] = set()
    named = sorted(((_decode_member_name(i, undecodable), i) for i in zf.infolist()),
                   key=lambda p: (p[0].casefold(), p[0]))
    skipped = {"folder": 0, "mac": 0, "junk": 0}
    found = 0
    for name, info in named:
        base = name.rstrip("/").rsplit("/", 1)[-1]
        if name.startswith("__MACOSX/") or base == "__MACOSX":
            skipped["mac"] += 1
            continue
        if info.is_dir():
            skipped["folder"] += 1
            continue
        if _is_junk(base):
            skipped["junk"] += 1
            continue
        found += 1
        member_path = _unique(display + SEP + name, seen)
        if is_unsafe_member_name(info.orig_filename) or is_unsafe_member_name(name):
            yield ctx.member(member_path, b"", "other", _from_unsafe(unsafe_file("unsafe-path", limits)))
            continue
        if not ctx.budget.take(info.file_size):
            yield ctx.member(member_path, b"", "other", _reject("too-much-content"))
            return
        payload = zf.read(info)
        yield from _guarded(member_path, payload, inner)
    if not found:
        yield ctx.member(display, data, "zip", _reject("empty-archive", detail=_empty_reason(skipped)))


def _empty_reason(skipped: dict[str, int]) -> str:
    """Why a zip holds nothing to read, in the officer's words."""
    if skipped["mac"] and not skipped["junk"]:
        return "chỉ có thư mục __MACOSX do máy Mac tạo ra, không có tệp báo cáo"
    if skipped["junk"]:
        return "chỉ có tệp ẩn hoặc tệp tạm của hệ điều hành (.DS_Store, Thumbs.db, ~$…)"
    if skipped["folder"]:
        return "chỉ có thư mục rỗng"
    return "tệp nén rỗng"


def _unique(path: str, seen: set[str]) -> str:
    """Disambiguate two members that would otherwise share a display path."""
    candidate = path
    n = 2
    while candidate in seen:
        stem, dot, ext = path.rpartition(".")
        candidate = f"{stem} ({n}).{ext}" if dot and SEP not in ext and "/" not in ext else f"{path} ({n})"
        n += 1
    seen.add(candidate)
    return candidate


def _attachment_name(name: str, content_type: str, index: int) -> str:
    """An attachment's name reduced to its last component; a made-up one when it has none."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().strip("\x00")
    if not name:
        ext = mimetypes.guess_extension(content_type) or "" if content_type else ""
        name = f"tệp đính kèm {index}{ext}"
    return shown_name(name)


def _expand_letter(display: str, data: bytes, kind: str, ctx: _Ctx) -> Iterator[Member]:
    """Yield every attachment of an e-mail, .msg or winmail.dat, dated and attributed by the message."""
    try:
        letter = _LETTERS[kind](data)
    except TooDeep:
        yield ctx.member(display, data, kind, _reject("too-deeply-nested", depth=MAX_DEPTH))
        return
    except Exception:
        # extract-msg and tnefparse raise assorted errors on damaged files
        yield ctx.member(display, data, kind, _from_unsafe(unsafe_file("corrupt-file")))
        return
    # winmail.dat's own date has no time zone: the e-mail that carried it knows better
    date = (ctx.email_date or letter.date) if kind == "tnef" else (letter.date or ctx.email_date)
    senders = letter.senders + tuple(s for s in ctx.senders if s not in letter.senders)
    inner = replace(ctx, email_date=date, depth=ctx.depth + 1, senders=senders)
    here = replace(ctx, email_date=date, senders=senders)
    seen: set[str] = set()
    for index, part in enumerate(letter.parts, start=1):
        if part.too_deep:
            path = _unique(display + SEP + "…", seen)
            yield here.member(path, b"", "other", _reject("too-deeply-nested", depth=MAX_DEPTH))
            continue
        member_path = _unique(display + SEP + _attachment_name(part.name, part.content_type, index), seen)
        if not ctx.budget.take(len(part.payload)):
            yield here.member(member_path, b"", "other", _reject("too-much-content"))
            return
        yield from _guarded(member_path, part.payload, inner)
    if letter.truncated:
        yield here.member(_unique(display + SEP + "…", seen), b"", "other", _reject("too-much-content"))
    if not letter.parts:
        yield here.member(display, data, kind, _reject("no-attachment"))
