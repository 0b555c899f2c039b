from shopbot.nlu_eval import score


def test_unknown_and_declined_intents_count_as_errors():
    gold = ["a", "a", "b", "new_intent"]
    predicted = ["a", "nlu_fallback", "b", "a"]
    report = score(gold, predicted, ["t1", "t2", "t3", "t4"])
    assert report.accuracy == 0.5
    assert report.per_intent["new_intent"].f1 == 0.0
    assert report.per_intent["a"].recall == 0.5
    assert report.fallbacks == 1
    assert report.summary_line() == "accuracy=0.500 macro_f1=0.500 n=4"
