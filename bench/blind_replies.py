"""Collect the running bot's reply to every line of the blind set, each as a fresh chat.

    make run                       # in another terminal
    .venv/bin/python -m bench.blind_replies [--account tb_lily] [--out var/blind-replies.md]

Each line goes to Rasa's REST channel as the desk sends it (the channel token, the
buyer's account) in a chat of its own. The file lists line and reply, numbered,
without intents: it is what a rater who did not write the bot judges from the
buyer's side (good / acceptable / wrong / harmful). Prints how many lines got an
answer, a handoff, or nothing.
"""
from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

import requests

from shopbot.nlu_eval import load_examples
from shopbot.rasa_ext import warning_filters


def reply_text(messages: list) -> str:
    parts = []
    for message in messages:
        if message.get("text"):
            buttons = [b.get("title", "") for b in message.get("buttons") or []]
            parts.append(message["text"] + (f" [按钮: {' / '.join(buttons)}]" if buttons else ""))
        elif isinstance(message.get("custom"), dict) and "handoff" in message["custom"]:
            parts.append("(转人工)")
    return " ‖ ".join(parts) or "(没有回复)"


def main(argv=None) -> int:
    warning_filters.keep_in_force()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("tests/nlu_blind.yml"))
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    parser.add_argument("--account", default="tb_lily")
    parser.add_argument("--out", type=Path, default=Path("var/blind-replies.md"))
    args = parser.parse_args(argv)
    token = os.environ.get("CHANNEL_TOKEN")
    if not token:
        print("error: CHANNEL_TOKEN is not set (run through make, or export it from var/tokens.env)",
              file=sys.stderr)
        return 2
    lines = [text for text, _ in load_examples(args.data)]
    rows, handoffs, silent = [], 0, 0
    for number, text in enumerate(lines, start=1):
        try:
            answer = requests.post(f"{args.rasa_url}/webhooks/rest/webhook", timeout=30,
                                   headers={"Authorization": f"Bearer {token}"},
                                   json={"sender": f"blind-{uuid.uuid4().hex}", "message": text,
                                         "metadata": {"account": args.account}})
            answer.raise_for_status()
        except requests.RequestException as error:
            print(f"error: Rasa at {args.rasa_url} did not answer line {number}: {error}", file=sys.stderr)
            return 1
        reply = reply_text(answer.json())
        handoffs += "(转人工)" in reply
        silent += reply == "(没有回复)"
        rows.append(f"{number}. 买家: {text}\n   回复: {reply}\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(f"# 盲测集逐句回复(买家账号 {args.account},每句一个新会话)\n\n" + "\n".join(rows),
                        encoding="utf-8")
    print(f"lines={len(lines)} handed_off={handoffs} no_reply={silent} out={args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
