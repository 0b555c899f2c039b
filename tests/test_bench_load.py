"""The load bench compares the desk's bot answers with bare Rasa's answers to the same kind of line.

Its ratio is the figure issue 6 is judged on; a bare phase that counted Rasa's
empty answers to a paused chat (cheap: no policy, no action) as the bot's
answers would make the desk look slower than it is, and a per-line table that
mixed up lines would hide where the desk adds its time.
"""
from bench.crowd import Stats, record_bot_answer, shows_the_buyer
from bench.load import line_table

# What Rasa's REST channel returns: a recipient id on every message.
REPLY = [{"recipient_id": "load-1", "text": "亲,这款芒果干现货充足哦~"}]
HANDOFF_ONLY = [{"recipient_id": "load-1", "custom": {"handoff": {"reason": "complaint"}}}]


def test_an_answer_counts_only_if_it_shows_the_buyer_something():
    assert shows_the_buyer(REPLY)
    assert shows_the_buyer([{"recipient_id": "load-1", "buttons": [{"title": "是", "payload": "是"}]}])
    assert shows_the_buyer(HANDOFF_ONLY + REPLY)
    assert not shows_the_buyer([])  # a paused chat: Rasa ran NLU only and said nothing
    assert not shows_the_buyer(HANDOFF_ONLY)  # an instruction to the desk, never shown
    assert not shows_the_buyer({"error": "bad gateway"})  # a proxy's page, not Rasa's list


def test_bare_p50_is_over_the_answers_not_the_silences():
    bare = Stats()
    for seconds in (0.030, 0.031, 0.032):
        bare.latencies.append(seconds)
        record_bot_answer(bare, "保质期多久", seconds)
    bare.latencies += [0.010, 0.011, 0.012, 0.013]  # four paused lines, answered with nothing
    assert bare.summary()["p50_ms"] < 20
    assert round(bare.summary()["bot_p50_ms"], 1) == 31.0


def test_the_line_table_shows_what_the_desk_added_to_each_line_and_lines_only_one_side_answered():
    first, second, desk = Stats(), Stats(), Stats()
    record_bot_answer(first, "在吗", 0.020)
    record_bot_answer(second, "在吗", 0.020)
    record_bot_answer(first, "我的快递到哪了", 0.040)
    record_bot_answer(desk, "在吗", 0.023)
    record_bot_answer(desk, "我的快递到哪了", 0.046)
    record_bot_answer(desk, "转人工", 0.050)  # not asked of bare Rasa in this run
    header, slowest, quickest, desk_only = line_table(Stats.combined(first, second), desk)
    assert header.split() == ["line", "bare", "n", "p50", "desk", "n", "p50", "added", "ratio"]
    assert slowest.split() == ["我的快递到哪了", "1", "40.0", "1", "46.0", "6.0", "1.15"]
    assert quickest.split() == ["在吗", "2", "20.0", "1", "23.0", "3.0", "1.15"]
    assert desk_only.split()[:4] == ["转人工", "0", "nan", "1"]
