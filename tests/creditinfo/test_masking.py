"""Masking of individuals' personal data (creditinfo.masking): pure functions, no database."""

import pytest

from creditinfo.masking import mask_person_name, mask_text
from creditinfo.uscc import uscc_build


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("法定代表人身份证号410105198003071234。", "法定代表人身份证号410***********1234。"),
        ("身份证：11010519491231002X", "身份证：110***********002X"),
        ("证件号码 11010519491231002x 已核验", "证件号码 110***********002x 已核验"),
        ("旧身份证410105800307123", "旧身份证410********7123"),
    ],
)
def test_identity_card_numbers_keep_first_three_and_last_four(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("联系电话13812345678", "联系电话138****5678"),
        ("手机：+86 139-1234-5678。", "手机：139****5678。"),
        ("电话 186 0371 2345，", "电话 186****2345，"),
    ],
)
def test_mobile_numbers_keep_first_three_and_last_four(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("退款至6222021234567890", "退款至6222********7890"),
        ("账号 6222 0212 3456 7890 123", "账号 6222 **** **** ***0 123"),
        ("卡号6217-0000-1234-5678", "卡号6217-****-****-5678"),
    ],
)
def test_bank_cards_keep_first_four_and_last_four(text, expected):
    assert mask_text(text) == expected


def test_unified_social_credit_codes_are_not_taken_for_identity_numbers():
    with_letters = "91410100MA44ABCD1X"
    all_digits_enterprise = uscc_build(division="410105", serial=5)  # 9141010500000005..
    # An organ's code (prefix 11) whose positions 7-14 read like a birth date: still a USCC, not an ID.
    looks_like_a_birth_date = "114101198003071261"
    for code in (with_letters, all_digits_enterprise, looks_like_a_birth_date):
        text = f"统一社会信用代码：{code}，处罚决定书"
        assert mask_text(text) == text, code


def test_numbers_inside_longer_codes_and_short_numbers_stay():
    text = "(2024)豫0105执1234号，罚款5000元，合同编号HT13812345678X"
    assert mask_text(text) == text


def test_several_kinds_in_one_text():
    masked = mask_text("被执行人王五（身份证410105198003071234，电话13812345678）")
    assert masked == "被执行人王五（身份证410***********1234，电话138****5678）"
    assert "198003" not in masked


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三", "张*"),
        ("李小龙", "李**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("欧阳", "欧*"),  # two characters: surname 欧, given name 阳
        ("张三、李四", "张*、李*"),
        ("John Smith", "J*** S****"),
        ("", ""),
    ],
)
def test_person_names_keep_the_surname(name, expected):
    assert mask_person_name(name) == expected


def test_an_organization_in_a_name_field_is_not_masked():
    assert mask_person_name("河南中原投资管理有限公司") == "河南中原投资管理有限公司"
