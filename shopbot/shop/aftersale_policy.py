"""What the shop's policy lets the bot propose for a problem with a delivered order.

settings.yml `aftersale` lists, by problem type, the days after delivery within which a
resolution is proposed and which one: 补发 (send again), 退款 (refund), 部分退款
(partial refund), 退货退款 (return and refund) or 换货 (exchange), by whether the item's
amount is small. The proposal is only that: an agent approves or changes it, within
the policy's hours, and the bot says so. Expired food and safety problems are urgent
whatever is proposed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

RESOLUTIONS = ("补发", "退款", "部分退款", "退货退款", "换货")


@dataclass(frozen=True)
class Proposal:
    """The resolution to put to an agent (None: the agent decides), and why."""

    resolution: Optional[str]
    urgent: bool
    reason: str


def propose(settings: Dict[str, Any], problem: str, amount: float, days_since_delivery: int) -> Proposal:
    """The proposal for `problem` on an item of `amount` yuan delivered `days_since_delivery` ago."""
    aftersale = settings.get("aftersale") or {}
    rule = (aftersale.get("problems") or {}).get(problem)
    if not isinstance(rule, dict):
        return Proposal(None, False, f"no rule for {problem}: an agent decides")
    urgent = bool(rule.get("urgent"))
    within = int(rule.get("within_days", 0) or 0)
    if days_since_delivery < 0:
        return Proposal(None, urgent, "delivered in the future by the dates: an agent decides")
    if days_since_delivery > within:
        return Proposal(None, urgent, f"{days_since_delivery} days after delivery, past {within}: an agent decides")
    size = "small" if amount <= float(aftersale.get("small_amount", 0) or 0) else "large"
    resolution = rule.get(size)
    if resolution not in RESOLUTIONS:
        return Proposal(None, urgent, f"no {size} resolution for {problem}: an agent decides")
    return Proposal(resolution, urgent, f"{problem}, {size} amount, {days_since_delivery} days after delivery")


def agent_confirms_within_hours(settings: Dict[str, Any]) -> int:
    """The hours within which an agent confirms a case, as the bot tells the buyer."""
    return int((settings.get("aftersale") or {}).get("agent_confirms_within_hours", 24) or 24)
