"""Hostile input at every entrance: Rasa's REST channel, the buyer socket, the agents' APIs.

1,100 generated cases (harness.hostile, fixed seed) are sent once per run by
harness.hostile_runner; each test below judges one thing a user would notice.
The full version is bench/faults.py (`make bench-faults`).
"""
import asyncio
import os
from collections import Counter

import pytest
import requests

from harness.hostile import KINDS, generate
from harness.hostile_runner import HostileRunner, split
from tests.conftest import DESK_SECRET, rasa_api

CASES = 1100
SEED = 20261123


def _problems(report, *whats):
    return "\n".join(str(p) for p in report.problems if p.what in whats)


@pytest.fixture(scope="module")
def hostile(rasa_url, desk):
    runner = HostileRunner(rasa_url, desk.url, DESK_SECRET, agent=("alice", "agentpass1"),
                           concurrency=4, ws_connections=4, rasa_token=os.environ["RASA_TOKEN"],
                           channel_token=os.environ["CHANNEL_TOKEN"])
    rest, ws, api = split(generate(CASES, SEED))
    report = asyncio.run(runner.run(rest, ws, api))
    return report


def test_the_generator_is_deterministic_and_covers_every_kind():
    first, again = generate(300, 7), generate(300, 7)
    assert first == again, "same (n, seed) must give the same cases"
    assert generate(300, 8) != first
    assert set(KINDS) <= {c.kind for c in first}, "every kind appears"
    assert all(c.target == KINDS[c.kind][0] for c in first)


def test_over_a_thousand_cases_reach_all_three_entrances(hostile):
    channels = Counter()
    for (channel, _kind), count in hostile.counts.items():
        channels[channel] += count
    assert hostile.total >= 1000, f"only {hostile.total} cases were sent"
    assert min(channels["rest"], channels["ws"], channels["api"]) >= 200, channels
    assert not _problems(hostile, "exception", "login_failed"), _problems(hostile, "exception", "login_failed")


def test_no_5xx_and_no_request_left_unanswered(hostile):
    problems = _problems(hostile, "server_error", "no_answer")
    assert not problems, f"server errors or unanswered requests:\n{problems}"


def test_both_servers_are_alive_and_answer_postage_normally(hostile, rasa_url, desk):
    assert desk.process.poll() is None, "the desk process died"
    assert requests.get(f"{rasa_url}/status", params=rasa_api(), timeout=10).ok, "Rasa no longer answers /status"
    assert requests.get(f"{desk.url}/health", timeout=10).ok, "the desk no longer answers /health"
    assert hostile.survived, _problems(hostile, "normal_reply")


def test_no_reply_shows_another_accounts_orders(hostile):
    problems = _problems(hostile, "leak")
    assert not problems, f"another account's order ids / tracking numbers were shown:\n{problems}"


def test_protected_endpoints_refuse_requests_without_a_session(hostile):
    problems = _problems(hostile, "unauthorised")
    assert not problems, f"agent/trainer endpoints answered without a session:\n{problems}"


def test_forged_signatures_stay_anonymous(hostile):
    assert hostile.counts[("ws", "ws_forged_hello")] >= 20
    problems = _problems(hostile, "forged_login", "forged_resume", "bad_welcome")
    assert not problems, f"a forged hello was signed in or resumed another buyer's chat:\n{problems}"


def test_malformed_frames_never_break_the_chat(hostile):
    problems = _problems(hostile, "broken_socket")
    assert not problems, f"a buyer socket stopped answering after a malformed frame:\n{problems}"


def test_an_oversized_frame_closes_only_its_own_socket(hostile):
    assert hostile.counts[("ws", "ws_oversized_frame")] >= 5
    problems = _problems(hostile, "oversize")
    assert not problems, f"oversized frames:\n{problems}"


def test_rasa_commands_typed_in_the_widget_never_reach_rasa_as_commands(hostile):
    assert len(hostile.injections) >= 20, "too few Rasa-command cases went through the desk"
    problems = _problems(hostile, "injection")
    assert not problems, f"Rasa-command injection through the desk:\n{problems}"
