"""Which words name the shop's products, regions and couriers, and their canonical names.

Built from the merchant's files, so a new product or courier is recognised after
retraining without touching code. Problem types are not shop-specific: they are
the after-sale categories of the manual, kept here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

from shopbot.nlu.product_names import partial_names
from shopbot.shop import files

# problem_type values and the words buyers use for them.
PROBLEM_TERMS: Dict[str, List[str]] = {
    "damaged": ["碎了", "碎的", "压碎", "压扁", "压坏", "破了", "破损", "摔坏", "漏气", "漏油",
                "漏了", "胀袋", "涨袋", "坏了", "烂了", "变形", "裂开"],
    "wrong_item": ["发错", "寄错", "不是我买的", "口味不对", "错发", "发成了", "给错"],
    "missing_item": ["少发", "漏发", "少了", "缺了", "少一包", "少一袋", "少寄", "没发全", "数量不对"],
    "quality": ["质量问题", "发霉", "长毛", "有虫", "虫子", "异物", "头发", "受潮", "不脆", "软了",
                "哈喇味", "油哈味", "味道不对", "有异味", "变味", "酸了", "发苦", "霉点"],
    "expired": ["过期", "超过保质期", "过了保质期", "已经过期"],
    # Not yet expired: a worry about freshness, not a safety matter.
    "near_expiry": ["临期", "快过期", "快到期", "离过期", "日期不新鲜", "日期太老"],
}


def build_vocabulary(shop_dir: Path) -> Dict[str, Dict[str, str]]:
    """label -> {surface form -> canonical value} for product (and product_group: shorter
    names that mean several, see product_names), region, courier, problem_type."""
    vocabulary: Dict[str, Dict[str, str]] = {
        "product": {}, "product_group": {}, "region": {}, "courier": {}, "problem_type": {}
    }
    products = [(row["name"].strip(), files.split_list(row.get("aliases")), (row.get("category") or "").strip())
                for row in files.read_catalog(shop_dir)]
    # Shorter names first: a full name or alias overrides any ending that happens to equal it.
    vocabulary["product"], vocabulary["product_group"] = partial_names(products)
    for name, aliases, _ in products:
        for surface in [name, *aliases]:
            vocabulary["product"][surface] = name
    for label, entries in (("region", files.read_regions(shop_dir)),
                           ("courier", files.read_couriers(shop_dir))):
        for entry in entries:
            for surface in [entry["name"], *entry["aliases"]]:
                vocabulary[label][surface] = entry["name"]
    for problem, terms in PROBLEM_TERMS.items():
        for term in terms:
            vocabulary["problem_type"][term] = problem
    return vocabulary


def vocabulary_digest(shop_dir: Path) -> str:
    return files.files_digest(
        shop_dir, [files.CATALOG_FILE, files.REGIONS_FILE, files.COURIERS_FILE]
    )
