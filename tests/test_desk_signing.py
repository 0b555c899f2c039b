"""Nobody can chat as another account: the shop's page signs it."""
import time

from shopbot.desk.signing import sign, verified_account

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
