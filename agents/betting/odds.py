"""Odds and stakes as people type them: American (``+150``, ``-200``), decimal (``2.50``),
fractional (``3/2``), and stakes in units (``2u``, ``1.5 units``).

Everything is stored as decimal odds rounded to 4 places (the warehouse keeps
DECIMAL(18,4)), so what a confirmation echoes is exactly what the catalog computes with.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from storage.errors import TallyError

PLACES = Decimal("0.0001")
MAX_STAKE_UNITS = Decimal(1000)
_AMERICAN = re.compile(r"[+-]\d+(?:\.\d+)?")
_DECIMAL = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_FRACTIONAL = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)")
_STAKE = re.compile(r"([+-]?\d+(?:\.\d+)?|[+-]?\.\d+)\s*(?:u|units?)?", re.IGNORECASE)


class BetInputError(TallyError):
    """Odds, a stake or another bet field that a person typed and that makes no sense."""


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def american_to_decimal(american: Decimal) -> Decimal:
    """``+150`` → 2.5, ``-200`` → 1.5 (unrounded).

    Raises:
        BetInputError: American odds strictly between -100 and +100 do not exist.
    """
    if american >= 100:
        return 1 + american / 100
    if american <= -100:
        return 1 + Decimal(100) / -american
    raise BetInputError(
        f"{american:+} is not valid American odds: they are +100 or more (e.g. +150) "
        "or -100 or less (e.g. -200)")


def parse_odds(text: str) -> Decimal:
    """Decimal odds (4 places) from American, decimal or fractional odds.

    A sign means American odds; a slash fractional; a bare number decimal odds.

    Raises:
        BetInputError: anything else, or decimal odds not above 1.0.
    """
    raw = text.strip().replace(",", ".")
    if _AMERICAN.fullmatch(raw):
        return _quantize(american_to_decimal(Decimal(raw)))
    if match := _FRACTIONAL.fullmatch(raw):
        numerator, denominator = Decimal(match[1]), Decimal(match[2])
        if numerator <= 0 or denominator <= 0:
            raise BetInputError(f"{text!r} is not valid fractional odds; try 5/2 or 1/2")
        return _quantize(1 + numerator / denominator)
    if _DECIMAL.fullmatch(raw):
        odds = _quantize(Decimal(raw))
        if odds <= 1:
            raise BetInputError(
                f"decimal odds must be above 1.0 (got {text.strip()}); American odds need a "
                "sign: +150 or -200")
        return odds
    raise BetInputError(
        f"{text.strip()!r} is not odds; use American (+150, -110), decimal (2.50) or "
        "fractional (3/2)")


def parse_stake(text: str) -> Decimal:
    """Units staked (4 places) from ``2``, ``2u``, ``1.5 units``.

    Raises:
        BetInputError: not a number, zero or negative, or above :data:`MAX_STAKE_UNITS`.
    """
    match = _STAKE.fullmatch(text.strip().replace(",", "."))
    if match is None:
        raise BetInputError(f"{text.strip()!r} is not a stake; use units such as 1, 2u or 0.5u")
    try:
        stake = _quantize(Decimal(match[1]))
    except InvalidOperation:
        raise BetInputError(f"{text.strip()!r} is not a stake") from None
    return check_stake(stake)


def check_stake(stake: Decimal) -> Decimal:
    """The stake if it is above 0 and at most :data:`MAX_STAKE_UNITS`, else BetInputError."""
    if stake <= 0:
        raise BetInputError(f"the stake must be above 0 units (got {stake.normalize():f})")
    if stake > MAX_STAKE_UNITS:
        raise BetInputError(f"a stake of {stake.normalize():f} units is more than the "
                            f"{MAX_STAKE_UNITS} units a bet may carry; check for a typo")
    return stake


def parse_units(text: str, what: str = "payout") -> Decimal:
    """Units (0 or more, 4 places) such as a cash-out payout: ``1.8``, ``1.8u``.

    Raises:
        BetInputError: not a number, or negative.
    """
    match = _STAKE.fullmatch(text.strip().replace(",", "."))
    if match is None:
        raise BetInputError(f"{text.strip()!r} is not a {what}; use units such as 1.8 or 1.8u")
    value = _quantize(Decimal(match[1]))
    if value < 0:
        raise BetInputError(f"the {what} can't be negative (got {value.normalize():f})")
    return value


def format_odds(odds_decimal: Decimal) -> str:
    """``2.50 (+150)``: decimal odds with their American equivalent."""
    american = (odds_decimal - 1) * 100 if odds_decimal >= 2 else -100 / (odds_decimal - 1)
    return f"{odds_decimal:.2f} ({american:+.0f})"


def format_units(units: Decimal) -> str:
    """``2u``, ``1.5u``: units without trailing zeros."""
    text = f"{units.normalize():f}"
    return f"{text}u"
