"""The one catalogue of findings: stable kebab-case codes, severity, Vietnamese message.

Each message tells the agency (or the officer) what is wrong and what to do. Templates are
rendered with `str.format` fields: {value}, {expected}, {detail}, {cell}, {activity}.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"
SEVERITY_LABELS = {ERROR: "Lỗi", WARNING: "Cảnh báo"}

ACCEPTED = "accepted"
ACCEPTED_WITH_WARNINGS = "accepted-with-warnings"
REJECTED = "rejected"
SUPERSEDED = "superseded"
DUPLICATE = "duplicate"
NOT_A_SPREADSHEET = "not-a-spreadsheet"
OUTCOMES = (ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, SUPERSEDED, DUPLICATE, NOT_A_SPREADSHEET)
OUTCOME_LABELS = {
    ACCEPTED: "Hợp lệ",
    ACCEPTED_WITH_WARNINGS: "Hợp lệ, có cảnh báo",
    REJECTED: "Bị từ chối",
    SUPERSEDED: "Đã có bản mới hơn",
    DUPLICATE: "Trùng lặp",
    NOT_A_SPREADSHEET: "Không phải bảng tính",
}
MERGED_OUTCOMES = (ACCEPTED, ACCEPTED_WITH_WARNINGS)

CATALOGUE: dict[str, tuple[str, str]] = {
    # the file as a whole
    "not-a-spreadsheet": (WARNING, "Tệp không phải bảng tính Excel/LibreOffice ({detail}); không đọc được số liệu. "
                                   "Nếu đây là báo cáo, đề nghị đơn vị gửi lại đúng tệp biểu mẫu .xlsx."),
    "no-attachment": (WARNING, "Thư không có tệp đính kèm. Đề nghị đơn vị gửi lại thư kèm tệp biểu mẫu đã điền."),
    "file-too-large": (ERROR, "{detail}"),
    "zip-bomb": (ERROR, "{detail}"),
    "xml-bomb": (ERROR, "{detail}"),
    "unsafe-path": (ERROR, "{detail}"),
    "too-many-sheets": (ERROR, "{detail}"),
    "too-many-cells": (ERROR, "{detail}"),
    "encrypted": (ERROR, "{detail}"),
    "corrupt-file": (ERROR, "{detail}"),
    "unreadable": (ERROR, "Không đọc được nội dung tệp ({detail}). Đề nghị đơn vị mở tệp, lưu lại dạng .xlsx "
                          "rồi gửi lại."),
    "macro-workbook": (WARNING, "Tệp có macro (.xlsm); macro không được chạy, chỉ đọc giá trị. Lần sau đề nghị "
                                "lưu dạng .xlsx."),
    "legacy-format": (WARNING, "Tệp được lưu dạng {detail}; đã đọc được. Lần sau đề nghị lưu dạng .xlsx để giữ "
                               "danh sách chọn và định dạng."),
    # identity
    "no-identity": (WARNING, "Tệp không còn thông tin nhận dạng ẩn của biểu mẫu (có thể đã chép sang tệp khác); "
                             "đã nhận dạng đơn vị theo {detail}. Đề nghị dùng đúng tệp biểu mẫu được gửi."),
    "unknown-agency": (ERROR, "Không xác định được đơn vị gửi báo cáo ({detail}). Đề nghị đơn vị ghi đúng tên cơ "
                              "quan ở trang “Thông tin đơn vị” hoặc dùng đúng tệp biểu mẫu được gửi."),
    "agency-mismatch": (ERROR, "Biểu mẫu được gửi cho {expected} nhưng tên đơn vị ghi “{value}”. Đề nghị kiểm tra "
                               "lại: mỗi đơn vị điền đúng biểu mẫu của mình."),
    "wrong-year": (ERROR, "Biểu mẫu là của năm {value}, nhưng đang tổng hợp năm {expected}. Đề nghị đơn vị điền "
                          "biểu mẫu năm {expected}."),
    "wrong-plan": (ERROR, "Biểu mẫu thuộc kế hoạch “{value}”, không phải kế hoạch đang tổng hợp ({expected})."),
    "older-template": (WARNING, "Biểu mẫu phiên bản cũ ({value}, hiện hành {expected}); đã đọc các cột còn khớp. "
                                "{detail}"),
    "newer-template": (WARNING, "Biểu mẫu phiên bản {value} mới hơn công cụ (phiên bản {expected}); đã đọc các cột "
                                "khớp. Hãy cập nhật công cụ baocao."),
    "not-assigned": (ERROR, "Đơn vị {value} không có nhiệm vụ nào trong năm {expected}; không có gì để tổng hợp."),
    "assignments-changed": (WARNING, "Danh sách hoạt động trong biểu mẫu khác với kế hoạch hiện hành (biểu mẫu cũ "
                                     "hoặc kế hoạch đã sửa): {detail}."),
    "empty-submission": (ERROR, "Biểu mẫu chưa được điền (không có tình trạng, kết quả hay số liệu nào). Đề nghị "
                                "đơn vị điền rồi gửi lại."),
    # structure
    "sheet-missing": (ERROR, "Không tìm thấy trang “{expected}”. Đề nghị không đổi tên, không xóa trang tính; "
                             "dùng lại tệp biểu mẫu được gửi."),
    "sheet-renamed": (WARNING, "Trang “{expected}” đã bị đổi tên thành “{value}”; đã đọc theo nội dung. Đề nghị "
                               "không đổi tên trang tính."),
    "column-missing": (ERROR, "Không tìm thấy cột “{expected}” ở trang {detail}. Đề nghị không xóa hoặc đổi tên "
                              "tiêu đề cột."),
    "context-changed": (WARNING, "Nội dung hoạt động {activity} (ô màu xám) đã bị sửa; đã dùng nội dung theo kế "
                                 "hoạch. Đề nghị không sửa các ô màu xám, ghi thông tin bổ sung ở cột Kết quả."),
    "row-missing": (ERROR, "Thiếu dòng của hoạt động {activity} (đơn vị chủ trì). Đề nghị không xóa dòng; dùng "
                           "lại biểu mẫu được gửi và báo cáo hoạt động này."),
    "row-missing-partner": (WARNING, "Thiếu dòng của hoạt động {activity}. Đề nghị không xóa dòng trong biểu mẫu."),
    "row-duplicated": (ERROR, "Hoạt động {activity} xuất hiện nhiều lần (các dòng {detail}) với số liệu khác nhau. "
                              "Đề nghị giữ một dòng duy nhất."),
    "row-not-in-plan": (WARNING, "Dòng có mã “{value}” không thuộc các hoạt động được giao; đã tính vào “Hoạt động "
                                 "khác”. Đề nghị ghi hoạt động ngoài kế hoạch ở trang “Hoạt động khác”."),
    "row-repeated": (WARNING, "Hoạt động {activity} có dòng lặp lại (các dòng {detail}); đã đọc dòng có số liệu. "
                              "Đề nghị không sao chép dòng."),
    "column-missing-optional": (WARNING, "Không tìm thấy cột “{expected}” ở trang {detail}; số liệu cột này coi như "
                                         "để trống. Đề nghị không xóa cột."),
    "money-implausible": (ERROR, "Kinh phí {value} triệu đồng là quá lớn; có thể đã nhập theo đồng. Đề nghị kiểm "
                                 "tra lại và nhập theo triệu đồng (ví dụ 1.500.000 đồng nhập là 1,5)."),
    "decision-unmatched": (WARNING, "Quyết định trong decisions.toml không khớp tệp nào: “{value}”. Hãy chép đúng đường "
                                    "dẫn như trong tệp kiểm tra (dùng dấu /)."),
    "rows-reordered": (WARNING, "Thứ tự các dòng đã bị thay đổi; đã đọc theo mã hoạt động."),
    "row-without-id": (WARNING, "Dòng có số liệu nhưng không có mã hoạt động; đã tính vào “Hoạt động khác”. Đề nghị "
                                "ghi hoạt động ngoài kế hoạch ở trang “Hoạt động khác”."),
    # values
    "missing-status": (ERROR, "Chưa chọn tình trạng thực hiện cho hoạt động {activity} (đơn vị chủ trì). Đề nghị "
                              "chọn một giá trị trong danh sách: {expected}."),
    "status-normalised": (WARNING, "Tình trạng “{value}” đã được hiểu là “{expected}”. Đề nghị chọn từ danh sách."),
    "status-invalid": (ERROR, "Tình trạng “{value}” không hợp lệ. Đề nghị chọn một giá trị trong danh sách: "
                              "{expected}."),
    "status-not-applicable-not-allowed": (ERROR, "“Không phát sinh” chỉ dành cho UBND cấp huyện. Đề nghị chọn: "
                                                 "{expected}."),
    "missing-result": (ERROR, "Hoạt động {activity} có tình trạng “{value}” nhưng chưa ghi kết quả thực hiện. Đề "
                              "nghị mô tả ngắn gọn kết quả đã đạt được."),
    "number-negative": (ERROR, "Số liệu “{value}” là số âm. Đề nghị nhập số lớn hơn hoặc bằng 0."),
    "not-a-number": (ERROR, "“{value}” không phải là số. Đề nghị chỉ nhập chữ số (ví dụ 1500 hoặc 12,5); ghi chú "
                            "thêm ở cột Kết quả thực hiện."),
    "number-as-text": (WARNING, "Số liệu “{value}” được nhập dạng chữ; đã hiểu là {expected}. Đề nghị nhập dạng số."),
    "number-unit-converted": (WARNING, "“{value}” đã được quy đổi thành {expected} triệu đồng. Cột này tính bằng "
                                       "triệu đồng, đề nghị chỉ nhập số."),
    "number-ambiguous": (WARNING, "“{value}” có thể hiểu nhiều cách; đã hiểu là {expected}. Đề nghị kiểm tra lại "
                                  "(dấu phẩy là dấu thập phân, ví dụ 1,5)."),
    "formula-error": (ERROR, "Ô có lỗi công thức “{value}”. Đề nghị sửa công thức hoặc nhập số trực tiếp."),
    "formula-no-value": (ERROR, "Ô có công thức nhưng không có giá trị đã tính (tệp chưa được mở và lưu bằng Excel). "
                                "Đề nghị mở tệp bằng Excel, lưu lại rồi gửi, hoặc nhập số trực tiếp."),
    "missing-reporter": (ERROR, "Chưa ghi người lập báo cáo. Đề nghị ghi họ tên người lập ở trang “Thông tin đơn "
                                "vị”."),
    "missing-report-date": (ERROR, "Chưa ghi ngày báo cáo. Đề nghị ghi ngày dạng dd/mm/yyyy ở trang “Thông tin "
                                   "đơn vị”."),
    "date-as-text": (WARNING, "Ngày “{value}” được nhập dạng chữ; đã hiểu là {expected}."),
    "date-invalid": (ERROR, "“{value}” không phải là ngày hợp lệ. Đề nghị ghi dạng dd/mm/yyyy, ví dụ 15/12/2015."),
    "legacy-encoding": (WARNING, "Chữ được gõ bằng bảng mã cũ {detail}; đã chuyển sang Unicode: “{expected}”. Đề "
                                 "nghị dùng bảng mã Unicode (Unikey/EVKey: chọn bảng mã Unicode)."),
    # the officer's decisions
    "excluded-by-officer": (ERROR, "Cán bộ tổng hợp đã loại tệp này khỏi tổng hợp: {detail}"),
    "chosen-by-officer": (WARNING, "Cán bộ tổng hợp đã chọn bản này để tổng hợp: {detail}"),
    "chosen-has-errors": (WARNING, "Tệp được chọn trong decisions.toml có lỗi nên không thể tổng hợp; đã dùng bản hợp "
                                   "lệ mới nhất của đơn vị (nếu có). Lý do đã ghi: {detail}"),
}


@dataclass(frozen=True)
class Finding:
    """One thing wrong with one file, pointing at the cell where possible."""

    code: str
    severity: str
    file: str
    sheet: str = ""
    cell: str = ""
    activity_id: str = ""
    message_vi: str = ""
    value: str = ""


def finding(code: str, file: str, *, sheet: str = "", cell: str = "", activity: str = "", value: object = "",
            expected: object = "", detail: object = "") -> Finding:
    """Build a finding from the catalogue, rendering its Vietnamese message."""
    severity, template = CATALOGUE[code]
    shown = _short(value)
    message = template.format(value=shown, expected=expected, detail=detail, cell=cell, activity=activity)
    return Finding(code, severity, file, sheet, cell, activity, message, shown)


def _short(value: object, limit: int = 80) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
