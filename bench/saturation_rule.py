"""When a saturation step counts as held, and the highest offered rate each path held.

bench/saturation.py offers a path (the desks, or bare Rasa) a rising rate of
messages, one step at a time. A path holds a step's rate when it answers every
line well within a buyer's patience and keeps every line it was sent:

- the bot's answers' p95 at most 1 s: beyond that, buyers notice the bot is
  slow (a line a person answers waits on the simulated agent's round of the
  queue, once a second: a cost of the rig, not of the path, so not counted);
- no errors (a line unanswered in 30 s, a refused request or socket);
- nothing lost or duplicated in the stores afterwards;
- as many lines answered as the crowd offers at that rate, give or take chance.
  The buyers wait for each answer before typing the next line, so a path that
  falls behind shows first as a crowd that cannot send what it was asked to, not
  as a long p95. The crowd's lines are a Poisson stream, so over a step the count
  offered wanders by its square root: a step answering more than three of those
  below the rate times the step's length has fallen behind (at 20 msg/s for 30 s,
  under 527 of 600; at 100 msg/s, under 2,836 of 3,000).

A path's first step not held ends its climb; the highest rate it held is the
highest offered before that step. A path that held every rate offered (or was
stopped by the run's time budget) has not been saturated: its figure is a lower
bound, said as such.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Sequence


@dataclass(frozen=True)
class Limits:
    """What a step must keep to to count as held."""
    p95_ms: float = 1000.0
    shortfall_sd: float = 3.0  # lines answered may fall this many Poisson standard deviations short of those offered


@dataclass(frozen=True)
class Step:
    """One path's figures for one offered rate."""
    path: str  # "desk" or "bare Rasa"
    offered: float  # msg/s the crowd was asked to send
    seconds: float  # the step's length, as planned
    answered: int  # lines answered in the step, by anyone
    p95_ms: float  # of the bot's answers; NaN when it gave none
    errors: int
    lost: int
    duplicated: int

    @property
    def expected(self) -> float:
        """Lines a crowd offering this rate sends over the step, on average."""
        return self.offered * self.seconds


@dataclass(frozen=True)
class Capacity:
    """The highest rate a path held, and the rate of its first step not held (None: it held every step offered)."""
    rate: Optional[float]  # None: not even the first rate offered was held, or nothing was offered
    failed_at: Optional[float]

    @property
    def saturated(self) -> bool:
        return self.failed_at is not None

    def describe(self) -> str:
        if self.rate is None:
            return f"none (not held at {self.failed_at:g} msg/s)" if self.saturated else "not measured"
        if self.saturated:
            return f"{self.rate:g} msg/s (not held at {self.failed_at:g})"
        return f">= {self.rate:g} msg/s (held every step offered)"

    def figure(self) -> str:
        """For the last line: the rate, '+' when it is only a lower bound, 'none' when none was held."""
        return "none" if self.rate is None else f"{self.rate:g}{'' if self.saturated else '+'}"


def why_not_held(step: Step, limits: Limits = Limits()) -> List[str]:
    """The limits a step broke, in words; empty when it held."""
    reasons = []
    if math.isnan(step.p95_ms):
        reasons.append("no answer from the bot")
    elif step.p95_ms > limits.p95_ms:
        reasons.append(f"p95 {step.p95_ms / 1000:.2f} s > {limits.p95_ms / 1000:g} s")
    if step.errors:
        reasons.append(f"{step.errors} errors")
    if step.lost:
        reasons.append(f"{step.lost} lost")
    if step.duplicated:
        reasons.append(f"{step.duplicated} duplicated")
    if step.answered < step.expected - limits.shortfall_sd * math.sqrt(step.expected):
        reasons.append(f"answered {step.answered} of ~{step.expected:.0f} lines")
    return reasons


def held(step: Step, limits: Limits = Limits()) -> bool:
    return not why_not_held(step, limits)


def climb_is_over(steps: Sequence[Step], limits: Limits = Limits()) -> bool:
    """Whether a path's steps so far (in the order offered) end in one it did not hold: no higher step is worth offering."""
    return any(not held(step, limits) for step in steps)


def capacity(steps: Sequence[Step], limits: Limits = Limits()) -> Capacity:
    """The highest rate offered before a path's first step not held, from its steps in the order offered."""
    best: Optional[float] = None
    for step in steps:
        if not held(step, limits):
            return Capacity(best, failed_at=step.offered)
        best = step.offered if best is None else max(best, step.offered)
    return Capacity(best, failed_at=None)


def capacity_ratio(desk: Capacity, bare: Capacity) -> str:
    """The desks' highest rate held over bare Rasa's, as far as the climbs tell it.

    A path that held every step offered has only a lower bound, so the ratio is
    then a bound too ('<=' when bare Rasa was never saturated, '>=' when the desks
    were not), and says nothing when neither was.
    """
    if not desk.rate or not bare.rate:
        return "n/a"
    ratio = f"{desk.rate / bare.rate:.2f}"
    if desk.saturated and bare.saturated:
        return ratio
    if desk.saturated:
        return "<=" + ratio
    if bare.saturated:
        return ">=" + ratio
    return "n/a"
