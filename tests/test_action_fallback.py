from actions.fallback import ActionFallback
from tests.actions_support import action, bot, run, tracker, user


def responses(messages):
    return [m.get("response") for m in messages]


def test_first_misunderstanding_asks_to_rephrase():
    t = tracker([action("action_listen"), user("asdf qwer", "nlu_fallback", confidence=0.2)])
    messages, events = run(ActionFallback(), t)
    assert responses(messages) == ["utter_ask_rephrase"]
    assert events == []


def test_second_misunderstanding_in_a_row_offers_a_person():
    t = tracker([
        user("asdf", "nlu_fallback"), action("action_fallback"), bot("utter_ask_rephrase"),
        action("action_listen"), user("qwer", "nlu_fallback"),
    ])
    messages, _ = run(ActionFallback(), t)
    assert responses(messages) == ["utter_offer_human"]


def test_a_misunderstanding_after_a_normal_answer_starts_over():
    t = tracker([
        user("asdf", "nlu_fallback"), action("action_fallback"), bot("utter_ask_rephrase"),
        action("action_listen"), user("包邮吗", "ask_free_shipping"),
        action("utter_ask_free_shipping"), bot("utter_ask_free_shipping"),
        action("action_listen"), user("qwer", "nlu_fallback"),
    ])
    messages, _ = run(ActionFallback(), t)
    assert responses(messages) == ["utter_ask_rephrase"]


def test_every_response_the_action_sends_exists_in_the_domain():
    from tests.actions_support import domain
    from actions import fallback

    for name in (fallback.ASK_REPHRASE, fallback.OFFER_HUMAN):
        assert name in domain()["responses"]
