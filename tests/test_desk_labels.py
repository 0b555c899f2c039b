"""Every code the console and the trainer page show has a label, from the one table.

shopbot/desk/labels.yml holds the labels of intents, handoff reasons and inbox
reasons. An intent added to domain.yml, or a reason added to the code, without
a label would reach an agent as a bare code: these tests name it instead.
The reasons are read from the code that produces them (see the *_reasons helpers).
"""
import ast
import re
from pathlib import Path
from typing import Iterator, Set

import pytest
import yaml

from shopbot.desk.labels import KINDS, labels_script, load_labels
from tests.js_page import ROOT, STATIC, run_in_page, static_script

PRIORITIES = {"high", "normal", "low"}


def _string(node: ast.AST):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _calls(path: Path, name: str) -> Iterator[ast.Call]:
    """Calls of the function or method `name` in a source file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if called == name:
                yield node


def _argument(call: ast.Call, position: int):
    return _string(call.args[position]) if len(call.args) > position else None


def domain_intents() -> Set[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {next(iter(i)) if isinstance(i, dict) else i for i in domain["intents"]}


def handoff_reasons() -> Set[str]:
    """Every reason a chat can be handed to a person for, as written in the code."""
    found = set()
    # The shop's actions: handoff(reason, priority) from actions/common.py.
    for path in (ROOT / "actions").glob("*.py"):
        found |= {_argument(call, 0) for call in _calls(path, "handoff")}
    # action_handoff: (reason, priority) pairs by intent, and its default pair.
    for node in ast.walk(ast.parse((ROOT / "actions" / "handoff.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Tuple) and len(node.elts) == 2 and _string(node.elts[1]) in PRIORITIES:
            found.add(_string(node.elts[0]))
    # The desk's own triggers (anger, a buyer asking for a person, repeated fallbacks).
    found |= {_argument(call, 0) for call in _calls(ROOT / "shopbot" / "desk" / "triggers.py", "Trigger")}
    # The desk's service: hand_off(conversation, reason, ...), and the reason a handoff without one gets.
    service = ROOT / "shopbot" / "desk" / "service.py"
    found |= {_argument(call, 1) for call in _calls(service, "hand_off")}
    found |= {_argument(call, 1) for call in _calls(service, "get") if _argument(call, 0) == "reason"}
    found.discard(None)
    return found


def inbox_reasons() -> Set[str]:
    """Every reason a buyer's line is put in the trainer's inbox for (shopbot/training/inbox.py)."""
    inbox = ROOT / "shopbot" / "training" / "inbox.py"
    found = {_argument(call, 0) for call in _calls(inbox, "append")}
    found |= {_argument(call, 1) for call in _calls(inbox, "add")}
    found.discard(None)
    return found


@pytest.fixture(scope="module")
def labels():
    return load_labels()


def test_every_intent_in_the_domain_has_a_label(labels):
    missing = sorted(domain_intents() - set(labels["intents"]))
    assert not missing, f"add a label for these intents to shopbot/desk/labels.yml: {missing}"


def test_the_reasons_are_found_in_the_code():
    """The readers above still see the code: a reason from each place that makes them."""
    assert {"complaint", "buyer_request", "bot_unsure", "shipping_overdue", "return_past_window",
            "anger", "repeated_misunderstanding", "bot_unavailable", "bot"} <= handoff_reasons()
    assert {"fallback", "low_confidence", "handed_off", "flagged"} <= inbox_reasons()


def test_every_handoff_reason_the_code_can_give_has_a_label(labels):
    missing = sorted(handoff_reasons() - set(labels["handoff_reasons"]))
    assert not missing, f"add a label for these handoff reasons to shopbot/desk/labels.yml: {missing}"


def test_every_inbox_reason_has_a_label(labels):
    missing = sorted(inbox_reasons() - set(labels["inbox_reasons"]))
    assert not missing, f"add a label for these inbox reasons to shopbot/desk/labels.yml: {missing}"


def test_a_table_without_a_label_is_refused(tmp_path):
    broken = tmp_path / "labels.yml"
    broken.write_text("intents: {greet: ''}\nhandoff_reasons: {}\ninbox_reasons: {}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="greet"):
        load_labels(broken)


def test_the_pages_read_the_labels_from_the_served_table(labels):
    desk = run_in_page([("desk-labels.js", labels_script(labels)), static_script("desk-common.js")], """
        var D = window.ShopbotDesk;
        return {intents: D.INTENTS, handoff_reasons: D.HANDOFF_REASONS, inbox_reasons: D.INBOX_REASONS};""")
    assert desk == {kind: labels[kind] for kind in KINDS}


def test_no_page_script_keeps_a_label_table_of_its_own(labels):
    pairs = {(code, label) for kind in KINDS for code, label in labels[kind].items()}
    for script in STATIC.glob("*.js"):
        source = script.read_text(encoding="utf-8")
        own = sorted(code for code, label in pairs
                     if re.search(rf"\b{re.escape(code)}\s*:\s*\"{re.escape(label)}\"", source))
        assert not own, f"{script.name} labels {own} itself: put them in shopbot/desk/labels.yml"
