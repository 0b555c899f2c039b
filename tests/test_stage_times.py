"""A desk's step timings describe its recent answers, in bounded memory."""
from shopbot.desk.stage_times import StageTimes, percentile_ms


def test_percentiles_cover_the_latest_answers_while_the_count_covers_all():
    times = StageTimes(keep=3)
    for seconds in (9.0, 9.0, 0.001, 0.002, 0.003):  # two slow answers long ago, then three quick ones
        times.record("rasa", seconds)
    rasa = times.summary()["rasa"]
    assert rasa["count"] == 5
    assert rasa["p50_ms"] == 2.0 and rasa["p95_ms"] == 3.0


def test_percentile_of_nothing_is_not_a_number_and_of_one_is_itself():
    assert percentile_ms([], 0.5) != percentile_ms([], 0.5)  # NaN
    assert percentile_ms([0.25], 0.95) == 250.0
