"""The resolution the shop's settings let the bot propose to an agent, by problem, amount and days."""
from pathlib import Path

import pytest
import yaml

from shopbot.shop.aftersale_policy import RESOLUTIONS, propose

SETTINGS = yaml.safe_load((Path(__file__).resolve().parent.parent / "shop" / "settings.yml").read_text("utf-8"))


@pytest.mark.parametrize("problem, amount, days, resolution", [
    ("damaged", 29.9, 2, "补发"),       # a cheap item broken: sent again, no return needed
    ("damaged", 168.0, 2, "部分退款"),
    ("missing", 168.0, 1, "补发"),
    ("wrong_item", 29.9, 3, "换货"),
    ("quality", 168.0, 10, "退货退款"),
    ("expired", 29.9, 20, "退款"),
])
def test_each_problem_gets_the_resolution_the_settings_give_it(problem, amount, days, resolution):
    proposal = propose(SETTINGS, problem, amount, days)
    assert proposal.resolution == resolution and resolution in RESOLUTIONS


def test_expired_food_and_safety_problems_are_urgent_and_others_not():
    assert propose(SETTINGS, "expired", 29.9, 1).urgent and propose(SETTINGS, "safety", 29.9, 1).urgent
    assert not propose(SETTINGS, "damaged", 29.9, 1).urgent


def test_past_the_days_or_an_unknown_problem_an_agent_decides_and_urgency_stays():
    late = propose(SETTINGS, "damaged", 29.9, 8)
    assert late.resolution is None and "past 7" in late.reason
    assert propose(SETTINGS, "expired", 29.9, 31).urgent
    assert propose(SETTINGS, "smells_odd", 29.9, 1).resolution is None
    assert propose({}, "damaged", 29.9, 1).resolution is None  # a shop without the section: nothing promised


def test_a_resolution_the_policy_does_not_know_is_never_proposed():
    settings = {"aftersale": {"small_amount": 50, "problems": {"damaged": {"within_days": 7, "small": "送一箱"}}}}
    assert propose(settings, "damaged", 10, 1).resolution is None


def test_dates_that_put_delivery_in_the_future_get_an_agent_and_the_confirm_hours_are_the_shops():
    from shopbot.shop.aftersale_policy import agent_confirms_within_hours

    assert propose(SETTINGS, "damaged", 29.9, -1).resolution is None
    assert agent_confirms_within_hours(SETTINGS) == SETTINGS["aftersale"]["agent_confirms_within_hours"]
    assert agent_confirms_within_hours({}) == 24
