"""The normalized tables of ``data-model.md``: one declaration used by the
migrations, the importer, the connectors and the demo generator.

Column kinds map to DuckDB types; money is never a float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["id", "text", "currency", "enum", "timestamp", "date", "money", "number", "rate", "int", "bool"]

SQL_TYPES: dict[Kind, str] = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "currency": "VARCHAR",
    "enum": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "money": "DECIMAL(18,4)",
    "number": "DECIMAL(18,4)",
    "rate": "DECIMAL(24,10)",
    "int": "BIGINT",
    "bool": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    """One column of a normalized table."""

    name: str
    kind: Kind
    nullable: bool = False
    key: bool = False
    default: str | None = None  # SQL literal used when the column is absent or empty
    values: tuple[str, ...] = ()  # allowed values of an enum
    check: str | None = None  # SQL predicate over the typed value ``v``; false rejects the row
    check_text: str = ""  # what the check demands, for the error message

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Table:
    """A normalized table: its columns, its key and the vertical it belongs to."""

    name: str
    vertical: str
    columns: tuple[Column, ...]
    doc: str = ""
    column_map: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_map", {c.name: c for c in self.columns})

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    @property
    def required(self) -> tuple[str, ...]:
        """Columns a file must contain (non-nullable and without a default)."""
        return tuple(c.name for c in self.columns if not c.nullable and c.default is None)


def _c(name: str, kind: Kind, **kw: object) -> Column:
    return Column(name, kind, **kw)  # type: ignore[arg-type]


def _key(name: str, kind: Kind = "id") -> Column:
    return Column(name, kind, key=True)


def _opt(name: str, kind: Kind = "text") -> Column:
    return Column(name, kind, nullable=True)


def _enum(name: str, *values: str, nullable: bool = False) -> Column:
    return Column(name, "enum", nullable=nullable, values=values)


_POSITIVE = "v >= 0"

TABLES: tuple[Table, ...] = (
    # --- ecommerce -------------------------------------------------------
    Table("customers", "shop", (
        _key("customer_id"), _c("created_at", "timestamp"), _opt("email"), _opt("country"),
        _opt("city"), _opt("acquisition_channel"),
    )),
    Table("products", "shop", (
        _key("product_id"), _c("sku", "text"), _c("title", "text"), _opt("category"),
        _c("price", "money"), _opt("cost", "money"), _c("active", "bool", default="TRUE"),
    )),
    Table("orders", "shop", (
        _key("order_id"), _opt("customer_id", "id"), _c("created_at", "timestamp"),
        _enum("status", "paid", "refunded", "partially_refunded", "cancelled", "pending"),
        _c("currency", "currency"), _c("subtotal", "money"), _c("discount", "money"),
        _c("shipping", "money"), _c("tax", "money"), _c("total", "money"), _opt("country"),
        _enum("sales_channel", "online_store", "marketplace", "pos", "other", nullable=True),
        _opt("source"),
    )),
    Table("order_items", "shop", (
        _key("order_id"), _key("line_no", "int"), _c("product_id", "id"),
        _c("quantity", "number"), _c("unit_price", "money"),
        _c("discount", "money", default="0"),
    )),
    Table("refunds", "shop", (
        _key("refund_id"), _c("order_id", "id"), _c("created_at", "timestamp"),
        _c("amount", "money"),
    )),
    Table("fx_rates", "shop", (
        _key("date", "date"), _key("currency", "currency"),
        _c("rate", "rate", check="v > 0", check_text="a rate above 0"),
    )),
    # --- SaaS --------------------------------------------------------------
    Table("saas_plans", "saas", (
        _key("plan_id"), _c("name", "text"), _enum("interval", "month", "year"),
        _c("amount", "money"), _c("currency", "currency"),
    )),
    Table("saas_customers", "saas", (
        _key("customer_id"), _c("created_at", "timestamp"), _opt("company"), _opt("email"),
        _opt("country"), _opt("segment"),
    )),
    Table("subscriptions", "saas", (
        _key("subscription_id"), _c("customer_id", "id"), _c("plan_id", "id"),
        _enum("status", "trialing", "active", "past_due", "canceled", "unpaid"),
        _c("started_at", "timestamp"), _opt("trial_end", "timestamp"),
        _opt("canceled_at", "timestamp"), _opt("ended_at", "timestamp"),
    )),
    Table("subscription_mrr", "saas", (
        _key("subscription_id"), _key("valid_from", "timestamp"), _opt("valid_to", "timestamp"),
        _c("customer_id", "id"), _c("mrr", "money"), _c("currency", "currency"),
    )),
    Table("invoices", "saas", (
        _key("invoice_id"), _c("customer_id", "id"), _opt("subscription_id", "id"),
        _c("created_at", "timestamp"),
        _enum("status", "draft", "open", "paid", "void", "uncollectible"),
        _c("amount_due", "money"), _c("amount_paid", "money"), _c("currency", "currency"),
        _opt("paid_at", "timestamp"),
    )),
    # --- marketing -----------------------------------------------------------
    Table("ad_campaigns", "marketing", (
        _key("campaign_id"), _enum("channel", "meta", "google", "tiktok", "other"),
        _c("name", "text"), _opt("objective"), _opt("status"),
    )),
    Table("ad_performance_daily", "marketing", (
        _key("date", "date"), _key("campaign_id"),
        _enum("channel", "meta", "google", "tiktok", "other"),
        _c("impressions", "int"), _c("clicks", "int"), _c("spend", "money"),
        _c("conversions", "number"), _c("conversion_value", "money"), _c("currency", "currency"),
    )),
    Table("web_traffic_daily", "marketing", (
        _key("date", "date"), _key("source", "text"), _key("medium", "text"),
        _key("campaign", "text"), _c("sessions", "int"), _c("users", "int"),
        _c("new_users", "int"), _c("conversions", "number"), _c("revenue", "money"),
    )),
    Table("touchpoints", "marketing", (
        _key("touchpoint_id"), _c("customer_id", "id"), _c("occurred_at", "timestamp"),
        _c("channel", "text"), _opt("campaign_id", "id"),
    )),
    # --- commerce operations -------------------------------------------------
    Table("locations", "ops", (_key("location_id"), _c("name", "text"))),
    Table("inventory_levels", "ops", (
        _key("date", "date"), _key("product_id"), _key("location_id"), _c("on_hand", "number"),
    )),
    Table("suppliers", "ops", (
        _key("supplier_id"), _c("name", "text"),
        _c("lead_time_days", "number", check=_POSITIVE, check_text="0 or more days"),
    )),
    Table("product_suppliers", "ops", (_key("product_id"), _key("supplier_id"))),
    Table("purchase_orders", "ops", (
        _key("po_id"), _key("line_no", "int"), _c("supplier_id", "id"), _c("product_id", "id"),
        _c("ordered_at", "timestamp"), _opt("expected_at", "timestamp"),
        _opt("received_at", "timestamp"), _c("quantity", "number"), _c("unit_cost", "money"),
    )),
    # --- betting ---------------------------------------------------------------
    Table("bettors", "betting", (
        _key("user_id"), _c("display_name", "text"), _opt("joined_at", "timestamp"),
    )),
    Table("bets", "betting", (
        _key("bet_id"), _c("user_id", "id"), _c("placed_at", "timestamp"), _c("sport", "text"),
        _opt("league"), _c("event", "text"),
        _enum("market", "moneyline", "spread", "total", "prop", "parlay", "future", "other"),
        _c("selection", "text"),
        _c("odds_decimal", "number", check="v > 1", check_text="decimal odds above 1.0"),
        _c("stake_units", "number", check="v > 0", check_text="a stake above 0"),
        _enum("status", "pending", "won", "lost", "push", "void", "cashout"),
        _opt("settled_at", "timestamp"), _opt("payout_units", "number"),
        Column("closing_odds_decimal", "number", nullable=True, check="v > 1",
               check_text="decimal odds above 1.0"),
    )),
)

TABLE_MAP: dict[str, Table] = {t.name: t for t in TABLES}
VERTICALS: dict[str, tuple[str, ...]] = {
    v: tuple(t.name for t in TABLES if t.vertical == v)
    for v in ("shop", "saas", "marketing", "ops", "betting")
}


def get_table(name: str) -> Table:
    """Returns the table declaration, or raises KeyError with the known names."""
    try:
        return TABLE_MAP[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(TABLE_MAP)}") from None


def create_table_sql(table: Table) -> str:
    """DDL for a normalized table (no PRIMARY KEY: keys are enforced by the upsert)."""
    cols = ",\n  ".join(
        f"{c.name} {c.sql_type}" + ("" if c.nullable else " NOT NULL")
        for c in table.columns
    )
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n  {cols}\n)"
