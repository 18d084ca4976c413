"""Safety gate for untrusted workbooks: bound every resource before a parser runs.

`sniff` says what a file really is; `check` refuses it (UnsafeFile) when it must not reach a
parser. The work is split by subsystem: zip containers (zipscan), their XML parts (xmlscan), binary
.xlsb parts (xlsbscan), legacy .xls (biff). Outlook containers (.msg, winmail.dat) hold their
attachments uncompressed, so their size is bounded by the file's; unpack guards each attachment.
"""

from __future__ import annotations

from pipeline.intake.biff import check_xls
from pipeline.intake.limits import CONTAINER, ODS, OOXML, XLSB, Limits, UnsafeFile, unsafe_file
from pipeline.intake.sniff import sniff
from pipeline.intake.zipscan import check_zip, keeps_xml

__all__ = ["CHECKED_KINDS", "KINDS", "Limits", "UnsafeFile", "check", "sniff"]

KINDS = frozenset({"xlsx", "xlsm", "xlsb", "xls", "ods", "zip", "eml", "msg", "tnef", "encrypted", "csv", "html",
                   "other"})
CHECKED_KINDS = frozenset({"xlsx", "xlsm", "xlsb", "xls", "ods", "encrypted"})

def check(data: bytes, kind: str, limits: Limits = Limits()) -> dict[str, bytes]:
    """Raise UnsafeFile when a file of the given kind must not reach a parser.

    For .xlsx/.xlsm returns the sheet parts (and workbook.xml with its relationships) as inflated
    while measured, for the reader; {} otherwise.
    """
    if len(data) > limits.max_file_bytes:
        raise unsafe_file("file-too-large", limits)
    if kind in ("xlsx", "xlsm"):
        return check_zip(data, limits, OOXML, keeps_xml)
    elif kind == "xlsb":
        check_zip(data, limits, XLSB)
    elif kind == "ods":
        check_zip(data, limits, ODS)
    elif kind == "zip":
        check_zip(data, limits, CONTAINER)
    elif kind == "xls":
        check_xls(data, limits)
    elif kind == "encrypted":
        raise unsafe_file("encrypted", limits)
    elif kind not in ("eml", "msg", "tnef", "csv", "html", "other"):
        raise ValueError(f"unknown kind {kind!r}")
    return {}
