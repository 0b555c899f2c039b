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
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
