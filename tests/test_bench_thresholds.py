"""The threshold bench counts what each pair of thresholds declines the way the FallbackClassifier would.

A trainer reads its table to move a threshold; a line counted on the wrong side
would move it the wrong way.
"""
from pathlib import Path

import yaml

from bench.thresholds import declining_nothing, trade

ROOT = Path(__file__).resolve().parents[1]


def test_a_line_is_declined_when_unsure_or_when_its_two_likeliest_intents_are_close():
    rows = [
        {"right": True, "first": 0.90, "second": 0.05},   # sure and right: answered
        {"right": False, "first": 0.80, "second": 0.10},  # sure and wrong: a wrong answer
        {"right": True, "first": 0.30, "second": 0.20},   # under the threshold: declined
        {"right": False, "first": 0.50, "second": 0.48},  # two intents within 0.05: declined
    ]
    assert trade(rows, threshold=0.45, ambiguity=0.05) == {
        "right": 1, "wrong": 1, "declined_right": 1, "declined_wrong": 1}
    # Without the ambiguity rule the close call is answered, wrongly.
    assert trade(rows, threshold=0.45, ambiguity=0.0)["wrong"] == 2


def test_the_folds_train_on_the_projects_pipeline_with_nothing_declined():
    shipped = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    config = declining_nothing(ROOT / "config.yml")
    (fallback,) = [c for c in config["pipeline"] if c["name"] == "FallbackClassifier"]
    assert (fallback["threshold"], fallback["ambiguity_threshold"]) == (0.0, 0.0)
    others = [c for c in config["pipeline"] if c["name"] != "FallbackClassifier"]
    assert others == [c for c in shipped["pipeline"] if c["name"] != "FallbackClassifier"]
