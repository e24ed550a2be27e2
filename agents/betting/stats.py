"""Member stats, the leaderboard and records: every number from the catalog Engine.

This module only chooses the query (metrics.md's betting metrics), sorts and formats;
it never adds, divides or counts. One extension: :func:`bet_engine` gives the same
catalog a ``bet`` dimension (the bet id) so a single bet's profit comes from the
catalog's own profit definition too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from agents.reply import Reply, TableData, json_number
from storage.catalog import AsOf, Engine, Filter, Order, Period, Query, resolve_period
from storage.catalog.definitions import CatalogDefs, DimensionDef
from storage.catalog.display import format_value
from storage.catalog.model import Result, Value
from storage.catalog.periods import all_time

ALL_TIME_WORDS = ("all time", "all-time", "alltime", "ever", "career", "lifetime", "all")
DEFAULT_MIN_BETS = 5
STATS_METRICS = ("profit_units", "staked_units", "roi", "win_rate", "record", "bets", "avg_odds",
                 "clv", "streak", "pending_bets")
LEADERBOARD_METRICS = ("profit_units", "roi", "record", "bets")
_STREAK = re.compile(r"([WL])(\d+)")


@dataclass(frozen=True)
class StatsRequest:
    """What ``/stats`` asks: whose bets (a bettor name, None for the whole guild), when, which sport."""

    bettor: str | None = None
    period: str | None = None
    sport: str | None = None


def period_of(phrase: str | None, as_of: AsOf, default: str = "all time") -> Period:
    """A period from a phrase; "all time" (and an empty phrase when that is the default)."""
    text = " ".join((phrase or default).lower().split())
    if text in ALL_TIME_WORDS:
        return all_time(as_of)
    return resolve_period(text, as_of)


def period_label(period: Period) -> str:
    return "all time" if period.phrase == "all time" else period.describe()


def units(value: Value, signed: bool = True) -> str:
    """``+2.50u`` (profit) or ``14.00u`` (staked): units to 2 decimals."""
    if value is None:
        return "n/a"
    return format_value(value, "bet_profit" if signed else "bet_units", "")


def show(result: Result, metric: str, row: dict[str, Any] | None = None) -> str:
    """A metric's value as displayed (metrics.md's rounding), from a total or a row."""
    value = (row if row is not None else result.values).get(metric)
    if metric in ("profit_units",):
        return units(value)
    if metric == "staked_units":
        return units(value, signed=False)
    fmt = "rate" if metric in ("roi", "win_rate", "clv") else \
        "odds" if metric == "avg_odds" else "count" if metric in ("bets", "pending_bets") else "text"
    text = format_value(value, fmt, "")
    return f"+{text}" if metric == "clv" and value is not None and float(value) > 0 else text


def _filters(bettor: str | None, sport: str | None) -> tuple[Filter, ...]:
    found = []
    if bettor:
        found.append(Filter("bettor", (bettor,)))
    if sport:
        found.append(Filter("sport", (sport.lower(),)))
    return tuple(found)


def _scope(request: StatsRequest, period: Period) -> str:
    who = request.bettor or "The server"
    sport = f" in {request.sport.lower()}" if request.sport else ""
    return f"{who}{sport}, {period_label(period)}"


def member_stats(engine: Engine, as_of: AsOf, request: StatsRequest) -> Reply:
    """``/stats``: profit, ROI, record, win rate, streak, average odds, CLV, pending bets."""
    period = period_of(request.period, as_of)
    result = engine.run(Query(STATS_METRICS, period, (), _filters(request.bettor, request.sport)),
                        as_of)
    scope = _scope(request, period)
    data = _data(result, f"Stats: {scope}")
    if not result.values.get("bets"):
        pending = result.values.get("pending_bets") or 0
        extra = f" ({show(result, 'pending_bets')} pending)" if pending else ""
        return Reply(f"{scope}: no settled bets{extra}.", data=data,
                     suggestions=("leaderboard this month", "bet list"))
    text = (f"{scope}: {show(result, 'profit_units')} on {show(result, 'staked_units')} staked "
            f"(ROI {show(result, 'roi')}), record {show(result, 'record')}, "
            f"win rate {show(result, 'win_rate')}.")
    rows = [("Profit", show(result, "profit_units")), ("Staked", show(result, "staked_units")),
            ("ROI", show(result, "roi")), ("Record (W-L-P)", show(result, "record")),
            ("Win rate", show(result, "win_rate")), ("Settled bets", show(result, "bets")),
            ("Average odds", show(result, "avg_odds")), ("CLV", show(result, "clv")),
            ("Pending bets", show(result, "pending_bets"))]
    if request.bettor:
        rows.insert(4, ("Streak", show(result, "streak")))
    return Reply(text, TableData(("Stat", "Value"), tuple(rows)), data=data)


def leaderboard(engine: Engine, as_of: AsOf, period_phrase: str | None = None,
                sport: str | None = None, min_bets: int | None = None) -> Reply:
    """``/leaderboard``: bettors by profit (ties by ROI), at least ``min_bets`` settled bets."""
    period = period_of(period_phrase, as_of)  # metrics.md: no period = all time, as in chat
    minimum = DEFAULT_MIN_BETS if min_bets is None else max(int(min_bets), 1)
    result = ranked(engine, as_of, period, sport, minimum)
    scope = f"Leaderboard{f' ({sport.lower()})' if sport else ''}, {period_label(period)}"
    data = _data(result, scope)
    if not result.rows:
        return Reply(f"{scope}: no one has {minimum} or more settled bets yet.", data=data,
                     suggestions=(f"leaderboard {period.phrase} min 1",))
    table = tuple((str(i), str(r["bettor"]), show(result, "profit_units", r), show(result, "roi", r),
                   show(result, "record", r), show(result, "bets", r))
                  for i, r in enumerate(result.rows, 1))
    leader = result.rows[0]
    text = (f"{scope} (at least {minimum} settled bet{'s' if minimum != 1 else ''}): "
            f"{leader['bettor']} leads with "
            f"{show(result, 'profit_units', leader)} (ROI {show(result, 'roi', leader)}).")
    return Reply(text, TableData(("#", "Bettor", "Profit", "ROI", "W-L-P", "Bets"), table), data=data)


def ranked(engine: Engine, as_of: AsOf, period: Period, sport: str | None, minimum: int) -> Result:
    """The leaderboard query, rows sorted by profit then ROI (metrics.md's tie-break)."""
    result = engine.run(Query(LEADERBOARD_METRICS, period, ("bettor",), _filters(None, sport),
                              order=Order("profit_units"), min_count=minimum), as_of)
    rows = sorted(result.rows, key=lambda r: (_number(r.get("profit_units")),
                                              _number(r.get("roi"))), reverse=True)
    return replace(result, rows=rows)


def record(engine: Engine, as_of: AsOf, bettor: str) -> Reply:
    """``/record``: a member's all-time record, profit, ROI, current streak and pending bets."""
    period = period_of(None, as_of)
    result = engine.run(Query(("record", "bets", "profit_units", "roi", "streak", "pending_bets"),
                              period, (), _filters(bettor, None)), as_of)
    data = _data(result, f"Record: {bettor}")
    if not result.values.get("bets"):
        return Reply(f"{bettor} has no settled bets yet "
                     f"({show(result, 'pending_bets')} pending).", data=data)
    plural = "" if result.values.get("bets") == 1 else "s"
    text = (f"{bettor}: {show(result, 'record')} (W-L-P) over {show(result, 'bets')} settled "
            f"bet{plural}, "
            f"{show(result, 'profit_units')} (ROI {show(result, 'roi')}), streak "
            f"{show(result, 'streak')}, {show(result, 'pending_bets')} pending.")
    return Reply(text, data=data)


def streak_length(streak: Value) -> tuple[int, int]:
    """Sort key of a streak text: (wins first, run length): ``W3`` → (1, 3), ``L2`` → (0, 2)."""
    match = _STREAK.fullmatch(str(streak or ""))
    if match is None:
        return (-1, 0)
    return (1 if match[1] == "W" else 0, int(match[2]))


def bet_engine(engine: Engine) -> Engine:
    """The same workspace and catalog, with a ``bet`` dimension (the bet id) on settled bets."""
    defs = engine.defs
    source = defs.sources["bets"]
    extended = CatalogDefs(
        {**defs.sources, "bets": replace(source, dimensions={**source.dimensions, "bet": "b.bet_id"})},
        defs.measures, defs.metrics, {**defs.dimensions, "bet": DimensionDef("bet", "Bet")})
    return Engine(engine.workspace, engine.warehouse, extended)


def _number(value: Value) -> float:
    return float("-inf") if value is None or isinstance(value, str) else float(value)


def _data(result: Result, question: str) -> dict[str, Any]:
    period = result.period
    return {
        "question": question,
        "metrics": list(result.query.metrics),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()} if period else None,
        "values": {k: json_number(v) for k, v in result.values.items()},
        "rows": [{k: json_number(v) for k, v in r.items()} for r in result.rows],
    }


def as_decimal(value: Value) -> Decimal:
    """A catalog value as a Decimal (0 for none): for sorting and signs, never for display."""
    return Decimal(str(value)) if value is not None and not isinstance(value, str) else Decimal(0)
