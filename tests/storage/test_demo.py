"""Tests of the deterministic demo-data generator (``storage.demo``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from storage.demo import DEMO_WORKSPACES, PLANTED_ANOMALIES, generate_demo, planted_anomalies

END = date(2025, 3, 12)  # just after the US switch to daylight saving time
SCALE = 0.2
TZ = DEMO_WORKSPACES["demo"]["timezone"]

# data-model.md: each table's columns in the spec's order, ``*`` marking the key
SPEC_TEXT = {
    "customers": "customer_id* created_at email country city acquisition_channel",
    "products": "product_id* sku title category price cost active",
    "orders": "order_id* customer_id created_at status currency subtotal discount shipping tax "
              "total country sales_channel source",
    "order_items": "order_id* line_no* product_id quantity unit_price discount",
    "refunds": "refund_id* order_id created_at amount",
    "fx_rates": "date* currency* rate",
    "saas_plans": "plan_id* name interval amount currency",
    "saas_customers": "customer_id* created_at company email country segment",
    "subscriptions": "subscription_id* customer_id plan_id status started_at trial_end "
                     "canceled_at ended_at",
    "subscription_mrr": "subscription_id* valid_from* valid_to customer_id mrr currency",
    "invoices": "invoice_id* customer_id subscription_id created_at status amount_due "
                "amount_paid currency paid_at",
    "ad_campaigns": "campaign_id* channel name objective status",
    "ad_performance_daily": "date* campaign_id* channel impressions clicks spend conversions "
                            "conversion_value currency",
    "web_traffic_daily": "date* source* medium* campaign* sessions users new_users conversions "
                         "revenue",
    "touchpoints": "touchpoint_id* customer_id occurred_at channel campaign_id",
    "locations": "location_id* name",
    "inventory_levels": "date* product_id* location_id* on_hand",
    "suppliers": "supplier_id* name lead_time_days",
    "product_suppliers": "product_id* supplier_id*",
    "purchase_orders": "po_id* line_no* supplier_id product_id ordered_at expected_at "
                       "received_at quantity unit_cost",
    "bettors": "user_id* display_name joined_at",
    "bets": "bet_id* user_id placed_at sport league event market selection odds_decimal "
            "stake_units status settled_at payout_units closing_odds_decimal",
}
SPEC = {t: [c.rstrip("*") for c in cols.split()] for t, cols in SPEC_TEXT.items()}
KEYS = {t: [c.rstrip("*") for c in cols.split() if c.endswith("*")]
        for t, cols in SPEC_TEXT.items()}
ENUMS: dict[tuple[str, str], set[str]] = {
    ("orders", "status"): {"paid", "refunded", "partially_refunded", "cancelled", "pending"},
    ("orders", "sales_channel"): {"online_store", "marketplace", "pos", "other"},
    ("saas_plans", "interval"): {"month", "year"},
    ("subscriptions", "status"): {"trialing", "active", "past_due", "canceled", "unpaid"},
    ("invoices", "status"): {"draft", "open", "paid", "void", "uncollectible"},
    ("ad_campaigns", "channel"): {"meta", "google", "tiktok", "other"},
    ("ad_performance_daily", "channel"): {"meta", "google", "tiktok", "other"},
    ("bets", "market"): {"moneyline", "spread", "total", "prop", "parlay", "future", "other"},
    ("bets", "status"): {"pending", "won", "lost", "push", "void", "cashout"},
}
GUILD_TABLES = {"bettors", "bets"}
COUNTED = "status in ('paid', 'refunded', 'partially_refunded')"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, int]]]:
    path = tmp_path_factory.mktemp("demo")
    return path, generate_demo(path, end=END, scale=SCALE)


@pytest.fixture(scope="module")
def db(out: tuple[Path, dict[str, dict[str, int]]]) -> Iterator[duckdb.DuckDBPyConnection]:
    path, _ = out
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table in SPEC:
        ws = "demo-guild" if table in GUILD_TABLES else "demo"
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM '{path / ws / table}.parquet'")
    con.execute(f"""CREATE MACRO local_day(ts) AS
                    CAST(timezone('{TZ}', CAST(ts AS TIMESTAMPTZ)) AS DATE)""")
    con.execute(f"""CREATE MACRO local_midnight(d) AS
                    CAST(timezone('{TZ}', CAST(d AS TIMESTAMP)) AS TIMESTAMP)""")
    yield con
    con.close()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """``SELECT count(*) <sql>``."""
    return int(one(con, f"SELECT count(*) {sql}"))  # type: ignore[call-overload]


def distinct(con: duckdb.DuckDBPyConnection, column: str, table: str) -> set[object]:
    return {r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()}


def test_same_inputs_give_identical_bytes(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "a", end=END, scale=0.05, seed=3)
    b = generate_demo(tmp_path / "b", end=END, scale=0.05, seed=3)
    assert a == b
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.parquet"))
    assert len(files) == len(SPEC)
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    generate_demo(tmp_path / "c", end=END, scale=0.05, seed=4)
    orders = Path("demo/orders.parquet")
    assert (tmp_path / "c" / orders).read_bytes() != (tmp_path / "a" / orders).read_bytes()


def test_every_table_with_spec_columns(out: tuple[Path, dict[str, dict[str, int]]]) -> None:
    path, counts = out
    assert set(counts) == set(DEMO_WORKSPACES)
    assert set(counts["demo-guild"]) == GUILD_TABLES
    assert set(counts["demo"]) == set(SPEC) - GUILD_TABLES
    for ws, tables in counts.items():
        assert {p.stem for p in (path / ws).iterdir()} == set(tables)
        for table, rows in tables.items():
            meta = pq.read_metadata(path / ws / f"{table}.parquet")
            assert meta.schema.to_arrow_schema().names == SPEC[table], table
            assert meta.num_rows == rows > 0, table


def test_column_types(out: tuple[Path, dict[str, dict[str, int]]]) -> None:
    path, _ = out
    orders = pq.read_schema(path / "demo" / "orders.parquet")
    assert orders.field("total").type == pa.decimal128(18, 4)
    assert orders.field("created_at").type == pa.timestamp("us")
    assert orders.field("order_id").type == pa.string()
    assert pq.read_schema(path / "demo" / "fx_rates.parquet").field("date").type == pa.date32()
    products = pq.read_schema(path / "demo" / "products.parquet")
    assert products.field("active").type == pa.bool_()
    web = pq.read_schema(path / "demo" / "web_traffic_daily.parquet")
    assert web.field("sessions").type == pa.int64()


def test_row_counts_at_scale(out: tuple[Path, dict[str, dict[str, int]]]) -> None:
    _, counts = out
    demo = counts["demo"]
    assert 0.8 * 40_000 * SCALE < demo["orders"] < 1.2 * 40_000 * SCALE
    assert 2.2 < demo["order_items"] / demo["orders"] < 2.8
    assert demo["products"] == 60
    assert 8 <= demo["ad_campaigns"] <= 12
    assert counts["demo-guild"]["bettors"] == 14


def test_keys_are_unique(db: duckdb.DuckDBPyConnection) -> None:
    for table, key in KEYS.items():
        cols = ", ".join(key)
        assert count(db, f"FROM (SELECT {cols} FROM {table} GROUP BY ALL "
                         "HAVING count(*) > 1)") == 0, table
        assert count(db, f"FROM {table} WHERE " + " OR ".join(f"{k} IS NULL" for k in key)) == 0


@pytest.mark.parametrize(("child", "column", "parent", "key"), [
    ("order_items", "order_id", "orders", "order_id"),
    ("order_items", "product_id", "products", "product_id"),
    ("orders", "customer_id", "customers", "customer_id"),
    ("refunds", "order_id", "orders", "order_id"),
    ("touchpoints", "customer_id", "customers", "customer_id"),
    ("touchpoints", "campaign_id", "ad_campaigns", "campaign_id"),
    ("ad_performance_daily", "campaign_id", "ad_campaigns", "campaign_id"),
    ("subscriptions", "customer_id", "saas_customers", "customer_id"),
    ("subscriptions", "plan_id", "saas_plans", "plan_id"),
    ("subscription_mrr", "subscription_id", "subscriptions", "subscription_id"),
    ("invoices", "subscription_id", "subscriptions", "subscription_id"),
    ("inventory_levels", "product_id", "products", "product_id"),
    ("inventory_levels", "location_id", "locations", "location_id"),
    ("product_suppliers", "supplier_id", "suppliers", "supplier_id"),
    ("purchase_orders", "product_id", "products", "product_id"),
    ("purchase_orders", "supplier_id", "suppliers", "supplier_id"),
    ("bets", "user_id", "bettors", "user_id"),
])
def test_referential_integrity(db: duckdb.DuckDBPyConnection, child: str, column: str,
                               parent: str, key: str) -> None:
    assert count(db, f"FROM {child} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
                     f"(SELECT 1 FROM {parent} p WHERE p.{key} = c.{column})") == 0


def test_enum_values(db: duckdb.DuckDBPyConnection) -> None:
    for (table, column), allowed in ENUMS.items():
        seen = {r[0] for r in db.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()}
        assert seen <= allowed | {None}, (table, column, seen - allowed)
    assert distinct(db, "status", "orders") == ENUMS[("orders", "status")]


def test_order_amounts_are_consistent(db: duckdb.DuckDBPyConnection) -> None:
    assert count(db, "FROM orders WHERE total <> subtotal - discount + shipping + tax "
                     "OR total <= 0") == 0
    assert count(db, """FROM orders o JOIN (
                        SELECT order_id, sum(quantity * unit_price - discount) net
                        FROM order_items GROUP BY 1) i USING (order_id)
                      WHERE i.net <> o.subtotal - o.discount""") == 0
    assert count(db, "FROM orders WHERE order_id NOT IN (SELECT order_id FROM order_items)") == 0
    assert one(db, "SELECT count(DISTINCT currency) FROM orders WHERE country = 'BR'") == 1
    assert one(db, "SELECT min(currency) FROM orders WHERE country = 'BR'") == "BRL"
    assert count(db, "FROM orders WHERE country <> 'BR' AND currency <> 'USD'") == 0


def test_orders_written_in_time_order(db: duckdb.DuckDBPyConnection) -> None:
    assert count(db, """FROM (SELECT created_at, lag(created_at) OVER (ORDER BY order_id) prev
                        FROM orders) WHERE created_at < prev""") == 0
    last_day = one(db, "SELECT max(local_day(created_at)) FROM orders")
    first_day = one(db, "SELECT min(local_day(created_at)) FROM orders")
    assert last_day == END - timedelta(days=1)
    assert END - timedelta(days=730) <= first_day <= END - timedelta(days=725)


def test_refunds(db: duckdb.DuckDBPyConnection) -> None:
    bad = count(db, f"""FROM refunds r JOIN orders o USING (order_id)
                      WHERE r.amount > o.total OR r.amount <= 0
                         OR o.status NOT IN ('refunded', 'partially_refunded')
                         OR r.created_at < o.created_at + INTERVAL 1 DAY
                         OR r.created_at > o.created_at + INTERVAL 21 DAY
                         OR r.created_at >= local_midnight(DATE '{END}')""")
    assert bad == 0
    assert count(db, "FROM orders WHERE status IN ('refunded', 'partially_refunded') "
                     "AND order_id NOT IN (SELECT order_id FROM refunds)") == 0
    assert count(db, """FROM refunds r JOIN orders o USING (order_id)
                        WHERE month(r.created_at) <> month(o.created_at)""") > 0


def test_customers_and_repeat_purchases(db: duckdb.DuckDBPyConnection) -> None:
    assert count(db, """FROM customers c JOIN (SELECT customer_id,
                        min(created_at) first FROM orders GROUP BY 1) o USING (customer_id)
                      WHERE c.created_at > o.first""") == 0
    repeat_share = one(db, """SELECT avg((n > 1)::INT) FROM (SELECT customer_id, count(*) n
                              FROM orders WHERE customer_id IS NOT NULL GROUP BY 1)""")
    assert 0.2 < float(repeat_share) < 0.8  # type: ignore[arg-type]
    assert distinct(db, "country", "customers") == {"US", "BR", "MX", "GB", "DE", "CA"}


def test_fx_rates_cover_every_foreign_day(db: duckdb.DuckDBPyConnection) -> None:
    for table, currency in (("orders", "BRL"), ("invoices", "EUR")):
        assert count(db, f"""FROM (SELECT DISTINCT local_day(created_at) d FROM {table}
                               WHERE currency = '{currency}') o
                             WHERE NOT EXISTS (SELECT 1 FROM fx_rates f
                               WHERE f.currency = '{currency}' AND f.date = o.d)""") == 0
    low, high = db.execute("SELECT min(rate), max(rate) FROM fx_rates "
                           "WHERE currency = 'BRL'").fetchone() or (0, 0)
    assert float(low) >= 0.18 and float(high) <= 0.21


def test_mrr_spans(db: duckdb.DuckDBPyConnection) -> None:
    assert count(db, """FROM (SELECT valid_to, lead(valid_from) OVER (
                          PARTITION BY subscription_id ORDER BY valid_from) nxt
                        FROM subscription_mrr)
                        WHERE nxt IS NOT NULL AND (valid_to IS NULL OR nxt < valid_to)""") == 0
    assert count(db, "FROM subscription_mrr WHERE valid_to <= valid_from") == 0
    assert count(db, """FROM subscription_mrr m JOIN subscriptions s USING (subscription_id)
                        JOIN saas_plans p USING (plan_id) WHERE p.interval = 'year'
                        AND m.mrr * 12 <> p.amount AND m.valid_to IS NULL""") == 0
    assert one(db, "SELECT count(DISTINCT currency) FROM subscription_mrr") == 2
    assert distinct(db, "status", "subscriptions") == ENUMS[("subscriptions", "status")]


def test_every_mrr_movement_class(db: duckdb.DuckDBPyConnection) -> None:
    moves = dict(db.execute("""
        WITH s AS (SELECT customer_id, subscription_id, valid_from, valid_to, mrr,
                     lead(mrr) OVER w nxt_mrr, lead(valid_from) OVER w nxt_from
                   FROM subscription_mrr WINDOW w AS (PARTITION BY customer_id
                                                      ORDER BY valid_from))
        SELECT CASE WHEN nxt_from = valid_to AND nxt_mrr > mrr THEN 'expansion'
                    WHEN nxt_from = valid_to AND nxt_mrr < mrr THEN 'contraction'
                    WHEN nxt_from > valid_to THEN 'reactivation'
                    WHEN valid_to IS NOT NULL AND nxt_from IS NULL THEN 'churn'
                    ELSE 'other' END, count(*)
        FROM s GROUP BY 1""").fetchall())
    for kind in ("expansion", "contraction", "reactivation", "churn"):
        assert moves.get(kind, 0) > 0, kind


def test_invoices_follow_spans(db: duckdb.DuckDBPyConnection) -> None:
    assert count(db, """FROM invoices i WHERE i.status <> 'uncollectible' AND NOT EXISTS (
                          SELECT 1 FROM subscription_mrr m WHERE m.subscription_id
                          = i.subscription_id AND i.created_at >= m.valid_from
                          AND (m.valid_to IS NULL OR i.created_at < m.valid_to))""") == 0
    assert count(db, "FROM invoices WHERE status = 'paid' AND "
                     "(amount_paid <> amount_due OR paid_at IS NULL)") == 0
    assert {"paid", "open", "void", "uncollectible"} <= distinct(db, "status", "invoices")


def test_marketing(db: duckdb.DuckDBPyConnection) -> None:
    assert len(distinct(db, "date", "ad_performance_daily")) == 730
    assert count(db, "FROM ad_performance_daily") == 730 * count(db, "FROM ad_campaigns")
    assert count(db, "FROM ad_performance_daily WHERE clicks > impressions OR spend <= 0") == 0
    roas = dict(db.execute("SELECT channel, sum(conversion_value) / sum(spend) "
                           "FROM ad_performance_daily GROUP BY 1").fetchall())
    assert set(roas) == {"meta", "google", "tiktok"}
    assert len({round(float(v), 1) for v in roas.values()}) == 3
    assert count(db, "FROM web_traffic_daily WHERE campaign IS NULL") == 0
    assert count(db, "FROM web_traffic_daily WHERE campaign = ''") > 0
    assert count(db, "FROM web_traffic_daily WHERE users > sessions OR new_users > users") == 0
    assert count(db, """FROM touchpoints t JOIN (SELECT customer_id,
                        min(created_at) first FROM orders GROUP BY 1) o USING (customer_id)
                      WHERE t.occurred_at >= o.first""") == 0


def test_planted_anomalies_are_listed() -> None:
    assert [a.metric for a in PLANTED_ANOMALIES] == [
        "revenue", "ad_spend", "churned_mrr", "sessions"]
    dated = planted_anomalies(END)
    assert all(a.day is not None and END - timedelta(days=30) <= a.day < END for a in dated)
    assert all(a.description for a in dated)


def _anomaly_day(metric: str) -> date:
    day = next(a.day for a in planted_anomalies(END) if a.metric == metric)
    assert day is not None
    return day


def test_revenue_drop_in_br_marketplace(db: duckdb.DuckDBPyConnection) -> None:
    day = _anomaly_day("revenue")
    by_day = {d: (float(r), n) for d, r, n in db.execute(f"""
        SELECT local_day(o.created_at) d, sum(o.total * f.rate), count(*)
        FROM orders o JOIN fx_rates f ON f.currency = 'BRL' AND f.date = local_day(o.created_at)
        WHERE {COUNTED} AND o.country = 'BR' AND o.sales_channel = 'marketplace'
        GROUP BY 1""").fetchall()}
    weeks = [by_day.get(day - timedelta(weeks=w), (0.0, 0)) for w in range(1, 5)]
    revenue, orders = by_day.get(day, (0.0, 0))
    assert orders < 0.5 * sum(n for _, n in weeks) / 4
    assert revenue < 0.7 * sum(r for r, _ in weeks) / 4
    others = dict(db.execute(f"""SELECT local_day(created_at) d, count(*) FROM orders
                                 WHERE {COUNTED} AND NOT (country = 'BR'
                                   AND sales_channel = 'marketplace') GROUP BY 1""").fetchall())
    usual_others = sum(others[day - timedelta(weeks=w)] for w in range(1, 5)) / 4
    assert others[day] > 0.7 * usual_others  # the rest of the shop is normal


def test_ad_spend_spike(db: duckdb.DuckDBPyConnection) -> None:
    day = _anomaly_day("ad_spend")
    rows = db.execute("""SELECT date, spend, conversions FROM ad_performance_daily
                         JOIN ad_campaigns USING (campaign_id)
                         WHERE name = 'Meta — Prospecting US' ORDER BY date""").fetchall()
    series = {d: (float(s), float(c)) for d, s, c in rows}
    before = [series[day - timedelta(days=k)] for k in range(1, 29)]
    assert series[day][0] > 2.5 * sum(s for s, _ in before) / 28
    assert series[day][1] < 1.6 * sum(c for _, c in before) / 28 + 1  # conversions flat


def test_churned_mrr_spike(db: duckdb.DuckDBPyConnection) -> None:
    day = _anomaly_day("churned_mrr")
    churned = dict(db.execute(f"""
        WITH days AS (SELECT CAST(d AS DATE) d FROM range(DATE '{day - timedelta(days=90)}',
                                                          DATE '{END}', INTERVAL 1 DAY) t(d)),
        m AS (SELECT d, customer_id, sum(mrr) mrr FROM days JOIN subscription_mrr s
                ON s.valid_from <= local_midnight(d)
               AND (s.valid_to IS NULL OR s.valid_to > local_midnight(d)) GROUP BY 1, 2)
        SELECT a.d, sum(a.mrr) FROM m a LEFT JOIN m b
          ON b.customer_id = a.customer_id AND b.d = a.d + 1
        WHERE b.customer_id IS NULL AND a.d < DATE '{END - timedelta(days=1)}'
        GROUP BY 1""").fetchall())
    others = [float(v) for d, v in churned.items() if d != day]
    assert float(churned[day]) > 5 * sum(others) / 90
    assert float(churned[day]) > max(others)


def test_sessions_spike(db: duckdb.DuckDBPyConnection) -> None:
    day = _anomaly_day("sessions")
    rows = dict(db.execute("SELECT date, sessions FROM web_traffic_daily "
                           "WHERE source = 'reddit.com'").fetchall())
    assert rows[day] > 5 * sorted(rows[day - timedelta(days=k)] for k in range(1, 29))[14]
    totals = dict(db.execute("SELECT date, sum(sessions) FROM web_traffic_daily GROUP BY 1"
                             ).fetchall())
    assert totals[day] > 1.2 * totals[day - timedelta(weeks=1)]


def test_stock_running_out(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute(f"""
        WITH demand AS (SELECT i.product_id, sum(i.quantity) / 28 avg_units
                        FROM order_items i JOIN orders o USING (order_id)
                        WHERE o.{COUNTED} AND local_day(o.created_at)
                              >= DATE '{END - timedelta(days=28)}' GROUP BY 1),
        stock AS (SELECT product_id, sum(on_hand) on_hand FROM inventory_levels
                  WHERE date = (SELECT max(date) FROM inventory_levels) GROUP BY 1)
        SELECT p.product_id, p.active, s.on_hand, d.avg_units FROM products p
        JOIN stock s USING (product_id) LEFT JOIN demand d USING (product_id)""").fetchall()
    cover = [float(oh) / float(avg) for _, _, oh, avg in rows if avg]
    assert sum(c < 14 for c in cover) >= 3
    assert any(active and oh > 0 and not avg for _, active, oh, avg in rows)
    assert max(distinct(db, "date", "inventory_levels")) == END - timedelta(days=1)  # type: ignore[type-var]
    assert len(distinct(db, "date", "inventory_levels")) == 120
    assert count(db, "FROM inventory_levels WHERE on_hand < 0") == 0


def test_purchase_orders(db: duckdb.DuckDBPyConnection) -> None:
    assert count(db, f"FROM purchase_orders WHERE received_at IS NULL "
                     f"AND expected_at > TIMESTAMP '{END}'") >= 3
    assert count(db, "FROM purchase_orders WHERE received_at IS NOT NULL") > 10
    assert count(db, "FROM purchase_orders WHERE expected_at < ordered_at "
                     "OR received_at < ordered_at OR quantity <= 0") == 0
    assert count(db, "FROM (SELECT product_id FROM product_suppliers "
                     "GROUP BY 1 HAVING count(*) > 1)") > 0
    assert count(db, "FROM suppliers WHERE lead_time_days NOT BETWEEN 5 AND 30") == 0


def test_bets(db: duckdb.DuckDBPyConnection) -> None:
    assert distinct(db, "status", "bets") == ENUMS[("bets", "status")]
    assert distinct(db, "market", "bets") == ENUMS[("bets", "market")]
    pending = count(db, f"FROM bets WHERE status = 'pending' "
                        f"AND placed_at >= TIMESTAMP '{END - timedelta(days=3)}'")
    assert pending == count(db, "FROM bets WHERE status = 'pending'") == 20
    assert count(db, f"""FROM bets WHERE odds_decimal <= 1 OR stake_units NOT BETWEEN 0.5 AND 5
                       OR closing_odds_decimal <= 1 OR settled_at >= TIMESTAMP '{END}'
                       OR (status <> 'pending' AND NOT settled_at > placed_at)
                       OR (status = 'cashout') <> (payout_units IS NOT NULL)""") == 0
    assert count(db, "FROM bets JOIN bettors USING (user_id) WHERE placed_at < joined_at") == 0
    assert {"Sharpie", "LockSmith", "Parlay Pete"} <= distinct(db, "display_name", "bettors")


def test_bettors_win_and_lose(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute("""SELECT user_id, count(*), sum(CASE status
                           WHEN 'won' THEN stake_units * (odds_decimal - 1)
                           WHEN 'lost' THEN -stake_units
                           WHEN 'cashout' THEN payout_units - stake_units ELSE 0 END)
                         FROM bets WHERE status IN ('won', 'lost', 'push', 'cashout')
                         GROUP BY 1""").fetchall()
    assert sum(n < 5 for _, n, _ in rows) >= 2
    regulars = [float(p) for _, n, p in rows if n >= 5]
    assert any(p > 0 for p in regulars) and any(p < 0 for p in regulars)
    odds = db.execute("SELECT min(odds_decimal), max(odds_decimal) FROM bets").fetchone()
    assert odds is not None and float(odds[0]) < 1.6 and float(odds[1]) > 3


def test_progress_and_bad_scale(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []
    generate_demo(tmp_path, end=END, scale=0.02, progress=lambda t, n: seen.append((t, n)))
    labels = {t for t, _ in seen}
    assert {"demo/orders", "demo/customers", "demo/invoices", "demo-guild/bets"} <= labels
    with pytest.raises(ValueError, match="scale"):
        generate_demo(tmp_path, end=END, scale=0)
