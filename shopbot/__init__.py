"""Tmall storefront customer-service assistant: NLU components, shop data, desk, tools."""
