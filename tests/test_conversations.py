"""Multi-turn conversations from the manual's scenarios, end to end.

Each scenario in tests/conversations/*.yml is played over the REST channel
against a live Rasa and action server, with the buyer's account in the metadata
as the desk sends it, and the shop clock pinned to the sample data's "now".
A turn's `expect` lists the reply scripts the buyer must get, in order;
`contains` lists facts that must appear in the replies (stock numbers,
postage, order numbers); `absent` lists text that must not appear anywhere
(another account's data); `handoff: true` requires a handoff payload; `page`
is the product page (sku) the widget is on; `buttons` lists button titles that
must be offered; `expect_any` and `buttons_any`: at least one of them; `case` and
`return_parcel`: what the bot tells the desk to keep (fields that must match).
"""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import channel_headers
from tests.replies import responses_matching

SCENARIO_DIR = Path(__file__).parent / "conversations"


def scenarios():
    for path in sorted(SCENARIO_DIR.glob("*.yml")):
        for scenario in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]:
            yield pytest.param(scenario, id=f"{path.stem}: {scenario['name']}")


def say(rasa_url, sender, text, account, page=None):
    body = {"sender": sender, "message": text, "metadata": {}}
    if account:
        body["metadata"]["account"] = account
    if page:
        body["metadata"]["page_sku"] = page  # the product page the widget is on
    # As the desk sends it: with the channel token, so that the account is believed.
    response = requests.post(f"{rasa_url}/webhooks/rest/webhook", json=body, headers=channel_headers(), timeout=30)
    response.raise_for_status()
    return response.json()


@pytest.mark.parametrize("scenario", scenarios())
def test_conversation(rasa_url, scenario):
    sender = uuid.uuid4().hex
    for number, turn in enumerate(scenario["turns"], start=1):
        account = turn.get("account", scenario.get("account"))
        messages = say(rasa_url, sender, turn["user"], account, turn.get("page", scenario.get("page")))
        texts = [m["text"] for m in messages if m.get("text")]
        got = [sorted(responses_matching(t)) or [f"<unrecognised: {t}>"] for t in texts]
        where = f"turn {number} ({turn['user']!r}): got {got}"
        remaining = list(got)
        for expected in turn.get("expect", []):
            while remaining and expected not in remaining[0]:
                remaining.pop(0)
            assert remaining, f"{where}; expected {expected}"
            remaining.pop(0)
        joined = "\n".join(texts)
        for fact in turn.get("contains", []):
            assert str(fact) in joined, f"{where}; missing {fact!r}"
        for secret in turn.get("absent", []):
            assert str(secret) not in joined, f"{where}; leaked {secret!r}"
        offered = [button.get("title") for m in messages for button in m.get("buttons") or []]
        for title in turn.get("buttons", []):
            assert title in offered, f"{where}; no button {title!r} in {offered}"
        if "expect_any" in turn:  # either answer will do (which question of two comes first)
            assert any(set(names) & set(turn["expect_any"]) for names in got), f"{where}; none of {turn['expect_any']}"
        if "buttons_any" in turn:
            assert set(offered) & set(turn["buttons_any"]), f"{where}; none of {turn['buttons_any']} in {offered}"
        payloads = [m["custom"]["handoff"] for m in messages
                    if isinstance(m.get("custom"), dict) and "handoff" in m["custom"]]
        if "handoff" in turn:
            assert bool(payloads) == turn["handoff"], where
        if payloads and "reason" in turn:
            assert payloads[0]["reason"] == turn["reason"], where
        for name in ("case", "return_parcel"):  # what the desk is told to keep, beside the replies
            told = [m["custom"][name] for m in messages if isinstance(m.get("custom"), dict) and name in m["custom"]]
            if name in turn:
                assert told, f"{where}; no {name} for the desk"
                for key, value in turn[name].items():
                    assert told[0].get(key) == value, f"{where}; {name} {key} is {told[0].get(key)!r}"
