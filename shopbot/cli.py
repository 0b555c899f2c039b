"""`shopbot`: the project's command line (trainers' and CI's tools)."""
from __future__ import annotations

import argparse
import json
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


async def _with_desk_store(work):
    """`await work(store)` on the desk's database (migrated first), then let it go."""
    from shopbot import config
    from shopbot.desk.store import DeskStore

    store = await DeskStore(config.load().desk_db_url).open()
    try:
        return await work(store)
    finally:
        await store.close()


def add_user(args: argparse.Namespace) -> int:
    import asyncio
    import getpass

    from shopbot.desk.auth import add_user as add_desk_user

    password = args.password or getpass.getpass(f"password for {args.username}: ")
    try:
        asyncio.run(_with_desk_store(lambda store: add_desk_user(store, args.username, password, args.role,
                                                                 args.nickname)))
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


def inbox(args: argparse.Namespace) -> int:
    import asyncio

    import sqlalchemy as sa

    from shopbot import config
    from shopbot.training.examples import existing_examples
    from shopbot.training.inbox import build_inbox

    if args.flag:
        asyncio.run(_with_desk_store(lambda store: store.add_flag(args.flag, flagged_by="cli")))
        print(f"flagged: {args.flag}")
        return 0
    labelled = set(existing_examples(Path("data") / "nlu"))
    flags = asyncio.run(_with_desk_store(lambda store: store.open_flags()))
    items = build_inbox(sa.create_engine(config.load().tracker_db_url), flags, labelled=labelled)[: args.limit]
    if args.json:
        print(json.dumps([i.as_dict() for i in items], ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("The inbox is empty: no unsure, handed-off or flagged messages to label.")
    for item in items:
        guess = f"{item.predicted_intent} {item.confidence:.2f}" if item.confidence is not None else "-"
        print(f"[{','.join(item.reasons)}] x{item.count}  {item.text}   (model: {guess})")
        if item.before:
            print(f"      bot before: {item.before[:60]}")
        if item.after:
            print(f"      bot answer: {item.after[:60]}")
    return 0


def model_retrain(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from shopbot import config
    from shopbot.training.retrain import (DeployFailed, TrainingFailed, compare, deploy,
                                          live_model_path, train_candidate)

    cfg = config.load()
    models = Path("models")
    try:
        live = live_model_path(cfg.rasa_url, cfg.rasa_token)
    except DeployFailed as error:
        print(f"error: {error}. Start the assistant first (make run).", file=sys.stderr)
        return 2
    bar = tqdm(total=100, desc="retraining", unit="%")

    def progress(percent: int, message: str) -> None:
        bar.update(max(0, percent - bar.n))
        bar.set_postfix_str(message)

    try:
        candidate = train_candidate(Path.cwd(), models / "candidates", progress, finetune_from=live)
    except TrainingFailed as error:
        bar.close()
        print(f"error: {error}", file=sys.stderr)
        return 1
    bar.set_postfix_str("评估中")
    result = compare(live, candidate, Path(args.test), args.margin, Path("var") / "results-retrain")
    bar.update(100 - bar.n)
    bar.close()
    print(f"{'intent':<22}{'live F1':>9}{'new F1':>9}{'change':>9}")
    for change in sorted(result.changes, key=lambda c: c.delta):
        print(f"{change.intent:<22}{change.live_f1:>9.3f}{change.candidate_f1:>9.3f}{change.delta:>+9.3f}")
    print(f"macro-F1: live {result.live_macro_f1:.3f} -> new {result.candidate_macro_f1:.3f} "
          f"(margin {result.margin:.3f}); confusion matrix: {result.confusion_matrix}")
    if result.worse:
        print("worse: " + ", ".join(result.worse))
    if args.cross_validation:
        print("cross-validation of the new training data:")
        model_crossval(argparse.Namespace(folds=args.cross_validation))
    if not result.passed and not args.override:
        print("REFUSED: the new model is worse than the live one beyond the margin; "
              "the live model stays (use --override to deploy anyway).")
        return 1
    if not (args.deploy or args.override):
        print(f"candidate kept at {candidate}; deploy with --deploy")
        return 0
    deploy(cfg.rasa_replica_urls, candidate, models, cfg.rasa_token)
    print(f"DEPLOYED {candidate} (no restart needed)")
    return 0


def model_rollback(args: argparse.Namespace) -> int:
    from shopbot import config
    from shopbot.training.retrain import DeployFailed, rollback

    cfg = config.load()
    try:
        previous = rollback(cfg.rasa_replica_urls, Path("models"), cfg.rasa_token)
    except DeployFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"rolled back: Rasa now serves {previous}")
    return 0


def model_crossval(args: argparse.Namespace) -> int:
    from shopbot.training.crossval import CrossValidationFailed, cross_validate

    try:
        table = cross_validate(Path.cwd(), args.folds)
    except CrossValidationFailed as error:
        print(f"error: cross-validation failed:\n{error}", file=sys.stderr)
        return 1
    print(f"{args.folds}-fold cross-validation of data/ ({'intent':<20} precision recall f1 support)")
    for intent, row in sorted(table.items(), key=lambda item: item[1]["f1"]):
        print(f"{intent:<22}{row['precision']:>9.3f}{row['recall']:>8.3f}{row['f1']:>7.3f}{int(row['support']):>8}")
    return 0


def sign(args: argparse.Namespace) -> int:
    """What a shop's server does for each logged-in buyer's page: the widget's signed hello."""
    from shopbot import config
    from shopbot.desk import signing

    if not signing.ACCOUNT.fullmatch(args.account):
        print(f"error: {args.account!r} is not an account name (letters, digits, Chinese, . @ _ -; "
              "64 characters at most)", file=sys.stderr)
        return 2
    print(json.dumps(signing.hello_for(args.account, config.load().desk_secret), ensure_ascii=False))
    return 0


def orders_replay(args: argparse.Namespace) -> int:
    """Post the sample orders' events to a desk's webhook, signed as the shop's backend signs them."""
    import requests

    from shopbot import config
    from shopbot.desk.order_webhook import signed_headers
    from shopbot.shop.order_replay import replay_events

    cfg = config.load()
    url = (args.url or f"http://127.0.0.1:{cfg.desk_port}").rstrip("/") + "/api/orders/events"
    counts: dict = {}
    for event in replay_events(cfg.shop_dir / "orders.json", args.account):
        body = json.dumps(event, ensure_ascii=False).encode()
        try:
            answer = requests.post(url, data=body, headers=signed_headers(cfg.order_events_secret, body), timeout=10)
        except requests.RequestException as error:
            print(f"error: the desk at {url} did not answer ({error.__class__.__name__}); is it running?",
                  file=sys.stderr)
            return 1
        result = answer.json().get("result") if answer.ok else f"refused {answer.status_code}"
        if not answer.ok:
            print(f"{event['id']}: {answer.status_code} {answer.text}", file=sys.stderr)
        counts[result] = counts.get(result, 0) + 1
    print(", ".join(f"{count} {result}" for result, count in sorted(counts.items())) or "no orders to replay")
    return 0 if all(not result.startswith("refused") for result in counts) else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="shopbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-replies", help="check domain.yml's reply scripts against the Tmall rules")
    check.add_argument("domain", nargs="?", type=Path, default=Path("domain.yml"))
    check.set_defaults(handler=check_replies)
    sign_parser = commands.add_parser("sign", help="print a signed hello for a buyer's account (DESK_SECRET), "
                                      "as the shop's server puts it in data-buyer")
    sign_parser.add_argument("account")
    sign_parser.set_defaults(handler=sign)
    user = commands.add_parser("user", help="desk users (agents, trainers, the admin)")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="create an agent, trainer or admin (or reset the password)")
    add.add_argument("username")
    add.add_argument("--role", choices=["agent", "trainer", "admin"], default="agent",
                     help="admin: the shop's owner, who may also do agents' and trainers' work and deploy "
                          "a model the gate refused")
    add.add_argument("--password", help="omit to be asked (not echoed)")
    add.add_argument("--nickname", help="what buyers see of an agent, e.g. 小鲜 (never the login name)")
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
    inbox_parser = commands.add_parser("inbox", help="messages the bot was unsure of, to label")
    inbox_parser.add_argument("--limit", type=int, default=50)
    inbox_parser.add_argument("--json", action="store_true")
    inbox_parser.add_argument("--flag", metavar="TEXT", help="flag a message for the trainers")
    inbox_parser.set_defaults(handler=inbox)
    model = commands.add_parser("model", help="retrain, deploy and roll back models")
    model_commands = model.add_subparsers(dest="model_command", required=True)
    retrain_parser = model_commands.add_parser("retrain", help="train, compare with the live model, deploy if not worse")
    retrain_parser.add_argument("--deploy", action="store_true", help="deploy if the gate passes")
    retrain_parser.add_argument("--override", action="store_true", help="deploy even if the gate refuses")
    retrain_parser.add_argument("--margin", type=float, default=None)
    retrain_parser.add_argument("--test", default="tests/nlu_test.yml")
    retrain_parser.add_argument("--cross-validation", type=int, metavar="FOLDS", default=0,
                                help="also cross-validate the training data (adds FOLDS trainings)")
    retrain_parser.set_defaults(handler=model_retrain)
    crossval_parser = model_commands.add_parser("crossval", help="cross-validate the training data (slow)")
    crossval_parser.add_argument("--folds", type=int, default=3)
    crossval_parser.set_defaults(handler=model_crossval)
    rollback_parser = model_commands.add_parser("rollback", help="serve the previously deployed model again")
    rollback_parser.set_defaults(handler=model_rollback)
    orders = commands.add_parser("orders", help="the shop's orders as events")
    orders_commands = orders.add_subparsers(dest="orders_command", required=True)
    replay_parser = orders_commands.add_parser(
        "replay", help="send the sample orders' events to the desk's webhook (ORDER_EVENTS_SECRET or DESK_SECRET)")
    replay_parser.add_argument("--url", help="the desk (default http://127.0.0.1:DESK_PORT)")
    replay_parser.add_argument("--account", help="only this buyer's orders")
    replay_parser.set_defaults(handler=orders_replay)
    args = parser.parse_args(argv)
    if getattr(args, "margin", 0) is None:
        from shopbot import config

        args.margin = config.load().gate_margin
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
