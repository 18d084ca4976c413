"""The one catalogue of findings: a stable kebab-case code, a severity, a title and a message.

Every code the officer or an agency can see is here, from the guard's refusals to the officer's
own decisions. A finding stores its code and parameters, never prose: the Vietnamese message is
rendered from the catalogue when it is shown. Message fields: {value}, {expected}, {detail},
{activity}, {limit}, {depth}, {ask}; a missing field renders as an empty string.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.model.vocab import Severity

ERROR, WARNING = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True)
class Code:
    """One kind of finding: its severity, a short title and the message template."""

    severity: Severity
    title: str
    message: str
    group: str


_FILE, _ID, _STRUCT, _VALUES, _OFFICER = ("Tệp", "Nhận dạng", "Cấu trúc biểu mẫu", "Giá trị các ô",
                                          "Quyết định của cán bộ")


def _c(severity: Severity, title: str, message: str, group: str) -> Code:
    return Code(severity, title, message, group)


CATALOGUE: dict[str, Code] = {
    # the file as a whole: what the guard and the unpacking refuse before any parser runs
    "not-a-spreadsheet": _c(WARNING, "Không phải bảng tính",
                            "Tệp là {detail}, không phải bảng tính Excel/LibreOffice. {ask}", _FILE),
    "csv-export": _c(ERROR, "Tệp CSV thay cho biểu mẫu",
                     "Tệp là bảng dữ liệu CSV: chỉ giữ một trang tính, mất trang “Thông tin đơn vị” và thông tin "
                     "nhận dạng của biểu mẫu, nên không đọc được báo cáo. Đề nghị đơn vị mở tệp biểu mẫu đã điền, "
                     "chọn Tệp > Lưu thành > Sổ làm việc Excel (*.xlsx) rồi gửi lại tệp .xlsx.", _FILE),
    "web-page-export": _c(ERROR, "Trang web thay cho biểu mẫu",
                          "Tệp là {detail}, không phải sổ làm việc Excel, nên không đọc được biểu mẫu. Đề nghị "
                          "{ask}", _FILE),
    "empty-archive": _c(WARNING, "Tệp nén không có tệp dùng được",
                        "Tệp nén không có tệp nào dùng được ({detail}). Nếu đơn vị định gửi báo cáo, đề nghị đơn vị "
                        "nén lại đúng tệp biểu mẫu đã điền, hoặc gửi thẳng tệp .xlsx.", _FILE),
    "no-attachment": _c(WARNING, "Thư không có tệp đính kèm",
                        "Thư không có tệp đính kèm nào nên không có báo cáo để đọc. Đề nghị kiểm tra lại thư, hoặc "
                        "đề nghị đơn vị gửi lại thư có đính kèm tệp báo cáo.", _FILE),
    "file-too-large": _c(ERROR, "Tệp quá lớn",
                         "Tệp quá lớn (vượt {limit}) nên không được mở để tránh treo máy. Đề nghị đơn vị xoá bớt "
                         "các trang tính, hình ảnh không cần thiết hoặc tách thành nhiều tệp rồi gửi lại.", _FILE),
    "zip-bomb": _c(ERROR, "Tệp nén bất thường",
                   "Tệp có dấu hiệu bất thường: khi giải nén, dung lượng tăng lên quá lớn so với kích thước tệp "
                   "(có thể là tệp hỏng hoặc tệp độc hại) nên không được mở. Đề nghị đơn vị mở tệp gốc bằng "
                   "Excel, lưu lại rồi gửi lại.", _FILE),
    "xml-bomb": _c(ERROR, "Cấu trúc bên trong bất thường",
                   "Bên trong tệp có cấu trúc bất thường mà tệp Excel bình thường không có (có thể là tệp độc hại) "
                   "nên không được mở. Đề nghị đơn vị mở tệp gốc bằng Excel, lưu thành tệp .xlsx mới rồi gửi lại.",
                   _FILE),
    "unsafe-path": _c(ERROR, "Đường dẫn không an toàn trong tệp nén",
                      "Tệp nén chứa tệp có đường dẫn không an toàn (trỏ ra ngoài thư mục, ví dụ có “../”) nên tệp "
                      "này bị bỏ qua, không được giải nén. Đề nghị đơn vị nén lại đúng các tệp báo cáo rồi gửi "
                      "lại.", _FILE),
    "too-many-sheets": _c(ERROR, "Quá nhiều trang tính",
                          "Sổ làm việc có quá nhiều trang tính (trên {limit} trang). Đề nghị đơn vị chỉ giữ lại các "
                          "trang biểu mẫu báo cáo rồi gửi lại.", _FILE),
    "too-many-cells": _c(ERROR, "Vùng dữ liệu quá lớn",
                         "Trang tính có vùng dữ liệu quá lớn (trên {limit} ô, kể cả ô nằm rất xa như ở hàng hoặc "
                         "cột cuối cùng của trang tính). Đề nghị đơn vị xoá các hàng, cột thừa nằm ngoài bảng báo "
                         "cáo, lưu lại rồi gửi lại.", _FILE),
    "encrypted": _c(ERROR, "Tệp có mật khẩu",
                    "Tệp được đặt mật khẩu nên không đọc được. Đề nghị đơn vị gỡ mật khẩu ({detail}) rồi gửi lại. "
                    "{ask}", _FILE),
    "wrong-password": _c(ERROR, "Mật khẩu không đúng",
                         "Mật khẩu ghi trong decisions.toml không mở được tệp này. Đề nghị hỏi lại đơn vị đúng mật "
                         "khẩu (phân biệt chữ hoa, chữ thường), hoặc đề nghị đơn vị gỡ mật khẩu ({detail}) rồi gửi "
                         "lại.", _FILE),
    "encrypted-zip": _c(ERROR, "Tệp nén có mật khẩu",
                        "Tệp nén được đặt mật khẩu nên không giải nén được. Đề nghị đơn vị gửi lại tệp nén không "
                        "đặt mật khẩu, hoặc gửi trực tiếp các tệp báo cáo.", _FILE),
    "unsupported-compression": _c(ERROR, "Kiểu nén không hỗ trợ",
                                  "Tệp nén dùng kiểu nén không được hỗ trợ nên không giải nén được. Đề nghị đơn vị "
                                  "nén lại theo định dạng .zip thông thường rồi gửi lại, hoặc gửi trực tiếp các tệp "
                                  "báo cáo.", _FILE),
    "corrupt-file": _c(ERROR, "Tệp hỏng hoặc không đầy đủ",
                       "Tệp bị hỏng hoặc không đầy đủ (có thể do tải tệp đính kèm chưa xong) nên không đọc được. "
                       "Đề nghị lưu lại tệp đính kèm từ thư điện tử; nếu vẫn lỗi, đề nghị đơn vị gửi lại tệp.", _FILE),
    "too-deeply-nested": _c(ERROR, "Lồng nhau quá nhiều lớp",
                            "Tệp nén hoặc thư điện tử lồng nhau quá nhiều lớp (quá {depth} lớp) nên không được mở. "
                            "Đề nghị đơn vị giải nén và gửi trực tiếp các tệp báo cáo.", _FILE),
    "too-much-content": _c(ERROR, "Giải nén quá giới hạn",
                           "Tổng dung lượng sau khi giải nén của tệp này vượt giới hạn cho phép nên phần còn lại "
                           "không được mở. Đề nghị đơn vị chia nhỏ tệp nén hoặc gửi trực tiếp các tệp báo cáo.",
                           _FILE),
    "file-changed": _c(ERROR, "Tệp thay đổi trong lúc kiểm tra",
                       "Tệp bị xoá, đổi tên hoặc đang được chép dở trong lúc kiểm tra nên chưa đọc được trọn vẹn. "
                       "Đề nghị chờ chép tệp xong rồi chạy lại.", _FILE),
    "symlink-outside": _c(ERROR, "Lối tắt trỏ ra ngoài inbox",
                          "Đây là lối tắt (liên kết) trỏ ra ngoài thư mục inbox nên không được mở: công cụ chỉ đọc "
                          "các tệp nằm trong inbox. Đề nghị chép chính tệp vào thư mục inbox của năm rồi chạy lại.",
                          _FILE),
    "symlink-folder": _c(WARNING, "Lối tắt tới thư mục trong inbox",
                         "Đây là lối tắt tới một thư mục nằm ngay trong inbox; công cụ không đi theo lối tắt thư mục "
                         "(để không đọc một tệp hai lần) — các tệp ở đó đã được kiểm tra tại chỗ của chúng.", _FILE),
    "unreadable-file": _c(ERROR, "Không đọc được tệp",
                          "Không đọc được tệp (không có quyền đọc, tệp đang bị chương trình khác khoá, hoặc đây "
                          "không phải tệp thông thường). Đề nghị kiểm tra quyền truy cập, đóng tệp đang mở rồi chạy "
                          "lại.", _FILE),
    "unreadable-folder": _c(ERROR, "Không mở được thư mục",
                            "Không mở được thư mục này (không có quyền truy cập hoặc là lối tắt) nên các tệp bên "
                            "trong chưa được đọc. Đề nghị kiểm tra quyền truy cập thư mục rồi chạy lại.", _FILE),
    "unexpected-error": _c(ERROR, "Lỗi không lường trước khi mở tệp",
                           "Gặp lỗi không lường trước khi đọc tệp này nên tệp đã được bỏ qua. Đề nghị mở thử tệp "
                           "bằng Excel; nếu tệp mở được, đề nghị báo lại cho bộ phận kỹ thuật kèm tệp này.", _FILE),
    "reader-crashed": _c(ERROR, "Tệp làm trình đọc dừng đột ngột",
                         "Tệp có cấu trúc bất thường làm trình đọc bảng tính dừng đột ngột (kể cả khi thử lại) nên "
                         "không đọc được; các tệp khác vẫn được kiểm tra. Đề nghị đơn vị mở tệp bằng Excel, lưu "
                         "thành tệp .xlsx mới rồi gửi lại.", _FILE),
    "too-slow": _c(ERROR, "Đọc tệp quá lâu",
                   "Đọc tệp này mất hơn {limit} giây nên đã dừng để không treo cả lượt kiểm tra. Đề nghị đơn vị "
                   "xoá các hàng, cột, hình ảnh thừa ngoài bảng báo cáo, lưu thành tệp .xlsx mới rồi gửi lại.",
                   _FILE),
    "unreadable": _c(ERROR, "Không đọc được nội dung",
                     "Không đọc được nội dung tệp. Đề nghị đơn vị mở tệp, lưu lại dạng .xlsx rồi gửi lại.", _FILE),
    "macro-workbook": _c(WARNING, "Tệp có macro",
                         "Tệp có macro (.xlsm); macro không được chạy, chỉ đọc giá trị. Lần sau đề nghị lưu dạng "
                         ".xlsx.", _FILE),
    "legacy-format": _c(WARNING, "Định dạng cũ",
                        "Tệp được lưu dạng {detail}; đã đọc được. Lần sau đề nghị lưu dạng .xlsx để giữ danh sách "
                        "chọn và định dạng.", _FILE),
    # identity
    "no-identity": _c(WARNING, "Mất thông tin nhận dạng",
                      "Tệp không còn thông tin nhận dạng ẩn của biểu mẫu (có thể đã chép sang tệp khác); đã nhận "
                      "dạng đơn vị theo {detail}. Đề nghị dùng đúng tệp biểu mẫu được gửi.", _ID),
    "unknown-agency": _c(ERROR, "Không xác định được đơn vị",
                         "Không xác định được đơn vị gửi báo cáo ({detail}). Đề nghị đơn vị ghi đúng tên cơ quan ở "
                         "trang “Thông tin đơn vị” hoặc dùng đúng tệp biểu mẫu được gửi.", _ID),
    "agency-mismatch": _c(ERROR, "Tên đơn vị không khớp biểu mẫu",
                          "Biểu mẫu được gửi cho {expected} nhưng tên đơn vị ghi “{value}”. Đề nghị kiểm tra lại: "
                          "mỗi đơn vị điền đúng biểu mẫu của mình.", _ID),
    "wrong-year": _c(ERROR, "Sai năm báo cáo",
                     "Biểu mẫu là của năm {value}, nhưng đang tổng hợp năm {expected}. Đề nghị đơn vị điền biểu "
                     "mẫu năm {expected}.", _ID),
    "wrong-plan": _c(ERROR, "Sai kế hoạch",
                     "Biểu mẫu thuộc kế hoạch “{value}”, không phải kế hoạch đang tổng hợp ({expected}).", _ID),
    "older-template": _c(WARNING, "Biểu mẫu phiên bản cũ",
                         "Biểu mẫu phiên bản cũ ({value}, hiện hành {expected}); đã đọc các cột còn khớp. {detail}",
                         _ID),
    "newer-template": _c(WARNING, "Biểu mẫu mới hơn công cụ",
                         "Biểu mẫu phiên bản {value} mới hơn công cụ (phiên bản {expected}); đã đọc các cột khớp. "
                         "Hãy cập nhật công cụ baocao.", _ID),
    "not-assigned": _c(ERROR, "Đơn vị không có nhiệm vụ",
                       "Đơn vị {value} không có nhiệm vụ nào trong năm {expected}; không có gì để tổng hợp.", _ID),
    "assignments-changed": _c(WARNING, "Danh sách hoạt động đã thay đổi",
                              "Danh sách hoạt động trong biểu mẫu khác với kế hoạch hiện hành (biểu mẫu cũ hoặc kế "
                              "hoạch đã sửa): {detail}.", _ID),
    "empty-submission": _c(ERROR, "Biểu mẫu chưa điền",
                           "Biểu mẫu chưa được điền (không có tình trạng, kết quả hay số liệu nào). Đề nghị đơn vị "
                           "điền rồi gửi lại.", _ID),
    # structure
    "sheet-missing": _c(ERROR, "Thiếu trang tính",
                        "Không tìm thấy trang “{expected}”. Đề nghị không đổi tên, không xóa trang tính; dùng lại "
                        "tệp biểu mẫu được gửi.", _STRUCT),
    "sheet-renamed": _c(WARNING, "Trang tính bị đổi tên",
                        "Trang “{expected}” đã bị đổi tên thành “{value}”; đã đọc theo nội dung. Đề nghị không đổi "
                        "tên trang tính.", _STRUCT),
    "column-missing": _c(ERROR, "Thiếu cột",
                         "Không tìm thấy cột “{expected}” ở trang {detail}. Đề nghị không xóa hoặc đổi tên tiêu đề "
                         "cột.", _STRUCT),
    "column-missing-optional": _c(WARNING, "Thiếu cột không bắt buộc",
                                  "Không tìm thấy cột “{expected}” ở trang {detail}; số liệu cột này coi như để "
                                  "trống. Đề nghị không xóa cột.", _STRUCT),
    "context-changed": _c(WARNING, "Ô màu xám bị sửa",
                          "Nội dung hoạt động {activity} (ô màu xám) đã bị sửa; đã dùng nội dung theo kế hoạch. Đề "
                          "nghị không sửa các ô màu xám, ghi thông tin bổ sung ở cột Kết quả.", _STRUCT),
    "row-missing": _c(ERROR, "Thiếu dòng của hoạt động chủ trì",
                      "Thiếu dòng của hoạt động {activity} (đơn vị chủ trì). Đề nghị không xóa dòng; dùng lại biểu "
                      "mẫu được gửi và báo cáo hoạt động này.", _STRUCT),
    "row-missing-partner": _c(WARNING, "Thiếu dòng của hoạt động phối hợp",
                              "Thiếu dòng của hoạt động {activity}. Đề nghị không xóa dòng trong biểu mẫu.", _STRUCT),
    "row-duplicated": _c(ERROR, "Hoạt động lặp với số liệu khác nhau",
                         "Hoạt động {activity} xuất hiện nhiều lần (các dòng {detail}) với số liệu khác nhau. Đề "
                         "nghị giữ một dòng duy nhất.", _STRUCT),
    "row-repeated": _c(WARNING, "Dòng lặp lại",
                       "Hoạt động {activity} có dòng lặp lại (các dòng {detail}); đã đọc dòng có số liệu. Đề nghị "
                       "không sao chép dòng.", _STRUCT),
    "row-not-in-plan": _c(WARNING, "Dòng không thuộc hoạt động được giao",
                          "Dòng có mã “{value}” không thuộc các hoạt động được giao; đã tính vào “Hoạt động khác”. "
                          "Đề nghị ghi hoạt động ngoài kế hoạch ở trang “Hoạt động khác”.", _STRUCT),
    "row-without-id": _c(WARNING, "Dòng không có mã hoạt động",
                         "Dòng có số liệu nhưng không có mã hoạt động; đã tính vào “Hoạt động khác”. Đề nghị ghi "
                         "hoạt động ngoài kế hoạch ở trang “Hoạt động khác”.", _STRUCT),
    "rows-reordered": _c(WARNING, "Thứ tự dòng thay đổi",
                         "Thứ tự các dòng đã bị thay đổi; đã đọc theo mã hoạt động.", _STRUCT),
    "totals-row": _c(WARNING, "Dòng tổng cộng",
                     "Dòng {detail} là dòng tổng cộng (“{value}”) nên không được cộng vào tổng hợp: công cụ tự cộng "
                     "số liệu của từng dòng. Không cần gửi lại; lần sau đề nghị không thêm dòng tổng vào biểu mẫu.",
                     _STRUCT),
    "totals-disagree": _c(WARNING, "Dòng tổng cộng không khớp",
                          "Dòng tổng cộng (dòng {detail}) ghi {value}, nhưng cộng các dòng ở trên được {expected}; "
                          "tổng hợp dùng số liệu của từng dòng. Đề nghị kiểm tra lại số liệu các dòng và dòng tổng.",
                          _STRUCT),
    "merged-cell": _c(WARNING, "Ô bị gộp",
                      "Ô {detail} nằm trong vùng ô gộp {expected}; nội dung “{value}” của vùng gộp chỉ được tính một "
                      "lần, cho ô đầu của vùng. Nếu nội dung dùng chung cho nhiều hoạt động hoặc nhiều cột, đề nghị "
                      "bỏ gộp ô và ghi riêng từng ô.", _STRUCT),
    "merged-cell-missing": _c(ERROR, "Ô bị gộp, thiếu nội dung riêng",
                              "Ô {detail} nằm trong vùng ô gộp {expected} nên không có nội dung riêng: nội dung "
                              "“{value}” chỉ được tính cho ô đầu của vùng. Hoạt động {activity} cần tình trạng và kết "
                              "quả riêng. Đề nghị bỏ gộp ô (Merge & Center) và ghi riêng cho từng hoạt động.", _STRUCT),
    # values
    "missing-status": _c(ERROR, "Chưa chọn tình trạng",
                         "Chưa chọn tình trạng thực hiện cho hoạt động {activity} (đơn vị chủ trì). Đề nghị chọn một "
                         "giá trị trong danh sách: {expected}.", _VALUES),
    "status-normalised": _c(WARNING, "Tình trạng được hiểu theo nghĩa gần",
                            "Tình trạng “{value}” đã được hiểu là “{expected}”. Đề nghị chọn từ danh sách.", _VALUES),
    "status-invalid": _c(ERROR, "Tình trạng không hợp lệ",
                         "Tình trạng “{value}” không hợp lệ. Đề nghị chọn một giá trị trong danh sách: {expected}.",
                         _VALUES),
    "status-not-applicable-not-allowed": _c(ERROR, "“Không phát sinh” không dùng được",
                                            "“Không phát sinh” chỉ dành cho địa phương (UBND cấp huyện, cấp xã). Đề nghị chọn: "
                                            "{expected}.", _VALUES),
    "missing-result": _c(ERROR, "Chưa ghi kết quả",
                         "Hoạt động {activity} có tình trạng “{value}” nhưng chưa ghi kết quả thực hiện. Đề nghị mô "
                         "tả ngắn gọn kết quả đã đạt được.", _VALUES),
    "number-negative": _c(ERROR, "Số âm",
                          "Số liệu “{value}” là số âm. Đề nghị nhập số lớn hơn hoặc bằng 0.", _VALUES),
    "not-a-number": _c(ERROR, "Không phải là số",
                       "“{value}” không phải là số. Đề nghị chỉ nhập chữ số (ví dụ 1500 hoặc 12,5); ghi chú thêm ở "
                       "cột Kết quả thực hiện.", _VALUES),
    "number-not-whole": _c(ERROR, "Số lượng có phần lẻ",
                           "“{value}” ở cột “{detail}” có phần lẻ, nhưng cột này đếm số hoạt động, số lượt người nên "
                           "phải là số nguyên. Đề nghị nhập số nguyên (ví dụ 12 hoặc 1500), không dùng dấu phân cách.",
                           _VALUES),
    "number-thousands-comma": _c(WARNING, "Dấu phẩy được hiểu là dấu hàng nghìn",
                                 "“{value}” ở cột “{detail}”: cột này đếm số nguyên nên dấu phẩy được hiểu là dấu "
                                 "phân cách hàng nghìn, đã hiểu là {expected}. Đề nghị kiểm tra lại và nhập số không "
                                 "có dấu phân cách (ví dụ 1500).", _VALUES),
    "number-as-text": _c(WARNING, "Số nhập dạng chữ",
                         "Số liệu “{value}” được nhập dạng chữ; đã hiểu là {expected}. Đề nghị nhập dạng số.", _VALUES),
    "number-unit-converted": _c(WARNING, "Đã quy đổi đơn vị",
                                "“{value}” đã được quy đổi thành {expected} triệu đồng. Cột này tính bằng triệu "
                                "đồng, đề nghị chỉ nhập số.", _VALUES),
    "number-ambiguous": _c(WARNING, "Số có thể hiểu nhiều cách",
                           "“{value}” có thể hiểu nhiều cách; đã hiểu là {expected}. Đề nghị kiểm tra lại (dấu phẩy "
                           "là dấu thập phân, ví dụ 1,5).", _VALUES),
    "money-implausible": _c(ERROR, "Kinh phí quá lớn",
                            "Kinh phí {value} triệu đồng là quá lớn; có thể đã nhập theo đồng. Đề nghị kiểm tra lại "
                            "và nhập theo triệu đồng (ví dụ 1.500.000 đồng nhập là 1,5).", _VALUES),
    "formula-error": _c(ERROR, "Lỗi công thức",
                        "Ô có lỗi công thức “{value}”. Đề nghị sửa công thức hoặc nhập số trực tiếp.", _VALUES),
    "formula-no-value": _c(ERROR, "Công thức chưa có giá trị",
                           "Ô có công thức nhưng không có giá trị đã tính (tệp chưa được mở và lưu bằng Excel). Đề "
                           "nghị mở tệp bằng Excel, lưu lại rồi gửi, hoặc nhập số trực tiếp.", _VALUES),
    "missing-reporter": _c(ERROR, "Chưa ghi người lập báo cáo",
                           "Chưa ghi người lập báo cáo. Đề nghị ghi họ tên người lập ở trang “Thông tin đơn vị”.",
                           _VALUES),
    "missing-report-date": _c(ERROR, "Chưa ghi ngày báo cáo",
                              "Chưa ghi ngày báo cáo. Đề nghị ghi ngày dạng dd/mm/yyyy ở trang “Thông tin đơn vị”.",
                              _VALUES),
    "date-as-text": _c(WARNING, "Ngày nhập dạng chữ",
                       "Ngày “{value}” được nhập dạng chữ; đã hiểu là {expected}.", _VALUES),
    "date-invalid": _c(ERROR, "Ngày không hợp lệ",
                       "“{value}” không phải là ngày hợp lệ. Đề nghị ghi dạng dd/mm/yyyy, ví dụ 15/12/2015.", _VALUES),
    "legacy-encoding": _c(WARNING, "Bảng mã cũ",
                          "Chữ được gõ bằng bảng mã cũ {detail}; đã chuyển sang Unicode: “{expected}”. Đề nghị dùng "
                          "bảng mã Unicode (Unikey/EVKey: chọn bảng mã Unicode).", _VALUES),
    # the officer's decisions
    "excluded-by-officer": _c(ERROR, "Cán bộ loại khỏi tổng hợp",
                              "Cán bộ tổng hợp đã loại tệp này khỏi tổng hợp: {detail}", _OFFICER),
    "opened-with-password": _c(WARNING, "Đã mở bằng mật khẩu cán bộ ghi",
                               "Tệp có mật khẩu; đã mở bằng mật khẩu cán bộ ghi trong decisions.toml: {detail}. Lần "
                               "sau đề nghị đơn vị gửi tệp không đặt mật khẩu.", _OFFICER),
    "chosen-by-officer": _c(WARNING, "Cán bộ chọn bản này",
                            "Cán bộ tổng hợp đã chọn bản này để tổng hợp: {detail}", _OFFICER),
    "chosen-has-errors": _c(WARNING, "Bản được chọn có lỗi",
                            "Tệp được chọn trong decisions.toml có lỗi nên không thể tổng hợp; đã dùng bản hợp lệ mới "
                            "nhất của đơn vị (nếu có). Lý do đã ghi: {detail}", _OFFICER),
    "decision-unmatched": _c(WARNING, "Quyết định không khớp tệp nào",
                             "Quyết định trong decisions.toml không khớp tệp nào: “{value}”. Hãy chép đúng đường dẫn "
                             "như trong tệp kiểm tra (dùng dấu /).", _OFFICER),
}

Params = tuple[tuple[str, str], ...]


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


@functools.lru_cache(maxsize=65536)
def render(code: str, params: Params = ()) -> str:
    """The Vietnamese message of `code` with its parameters filled in."""
    return CATALOGUE[code].message.format_map(_Blank(params)).strip()


def params_of(values: Mapping[str, object]) -> Params:
    """Finding parameters from keyword values as text: empty ones left out, the cell's value shortened."""
    return tuple((k, _short(v) if k == "value" else str(v)) for k, v in values.items() if v is not None and v != "")


@dataclass(frozen=True)
class Finding:
    """One thing wrong with one file, pointing at the cell where possible."""

    code: str
    file: str
    sheet: str = ""
    cell: str = ""
    activity_id: str = ""
    params: Params = ()

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.code].severity

    @property
    def message_vi(self) -> str:
        extra = (("activity", self.activity_id),) if self.activity_id else ()
        return render(self.code, self.params + extra)

    @property
    def value(self) -> str:
        """The cell's value as the agency typed it (shortened), if the finding names one."""
        return dict(self.params).get("value", "")

    def as_dict(self) -> dict[str, str]:
        """The finding as plain data, message included (for --json and the web desk)."""
        return {"code": self.code, "severity": str(self.severity), "file": self.file, "sheet": self.sheet,
                "cell": self.cell, "activity_id": self.activity_id, "message_vi": self.message_vi,
                "value": self.value}


def finding(code: str, file: str, *, sheet: str = "", cell: str = "", activity: str = "", **params: object) -> Finding:
    """A finding of `code` at a cell; keyword parameters fill the catalogue's message."""
    if code not in CATALOGUE:
        raise KeyError(code)
    return Finding(code, file, sheet, cell, activity, params_of(params))


def _short(value: object, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
