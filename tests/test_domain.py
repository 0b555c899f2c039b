"""Every intent is answered: a rule routes it to an action or reply the domain has."""
import yaml


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_every_intent_is_routed_to_an_answer(project_root):
    domain = load(project_root / "domain.yml")
    known = set(domain["actions"]) | set(domain["responses"])
    routed = {}
    for path in (project_root / "data" / "rules").glob("*.yml"):
        for rule in load(path)["rules"]:
            steps = rule["steps"]
            if len(steps) == 2 and "intent" in steps[0]:
                routed[steps[0]["intent"]] = steps[1]["action"]
    for intent in domain["intents"]:
        assert routed.get(intent) in known, f"{intent} has no rule to an existing answer"


def test_complaints_and_requests_for_a_person_are_handed_off(project_root):
    routed = {}
    for path in (project_root / "data" / "rules").glob("*.yml"):
        for rule in load(path)["rules"]:
            steps = rule["steps"]
            routed[steps[0].get("intent")] = steps[-1]["action"]
    assert routed["complain"] == "action_handoff"
    assert routed["request_human"] == "action_handoff"


def test_replies_use_the_manuals_warm_register(project_root):
    responses = load(project_root / "domain.yml")["responses"]
    for name, variants in responses.items():
        for variant in variants:
            assert "亲" in variant["text"], f"{name} should address the buyer as 亲"
