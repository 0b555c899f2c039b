"""A trainer's session, scripted: from a wrong answer to a better live model.

Runs in a private copy of the project (see ProjectStack): labels go to its
data/, models to its models/, and the running Rasa is switched with PUT /model.
Every model here, the live one included, is trained alike for five epochs: the
workflow and the gate are under test, not the shipped model's quality (a full
training took three of these tests' four minutes), and the gate compares like with like.
"""
import json
import uuid

import pytest
import requests

from shopbot.training.retrain import compare, train_candidate
from tests.conftest import BIN, copy_project, trainer_stack
from tests.replies import responses_matching

WRONG = "推荐几首好听的歌"  # chit-chat the five-epoch model takes for a product recommendation


@pytest.fixture(scope="module")
def live_model(tmp_path_factory):
    """The project's own data trained for five epochs: the model the trainer starts from."""
    project = copy_project(tmp_path_factory.mktemp("live"), diet_epochs=5)
    return train_candidate(project, project / "models")


@pytest.fixture(scope="module")
def five_epoch_stack(tmp_path_factory, live_model):
    yield from trainer_stack(tmp_path_factory, diet_epochs=5, model=live_model)


def ask(stack, text):
    reply = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook",
                          json={"sender": uuid.uuid4().hex, "message": text}, timeout=30).json()
    return responses_matching(reply[0]["text"]) if reply else set()


def test_flag_label_retrain_deploy_and_the_running_bot_answers_correctly(five_epoch_stack):
    stack = five_epoch_stack
    assert "utter_out_of_scope" not in ask(stack, WRONG), "precondition: the live model gets it wrong"
    rasa_pid = stack.rasa.pid

    flagged = stack.run(BIN / "shopbot", "inbox", "--flag", WRONG)
    assert flagged.returncode == 0, flagged.stderr
    inbox = json.loads(stack.run(BIN / "shopbot", "inbox", "--json").stdout)
    assert any(item["text"] == WRONG and "flagged" in item["reasons"] for item in inbox)

    labelled = stack.run(BIN / "shopbot", "nlu", "add", "out_of_scope", WRONG)
    assert labelled.returncode == 0, labelled.stdout + labelled.stderr
    assert WRONG in (stack.dir / "data" / "nlu" / "general.yml").read_text(encoding="utf-8")

    retrained = stack.run(BIN / "shopbot", "model", "retrain", "--deploy")
    assert retrained.returncode == 0, retrained.stdout[-2000:] + retrained.stderr[-2000:]
    assert "DEPLOYED" in retrained.stdout

    assert "utter_out_of_scope" in ask(stack, WRONG)
    assert stack.rasa.pid == rasa_pid and stack.rasa.poll() is None  # no process restarted
    inbox = json.loads(stack.run(BIN / "shopbot", "inbox", "--json").stdout)
    assert not any(item["text"] == WRONG for item in inbox)

    rolled = stack.run(BIN / "shopbot", "model", "rollback")
    assert rolled.returncode == 0, rolled.stderr
    assert "utter_out_of_scope" not in ask(stack, WRONG)


def test_a_mislabelled_batch_is_refused_by_the_gate_naming_the_intents_that_got_worse(tmp_path, project_root,
                                                                                        live_model):
    """The live model and the candidate are trained alike, so the batch is the only difference the gate can see."""
    project = copy_project(tmp_path / "project", diet_epochs=5)
    # A trainer's batch that labels every payment question as an invoice question.
    payment = project / "data" / "nlu" / "payment.yml"
    payment.write_text(payment.read_text(encoding="utf-8").replace("- intent: ask_payment", "- intent: ask_invoice"),
                       encoding="utf-8")
    candidate = train_candidate(project, project / "models")
    result = compare(live_model, candidate, project_root / "tests" / "nlu_test.yml", margin=0.01)
    assert not result.passed
    assert "ask_payment" in result.worse[:3]
    assert result.candidate_macro_f1 < result.live_macro_f1
