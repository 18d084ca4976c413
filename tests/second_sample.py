"""The second sample: another province, level, department and plan shape than the bundled one.

Đà Nẵng is a city under the central government; since the 2025 reorganisation it has no district
level, only wards, communes and a special zone. Its Sở Khoa học và Công nghệ leads a plan issued
as a Kế hoạch (not a decision), dated in words, whose appendix is numbered "TT" within sections
I-III, has a sixth column "Sản phẩm", periods "Quý IV/2026", "Năm 2027", "2026 – 2028",
"Hằng năm", "Thường xuyên", "2026", several leads in one cell, and "UBND các xã, phường, đặc
khu" as lead and as partner.

`python tests/second_sample.py` rewrites tests/data/danang/kh45-2026.docx (a Word table with
vertically merged cells) and kh45-2026.txt (the same document as a text extraction gives it).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "danang"
XA = "UBND các xã, phường, đặc khu"

HEAD_LEFT = ["ỦY BAN NHÂN DÂN", "THÀNH PHỐ ĐÀ NẴNG", "Số: 45/KH-UBND"]
HEAD_RIGHT = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
              "Đà Nẵng, ngày 12 tháng 3 năm 2026"]
TITLE = ["KẾ HOẠCH", "Chuyển đổi số trong cơ quan hành chính cấp xã", "trên địa bàn thành phố giai đoạn 2026 - 2030"]
BODY = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;",
    "Căn cứ Kế hoạch số 12/KH-UBND ngày 20 tháng 1 năm 2025 của UBND thành phố về chuyển đổi số năm 2025;",
    "Ủy ban nhân dân thành phố ban hành Kế hoạch chuyển đổi số trong cơ quan hành chính cấp xã như sau:",
    "I. MỤC ĐÍCH, YÊU CẦU",
    "1. Mục đích",
    "Nâng cao chất lượng phục vụ người dân, doanh nghiệp của chính quyền cấp xã trên môi trường số.",
    "2. Yêu cầu",
    "Các nhiệm vụ được giao phải bảo đảm tiến độ, hiệu quả; báo cáo kết quả định kỳ hằng năm.",
    "II. NHIỆM VỤ VÀ GIẢI PHÁP",
    "1. Hoàn thiện thể chế, quy chế về chuyển đổi số cấp xã.",
    "2. Phát triển hạ tầng số và dữ liệu số.",
    "3. Phát triển nhân lực số và kỹ năng số cho người dân.",
    "III. TỔ CHỨC THỰC HIỆN",
    "1. Sở Khoa học và Công nghệ là cơ quan thường trực, theo dõi, tổng hợp, báo cáo UBND thành phố kết quả "
    "thực hiện Kế hoạch trước ngày 10 tháng 12 hằng năm.",
    "2. Các sở, ngành và UBND các xã, phường, đặc khu căn cứ nhiệm vụ được giao xây dựng kế hoạch chi tiết, "
    "tổ chức thực hiện và báo cáo kết quả về Sở Khoa học và Công nghệ.",
    "IV. KINH PHÍ",
    "Kinh phí thực hiện được bố trí trong dự toán ngân sách hằng năm của các cơ quan, đơn vị và nguồn huy động "
    "hợp pháp khác.",
]
APPENDIX_TITLE = ["PHỤ LỤC", "DANH MỤC NHIỆM VỤ CHUYỂN ĐỔI SỐ CẤP XÃ GIAI ĐOẠN 2026-2030",
                  "(Kèm theo Kế hoạch số 45/KH-UBND ngày 12/3/2026 của UBND thành phố Đà Nẵng)"]
HEADER = ["TT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Sản phẩm"]
# Section rows are (marker, title); activity rows have six cells; None: merged with the cell above.
ROWS: list[tuple[str, str] | list[str | None]] = [
    ("I", "HOÀN THIỆN THỂ CHẾ"),
    ["1", "Ban hành quy chế quản lý, vận hành hệ thống thông tin dùng chung của chính quyền cấp xã.",
     "Sở Khoa học và Công nghệ", "Sở Nội vụ; Văn phòng UBND thành phố", "Quý IV/2026", "Quyết định của UBND thành phố"],
    ["2", "Rà soát, chuẩn hóa quy trình nội bộ giải quyết thủ tục hành chính trên môi trường số.",
     "Văn phòng UBND thành phố", XA, "Năm 2027", "Bộ quy trình điện tử"],
    ("II", "HẠ TẦNG SỐ VÀ DỮ LIỆU SỐ"),
    ["1", "Nâng cấp mạng nội bộ, thiết bị đầu cuối tại trụ sở các xã, phường, đặc khu.",
     XA, "Sở Khoa học và Công nghệ; Sở Tài chính", "2026 – 2028", "Hạ tầng đạt chuẩn"],
    ["2", "Số hóa hồ sơ, sổ hộ tịch và dữ liệu đất đai đang lưu trữ ở cấp xã.",
     None, "Sở Tư pháp; Sở Nông nghiệp và Môi trường", "Hằng năm", "Cơ sở dữ liệu số"],
    ["3", "Bảo đảm an toàn thông tin mạng cho hệ thống thông tin của chính quyền cấp xã.",
     "Công an thành phố; Sở Khoa học và Công nghệ", "Các sở, ngành liên quan", None, "Báo cáo đánh giá an toàn"],
    ("III", "NHÂN LỰC SỐ"),
    ["1", "Bồi dưỡng kỹ năng số cho cán bộ, công chức cấp xã.",
     "Sở Nội vụ", f"Sở Khoa học và Công nghệ; {XA}", "2026", "Lớp bồi dưỡng"],
    ["2", "Phổ cập kỹ năng số cho người dân thông qua Tổ công nghệ số cộng đồng.",
     "Thành Đoàn Đà Nẵng", XA, "2026-2030", "Tổ công nghệ số cộng đồng hoạt động"],
    ["3", "Đánh giá, xếp hạng mức độ chuyển đổi số của các xã, phường, đặc khu.",
     "Sở Khoa học và Công nghệ", "Sở Nội vụ", "Thường xuyên", "Báo cáo xếp hạng"],
]
SIGNATURE = ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Lê Văn Minh"]


def write_txt(path: Path) -> None:
    """The document as a text extraction gives it: tabs between cells, merged cells empty."""
    lines = [*HEAD_LEFT, *HEAD_RIGHT, "", *TITLE, "", *BODY, "", *APPENDIX_TITLE, "", "\t".join(HEADER)]
    for row in ROWS:
        if isinstance(row, tuple):
            lines.append("\t".join(row))
        else:
            lines.append("\t".join(c or "" for c in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_docx(path: Path) -> None:
    """The document as Word holds it: a header table, centred title, the appendix with merged cells."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()
    head = document.add_table(rows=1, cols=2)
    for cell, texts in zip(head.rows[0].cells, (HEAD_LEFT, HEAD_RIGHT)):
        cell.text = texts[0]
        for text in texts[1:]:
            cell.add_paragraph(text)
    for text in TITLE:
        document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in BODY:
        document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for text in APPENDIX_TITLE:
        document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = document.add_table(rows=len(ROWS) + 1, cols=len(HEADER))
    for c, label in enumerate(HEADER):
        table.cell(0, c).text = label
    for r, row in enumerate(ROWS, start=1):
        if isinstance(row, tuple):
            table.cell(r, 0).text = row[0]
            merged = table.cell(r, 1).merge(table.cell(r, len(HEADER) - 1))  # the title spans the row
            merged.text = row[1]
            continue
        for c, value in enumerate(row):
            if value is None:
                top = table.cell(r - 1, c)
                text = top.text
                top.merge(table.cell(r, c))
                top.text = text  # merging joins the paragraphs of both cells
            else:
                table.cell(r, c).text = value
    for text in SIGNATURE:
        document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.save(str(path))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    DATA.mkdir(parents=True, exist_ok=True)
    write_txt(DATA / "kh45-2026.txt")
    write_docx(DATA / "kh45-2026.docx")
    print(f"Wrote {DATA / 'kh45-2026.txt'} and {DATA / 'kh45-2026.docx'}")
