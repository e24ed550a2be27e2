"""Relations the catalog cannot express as one aggregate over rows.

Each builder returns SQL for a derived table (with the alias its source's
measures use) given a :class:`RelationContext`: the period's instants, the
``as_of`` day, and the SQL helpers for local time and currency conversion.
The definitions of ``metrics.md`` they implement are quoted in each docstring.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

COUNTED = "('paid', 'refunded', 'partially_refunded')"


def ts_literal(value: datetime) -> str:
    """A naive-UTC timestamp literal."""
    return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S}'"


def date_literal(value: date) -> str:
    return f"DATE '{value:%Y-%m-%d}'"


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


OFFSET_SPAN = timedelta(days=3 * 366)


@functools.lru_cache(maxsize=1024)
def utc_offsets(timezone: str, start: datetime, end: datetime
                ) -> tuple[int, tuple[tuple[datetime, int], ...]] | None:
    """A zone's UTC offset (seconds) at ``start`` and its changes until ``end`` (naive UTC).

    Returns ``(offset, ((instant, new_offset), ...))``, or None for a range longer than
    :data:`OFFSET_SPAN`. The zone is probed once a day and each change located to the
    second (zones change offset at whole seconds, and never twice within a day).
    """
    if end - start > OFFSET_SPAN:
        return None
    zone = ZoneInfo(timezone)

    def offset(epoch: int) -> int:
        delta = datetime.fromtimestamp(epoch, UTC).astimezone(zone).utcoffset()
        return int(delta.total_seconds()) if delta else 0

    low, last = int(start.replace(tzinfo=UTC).timestamp()), int(end.replace(tzinfo=UTC).timestamp())
    first = current = offset(low)
    changes: list[tuple[datetime, int]] = []
    while low < last:
        high = min(low + 86_400, last)
        if offset(high) != current:
            while high - low > 1:  # offset(low) == current != offset(high)
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == current else (low, middle)
            current = offset(high)
            changes.append((datetime.fromtimestamp(high, UTC).replace(tzinfo=None), current))
        low = high
    return first, tuple(changes)


@dataclass(frozen=True)
class RelationContext:
    """What a relation builder needs to know about the question.

    Attributes:
        start, end: the period's bounds as naive UTC instants (end exclusive).
        t: the instant stocks are measured at.
        as_of_day: the local date of ``as_of``.
        period_start_day, period_end_day: the period's local dates (end exclusive).
        timezone: the workspace's IANA timezone; currency: its reporting currency.
        foreign: tables holding rows in another currency (they need conversion).
        filters: SQL predicates by dimension, for relations that filter inside.
        by_bettor: whether the question breaks down by bettor.
    """

    start: datetime
    end: datetime
    t: datetime
    as_of_day: date
    period_start_day: date
    period_end_day: date
    timezone: str
    currency: str
    foreign: frozenset[str]
    filters: dict[str, list[tuple[tuple[str, ...], bool]]] = field(default_factory=dict)
    by_bettor: bool = False
    asked_days: tuple[date, date] | None = None  # the days of a period the question named

    @property
    def demand_days(self) -> tuple[date, date]:
        """The days daily demand averages over: ``[first, last)``.

        metrics.md: the 28 full days that end yesterday; a question over a period uses that
        period's days instead (``asked_days``, set by the engine).
        """
        return self.asked_days or (self.as_of_day - timedelta(days=28), self.as_of_day)

    def local(self, ts: str) -> str:
        """SQL for the local wall-clock time of a stored (UTC) timestamp."""
        if self.timezone == "UTC":
            return ts
        return f"timezone({sql_string(self.timezone)}, timezone('UTC', {ts}))"

    def local_within(self, ts: str, start: datetime, end: datetime) -> str:
        """:meth:`local` for rows known to lie in ``[start, end)`` (naive UTC), without ICU.

        The zone's offsets over the range come from zoneinfo once per statement, so each
        row is shifted by plain arithmetic (a CASE at a DST change) instead of a
        ``timezone()`` call: grouping a month of order lines by local day gets ~6x faster.
        Ranges longer than :data:`OFFSET_SPAN` keep ``timezone()``.
        """
        if self.timezone == "UTC":
            return ts
        offsets = utc_offsets(self.timezone, start, end)
        if offsets is None:
            return self.local(ts)
        first, changes = offsets

        def shifted(seconds: int) -> str:
            return f"{ts} + INTERVAL ({seconds}) SECOND"

        if not changes:
            return f"({shifted(first)})"
        before = [first, *(seconds for _, seconds in changes[:-1])]
        branches = " ".join(f"WHEN {ts} < {ts_literal(at)} THEN {shifted(seconds)}"
                            for (at, _), seconds in zip(changes, before, strict=True))
        return f"(CASE {branches} ELSE {shifted(changes[-1][1])} END)"

    def local_date(self, ts: str, time_type: str = "timestamp") -> str:
        """SQL for the local calendar date of a stored timestamp (or a date column)."""
        return ts if time_type == "date" else f"CAST({self.local(ts)} AS DATE)"

    def fx(self, table: str, currency: str, ts: str, time_type: str = "timestamp"
           ) -> tuple[str, str, str | None]:
        """(join clause, rate expression, missing-rate expression) for a money column.

        The rate is the latest ``fx_rates`` row on or before the row's local date;
        rows already in the workspace currency use 1. With no foreign rows in
        ``table`` there is nothing to join. For timestamps the rates' local dates are
        turned into UTC instants once (a few hundred rows), so the join compares the
        stored UTC column directly instead of converting every row to local time.
        """
        if table not in self.foreign:
            return "", "1", None
        ws = sql_string(self.currency)
        if time_type == "date":
            rates, key = "fx_rates", ts
            on = f"{ts} >= fx.date"
        else:
            zone = sql_string(self.timezone)
            rates = (f"(SELECT currency, rate, date, CAST(timezone({zone}, CAST(date AS TIMESTAMP)) "
                     f"AS TIMESTAMP) AS starts FROM fx_rates)")
            key, on = ts, f"{ts} >= fx.starts"
        join = f" ASOF LEFT JOIN {rates} AS fx ON fx.currency = {currency} AND {on}"
        rate = f"(CASE WHEN {currency} = {ws} THEN 1 ELSE fx.rate END)"
        missing = (f"CASE WHEN {currency} <> {ws} AND fx.rate IS NULL "
                   f"THEN {currency} || ' on ' || CAST({self.local_date(key, time_type)} AS VARCHAR) END")
        return join, rate, missing

    def stored_fx(self, table: str, currency: str, rate: str, ts: str, time_type: str = "timestamp"
                  ) -> tuple[str, str | None]:
        """(rate expression, missing-rate expression) for rows that carry their rate.

        ``rate`` is the column filled at write time (storage/derived.py); NULL there
        means no ``fx_rates`` row on or before the row's local date.
        """
        if table not in self.foreign:
            return "1", None
        return rate, (f"CASE WHEN {rate} IS NULL THEN {currency} || ' on ' || "
                      f"CAST({self.local_date(ts, time_type)} AS VARCHAR) END")

    def fx_table(self, table: str, alias: str, currency: str, ts: str, time_type: str = "timestamp"
                 ) -> tuple[str, str, str]:
        """(derived table, rate expression, missing-rate expression) replacing ``table``.

        Rows in the workspace currency skip the exchange-rate join entirely; only the
        foreign ones go through the ``ASOF JOIN`` (a union of the two). This keeps a
        month of ten million orders, a few of them in BRL, at plain-scan speed.
        """
        join, _rate, _missing = self.fx(table, currency, ts, time_type)
        ws = sql_string(self.currency)
        derived = (f"(SELECT {alias}.*, 1 AS _rate FROM {table} AS {alias} WHERE {currency} = {ws} "
                   f"UNION ALL SELECT {alias}.*, fx.rate AS _rate FROM {table} AS {alias}{join} "
                   f"WHERE {currency} <> {ws})")
        missing = (f"CASE WHEN {alias}._rate IS NULL THEN {currency} || ' on ' || "
                   f"CAST({self.local_date(ts, time_type)} AS VARCHAR) END")
        return derived, f"{alias}._rate", missing

    def predicate(self, dimension: str, column: str) -> str:
        """The filters on ``dimension`` as SQL over ``column`` (TRUE when none)."""
        parts = []
        for values, exclude in self.filters.get(dimension, []):
            listed = ", ".join(sql_string(v) for v in values)
            parts.append(f"{column} {'NOT IN' if exclude else 'IN'} ({listed})")
        return " AND ".join(parts) or "TRUE"


def mrr_movements(ctx: RelationContext) -> str:
    """Per customer, MRR at the period's start ``s`` and end ``e``.

    metrics.md: new (0 at s, > 0 at e, never had MRR before s), reactivation (0 at s,
    > 0 at e, had MRR before s), expansion, contraction, churned (> 0 at s, 0 at e).
    Each span is converted at the rate of its own start date, so exchange-rate moves
    never show up as expansion or contraction.
    """
    rate, missing = ctx.stored_fx("subscription_mrr", "s.currency", "s._rate", "s.valid_from")
    s, e = ts_literal(ctx.start), ts_literal(ctx.t)

    def at(instant: str) -> str:
        return (f"sum(CASE WHEN s.valid_from <= {instant} AND (s.valid_to IS NULL OR "
                f"s.valid_to > {instant}) THEN s.mrr * {rate} ELSE 0 END)")

    return f"""(SELECT s.customer_id, coalesce(any_value(sc.company), s.customer_id) AS customer,
  any_value(sc.segment) AS segment, any_value(sc.country) AS country,
  {at(s)} AS mrr_s, {at(e)} AS mrr_e,
  coalesce(bool_or(s.valid_from < {s} AND s.mrr > 0), FALSE) AS had_before,
  max({missing or 'NULL'}) AS _fx_missing
FROM subscription_mrr AS s
LEFT JOIN saas_customers AS sc ON sc.customer_id = s.customer_id
WHERE s.valid_from <= {e}
GROUP BY s.customer_id) AS m"""


def _units_by_product_day(first: date, last: date) -> str:
    """Units sold per product and local day in ``[first, last)`` (storage/rollups.py)."""
    return (f"SELECT product_id, day, units FROM _product_days "
            f"WHERE day >= {date_literal(first)} AND day < {date_literal(last)}")


# A product's status as a dimension of stock: stock lists and alerts keep "active" ones
# (data-model.md: products.active, default true), so a discontinued product is never
# suggested for reordering.
PRODUCT_STATUS = "CASE WHEN p.active = false THEN 'inactive' ELSE 'active' END AS product_status"


def stock(ctx: RelationContext) -> str:
    """Per product: stock, demand, lead time, safety stock, reorder point, open POs.

    metrics.md: daily demand = units sold per day over the 28 full days that end
    yesterday (no sales = 0); current stock = on_hand on the latest inventory date,
    summed over locations unless one is named; safety stock = 1.65 × standard
    deviation of daily demand × √lead time (sample standard deviation);
    reorder point = mean demand × lead time + safety stock.

    Asked over a period ("average daily units last month"), demand is taken over that
    period's days instead (docs/catalog.md), and stock at its end.
    """
    first, last = ctx.demand_days
    return f"""(WITH {_stock_on_hand(ctx)},
{_stock_demand(first, last)},
{_stock_supply(ts_literal(ctx.t))}
SELECT oh.product_id, coalesce(p.title, oh.product_id) AS product, p.sku, p.category,
  {PRODUCT_STATUS},
  lead.supplier, oh.on_hand, demand.avg_daily_units, lead.lead_time_days,
  1.65 * demand.sd * sqrt(lead.lead_time_days) AS safety_stock,
  demand.avg_daily_units * lead.lead_time_days
    + 1.65 * demand.sd * sqrt(lead.lead_time_days) AS reorder_point,
  coalesce(po.open_po_units, 0) AS open_po_units
FROM onhand AS oh LEFT JOIN products AS p ON p.product_id = oh.product_id
LEFT JOIN demand ON demand.product_id = oh.product_id
LEFT JOIN lead ON lead.product_id = oh.product_id
LEFT JOIN po ON po.product_id = oh.product_id) AS k"""


def _stock_on_hand(ctx: RelationContext, per_location: bool = False) -> str:
    """The stock's CTEs ``latest`` and ``onhand``: units on hand per product (and location,
    with ``per_location``) at the latest date, in the named locations only when some are."""
    location = ("lv.location_id IN (SELECT location_id FROM locations WHERE "
                f"{ctx.predicate('location', 'name')} OR {ctx.predicate('location', 'location_id')})"
                if "location" in ctx.filters else "TRUE")
    keys = "lv.product_id, lv.location_id" if per_location else "lv.product_id"
    return f"""latest AS (
  SELECT max(date) AS d FROM inventory_levels WHERE date <= {date_literal(ctx.as_of_day)}),
onhand AS (
  SELECT {keys}, sum(lv.on_hand) AS on_hand FROM inventory_levels AS lv, latest
  WHERE lv.date = latest.d AND ({location}) GROUP BY {keys})"""


def stock_locations(ctx: RelationContext) -> str:
    """Per product and location: stock on hand, so ``location`` is a dimension of on_hand.

    metrics.md: current stock = on_hand on the latest inventory_levels.date, summed over
    locations unless one is named; location is a dimension of on_hand ("stock by
    location"). A location is shown by its name (its id when it has none).
    """
    return f"""(WITH {_stock_on_hand(ctx, per_location=True)},
{_stock_supply(ts_literal(ctx.t))}
SELECT oh.product_id, coalesce(p.title, oh.product_id) AS product, p.sku, p.category,
  {PRODUCT_STATUS},
  lead.supplier, coalesce(loc.name, oh.location_id) AS location, oh.on_hand
FROM onhand AS oh LEFT JOIN products AS p ON p.product_id = oh.product_id
LEFT JOIN locations AS loc ON loc.location_id = oh.location_id
LEFT JOIN lead ON lead.product_id = oh.product_id) AS h"""


def _stock_demand(first: date, last: date) -> str:
    """The stock's CTEs ``days``, ``sold`` and ``demand``: mean and deviation of daily units."""
    return f"""days AS (
  SELECT CAST(range AS DATE) AS day
  FROM range({date_literal(first)}, {date_literal(last)}, INTERVAL 1 DAY)),
sold AS ({_units_by_product_day(first, last)}),
demand AS (
  SELECT oh.product_id, avg(coalesce(sold.units, 0)) AS avg_daily_units,
    coalesce(stddev_samp(coalesce(sold.units, 0)), 0) AS sd
  FROM onhand AS oh CROSS JOIN days
  LEFT JOIN sold ON sold.product_id = oh.product_id AND sold.day = days.day
  GROUP BY oh.product_id)"""


def _stock_supply(t: str) -> str:
    """The stock's CTEs ``lead`` (shortest lead time, its supplier) and ``po`` (open orders at t)."""
    return f"""lead AS (
  SELECT ps.product_id, min(su.lead_time_days) AS lead_time_days,
    arg_min(su.name, su.lead_time_days) AS supplier
  FROM product_suppliers AS ps JOIN suppliers AS su ON su.supplier_id = ps.supplier_id
  GROUP BY ps.product_id),
po AS (
  SELECT product_id, sum(quantity) AS open_po_units FROM purchase_orders
  WHERE ordered_at < {t} AND (received_at IS NULL OR received_at >= {t}) GROUP BY product_id)"""


def sell_through(ctx: RelationContext) -> str:
    """Per product: units sold in the period and stock on hand at its end.

    metrics.md: sell_through = units sold in the period / (units sold + on_hand at its end).
    """
    last_day = ctx.period_end_day - timedelta(days=1)
    units = (f"SELECT o.product_id, sum(o.quantity) AS units FROM _order_lines AS o "
             f"WHERE o.status IN {COUNTED} "
             f"AND o.created_at >= {ts_literal(ctx.start)} AND o.created_at < {ts_literal(ctx.end)} "
             f"GROUP BY o.product_id")
    on_hand = (f"SELECT product_id, sum(on_hand) AS on_hand FROM inventory_levels WHERE date = "
               f"(SELECT max(date) FROM inventory_levels WHERE date <= {date_literal(last_day)}) "
               f"GROUP BY product_id")
    return f"""(SELECT p.product_id, coalesce(p.title, p.product_id) AS product, p.sku, p.category,
  coalesce(u.units, 0) AS units, coalesce(oh.on_hand, 0) AS on_hand
FROM products AS p LEFT JOIN ({units}) AS u ON u.product_id = p.product_id
LEFT JOIN ({on_hand}) AS oh ON oh.product_id = p.product_id
WHERE u.units IS NOT NULL OR oh.on_hand IS NOT NULL) AS k"""


def streaks(ctx: RelationContext) -> str:
    """The current run of consecutive wins or losses (``W3``, ``L2``).

    metrics.md: by settled_at, pushes skipped. Cashouts are skipped like pushes: they
    are neither a win nor a loss. Voids and pending bets count nowhere.
    """
    bettor = "coalesce(u.display_name, b.user_id)"
    where = " AND ".join([
        ctx.predicate("bettor", bettor), ctx.predicate("sport", "b.sport"),
        ctx.predicate("league", "b.league"), ctx.predicate("market", "b.market"),
        f"b.settled_at >= {ts_literal(ctx.start)}", f"b.settled_at < {ts_literal(ctx.end)}",
    ])
    group = bettor if ctx.by_bettor else "''"
    return f"""(WITH wl AS (
  SELECT {group} AS bettor, b.status, b.settled_at, b.bet_id
  FROM bets AS b LEFT JOIN bettors AS u ON u.user_id = b.user_id
  WHERE b.status IN ('won', 'lost') AND {where}),
ranked AS (
  SELECT bettor, status,
    row_number() OVER w AS rn, first_value(status) OVER w AS last_status
  FROM wl WINDOW w AS (PARTITION BY bettor ORDER BY settled_at DESC, bet_id DESC)),
runs AS (
  SELECT bettor, any_value(last_status) AS last_status,
    coalesce(min(rn) FILTER (WHERE status <> last_status), max(rn) + 1) - 1 AS n
  FROM ranked GROUP BY bettor)
SELECT bettor, CASE last_status WHEN 'won' THEN 'W' ELSE 'L' END || CAST(n AS VARCHAR) AS streak
FROM runs) AS z"""


# name -> (builder, dimensions the builder filters itself)
RELATIONS: dict[str, tuple[Callable[[RelationContext], str], frozenset[str]]] = {
    "mrr_movements": (mrr_movements, frozenset()),
    "stock": (stock, frozenset({"location"})),
    "stock_locations": (stock_locations, frozenset({"location"})),
    "sell_through": (sell_through, frozenset()),
    "streaks": (streaks, frozenset({"bettor", "sport", "league", "market"})),
}
