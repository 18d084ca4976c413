"""Grouping agencies' texts by similarity: the threshold sits between different statements and edited copies."""

from __future__ import annotations

import itertools

from rapidfuzz import fuzz

from pipeline.consolidate.texts import THRESHOLD, fold, group_texts

# The sample's distinct statements (difficulties, proposals, directions of 2014-2016)...
DISTINCT = [
    "Kinh phí bố trí cho công tác trẻ em còn hạn chế, chủ yếu lồng ghép từ các chương trình khác.",
    "Nhận thức của một bộ phận người dân về quyền trẻ em còn hạn chế.",
    "Địa bàn rộng, giao thông đi lại khó khăn, nhất là vào mùa mưa.",
    "Đội ngũ cán bộ làm công tác trẻ em cấp xã thường xuyên thay đổi, kiêm nhiệm nhiều việc.",
    "Đề nghị Sở LĐTBXH tổ chức tập huấn nghiệp vụ cho cán bộ cấp huyện, xã.",
    "Đề nghị UBND tỉnh bố trí kinh phí riêng cho việc thực hiện Kế hoạch.",
    "Đề nghị tăng cường phối hợp liên ngành trong phát hiện, can thiệp các vụ việc xâm hại trẻ em.",
    "Kiện toàn mạng lưới cộng tác viên, nâng cao năng lực cán bộ làm công tác trẻ em cơ sở.",
    "Tiếp tục triển khai các hoạt động theo Kế hoạch; tăng cường truyền thông về quyền trẻ em.",
]
# ...and copies of them as agencies edit them.
COPIES = {
    DISTINCT[3]: ["đội ngũ cán bộ làm công tác trẻ em ở cấp xã thường xuyên thay đổi và kiêm nhiệm nhiều việc.",
                  "Cán bộ làm công tác trẻ em cấp xã thường xuyên thay đổi, kiêm nhiệm nhiều việc",
                  "Đội ngũ cán bộ làm công tác trẻ em cấp xã thường xuyên thay đổi, phải kiêm nhiệm nhiều công việc khác."],
    DISTINCT[5]: ["Kiến nghị UBND tỉnh bố trí kinh phí riêng cho việc thực hiện Kế hoạch.",
                  "Đề nghị UBND tỉnh bố trí kinh phí riêng để thực hiện Kế hoạch",
                  "Đề nghị Ủy ban nhân dân tỉnh bố trí kinh phí riêng cho việc thực hiện Kế hoạch.",
                  "Đề nghị UBND tỉnh quan tâm bố trí kinh phí riêng cho việc thực hiện Kế hoạch hằng năm."],
    DISTINCT[1]: ["Nhận thức của 1 bộ phận người dân về quyền trẻ em còn hạn chế",
                  "Nhận thức của một bộ phận nhân dân về quyền trẻ em còn nhiều hạn chế."],
}


def test_threshold_lies_between_different_statements_and_edited_copies() -> None:
    different = max(fuzz.ratio(fold(a), fold(b)) for a, b in itertools.combinations(DISTINCT, 2))
    copies = min(fuzz.ratio(fold(base), fold(c)) for base, cs in COPIES.items() for c in cs)
    assert different < THRESHOLD < copies, (different, copies)
    assert different < 52 and copies > 85  # the figures the module's docstring quotes


def test_copies_are_one_group_naming_every_agency_once() -> None:
    items = [("A", DISTINCT[5]), ("B", DISTINCT[5]), ("C", DISTINCT[6])]
    items += [(f"X{i}", c) for i, c in enumerate(COPIES[DISTINCT[5]])] + [("A", COPIES[DISTINCT[5]][0])]
    groups = group_texts(items)
    assert [len(g.agencies) for g in groups] == [6, 1]
    assert groups[0].text == DISTINCT[5]  # the wording most agencies wrote
    assert groups[0].agencies == ("A", "B", "X0", "X1", "X2", "X3")
    assert group_texts([("A", "  "), ("B", "")]) == []


def test_texts_with_different_figures_stay_apart() -> None:
    items = [("A", "Tổ chức 3 lớp tập huấn cho 120 lượt cán bộ."), ("B", "Tổ chức 5 lớp tập huấn cho 120 lượt cán bộ."),
             ("C", "Tổ chức 3 lớp tập huấn cho 120 lượt cán bộ")]
    assert [g.agencies for g in group_texts(items)] == [("A", "C"), ("B",)]
