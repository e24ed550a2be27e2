"""Shopify records into normalized rows: GraphQL nodes (sync) and REST JSON (webhooks).

Both shapes of one order map to the same rows: ids are the numeric tail of the
GraphQL gid (``gid://shopify/Order/450789469`` → ``450789469``), which is the
REST id; a product row is a variant (it has the SKU, price and unit cost).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

Node = Mapping[str, Any]
Rows = dict[str, list[dict[str, Any]]]

# displayFinancialStatus (GraphQL, upper case) and financial_status (REST) → orders.status
_STATUS = {"paid": "paid", "refunded": "refunded", "partially_refunded": "partially_refunded",
           "voided": "cancelled", "pending": "pending", "authorized": "pending",
           "partially_paid": "pending", "expired": "cancelled"}
_CHANNEL = {"web": "online_store", "pos": "pos", "shopify_draft_order": "online_store",
            "iphone": "online_store", "android": "online_store"}


def gid_tail(gid: str | int | None) -> str | None:
    """The numeric id of a GraphQL gid (REST ids pass through)."""
    if gid is None:
        return None
    return str(gid).rsplit("/", 1)[-1]


def _money(money_set: Node | None) -> str:
    """The shop-currency amount of a MoneyBag (GraphQL ``shopMoney``, REST ``shop_money``)."""
    if not money_set:
        return "0"
    bag = money_set.get("shopMoney") or money_set.get("shop_money") or {}
    return str(bag.get("amount") or "0")


def order_status(financial_status: str | None, cancelled_at: str | None) -> str:
    """orders.status from Shopify's financial status; a cancelled order is cancelled."""
    if cancelled_at:
        return "cancelled"
    return _STATUS.get((financial_status or "pending").lower(), "pending")


def sales_channel(source_name: str | None) -> str:
    """orders.sales_channel from the order's source_name (apps and marketplaces are "other")."""
    return _CHANNEL.get((source_name or "").lower(), "other")


def _utm_source(landing_site: str | None) -> str | None:
    if not landing_site:
        return None
    values = parse_qs(urlparse(landing_site).query).get("utm_source")
    return values[0] if values else None


# --- GraphQL (sync) ---------------------------------------------------------------------

def order_rows_graphql(node: Node) -> Rows:
    """orders, order_items and refunds of one GraphQL Order node."""
    order_id = gid_tail(node["id"])
    address = node.get("shippingAddress") or node.get("billingAddress") or {}
    journey = (node.get("customerJourneySummary") or {}).get("firstVisit") or {}
    order = {
        "order_id": order_id, "customer_id": gid_tail((node.get("customer") or {}).get("id")),
        "created_at": node["createdAt"],
        "status": order_status(node.get("displayFinancialStatus"), node.get("cancelledAt")),
        "currency": node["currencyCode"],
        "subtotal": _money(node.get("totalLineItemsPriceSet")),
        "discount": _money(node.get("totalDiscountsSet")),
        "shipping": _money(node.get("totalShippingPriceSet")),
        "tax": _money(node.get("totalTaxSet")), "total": _money(node.get("totalPriceSet")),
        "country": address.get("countryCodeV2"), "sales_channel": sales_channel(node.get("sourceName")),
        "source": (journey.get("utmParameters") or {}).get("source"),
    }
    items = [{
        "order_id": order_id, "line_no": line_no,
        "product_id": _line_product(gid_tail((item.get("variant") or {}).get("id")),
                                    gid_tail((item.get("product") or {}).get("id")), item["id"]),
        "quantity": item["quantity"], "unit_price": _money(item.get("originalUnitPriceSet")),
        "discount": _money(item.get("totalDiscountSet")),
    } for line_no, item in enumerate(node["lineItems"]["nodes"], start=1)]
    refunds = [{"refund_id": gid_tail(r["id"]), "order_id": order_id, "created_at": r["createdAt"],
                "amount": _money(r.get("totalRefundedSet"))} for r in node.get("refunds") or []]
    return {"orders": [order], "order_items": items, "refunds": refunds}


def _line_product(variant_id: str | None, product_id: str | None, line_id: str) -> str:
    """A line's product: its variant; a deleted one falls back to the product, then the line."""
    return variant_id or (f"product-{product_id}" if product_id else f"custom-{gid_tail(line_id)}")


def product_rows_graphql(node: Node) -> list[dict[str, Any]]:
    """One products row per variant of a GraphQL Product node, with the unit cost."""
    rows = []
    for variant in node["variants"]["nodes"]:
        cost = ((variant.get("inventoryItem") or {}).get("unitCost") or {}).get("amount")
        rows.append({
            "product_id": gid_tail(variant["id"]), "sku": variant.get("sku") or "",
            "title": _title(node["title"], variant.get("title")),
            "category": node.get("productType") or None, "price": variant["price"],
            "cost": cost, "active": node.get("status", "ACTIVE").upper() == "ACTIVE",
        })
    return rows


def _title(product: str, variant: str | None) -> str:
    return product if not variant or variant == "Default Title" else f"{product} - {variant}"


def customer_row_graphql(node: Node) -> dict[str, Any]:
    """The customers row of a GraphQL Customer node."""
    address = node.get("defaultAddress") or {}
    return {"customer_id": gid_tail(node["id"]), "created_at": node["createdAt"],
            "email": node.get("email"), "country": address.get("countryCodeV2"),
            "city": address.get("city")}


# --- REST (webhooks) ----------------------------------------------------------------------

def order_rows_rest(order: Node) -> Rows:
    """orders, order_items and refunds of a REST order (orders/* webhook payloads)."""
    order_id = str(order["id"])
    address = order.get("shipping_address") or order.get("billing_address") or {}
    row = {
        "order_id": order_id, "customer_id": gid_tail((order.get("customer") or {}).get("id")),
        "created_at": order["created_at"],
        "status": order_status(order.get("financial_status"), order.get("cancelled_at")),
        "currency": order["currency"], "subtotal": order.get("total_line_items_price") or "0",
        "discount": order.get("total_discounts") or "0",
        "shipping": _money(order.get("total_shipping_price_set")),
        "tax": order.get("total_tax") or "0", "total": order.get("total_price") or "0",
        "country": address.get("country_code"), "sales_channel": sales_channel(order.get("source_name")),
        "source": _utm_source(order.get("landing_site")),
    }
    items = [{
        "order_id": order_id, "line_no": line_no,
        "product_id": _line_product(gid_tail(item.get("variant_id")), gid_tail(item.get("product_id")),
                                    str(item["id"])),
        "quantity": item["quantity"], "unit_price": item["price"],
        "discount": item.get("total_discount") or "0",
    } for line_no, item in enumerate(order.get("line_items") or [], start=1)]
    refunds = [refund_row_rest(r) for r in order.get("refunds") or []]
    return {"orders": [row], "order_items": items, "refunds": refunds}


def refund_row_rest(refund: Node) -> dict[str, Any]:
    """A refunds row of a REST refund: the sum of its successful refund transactions."""
    amount = sum((Decimal(str(t["amount"])) for t in refund.get("transactions") or []
                  if t.get("kind") == "refund" and t.get("status", "success") == "success"), Decimal(0))
    return {"refund_id": str(refund["id"]), "order_id": str(refund["order_id"]),
            "created_at": refund["created_at"], "amount": str(amount)}


def customer_row_rest(customer: Node) -> dict[str, Any]:
    """The customers row of a REST customer (customers/* webhook payloads)."""
    address = customer.get("default_address") or {}
    return {"customer_id": str(customer["id"]), "created_at": customer["created_at"],
            "email": customer.get("email"), "country": address.get("country_code"),
            "city": address.get("city")}
