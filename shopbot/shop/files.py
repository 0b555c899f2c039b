"""Reading the merchant's own shop files.

The merchant edits plain files under the shop directory (CSV and YAML); nothing
here is Python they would have to touch. This module only parses them; it has no
idea what the bot does with the contents.
"""
from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Dict, Iterable, List

import yaml

CATALOG_FILE = "catalog.csv"
REGIONS_FILE = "regions.yml"
COURIERS_FILE = "couriers.yml"


class ShopFileError(ValueError):
    """A shop file is missing or malformed; the message names the file and the fix."""


def _read_yaml(path: Path) -> dict:
    if not path.exists():
        raise ShopFileError(f"shop file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ShopFileError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ShopFileError(f"{path} should be a YAML mapping")
    return data


def split_list(value: str | None) -> List[str]:
    """Catalog cells that hold several values separate them with '|'."""
    return [part.strip() for part in (value or "").split("|") if part.strip()]


def read_catalog(shop_dir: Path) -> List[Dict[str, str]]:
    """Rows of catalog.csv as dicts of strings, in file order."""
    path = Path(shop_dir) / CATALOG_FILE
    if not path.exists():
        raise ShopFileError(f"shop file not found: {path}")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, start=2):
        if not (row.get("sku") and row.get("name")):
            raise ShopFileError(f"{path} line {number}: every product needs a sku and a name")
    return rows


def read_named_list(shop_dir: Path, filename: str, key: str) -> List[dict]:
    """Entries like regions.yml's `regions:` list: each has a name and aliases."""
    path = Path(shop_dir) / filename
    entries = _read_yaml(path).get(key) or []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ShopFileError(f"{path}: every entry under '{key}' needs a name")
        entry["aliases"] = [str(a) for a in entry.get("aliases") or []]
        entry["name"] = str(entry["name"])
    return entries


def read_regions(shop_dir: Path) -> List[dict]:
    return read_named_list(shop_dir, REGIONS_FILE, "regions")


def read_couriers(shop_dir: Path) -> List[dict]:
    return read_named_list(shop_dir, COURIERS_FILE, "couriers")


def files_digest(shop_dir: Path, filenames: Iterable[str]) -> str:
    """A digest of the named files, so a model is retrained when they change."""
    digest = hashlib.sha256()
    for name in sorted(filenames):
        path = Path(shop_dir) / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()
