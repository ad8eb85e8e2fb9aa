"""Tests for crm_common.cleansing: every normaliser with real inputs and its error cases."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import crm_common.cleansing
from crm_common.cleansing import (
    clean_text,
    company_key,
    digits,
    full_pinyin,
    initials,
    normalise_email,
    normalise_mobile,
    normalise_phone,
    normalise_uscc,
    to_halfwidth,
    uscc_check_char,
)
from crm_common.cleansing.pinyin import compare as pinyin_compare
from crm_common.i18n import translate


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),
        ("ａｂｃ＠ｑｑ．ｃｏｍ", "abc@qq.com"),
        ("（０１０）", "(010)"),
        ("华为\u3000技术", "华为 技术"),
        ("！～", "!~"),
        ("华为技术、。", "华为技术、。"),
        ("plain ascii", "plain ascii"),
        ("", ""),
    ],
)
def test_to_halfwidth(raw: str, expected: str) -> None:
    assert to_halfwidth(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  华为  技术 ", "华为 技术"),
        ("\u3000华为\u3000\u3000技术\u3000", "华为 技术"),
        ("a\t\n b", "a b"),
        ("\ufeff华\u200b为\u200c\u200d", "华为"),
        ("ＡＢＣ", "ＡＢＣ"),
    ],
)
def test_clean_text(raw: str | None, expected: str) -> None:
    assert clean_text(raw) == expected


VALID_USCC = [
    "91350100M000100Y43",
    "91440300708461136T",
    "91110108551385082Q",
    "91110000802100433B",
    "51610700305332460K",
]


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_uscc_round_trips(code: str) -> None:
    assert normalise_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[-1]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135 0100-M000 100Y43 ", "91350100M000100Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),
        ("91110000101120915M", "91110000101120915M"),
    ],
)
def test_normalise_uscc_cleans_input(raw: str, expected: str) -> None:
    assert normalise_uscc(raw) == expected


@pytest.mark.parametrize("code", VALID_USCC)
def test_uscc_with_another_last_char_fails(code: str) -> None:
    for wrong in "0123456789ABCDEFGHJKLMNPQRTUWXY".replace(code[-1], ""):
        with pytest.raises(ValueError, match="check character is wrong"):
            normalise_uscc(code[:-1] + wrong)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "must be 18 characters"),
        ("91350100M000100Y4", "must be 18 characters"),
        ("91350100M000100Y433", "must be 18 characters"),
        ("91350100I000100Y43", "invalid characters"),
        ("91350100O000100Y43", "invalid characters"),
        ("9135010ZS000100Y43", "invalid characters"),
        ("91350100M000100Y4V", "invalid characters"),
        ("91350100M000100Y4#", "invalid characters"),
        ("911100001011209150", "check character is wrong"),  # the weighted sum asks for "M"
        ("91350100M000100Y44", "check character is wrong"),
    ],
)
def test_normalise_uscc_errors(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalise_uscc(raw)


@pytest.mark.parametrize(
    ("first17", "check"),
    [("91350100M000100Y4", "3"), ("91110000101120915", "M"), ("00000000000000000", "0")],
)
def test_uscc_check_char(first17: str, check: str) -> None:
    assert uscc_check_char(first17) == check


@pytest.mark.parametrize("first17", ["9135010", "91350100M000100Y43", "91350100I000100Y4"])
def test_uscc_check_char_refuses_bad_input(first17: str) -> None:
    with pytest.raises(ValueError):
        uscc_check_char(first17)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, ""), ("", ""), ("+86 (138) 0013-8000", "8613800138000"), ("１２ab３", "123")],
)
def test_digits(raw: str | None, expected: str) -> None:
    assert digits(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138 0013 8000",
        "+8613800138000",
        "0086 13800138000",
        "86-13800138000",
        "138-0013-8000",
        "138 0013 8000",
        "(138)00138000",
        "１３８００１３８０００",
        "\u200b13800138000 ",
    ],
)
def test_normalise_mobile_accepts_common_forms(raw: str) -> None:
    assert normalise_mobile(raw) == "13800138000"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("19912345678", "19912345678"), ("14700000000", "14700000000")],
)
def test_normalise_mobile_prefixes(raw: str, expected: str) -> None:
    assert normalise_mobile(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1380013800",
        "138001380000",
        "12800138000",
        "23800138000",
        "010-88886666",
        "+1 13800138000",
        "1380013800a",
        "手机13800138000",
        "87-13800138000",
    ],
)
def test_normalise_mobile_errors(raw: str) -> None:
    with pytest.raises(ValueError, match="Not a valid mainland China mobile number"):
        normalise_mobile(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("（010）8888-6666", "010-88886666"),
        ("010-8888-6666", "010-88886666"),
        ("01088886666", "010-88886666"),
        ("0755 2688 1234 转 802", "0755-26881234-802"),
        ("0755-26881234-802", "0755-26881234-802"),
        ("021-6666-8888分机1234", "021-66668888-1234"),
        ("0571 8888 666", "0571-8888666"),
        ("+86 10 8888 6666", "010-88886666"),
        ("+86-755-26881234", "0755-26881234"),
        ("+86 (0)21 6666 8888", "021-66668888"),
        ("400-800-8888", "4008008888"),
        ("800 820 8820", "8008208820"),
        ("+86 400 800 8888", "4008008888"),
        ("0769-22123456", "0769-22123456"),
        ("0769 2212 345", "0769-2212345"),
        ("+86 769 2212 3456 转 8", "0769-22123456-8"),
        ("029-8888 6666-123456", "029-88886666-123456"),
        ("+1 415 555 0100", "+14155550100"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("０１０－８８８８６６６６", "010-88886666"),
    ],
)
def test_normalise_phone(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "123456",
        "010-123",
        "1" * 21,
        "010-88886666 转 1234567890",
        "010-8888 6666 ext 12",
        "电话010-88886666",
        "abc1234567",
        "010-88886666转1转2",
    ],
)
def test_normalise_phone_errors(raw: str) -> None:
    with pytest.raises(ValueError, match="Not a valid phone number"):
        normalise_phone(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0769-738", "After the area code a landline number has 7 or 8 digits"),
        ("021-6666 888", "After area code 010 or 02x a landline number has 8 digits"),
        ("010 888 866 666", "After area code 010 or 02x a landline number has 8 digits"),
        ("0755-0688 1234", "does not start with 0 or 1 after the area code"),
        ("0755-1688 1234", "does not start with 0 or 1 after the area code"),
        ("011-8888 6666", "Not a valid area code"),
        ("8888 6666", "Add the area code"),
        ("2688 123", "Add the area code"),
        ("0755-26881234 转 1234567", "An extension has at most 6 digits"),
    ],
)
def test_landlines_follow_the_numbering_plan(raw: str, message: str) -> None:
    """The area code, then 7 or 8 digits (8 after 010 and 02x) not starting with 0 or 1,
    then at most a 6-digit extension; each mistake says what is wrong."""
    with pytest.raises(ValueError, match=message):
        normalise_phone(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sales@huawei.com", "sales@huawei.com"),
        (" Zhang.San@Example.COM ", "Zhang.San@example.com"),
        ("ｆｏｏ＠ｑｑ．ｃｏｍ", "foo@qq.com"),
        ("a.b+tag@mail.sub.example.com.cn", "a.b+tag@mail.sub.example.com.cn"),
        ("o'brien@x-y.io", "o'brien@x-y.io"),
        ("\u200bli@163.com", "li@163.com"),
    ],
)
def test_normalise_email(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "plainaddress",
        "a@b",
        "a@b.c",
        "a@b.c1",
        "a b@c.com",
        "a@b c.com",
        "a@@b.com",
        "a@b@c.com",
        ".a@b.com",
        "a.@b.com",
        "a..b@c.com",
        "a@-b.com",
        "a@b-.com",
        "a@b..com",
        "a@b.com.",
        "@b.com",
        "张三@例子.中国",
        "a" * 250 + "@b.com",
    ],
)
def test_normalise_email_errors(raw: str) -> None:
    with pytest.raises(ValueError, match="Not a valid email address"):
        normalise_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("华为技术有限公司", "华为技术"),
        (" 华为技术 有限公司 ", "华为技术"),
        ("华为技术\u3000有限公司", "华为技术"),
        ("华为投资控股集团有限公司", "华为投资控股"),
        ("平安银行股份有限公司", "平安银行"),
        ("北京某某科技有限责任公司", "北京某某科技"),
        ("阿里巴巴集团", "阿里巴巴"),
        ("某某公司", "某某"),
        ("（北京）百度网讯科技有限公司", "(北京)百度网讯科技"),
        ("华为技术有限公司有限公司", "华为技术有限公司"),
        ("ABC Co., Ltd.", "abc"),
        ("ABC CO.,LTD", "abc"),
        ("ABC Co.,Ltd.", "abc"),
        ("ＡＢＣ　Ｌｔｄ．", "abc"),
        ("Acme, Inc.", "acme"),
        ("Acme Inc", "acme"),
        ("Zinc", "zinc"),
        ("Delta Holdings", "deltaholdings"),
        ("有限公司", "有限公司"),
        ("", ""),
    ],
)
def test_company_key(raw: str, expected: str) -> None:
    assert company_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("华为技术有限公司", "hwjsyxgs"),
        ("ABC科技", "abckj"),
        ("ＡＢＣ１２３公司", "abc123gs"),
        ("重庆银行", "cqyh"),
        ("绿色（中国）", "lszg"),
        ("3M 中国", "3mzg"),
        ("", ""),
    ],
)
def test_initials(raw: str, expected: str) -> None:
    assert initials(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("华为", "huawei"),
        ("华为技术有限公司", "huaweijishuyouxiangongsi"),
        ("ABC科技", "abckeji"),
        ("重庆", "chongqing"),
        ("", ""),
    ],
)
def test_full_pinyin(raw: str, expected: str) -> None:
    assert full_pinyin(raw) == expected


def test_importing_cleansing_does_not_load_pypinyin() -> None:
    code = "import sys, crm_common.cleansing; print('pypinyin' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("normalise", "raw"),
    [
        (normalise_uscc, " 91350100m000100y43"),
        (normalise_mobile, "+86 138 0013 8000"),
        (normalise_phone, "0755 2688 1234 转 802"),
        (normalise_phone, "+1 415 555 0100"),
        (normalise_email, " Zhang@Example.COM"),
    ],
)
def test_normalisers_are_idempotent(normalise: Callable[[str], str], raw: str) -> None:
    once = normalise(raw)
    assert normalise(once) == once


def test_error_messages_have_chinese_translations() -> None:
    folder = Path(crm_common.cleansing.__file__).parent
    sources = "".join(path.read_text("utf-8") for path in folder.glob("*.py"))
    messages = re.findall(r'N_\(\s*"([^"]+)"\s*\)', sources)
    assert len(messages) >= 7
    for message in messages:
        assert translate(message, "zh_CN") != message, message


def test_names_sort_in_pinyin_order_as_icu_does() -> None:
    """The SQLite collation: Chinese by reading and tone (长 as zhǎng, after 张 zhāng),
    punctuation and digits before, Latin letters after, lower case before upper case."""
    names = ["伟业", "abc", "上海", "长沙", "（北京）", "ABC", "东莞", "123", "张三", "佛山",
             "上海A", "阿里", "女士", "路", "上海华晨"]
    expected = ["（北京）", "123", "阿里", "东莞", "佛山", "路", "女士", "上海", "上海华晨",
                "上海A", "伟业", "张三", "长沙", "abc", "ABC"]
    assert sorted(names, key=functools.cmp_to_key(pinyin_compare)) == expected


@pytest.mark.parametrize(("left", "right"), [("上海", "尚海"), ("abc", "ABC"), ("ａ", "a")])
def test_only_equal_names_compare_equal(left: str, right: str) -> None:
    """A total order: different texts with the same pinyin still differ, so ``=`` keeps its
    meaning and an index never sees two rows as one."""
    assert pinyin_compare(left, right) == -pinyin_compare(right, left) != 0
    assert pinyin_compare(left, left) == 0


def test_fast_initials_equal_pypinyins_phrase_reading() -> None:
    """``initials`` goes a character at a time unless a phrase reads otherwise: the answer
    must be pypinyin's own for names full of polyphones and for random text."""
    import random

    from crm_common.cleansing.pinyin import _romanise

    rng = random.Random(7)
    han = [chr(code) for code in range(0x4E00, 0x9FA6)]
    samples = ["重庆长安汽车股份有限公司", "中国银行上海分行", "长沙重工", "行长", "音乐",
               "乐山", "ＡＢＣ１２３华为", "单县", "朝阳区", "厦门", "〇号仓库", "x"]
    samples += ["".join(rng.choice(han) for _ in range(rng.randint(1, 12)))
                for _ in range(3000)]
    words = ["银行", "重庆", "长沙", "行业", "长期", "重要", "参加", "会计", "都市", "科技"]
    samples += ["".join(rng.choice(words + han[:50]) for _ in range(5)) for _ in range(3000)]
    assert [initials(text) for text in samples] == [
        _romanise(text, first_letters=True) for text in samples]
