"""What a file that is not a spreadsheet really is, and what to ask the agency for instead.

The officer reads "bản quét PDF" or "văn bản Word" rather than an extension, and the message
says which request fits: send the workbook alongside the scan, fill the workbook instead of a
Word copy, zip instead of rar, save the attachment itself rather than a shortcut.
"""

from __future__ import annotations

import io
import struct
import zipfile

ASK_WORKBOOK = ("Nếu đây là báo cáo, đề nghị đơn vị gửi tệp biểu mẫu Excel (.xlsx) đã điền; từ tệp này không "
                "đọc được số liệu.")
_ASK_SCAN = ("Nếu đây là báo cáo, đề nghị đơn vị gửi kèm tệp biểu mẫu Excel (.xlsx) đã điền (bản quét, ảnh chụp "
             "chỉ để lưu, không đọc được số liệu); nếu là công văn kèm theo thì không cần làm gì.")
_ASK_DOCUMENT = ("Nếu đơn vị viết báo cáo vào văn bản này, đề nghị đơn vị điền vào tệp biểu mẫu Excel (.xlsx) đã "
                 "được gửi và gửi lại tệp đó; nếu là công văn kèm theo thì không cần làm gì.")
_ASK_ARCHIVE = ("Đề nghị đơn vị nén lại theo dạng .zip thông thường (hoặc gửi thẳng tệp Excel, không nén) rồi "
                "gửi lại.")
_ASK_SHORTCUT = ("Đây chỉ là lối tắt, không phải tệp thật: đề nghị cán bộ lưu chính tệp đính kèm vào thư mục "
                 "inbox rồi chạy lại.")
_ASK_PROGRAM = "Tệp chương trình không được mở vì có thể gây hại; đề nghị đơn vị gửi tệp biểu mẫu Excel (.xlsx)."

_IMAGES = (
    (b"\x89PNG\r\n\x1a\n", "ảnh (PNG)"), (b"\xff\xd8\xff", "ảnh chụp hoặc ảnh quét (JPEG)"),
    (b"GIF87a", "ảnh (GIF)"), (b"GIF89a", "ảnh (GIF)"), (b"II*\x00", "ảnh quét (TIFF)"),
    (b"MM\x00*", "ảnh quét (TIFF)"), (b"BM", "ảnh (BMP)"),
)
_ARCHIVES = (
    (b"Rar!\x1a\x07", "tệp nén RAR"), (b"7z\xbc\xaf\x27\x1c", "tệp nén 7-Zip"), (b"\x1f\x8b", "tệp nén gzip"),
)
_MAX_ZIP_NAMES = 10_000


def describe(data: bytes, name: str) -> tuple[str, str]:
    """(what the file is, what to ask for), in Vietnamese, from its bytes and then its name."""
    ext = _ext(name)
    if data.startswith(b"%PDF"):
        return "bản PDF (thường là bản quét hoặc công văn)", _ASK_SCAN
    for magic, what in _IMAGES:
        if data.startswith(magic):
            return what, _ASK_SCAN
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1") or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "ảnh chụp (HEIC/WebP)", _ASK_SCAN
    for magic, what in _ARCHIVES:
        if data.startswith(magic):
            return what + " (không mở được loại nén này)", _ASK_ARCHIVE
    if data.startswith(b"PK"):
        return _office_zip(data), _ASK_DOCUMENT
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return _office_ole(data), _ASK_DOCUMENT
    if data.startswith(b"{\\rtf"):
        return "văn bản RTF", _ASK_DOCUMENT
    if data.startswith(b"L\x00\x00\x00\x01\x14\x02\x00"):
        return "lối tắt Windows (.lnk)", _ASK_SHORTCUT
    if data.startswith(b"MZ"):
        return "tệp chương trình Windows", _ASK_PROGRAM
    if _is_text(data[:4096]):
        return f"tệp văn bản thuần{_shown_ext(ext)}", ASK_WORKBOOK
    return f"tệp không rõ định dạng{_shown_ext(ext) or ' (không có đuôi tệp)'}", ASK_WORKBOOK


def _ext(name: str) -> str:
    base = name.rsplit("/", 1)[-1].rsplit("»", 1)[-1]
    return base.rsplit(".", 1)[-1].strip().lower() if "." in base else ""


def _shown_ext(ext: str) -> str:
    return f" (.{ext})" if ext else ""


def _office_zip(data: bytes) -> str:
    """Word, PowerPoint, an OpenDocument text, or some other zip-based document."""
    try:
        if data.count(b"PK\x01\x02") > _MAX_ZIP_NAMES:
            return "tài liệu dạng nén"
        names = [n.lower() for n in zipfile.ZipFile(io.BytesIO(data)).namelist()]
    except Exception:
        return "tài liệu dạng nén (bị hỏng)"
    if any(n.startswith("word/") for n in names):
        return "văn bản Word (.docx)"
    if any(n.startswith("ppt/") for n in names):
        return "bản trình chiếu PowerPoint (.pptx)"
    if any(n.startswith("visio/") for n in names):
        return "bản vẽ Visio"
    if "mimetype" in names:
        mime = data[data.find(b"mimetype") + 8: data.find(b"mimetype") + 80]
        if b"opendocument.text" in mime:
            return "văn bản LibreOffice (.odt)"
        if b"opendocument.presentation" in mime:
            return "bản trình chiếu LibreOffice (.odp)"
        return "tài liệu OpenDocument"
    return "tài liệu Office"


def _office_ole(data: bytes) -> str:
    """A legacy Office file by the stream names of its directory (read without parsing it)."""
    sector = 1 << struct.unpack_from("<H", data, 30)[0] if len(data) >= 32 else 512
    head = data[: 512 + sector * 64]
    if "WordDocument".encode("utf-16-le") in head:
        return "văn bản Word 97-2003 (.doc)"
    if "PowerPoint Document".encode("utf-16-le") in head:
        return "bản trình chiếu PowerPoint 97-2003 (.ppt)"
    return "tài liệu Office dạng cũ"


def _is_text(head: bytes) -> bool:
    """True when the head decodes as text (UTF-8, UTF-16 with BOM) with no control bytes."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head[:-3].decode("utf-8")  # the head may cut a letter in two
        except UnicodeDecodeError:
            return False
    return bool(text) and not any(ord(c) < 32 and c not in "\r\n\t\f" for c in text)
