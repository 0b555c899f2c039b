"""`shopbot`: the project's command line (trainers' and CI's tools)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def check_replies(args: argparse.Namespace) -> int:
    from shopbot.reply_scripts import check_domain

    breaches = check_domain(args.domain)
    for name, text, breach in breaches:
        print(f"{name}: [{breach.rule}] {breach.title}\n    {text}\n    ^ {breach.excerpt}")
    if breaches:
        print(f"{len(breaches)} reply script(s) break a Tmall rule.", file=sys.stderr)
        return 1
    print(f"All reply scripts in {args.domain} pass the Tmall rules.")
    return 0


def add_user(args: argparse.Namespace) -> int:
    import getpass

    from shopbot import config
    from shopbot.desk.store import DeskStore

    password = args.password or getpass.getpass(f"password for {args.username}: ")
    try:
        DeskStore(config.load().desk_db_url).add_user(args.username, password, args.role)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.role} '{args.username}' can now log in to the console.")
    return 0


STATUS_WORDS = {"added": "已添加", "duplicate": "重复,未添加", "conflict": "冲突,未添加",
                "invalid": "无效,未添加"}


def _report(results, error) -> int:
    for r in results:
        detail = f"  ({r.detail})" if r.detail else ""
        where = f"  -> {r.path}" if r.path else ""
        print(f"[{STATUS_WORDS[r.status]}] {r.intent}: {r.text}{detail}{where}")
    counts = {s: sum(1 for r in results if r.status == s) for s in STATUS_WORDS}
    print("added {added}, duplicate {duplicate}, conflict {conflict}, invalid {invalid}".format(**counts))
    if error:
        print(f"error: the training data would not validate, nothing was saved:\n{error}", file=sys.stderr)
        return 1
    return 0 if counts["added"] else 1


def nlu_add(args: argparse.Namespace) -> int:
    from shopbot.training.examples import add_validated

    return _report(*add_validated(Path.cwd(), [(args.intent, args.text)]))


def nlu_import(args: argparse.Namespace) -> int:
    import csv

    from shopbot.training.examples import add_validated

    try:
        with open(args.csv, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        print(f"error: cannot read {args.csv}: {error}", file=sys.stderr)
        return 2
    if rows and not {"intent", "text"} <= set(rows[0]):
        print("error: the CSV needs the columns intent,text", file=sys.stderr)
        return 2
    return _report(*add_validated(Path.cwd(), [(r.get("intent"), r.get("text")) for r in rows]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="shopbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-replies", help="check domain.yml's reply scripts against the Tmall rules")
    check.add_argument("domain", nargs="?", type=Path, default=Path("domain.yml"))
    check.set_defaults(handler=check_replies)
    user = commands.add_parser("user", help="desk users (agents and trainers)")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="create an agent or trainer (or reset the password)")
    add.add_argument("username")
    add.add_argument("--role", choices=["agent", "trainer"], default="agent")
    add.add_argument("--password", help="omit to be asked (not echoed)")
    add.set_defaults(handler=add_user)
    nlu = commands.add_parser("nlu", help="training examples")
    nlu_commands = nlu.add_subparsers(dest="nlu_command", required=True)
    nlu_add_parser = nlu_commands.add_parser("add", help="add one example to data/nlu")
    nlu_add_parser.add_argument("intent")
    nlu_add_parser.add_argument("text")
    nlu_add_parser.set_defaults(handler=nlu_add)
    nlu_import_parser = nlu_commands.add_parser("import", help="add examples from a CSV (intent,text)")
    nlu_import_parser.add_argument("csv")
    nlu_import_parser.set_defaults(handler=nlu_import)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
