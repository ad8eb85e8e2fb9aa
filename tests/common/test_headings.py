"""Spreadsheet headings matched to the entity's fields from the declaration, and the header
row found below a title."""

from __future__ import annotations

from crm_common.entities import REGISTRY
from crm_common.entities.headings import folded, header_row, match_columns

CUSTOMER, CONTACT = REGISTRY["customer"], REGISTRY["contact"]


def test_headings_in_the_words_offices_use() -> None:
    headings = ["序号", "公司名称", "统一社会信用代码", "客户等级", "所在省份", "城市", "详细地址",
                "备注（内部）", "Phone", "Owner", "无关列"]
    assert match_columns(CUSTOMER, headings) == {
        1: "name", 2: "uscc", 3: "level", 4: "province", 5: "city", 6: "address",
        7: "notes", 8: "phone", 9: "owner_id"}


def test_width_case_marks_and_notes_do_not_matter() -> None:
    assert folded(" 手机号（必填）* ") == folded("手机号") == "手机号"
    assert match_columns(CONTACT, ["ＮＡＭＥ", "手机号码：", "E-mail", "职务*"]) == {
        0: "name", 1: "mobile", 2: "email", 3: "title"}


def test_a_field_is_claimed_once_and_server_fields_never() -> None:
    assert match_columns(CUSTOMER, ["客户名称", "公司名称", "最近跟进", "创建时间"]) == {0: "name"}


def test_the_header_is_found_below_a_title() -> None:
    rows = [["2024 年华东区客户名单"], [], ["客户名称", "等级", "手机"], ["某某公司", "A", "138"]]
    assert header_row(CUSTOMER, rows) == 2
    assert header_row(CUSTOMER, [["a", "b"], ["1", "2"]]) is None
