"""The reply scripts of domain.yml, checked against the Tmall rules.

`make test` runs `shopbot check-replies`: every variant of every response must
pass the compliance checker, with its {placeholders} filled by sample values so
the words around them are checked as the buyer would read them.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from shopbot.compliance import Breach, check_reply

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# Neutral sample values: a placeholder must not create or hide a breach itself.
SAMPLE_VALUES = {"fee": "15", "stock": "20", "days": "3", "amount": "29.90", "price": "29.90",
                 "order_id": "", "tracking_no": "", "threshold": "600", "promise_hours": "48"}


def render(template: str, values: Dict[str, object]) -> str:
    """Fill {name} placeholders as Rasa does (unknown names are left as they are)."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


def load_responses(domain_path: Path) -> Dict[str, List[str]]:
    domain = yaml.safe_load(Path(domain_path).read_text(encoding="utf-8"))
    return {name: [v["text"] for v in variants if "text" in v]
            for name, variants in (domain.get("responses") or {}).items()}


def check_domain(domain_path: Path) -> List[Tuple[str, str, Breach]]:
    """(response name, rendered text, breach) for every breach in the domain's scripts."""
    found = []
    for name, texts in load_responses(domain_path).items():
        for template in texts:
            text = render(template, {k: SAMPLE_VALUES.get(k, "样例") for k in PLACEHOLDER.findall(template)})
            found += [(name, text, breach) for breach in check_reply(text)]
    return found
