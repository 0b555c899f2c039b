"""The training data and the test split follow the rules that keep the NLU honest."""
from pathlib import Path

import pytest
import yaml

from shopbot.nlu.text_normalizer import normalize_text
from shopbot.nlu_eval import load_examples

def taxonomy_intents(root: Path):
    return yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))["intents"]


def training_examples(root: Path):
    examples = []
    for path in sorted((root / "data" / "nlu").glob("*.yml")):
        examples += load_examples(path)
    return examples


def intent_counts(examples) -> dict:
    counts = {}
    for _, intent in examples:
        counts[intent] = counts.get(intent, 0) + 1
    return counts


def canonical(text: str) -> str:
    return "".join(ch for ch in normalize_text(text) if ch.isalnum())


def test_domain_has_exactly_the_taxonomy(project_root):
    expected = {
        "greet", "goodbye", "affirm", "deny", "inform", "ask_stock", "ask_shelf_life",
        "ask_product_info", "ask_recommendation", "ask_price", "bargain", "price_protection", "hesitate",
        "ask_courier",
        "ask_ship_time", "ask_delivery_time", "ask_free_shipping", "urge_shipping",
        "ask_logistics", "ask_invoice", "ask_payment", "change_order", "request_return",
        "ask_refund_progress", "report_problem", "complain", "request_human", "out_of_scope",
    }
    assert set(taxonomy_intents(project_root)) == expected


def test_enough_training_examples_per_intent(project_root):
    counts = intent_counts(training_examples(project_root))
    for intent in taxonomy_intents(project_root):
        assert counts.get(intent, 0) >= 120, f"{intent}: {counts.get(intent, 0)} < 120"


def test_the_training_data_has_the_shape_of_real_buyers_lines(project_root):
    """Real buyers: a fifth of lines longer than 15 characters, a fifth with punctuation.
    A model trained on short bare lines only fails on those (issue 33)."""
    from shopbot.nlu_eval import shape_of

    shape = shape_of([text for text, _ in training_examples(project_root)])
    assert shape["longer_than_15"] >= 0.2, shape
    assert shape["with_punctuation"] >= 0.2, shape


def test_the_blind_set_covers_every_intent(project_root):
    counts = intent_counts(load_examples(project_root / "tests" / "nlu_blind.yml"))
    for intent in taxonomy_intents(project_root):
        assert counts.get(intent, 0) >= 25, intent


def test_test_split_covers_every_intent(project_root):
    counts = intent_counts(load_examples(project_root / "tests" / "nlu_test.yml"))
    for intent in taxonomy_intents(project_root):
        assert counts.get(intent, 0) >= 15, intent


@pytest.mark.parametrize("held_out", ["tests/nlu_test.yml", "tests/nlu_blind.yml", "bench/data/nlu_other_goods.yml"])
def test_held_out_lines_are_never_trained_on(project_root, held_out):
    trained = {canonical(text) for text, _ in training_examples(project_root)}
    leaked = [text for text, _ in load_examples(project_root / held_out) if canonical(text) in trained]
    assert leaked == []


def test_no_example_is_labelled_with_two_intents(project_root):
    seen = {}
    conflicts = []
    for text, intent in training_examples(project_root):
        key = canonical(text)
        if key in seen and seen[key] != intent:
            conflicts.append((text, seen[key], intent))
        seen.setdefault(key, intent)
    assert conflicts == []


def test_every_product_name_is_in_the_jieba_dictionary(project_root):
    from shopbot.shop import files

    words = {line.split()[0] for line in
             (project_root / "data" / "jieba" / "shop_dict.txt").read_text(encoding="utf-8").splitlines()
             if line.strip()}
    for row in files.read_catalog(project_root / "shop"):
        assert row["name"] in words, row["name"]
