"""A conversation's life: bot → waiting → agent → bot (or closed).

Kept as data so the store can enforce it in one UPDATE (no two agents can both
win a claim) and the tests can read the whole machine at a glance.
"""
from __future__ import annotations

BOT = "bot"          # the assistant answers
WAITING = "waiting"  # handed off, in the agents' queue
AGENT = "agent"      # an agent claimed it; the bot is silent
CLOSED = "closed"

TRANSITIONS = {
    "handoff": ({BOT}, WAITING),
    "claim": ({WAITING}, AGENT),
    "hand_back": ({AGENT, WAITING}, BOT),
    "close": ({BOT, WAITING, AGENT}, CLOSED),
    "reopen": ({CLOSED}, BOT),  # the buyer writes again after a close
}


class TransitionError(ValueError):
    """The conversation is not in a state that allows this step (e.g. already claimed)."""


def target(action: str, current: str) -> str:
    sources, destination = TRANSITIONS[action]
    if current not in sources:
        raise TransitionError(f"cannot {action} a conversation that is {current}")
    return destination
