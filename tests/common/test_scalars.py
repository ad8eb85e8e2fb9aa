"""The bounded scalars of the wire (``crm_common.schemas.scalars``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from crm_common.schemas.scalars import DAY, DB_ID, ZONED, check_text, parse_id, parse_int


@pytest.mark.parametrize("text", ["第一行\n第二行", "a\tb", "a\r\nb", "😀", "全角：ＡＢＣ"])
def test_text_keeps_tabs_new_lines_and_every_character(text: str) -> None:
    assert check_text(text) == text


@pytest.mark.parametrize("text", ["\x00", "a\x07", "\x1b[31m", "\x7f", "\x85", "\ud800",
                                  "a\udfffb", "上海\uffff", "\ufdd0"])
def test_text_refuses_controls_lone_surrogates_and_noncharacters(text: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        check_text(text)


def test_ids_fit_a_bigint() -> None:
    assert DB_ID.validate_python(2**63 - 1) == 2**63 - 1
    for value in (0, 2**63, True, "²"):
        with pytest.raises(ValueError):
            DB_ID.validate_python(value)


@pytest.mark.parametrize("raw", ["²", "١٢", "1e3", " 1", "1_0", "+1", ""])
def test_ids_and_numbers_in_text_are_ascii_digits(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_id(raw)
    with pytest.raises(ValueError):
        parse_int(raw)


def test_numbers_in_text_keep_their_sign_within_64_bits() -> None:
    assert parse_int("-5") == -5
    assert parse_id("42") == 42
    with pytest.raises(ValueError):
        parse_int(str(-(2**63) - 1))


def test_date_times_keep_their_zone() -> None:
    moment = ZONED.validate_python("2026-01-15T08:00:00+08:00")
    assert moment.utcoffset() == timedelta(hours=8)
    assert ZONED.validate_python("2026-01-15T00:00:00Z") == datetime(2026, 1, 15, tzinfo=UTC)
    assert ZONED.validate_python(datetime(2026, 1, 15, tzinfo=timezone(timedelta(hours=-5)))).tzinfo


@pytest.mark.parametrize("value", ["2026-01-15T08:00:00", "2026-01-15", datetime(2026, 1, 15)])
def test_a_date_time_without_a_zone_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="time zone"):
        ZONED.validate_python(value)


@pytest.mark.parametrize("value", [1_768_464_000, "1768464000", 1.5, None, "tomorrow"])
def test_numbers_are_no_date_times(value: object) -> None:
    with pytest.raises(ValueError, match="Not a valid date and time"):
        ZONED.validate_python(value)


def test_days_are_iso_dates_not_numbers() -> None:
    assert DAY.validate_python("2026-01-15") == date(2026, 1, 15)
    for value in (0, 1_768_464_000, "2026-02-30", datetime(2026, 1, 15, tzinfo=UTC)):
        with pytest.raises(ValueError):
            DAY.validate_python(value)
