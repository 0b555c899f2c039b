"""Nobody can chat as another account: the shop's server signs it, and a chat is resumed only with its own token."""
import json
import time

from shopbot.desk.signing import may_resume, resume_token, sign, verified_account

SECRET = "shared-secret"


def test_a_fresh_signature_from_the_shop_identifies_the_buyer():
    ts = int(time.time())
    assert verified_account("tb_lily", ts, sign("tb_lily", ts, SECRET), SECRET, 3600) == "tb_lily"


def test_a_forged_or_borrowed_signature_is_anonymous():
    ts = int(time.time())
    assert verified_account("tb_lily", ts, sign("tb_lily", ts, "guessed"), SECRET, 3600) is None
    assert verified_account("tb_wang88", ts, sign("tb_lily", ts, SECRET), SECRET, 3600) is None
    assert verified_account("tb_lily", ts + 1, sign("tb_lily", ts, SECRET), SECRET, 3600) is None


def test_an_old_signature_is_anonymous():
    ts = int(time.time()) - 7200
    assert verified_account("tb_lily", ts, sign("tb_lily", ts, SECRET), SECRET, 3600) is None


def test_missing_or_malformed_fields_are_anonymous():
    for account, ts, sig in [(None, 1, "x"), ("tb_lily", "soon", "x"), ("tb_lily", 1, None),
                             ({"a": 1}, 1, "x"), ("", 1, "x")]:
        assert verified_account(account, ts, sig, SECRET, 3600) is None


def test_a_hello_counts_ten_minutes_at_most_whatever_the_setting():
    now = time.time()
    ts = int(now) - 11 * 60
    assert verified_account("tb_lily", ts, sign("tb_lily", ts, SECRET), SECRET, 86400, now=now) is None
    ts = int(now) - 9 * 60
    assert verified_account("tb_lily", ts, sign("tb_lily", ts, SECRET), SECRET, 86400, now=now) == "tb_lily"


def test_a_hello_from_the_future_counts_only_within_a_clock_skew():
    now = time.time()
    later = int(now) + 300
    assert verified_account("tb_lily", later, sign("tb_lily", later, SECRET), SECRET, 600, now=now) is None
    soon = int(now) + 10
    assert verified_account("tb_lily", soon, sign("tb_lily", soon, SECRET), SECRET, 600, now=now) == "tb_lily"


def test_a_non_ascii_or_broken_signature_is_anonymous_not_an_exception():
    ts = int(time.time())
    for sig in ("签名" * 32, "\ud800", "é" + sign("tb_lily", ts, SECRET)[1:], ""):
        assert verified_account("tb_lily", ts, sig, SECRET, 600) is None


def test_an_account_no_shop_would_have_is_anonymous_even_if_signed():
    ts = int(time.time())
    for account in ("tb|lily", "x" * 65, "tb lily", "tb\nlily", "\ud800"):
        assert verified_account(account, ts, sign(account, ts, SECRET), SECRET, 600) is None
    assert verified_account("淘宝_小丽.88", ts, sign("淘宝_小丽.88", ts, SECRET), SECRET, 600) == "淘宝_小丽.88"


def test_a_chats_resume_token_is_for_that_chat_and_that_buyer_only():
    token = resume_token("chat-1", "tb_lily", SECRET)
    assert may_resume("chat-1", "tb_lily", token, SECRET)
    assert not may_resume("chat-2", "tb_lily", token, SECRET)
    assert not may_resume("chat-1", "tb_wang88", token, SECRET)
    assert not may_resume("chat-1", None, token, SECRET)
    assert not may_resume("chat-1", "tb_lily", resume_token("chat-1", "tb_lily", "guessed"), SECRET)
    assert not may_resume("chat-1", "tb_lily", None, SECRET)
    assert not may_resume("chat-1", "tb_lily", "令牌", SECRET)


def test_shopbot_sign_prints_the_hello_a_shops_server_gives_the_widget(monkeypatch, capsys):
    from shopbot.cli import main

    monkeypatch.setenv("DESK_SECRET", SECRET)
    assert main(["sign", "tb_lily"]) == 0
    hello = json.loads(capsys.readouterr().out)
    assert verified_account(hello["account"], hello["ts"], hello["sig"], SECRET, 600) == "tb_lily"
    assert main(["sign", "tb|lily"]) == 2
    assert "not an account name" in capsys.readouterr().err
