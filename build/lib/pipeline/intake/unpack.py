"""Walk the inbox read-only and turn every file, zip member and e-mail attachment into a Member."""

from __future__ import annotations

import email
import email.header
import io
import mimetypes
import os
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Iterator

from pipeline.intake.guard import CHECKED_KINDS, check
from pipeline.intake.limits import Limits, UnsafeFile, unsafe_file
from pipeline.intake.sniff import sniff
from pipeline.intake.zipscan import is_unsafe_member_name
from pipeline.model.findings import Params, params_of, render

SEP = " » "

# Files the operating system or Excel drops next to real attachments; never reported.
_JUNK_NAMES = frozenset({"thumbs.db"})
# Zips may nest max_zip_depth deep; e-mails forwarded as attachments add levels too.
_MAX_CONTAINER_DEPTH = 4


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
    """One file found in the inbox, or one member of a zip or e-mail found there."""

    path: str
    data: bytes
    kind: str
    email_date: datetime | None
    mtime: datetime
    rejection: Rejection | None


def _reject(code: str, **params: object) -> Rejection:
    """Rejection of an unpack-level code."""
    return Rejection(code, params_of(params))


def _from_unsafe(exc: UnsafeFile) -> Rejection:
    """Turn a guard verdict into a Rejection value."""
    return Rejection(exc.code, exc.params)


def _nfc(text: str) -> str:
    """Normalise to NFC: macOS and some mailers hand out decomposed Vietnamese letters."""
    return unicodedata.normalize("NFC", text)


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
    """Where a payload sits: its inbox file's mtime, the enclosing e-mail date and nesting depth."""

    mtime: datetime
    email_date: datetime | None
    zip_depth: int
    depth: int
    limits: Limits
    budget: _Budget


_EPOCH = datetime.fromtimestamp(0, timezone.utc)


def iter_members(inbox: Path, limits: Limits = Limits()) -> Iterator[Member]:
    """Yield every file under inbox (recursively, sorted), expanding zips and e-mails; never raise."""
    for entry, display in iter_entries(inbox):
        yield from members_of(entry, display, limits)


def iter_entries(inbox: Path) -> Iterator[tuple[Path | Rejection, str]]:
    """The inbox walk alone (recursive, sorted, nothing read yet): what `members_of` expands one by one.

    Walking is cheap; reading and guarding is not. Splitting the two lets the check hand whole
    inbox files to worker processes, so that unpacking and the guard run in parallel too.
    """
    return _walk(inbox)


def members_of(entry: Path | Rejection, display: str, limits: Limits = Limits()) -> Iterator[Member]:
    """Every member of one walked inbox entry (one, or several for a zip or e-mail); never raise."""
    if isinstance(entry, Rejection):
        yield Member(display, b"", "other", None, _EPOCH, entry)
        return
    try:
        yield from _from_inbox_file(entry, display, limits)
    except Exception:
        # Last line of defence: whatever went wrong with this file, the next one still runs.
        yield Member(display, b"", "other", None, _EPOCH, _reject("unexpected-error"))


def reread_member(path: Path, display: str, member_path: str, limits: Limits = Limits()) -> Member | None:
    """Read one member again (e.g. for a feedback copy) from its inbox file; None if it is gone."""
    for member in members_of(path, display, limits):
        if member.path == member_path:
            return member
    return None


def _walk(folder: Path, prefix: str = "") -> Iterator[tuple[Path | Rejection, str]]:
    """Depth-first, name-sorted walk that reports unreadable folders instead of skipping them."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: (_nfc(e.name).casefold(), e.name))
    except OSError:
        yield _reject("unreadable-folder"), prefix.rstrip("/") or "."
        return
    for entry in entries:
        name = _nfc(entry.name)
        if _is_junk(name):
            continue
        display = prefix + name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(Path(entry.path), display + "/")
        elif entry.is_symlink() and Path(entry.path).is_dir():
            # Following folder links could loop or leave the inbox; report instead of walking.
            yield _reject("unreadable-folder"), display
        else:
            yield Path(entry.path), display


def _from_inbox_file(path: Path, display: str, limits: Limits) -> Iterator[Member]:
    """Read one inbox file without modifying it and expand it; every failure becomes a rejection."""
    try:
        st = os.stat(path)
    except OSError:
        yield Member(display, b"", "other", None, _EPOCH, _reject("unreadable-file"))
        return
    try:
        mtime = datetime.fromtimestamp(st.st_mtime, timezone.utc)
    except (OverflowError, OSError, ValueError):
        mtime = _EPOCH  # a timestamp outside the platform's range (copied from a broken device)
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO or device would block or read forever.
        yield Member(display, b"", "other", None, mtime, _reject("unreadable-file"))
        return
    try:
        with open(path, "rb") as fh:
            # Only the head of an oversized file is read: enough to say what it is.
            data = fh.read(64 * 1024 if st.st_size > limits.max_file_bytes else limits.max_file_bytes + 1)
    except OSError:
        yield Member(display, b"", "other", None, mtime, _reject("unreadable-file"))
        return
    ctx = _Ctx(mtime, None, 0, 0, limits, _Budget(limits.max_total_uncompressed))
    if st.st_size > limits.max_file_bytes:
        rejection = _from_unsafe(unsafe_file("file-too-large", limits))
        yield Member(display, b"", sniff(data, display), None, mtime, rejection)
        return
    yield from _guarded(display, data, ctx)


def _guarded(display: str, data: bytes, ctx: _Ctx) -> Iterator[Member]:
    """Expand a payload, converting any unexpected exception into a rejection of that payload."""
    try:
        yield from _expand(display, data, ctx)
    except Exception:
        # Hostile input can hit bugs in the standard library parsers; one file must not stop the run.
        yield Member(display, b"", "other", ctx.email_date, ctx.mtime, _reject("unexpected-error"))


def _expand(display: str, data: bytes, ctx: _Ctx) -> Iterator[Member]:
    """Sniff a payload and dispatch it: container, spreadsheet to check, or plain file."""
    if len(data) > ctx.limits.max_file_bytes:
        rejection = _from_unsafe(unsafe_file("file-too-large", ctx.limits))
        yield Member(display, b"", sniff(data[: 64 * 1024], display), ctx.email_date, ctx.mtime, rejection)
        return
    kind = sniff(data, display)
    if kind in ("zip", "eml") and ctx.depth >= _MAX_CONTAINER_DEPTH:
        rejection = _reject("too-deeply-nested", depth=_MAX_CONTAINER_DEPTH)
        yield Member(display, data, kind, ctx.email_date, ctx.mtime, rejection)
        return
    if kind == "zip":
        yield from _expand_zip(display, data, ctx)
    elif kind == "eml":
        yield from _expand_eml(display, data, ctx)
    elif kind in CHECKED_KINDS:
        try:
            check(data, kind, ctx.limits)
        except UnsafeFile as exc:
            yield Member(display, data, kind, ctx.email_date, ctx.mtime, _from_unsafe(exc))
            return
        yield Member(display, data, kind, ctx.email_date, ctx.mtime, None)
    else:
        yield Member(display, data, kind, ctx.email_date, ctx.mtime, None)


def _decode_member_name(info: zipfile.ZipInfo) -> str:
    """Recover the real name of a zip member written without the UTF-8 flag."""
    name = info.filename
    if not info.flag_bits & 0x800:
        raw = info.orig_filename.encode("cp437")
        # Windows' built-in zip writes the local code page, 7-Zip and macOS often write UTF-8
        # without saying so; cp437 (zipfile's default) is almost never what was meant here.
        for encoding in ("utf-8", "cp1258"):
            try:
                name = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return _nfc(name.replace("\\", "/"))


def _expand_zip(display: str, data: bytes, ctx: _Ctx) -> Iterator[Member]:
    """Yield the members of a zip that passed the bomb checks; never write anything to disk."""
    limits = ctx.limits
    if ctx.zip_depth >= limits.max_zip_depth:
        rejection = _reject("too-deeply-nested", depth=limits.max_zip_depth)
        yield Member(display, data, "zip", ctx.email_date, ctx.mtime, rejection)
        return
    try:
        # Nested archives share one budget so a zip of zips cannot multiply the work.
        check(data, "zip", replace(limits, max_total_uncompressed=ctx.budget.remaining))
        zf = zipfile.ZipFile(io.BytesIO(data))
    except UnsafeFile as exc:
        yield Member(display, data, "zip", ctx.email_date, ctx.mtime, _from_unsafe(exc))
        return
    inner = replace(ctx, zip_depth=ctx.zip_depth + 1, depth=ctx.depth + 1)
    seen: set[str] = set()
    named = sorted(((_decode_member_name(i), i) for i in zf.infolist()), key=lambda p: (p[0].casefold(), p[0]))
    for name, info in named:
        if info.is_dir():
            continue
        base = name.rsplit("/", 1)[-1]
        if name.startswith("__MACOSX/") or _is_junk(base):
            continue
        member_path = _unique(display + SEP + name, seen)
        if is_unsafe_member_name(info.orig_filename) or is_unsafe_member_name(name):
            rejection = _from_unsafe(unsafe_file("unsafe-path", limits))
            yield Member(member_path, b"", "other", ctx.email_date, ctx.mtime, rejection)
            continue
        if not ctx.budget.take(info.file_size):
            yield Member(member_path, b"", "other", ctx.email_date, ctx.mtime, _reject("too-much-content"))
            return
        payload = zf.read(info)
        yield from _guarded(member_path, payload, inner)


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


def _email_date(msg: Message) -> datetime | None:
    """Timezone-aware Date header of a message, or None when absent or unparsable."""
    try:
        header = msg.get("Date")
        value = getattr(header, "datetime", None)
    except Exception:
        # Malformed dates raise from inside the header parser on some Python versions.
        return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _raw_filename(part: Message) -> str | None:
    """The filename parameter of a MIME part, or None when absent or unreadable."""
    try:
        return part.get_filename()
    except Exception:
        return None  # a malformed parameter must not cost us the attachment itself


def _attachment_name(part: Message, index: int) -> str:
    """Decoded file name of an attachment (RFC 2231 and RFC 2047), reduced to its last component."""
    name = _raw_filename(part)
    if name and "=?" in name:
        # Many mailers put RFC 2047 encoded-words inside a quoted filename; decode them too.
        try:
            name = str(email.header.make_header(email.header.decode_header(name)))
        except Exception:
            pass
    if name:
        name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name:
        ext = mimetypes.guess_extension(part.get_content_type()) or ""
        name = f"tệp đính kèm {index}{ext}"
    return _nfc(name)


def _expand_eml(display: str, data: bytes, ctx: _Ctx) -> Iterator[Member]:
    """Yield every attachment of an e-mail (including zips), dated with the message's Date header."""
    msg = email.message_from_bytes(data, _class=EmailMessage, policy=policy.default)
    date = _email_date(msg)
    inner = replace(ctx, email_date=date, depth=ctx.depth + 1)
    seen: set[str] = set()
    found = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        filename = _raw_filename(part)
        if filename is None and disposition != "attachment":
            continue  # body text or HTML
        if disposition == "inline" and part.get("Content-ID") and part.get_content_maintype() == "image":
            continue  # picture embedded in the HTML body (signature logo), not an attachment
        found += 1
        member_path = _unique(display + SEP + _attachment_name(part, found), seen)
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            payload = b""
        if not ctx.budget.take(len(payload)):
            yield Member(member_path, b"", "other", date, ctx.mtime, _reject("too-much-content"))
            return
        yield from _guarded(member_path, payload, inner)
    if found == 0:
        yield Member(display, data, "eml", date, ctx.mtime, _reject("no-attachment"))
