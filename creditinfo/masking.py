"""Masking of individuals' personal data in credit information (PIPL art. 28, GB/T 35273 de-identification).

Pure functions over strings, no ORM. The profile selector applies them once, so the page, the API and the
PDF report all show the same masked text. The rules, chosen to hide what identifies or reaches a person
while keeping enough for a bank to match a document it holds:

- resident identity card numbers (18 digits, or the old 15): the first 3 and the last 4 characters stay
  (410***********123X); the province stays recognisable, the birth date and the place code are hidden;
- mobile numbers 1[3-9]x xxxx xxxx (optionally +86): the first 3 and the last 4 digits (138****5678);
- bank card numbers (16-19 digits, optionally grouped by 4): the first 4 and the last 4 (6222 **** **** 1234);
- a person's name in a name field (the legal representative): the surname stays, each other character
  becomes * (张*, 欧阳**, 李**); the names of organizations in such a field stay.

Free text is not searched for names (no reliable rule tells a name from other words); only the structured
name fields are masked as names. A unified social credit code is never taken for an identity number: an
18-character run with letters cannot match, and an all-digit run that is a valid USCC but not a valid
identity number stays as it is. A long number that is neither (a 16-19 digit document number) is masked
as a card number: hiding too much is the safe error here.
"""

import re

from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

MASK = "*"

# Lookarounds keep a match from starting or ending inside a longer code (USCC, contract number, ...).
_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"
_BIRTH_18 = r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_BIRTH_15 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# Mainland region codes start with 1-8; a USCC of an enterprise starts with 9 and cannot match.
ID_18 = re.compile(_EDGE_BEFORE + r"([1-8]\d{5}" + _BIRTH_18 + r"\d{3}[\dXx])" + _EDGE_AFTER)
ID_15 = re.compile(_EDGE_BEFORE + r"([1-8]\d{5}" + _BIRTH_15 + r"\d{3})" + _EDGE_AFTER)
MOBILE = re.compile(_EDGE_BEFORE + r"(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})" + _EDGE_AFTER)
BANK_CARD = re.compile(_EDGE_BEFORE + r"(\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?)" + _EDGE_AFTER)

# Two-character surnames (复姓) that keep both characters; the rest keep one.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "令狐",
        "澹台",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "万俟",
        "轩辕",
        "呼延",
        "百里",
        "东郭",
        "闻人",
        "申屠",
        "赫连",
        "鲜于",
        "钟离",
        "太史",
        "司空",
        "濮阳",
        "公冶",
        "单于",
        "拓跋",
        "完颜",
        "左丘",
        "第五",
        "梁丘",
        "羊舌",
    ]
)
# Words that make a name field an organization (e.g. a partnership's managing partner) rather than a person.
ORGANIZATION_WORDS = ("公司", "企业", "中心", "合伙", "集团", "银行", "协会", "委员会", "研究院", "事务所", "厂", "社")


def _keep_ends(value: str, head: int, tail: int) -> str:
    """`value` with all but the first `head` and last `tail` digits masked (separators kept)."""
    digits = [i for i, ch in enumerate(value) if ch.isalnum()]
    hidden = set(digits[head : len(digits) - tail])
    return "".join(MASK if i in hidden else ch for i, ch in enumerate(value))


def _is_uscc_not_id(value: str) -> bool:
    return stdnum_uscc.is_valid(value) and not stdnum_ric.is_valid(value)


def _mask_id(match: re.Match) -> str:
    value = match.group(1)
    if _is_uscc_not_id(value):
        return match.group(0)
    return value[:3] + MASK * (len(value) - 7) + value[-4:]


def _mask_mobile(match: re.Match) -> str:
    return f"{match.group(1)}{MASK * 4}{match.group(3)}"


def _mask_card(match: re.Match) -> str:
    value = match.group(1)
    if _is_uscc_not_id(value):
        return match.group(0)
    return _keep_ends(value, 4, 4)


def mask_text(text: str) -> str:
    """Free text with identity card, mobile and bank card numbers masked; anything else unchanged."""
    if not text:
        return text
    # Identity numbers first: an 18-digit id would otherwise look like a bank card.
    text = ID_18.sub(_mask_id, text)
    text = ID_15.sub(_mask_id, text)
    text = MOBILE.sub(_mask_mobile, text)
    return BANK_CARD.sub(_mask_card, text)


def _mask_one_name(name: str) -> str:
    if re.search(r"[A-Za-z]", name):
        # A Latin-script name: the first letter of each word stays.
        return " ".join(word[:1] + MASK * (len(word) - 1) for word in name.split())
    if len(name) <= 1:
        return name
    keep = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:keep] + MASK * (len(name) - keep)


def mask_person_name(name: str) -> str:
    """A person's name with the surname kept (张三 -> 张*, 欧阳娜娜 -> 欧阳**); an organization's name unchanged.

    Several names separated by 、 , ; (joint representatives) are masked one by one.
    """
    name = (name or "").strip()
    if not name or any(word in name for word in ORGANIZATION_WORDS):
        return mask_text(name)
    parts = re.split(r"([、,，;；/])", name)
    return "".join(part if re.fullmatch(r"[、,，;；/]", part) else _mask_one_name(part.strip()) for part in parts)
