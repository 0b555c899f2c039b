"""The shop: the merchant's own files (settings, catalog, regions, couriers) and data."""
