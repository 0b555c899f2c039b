"""The shorter names buyers give the shop's products: 核桃 for 临安山核桃, 枣 for 新疆和田大枣,
巧克力 for either chocolate, 坚果 for the whole category.

Chinese product names end with their head noun, so a buyer's short name is an ending
of the full one. Each ending of two characters or more that is not itself a name or
an alias names the products whose name ends with it (else those whose aliases do):
one product, a `product` entity; several, a `product_group` entity whose value is
their names joined by "|", for the bot to ask which with buttons. A category's name
is the group of its products. A single character is taken only where it is plainly
the head noun of one product (the last character of its name and of another of its
names, and of nobody else's), and is not common in other words (STOP_CHARACTERS).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, Iterable, List, Set, Tuple

GROUP_SEPARATOR = "|"
# Head nouns of one product here, but inside everyday words (页面, 地铁, 背锅, 试卷).
STOP_CHARACTERS = set("面铁锅卷包子片干果糖酥仁")


def _endings(name: str, shortest: int) -> Iterable[str]:
    return (name[-length:] for length in range(shortest, len(name)))


def partial_names(products: List[Tuple[str, List[str], str]]) -> Tuple[Dict[str, str], Dict[str, str]]:
    """(surface -> product name, surface -> "name|name|...") from (name, aliases, category) rows."""
    exact = {surface for name, aliases, _ in products for surface in [name, *aliases]}
    by_name: Dict[str, List[str]] = defaultdict(list)
    by_alias: Dict[str, List[str]] = defaultdict(list)
    last_character: Dict[str, Set[str]] = defaultdict(set)
    for name, aliases, _ in products:
        for ending in _endings(name, 2):
            by_name[ending].append(name)
        for alias in aliases:
            for ending in _endings(alias, 2):
                if name not in by_alias[ending]:
                    by_alias[ending].append(name)
        for surface in [name, *aliases]:
            last_character[surface[-1]].add(name)
    single, groups = {}, {}
    for ending in set(by_name) | set(by_alias):
        if ending in exact:
            continue
        names = by_name.get(ending) or by_alias[ending]
        if len(names) == 1:
            single[ending] = names[0]
        else:
            groups[ending] = GROUP_SEPARATOR.join(names)
    for name, aliases, _ in products:
        head = name[-1]
        if (head not in STOP_CHARACTERS and head not in exact and last_character[head] == {name}
                and sum(alias.endswith(head) for alias in aliases) >= 1):
            single[head] = name
    categories: Dict[str, List[str]] = defaultdict(list)
    for name, _, category in products:
        if category:
            categories[category].append(name)
    for category, names in categories.items():
        if category not in exact:
            single.pop(category, None)
            groups[category] = GROUP_SEPARATOR.join(names)
    return single, groups
