"""Every intent is answered, and the rules route each one to its own reply."""
import yaml


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_every_intent_has_a_reply_and_a_rule(project_root):
    domain = load(project_root / "domain.yml")
    routed = {}
    for path in (project_root / "data" / "rules").glob("*.yml"):
        for rule in load(path)["rules"]:
            steps = rule["steps"]
            if len(steps) == 2 and "intent" in steps[0]:
                routed[steps[0]["intent"]] = steps[1]["action"]
    for intent in domain["intents"]:
        assert f"utter_{intent}" in domain["responses"], intent
        assert routed.get(intent) == f"utter_{intent}", intent


def test_replies_use_the_manuals_warm_register(project_root):
    responses = load(project_root / "domain.yml")["responses"]
    for name, variants in responses.items():
        for variant in variants:
            assert "亲" in variant["text"], f"{name} should address the buyer as 亲"
