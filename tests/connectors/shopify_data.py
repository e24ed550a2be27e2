"""A small shop for the Shopify tests: 5 orders over 3 pages, 3 products, 2 customers, stock."""

from __future__ import annotations

from tests.fakes.shopify import FakeShopify, make_order


def product(n: int, updated: str, cost: str | None) -> dict:
    return {"id": f"gid://shopify/Product/{70 + n}", "title": f"Mug {n}", "productType": "Mugs",
            "status": "ACTIVE" if n != 3 else "ARCHIVED", "updatedAt": updated,
            "variants": {"nodes": [{
                "id": f"gid://shopify/ProductVariant/{700 + n}", "sku": f"SKU-{n}",
                "title": "Default Title", "price": "10.00",
                "inventoryItem": {"id": f"gid://shopify/InventoryItem/{800 + n}",
                                  "unitCost": {"amount": cost, "currencyCode": "USD"} if cost else None}}]}}


def customer(n: int, updated: str) -> dict:
    return {"id": f"gid://shopify/Customer/{500 + n}", "createdAt": "2025-02-01T00:00:00Z",
            "updatedAt": updated, "email": f"c{n}@example.com",
            "defaultAddress": {"countryCodeV2": "BR", "city": "Recife"}}


def stock(n: int, on_hand: int) -> dict:
    return {"id": f"gid://shopify/InventoryItem/{800 + n}",
            "variant": {"id": f"gid://shopify/ProductVariant/{700 + n}"},
            "inventoryLevels": {"nodes": [{
                "location": {"id": "gid://shopify/Location/1", "name": "Warehouse"},
                "quantities": [{"name": "on_hand", "quantity": on_hand}]}]}}


def seeded_shop() -> FakeShopify:
    """Orders 1-5 (order 3 refunded 10.00, order 4 with the same updatedAt as order 3)."""
    fake = FakeShopify()
    fake.orders = [make_order(1, "2025-03-01T12:00:00Z"), make_order(2, "2025-03-02T12:00:00Z"),
                   make_order(3, "2025-03-03T12:00:00Z", status="PARTIALLY_REFUNDED", refund="10.00"),
                   make_order(4, "2025-03-03T12:00:00Z", lines=1),
                   make_order(5, "2025-03-04T12:00:00Z", status="PENDING")]
    fake.products = [product(1, "2025-01-01T00:00:00Z", "4.25"), product(2, "2025-01-02T00:00:00Z", None),
                     product(3, "2025-01-03T00:00:00Z", "1.00")]
    fake.customers = [customer(1, "2025-02-01T00:00:00Z"), customer(2, "2025-02-02T00:00:00Z")]
    fake.inventory = [stock(1, 12), stock(2, 0), stock(3, 7)]
    return fake


TABLES = ("orders", "order_items", "refunds", "products", "customers", "locations", "inventory_levels")


def snapshot(warehouse) -> dict[str, list[tuple]]:
    """Every row of the Shopify tables, sorted: equal snapshots mean equal warehouses."""
    return {t: sorted(warehouse.fetch(f"SELECT * FROM {t}"), key=repr) for t in TABLES}
