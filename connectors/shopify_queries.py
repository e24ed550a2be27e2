"""The Admin GraphQL queries of the Shopify connector (API version in connectors.shopify).

Pages are 50 records sorted by UPDATED_AT, so a record changed during a sync
moves to the end of the walk instead of being skipped.
"""

SHOP = "query Shop { shop { name currencyCode } }"

_MONEY = "shopMoney { amount currencyCode }"

ORDERS = f"""
query Orders($after: String, $query: String) {{
  orders(first: 50, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id name createdAt updatedAt cancelledAt displayFinancialStatus currencyCode sourceName
      customer {{ id }}
      shippingAddress {{ countryCodeV2 }}
      billingAddress {{ countryCodeV2 }}
      customerJourneySummary {{ firstVisit {{ utmParameters {{ source }} }} }}
      totalLineItemsPriceSet {{ {_MONEY} }}
      totalDiscountsSet {{ {_MONEY} }}
      totalShippingPriceSet {{ {_MONEY} }}
      totalTaxSet {{ {_MONEY} }}
      totalPriceSet {{ {_MONEY} }}
      lineItems(first: 100) {{
        nodes {{
          id quantity sku
          variant {{ id }}
          product {{ id }}
          originalUnitPriceSet {{ {_MONEY} }}
          totalDiscountSet {{ {_MONEY} }}
        }}
      }}
      refunds {{ id createdAt totalRefundedSet {{ {_MONEY} }} }}
    }}
  }}
}}
"""

PRODUCTS = """
query Products($after: String, $query: String) {
  products(first: 50, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id title productType status updatedAt
      variants(first: 100) {
        nodes { id sku title price inventoryItem { id unitCost { amount currencyCode } } }
      }
    }
  }
}
"""

CUSTOMERS = """
query Customers($after: String, $query: String) {
  customers(first: 50, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { id createdAt updatedAt email defaultAddress { countryCodeV2 city } }
  }
}
"""

INVENTORY = """
query Inventory($after: String) {
  inventoryItems(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      variant { id }
      inventoryLevels(first: 50) {
        nodes { location { id name } quantities(names: ["on_hand"]) { name quantity } }
      }
    }
  }
}
"""
