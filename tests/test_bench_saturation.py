"""The saturation bench's stopping rule and its "highest rate held".

The figure it prints (the desks' highest rate held over bare Rasa's) is only as
good as the rule behind it: a step held with errors or a lost line, or a path
whose climb went on past its first failure and "held" a higher rate by luck,
would overstate what the desks can take; a step failed because other work on
the machine restarted PostgreSQL or the cluster's processes would understate it.
"""
import math
from datetime import datetime

from bench.bench_cluster import ClusterState, what_happened
from bench.crowd import Stats, record_bot_answer
from bench.saturation import buyers_for, step_from
from bench.saturation_rule import Capacity, Limits, Step, capacity, capacity_ratio, climb_is_over, held, why_not_held


def step(offered, answered=None, p95_ms=120.0, errors=0, lost=0, duplicated=0, path="desk", seconds=30.0):
    return Step(path=path, offered=offered, seconds=seconds,
                answered=round(offered * seconds) if answered is None else answered,
                p95_ms=p95_ms, errors=errors, lost=lost, duplicated=duplicated)


def test_a_step_is_held_only_within_every_limit():
    assert held(step(40))
    assert held(step(40, p95_ms=1000.0))  # at the limit, not past it
    assert why_not_held(step(40, p95_ms=1250.0)) == ["p95 1.25 s > 1 s"]
    assert why_not_held(step(40, errors=3)) == ["3 errors"]
    assert why_not_held(step(40, lost=1)) == ["1 lost"]
    assert why_not_held(step(40, duplicated=2)) == ["2 duplicated"]
    assert why_not_held(step(40, p95_ms=math.nan)) == ["no answer from the bot"]


def test_a_path_that_answers_fewer_lines_than_chance_allows_has_not_held_the_rate():
    # Buyers wait for each answer: a path falling behind shows as a crowd that cannot send.
    # At 20 msg/s for 30 s a Poisson crowd sends 600 lines, give or take 24.5.
    assert held(step(20, answered=528))  # three standard deviations short: chance
    assert why_not_held(step(20, answered=526)) == ["answered 526 of ~600 lines"]
    assert held(step(20, answered=526), Limits(shortfall_sd=4))
    # At 100 msg/s the same three are a smaller share: 2,836 of 3,000.
    assert held(step(100, answered=2836))
    assert not held(step(100, answered=2835))
    assert held(step(20, answered=700))  # more than offered is chance too


def test_the_highest_rate_held_is_the_last_before_the_first_step_not_held():
    steps = [step(20), step(30), step(40, p95_ms=1400.0), step(50)]  # 50 held by luck after 40 failed
    assert capacity(steps) == Capacity(rate=30, failed_at=40)
    assert capacity(steps).describe() == "30 msg/s (not held at 40)"
    assert capacity(steps).figure() == "30"


def test_a_path_that_held_every_step_is_a_lower_bound_and_one_that_held_none_has_no_rate():
    every = capacity([step(20), step(30)])
    assert every == Capacity(rate=30, failed_at=None) and not every.saturated
    assert every.figure() == "30+"
    assert every.describe() == ">= 30 msg/s (held every step offered)"
    none = capacity([step(20, errors=1)])
    assert none.rate is None and none.saturated and none.figure() == "none"
    assert capacity([]) == Capacity(rate=None, failed_at=None)


def test_a_climb_is_over_at_its_first_step_not_held():
    assert not climb_is_over([])
    assert not climb_is_over([step(20), step(30)])
    assert climb_is_over([step(20), step(30, lost=1)])


def test_the_ratio_is_the_desks_rate_over_bare_rasas_and_a_bound_when_a_climb_never_failed():
    assert capacity_ratio(Capacity(40, 50), Capacity(60, 70)) == "0.67"
    assert capacity_ratio(Capacity(40, 50), Capacity(120, None)) == "<=0.33"  # bare Rasa held more than offered
    assert capacity_ratio(Capacity(120, None), Capacity(100, 110)) == ">=1.20"
    assert capacity_ratio(Capacity(120, None), Capacity(120, None)) == "n/a"
    assert capacity_ratio(Capacity(None, 20), Capacity(60, 70)) == "n/a"


def test_the_crowd_grows_with_the_rate_at_the_load_benchs_pace():
    assert buyers_for(32) == 20  # bench-load's crowd
    assert buyers_for(20) == 13
    assert buyers_for(100) == 63
    assert buyers_for(0.5) == 1


def test_a_steps_p95_is_over_the_bots_answers_and_its_count_over_every_line():
    stats = Stats(started=0.0, finished=10.3)  # the last answers came after the step's 10 s
    for _ in range(95):
        stats.latencies.append(0.05)
        record_bot_answer(stats, "保质期多久", 0.05)
    stats.latencies += [2.0] * 5  # lines a person answered, on the simulated agent's once-a-second round
    figures = step_from("desk", 10, 10.0, stats, lost=0, duplicated=0)
    assert figures.answered == 100 and figures.expected == 100
    assert figures.p95_ms == 50.0
    assert held(figures)


def test_a_step_is_run_again_only_when_something_else_disturbed_the_cluster():
    started = datetime(2026, 12, 7, 9, 15, 48)
    quiet = ClusterState(postgres_started_at=started, restarts=0)
    assert what_happened(quiet, ClusterState(started, 0)) == []
    assert what_happened(quiet, ClusterState(datetime(2026, 12, 7, 9, 36), 0)) == ["PostgreSQL restarted"]
    assert what_happened(quiet, ClusterState(started, 5)) == ["5 of the cluster's processes restarted"]
    assert what_happened(ClusterState(None, 0), ClusterState(None, 0)) == []  # servers the bench did not start
