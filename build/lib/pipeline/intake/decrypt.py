"""Password-protected workbooks: which program's menu removes the password, and opening one with
the password the officer recorded in decisions.toml (msoffcrypto-tool).

Decryption only runs on a file the officer named, and its work is bounded before it starts:
the key derivation's iteration count is read first (Excel uses 100,000) and an XML key
description with a DTD is refused. The decrypted bytes are guarded again like any other file.
"""

from __future__ import annotations

import io
import struct

import olefile
from defusedxml import ElementTree as SafeET

from pipeline.intake.limits import Limits, UnsafeFile, unsafe_file

MAX_SPIN_COUNT = 1_000_000
EXCEL_MENU = ("trong Excel: Tệp > Thông tin > Bảo vệ sổ làm việc > Mã hóa bằng mật khẩu, xoá mật khẩu rồi bấm "
              "OK và lưu lại")
LIBREOFFICE_MENU = ("trong LibreOffice: Tệp > Lưu thành, bỏ chọn “Lưu với mật khẩu” rồi lưu lại; hoặc Tệp > Thuộc "
                    "tính > Bảo mật")
ASK_PASSWORD = ("Nếu đơn vị đã báo mật khẩu, cán bộ có thể ghi vào decisions.toml (mục [[password]]: year, file, "
                "password, reason) để công cụ tự mở tệp.")


class WrongPassword(Exception):
    """The recorded password does not open the file."""


def menu(data: bytes) -> str:
    """Where the password is removed, in the program that wrote this container."""
    # An encrypted OpenDocument stays a zip (LibreOffice); Excel (and WPS) wrap the workbook in OLE2.
    return LIBREOFFICE_MENU if data.startswith(b"PK") else EXCEL_MENU


def can_decrypt(data: bytes) -> bool:
    """True for the containers msoffcrypto-tool opens: encrypted OOXML and legacy .xls in OLE2."""
    return data.startswith(b"\xd0\xcf\x11\xe0")


def decrypt(data: bytes, password: str, limits: Limits = Limits()) -> bytes:
    """The plain workbook inside an encrypted one; WrongPassword or UnsafeFile when it cannot be had."""
    import msoffcrypto
    from msoffcrypto import exceptions

    _bound_key_derivation(data, limits)
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        office.load_key(password=password, verify_password=True)
        out = io.BytesIO()
        office.decrypt(out)
    except (exceptions.InvalidKeyError, exceptions.DecryptionError) as exc:
        raise WrongPassword from exc
    except UnsafeFile:
        raise
    except Exception as exc:
        # msoffcrypto raises assorted errors on damaged containers
        raise unsafe_file("corrupt-file", limits) from exc
    plain = out.getvalue()
    if len(plain) > limits.max_file_bytes:
        raise unsafe_file("file-too-large", limits)
    return plain


def _bound_key_derivation(data: bytes, limits: Limits) -> None:
    """Refuse an Agile key description with a DTD or with more hashing rounds than Excel ever writes."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:
        raise unsafe_file("corrupt-file", limits) from exc
    try:
        if not ole.exists("EncryptionInfo"):
            return  # legacy .xls: RC4 keys take a fixed, small amount of work
        if ole.get_size("EncryptionInfo") > 1024 * 1024:
            raise unsafe_file("corrupt-file", limits)
        info = ole.openstream("EncryptionInfo").read()
    finally:
        ole.close()
    if len(info) < 8:
        raise unsafe_file("corrupt-file", limits)
    major, minor = struct.unpack_from("<HH", info)
    if (major, minor) != (4, 4):
        return  # Standard encryption: a fixed 50,000 rounds
    try:
        root = SafeET.fromstring(info[8:])
    except Exception as exc:
        code = "xml-bomb" if type(exc).__module__.startswith("defusedxml") else "corrupt-file"
        raise unsafe_file(code, limits) from exc
    for element in root.iter():
        spin = element.get("spinCount")
        if spin is not None and (not spin.isdigit() or int(spin) > MAX_SPIN_COUNT):
            raise unsafe_file("corrupt-file", limits)
