"""Money helpers: parsing typed amounts, 人民币大写 and display formatting.

Amounts are ``Decimal`` with two places everywhere (rounded half-up, as Chinese invoices and
contracts expect); floats are refused outright because they cannot hold cents exactly.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from crm_common.cleansing.text import remove_zero_width, to_halfwidth
from crm_common.i18n import N_

CENT = Decimal("0.01")
MAX_AMOUNT_IN_WORDS = Decimal("9999999999999.99")  # 玖万玖仟…亿: the highest the units reach

_LEADING_SYMBOL = re.compile(r"^([+-]?)[¥￥]")
_AMOUNT = re.compile(r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)")
_DIGIT_WORDS = "零壹贰叁肆伍陆柒捌玖"
_SECTION_UNITS = ("仟", "佰", "拾", "")
_BIG_UNITS = ((10**8, "亿"), (10**4, "万"))


def to_decimal(value: str | int | Decimal) -> Decimal:
    """``value`` as a Decimal rounded to cents.

    Strings may carry a ``¥`` sign, thousands separators (``1,234.50``), spaces and
    full-width digits. A float raises ``TypeError``; anything unparseable ``ValueError``.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise TypeError(f"money must be str, int or Decimal, not {type(value).__name__}")
    number = _parse(value) if isinstance(value, str) else Decimal(value)
    try:
        rounded = number.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # infinite, or too many digits for the decimal context
        raise ValueError(N_("Not a valid amount")) from None
    if rounded.is_nan():
        raise ValueError(N_("Not a valid amount"))
    return rounded.copy_abs() if rounded.is_zero() else rounded  # no "-0.00"


def amount_in_words(amount: Decimal | int | str) -> str:
    """The amount in Chinese capital numerals (人民币大写) as written on invoices and cheques.

    Follows the People's Bank of China rules: ``壹拾`` for ten, one ``零`` for any run of zeros
    inside the integer part, ``零`` between 元 and 分 when 角 is zero, ``整`` only without 角/分.
    """
    value = to_decimal(amount)
    if abs(value) > MAX_AMOUNT_IN_WORDS:
        raise ValueError(N_("Amount is too large to write in words"))
    yuan, cents = divmod(int(abs(value) * 100), 100)
    sign = "负" if value < 0 else ""
    return sign + _yuan_jiao_fen(yuan, *divmod(cents, 10))


def format_money(value: Decimal, symbol: str = "¥") -> str:
    """``value`` for display: ``¥1,234,567.80``, ``-¥5.00``."""
    amount = to_decimal(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


def _parse(text: str) -> Decimal:
    compact = "".join(remove_zero_width(to_halfwidth(text)).split())
    compact = _LEADING_SYMBOL.sub(r"\1", compact)
    if not _AMOUNT.fullmatch(compact):
        raise ValueError(N_("Not a valid amount"))
    return Decimal(compact.replace(",", ""))


def _yuan_jiao_fen(yuan: int, jiao: int, fen: int) -> str:
    if not (yuan or jiao or fen):
        return "零元整"
    text = _integer_words(yuan) + "元" if yuan else ""
    if jiao:
        text += _DIGIT_WORDS[jiao] + "角"
    elif fen and yuan:
        text += "零"
    if fen:
        text += _DIGIT_WORDS[fen] + "分"
    return text if jiao or fen else text + "整"


def _integer_words(number: int) -> str:
    """A positive integer in capitals; the 亿 and 万 multipliers are themselves written out."""
    for size, unit in _BIG_UNITS:
        if number >= size:
            high, low = divmod(number, size)
            head = _integer_words(high) + unit
            if not low:
                return head
            gap = "零" if low < size // 10 else ""  # the section below starts with zeros
            return head + gap + _integer_words(low)
    return _section_words(number)


def _section_words(number: int) -> str:
    """1–9999 in capitals: ``1010`` → ``壹仟零壹拾``; inner zero runs become one ``零``."""
    text = ""
    zero_pending = False
    for digit, unit in zip(f"{number:04d}", _SECTION_UNITS, strict=True):
        if digit == "0":
            zero_pending = bool(text)
            continue
        text += ("零" if zero_pending else "") + _DIGIT_WORDS[int(digit)] + unit
        zero_pending = False
    return text
