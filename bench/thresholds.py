"""What the FallbackClassifier's two thresholds trade, by cross-validation of data/nlu.

    make bench-thresholds                  (3 folds; FOLDS=5 for more)

The bot declines a line (nlu_fallback: "please say it another way") when its
likeliest intent's confidence is under `threshold`, or within
`ambiguity_threshold` of the second likeliest. A decline costs the buyer a
rephrasing; a line not declined and wrongly classified costs a wrong answer. So
the thresholds are set by what each step declines: lines the bot had right
against lines it had wrong. The held-out split (tests/nlu_test.yml) is too small
to tell steps of 0.05 apart, and it is the gate's; this trains one model per fold
on the rest of the training data with nothing declined, reads each held-out
line's two likeliest intents, and applies every pair of thresholds to them.
Folds train on less data than the shipped model, so their confidences run a
little lower: read the table as where each step's trade turns, not as the
shipped model's rates.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Sequence

import yaml

from shopbot.nlu_eval import quiet_rasa

THRESHOLDS = (0.40, 0.45, 0.50)
AMBIGUITIES = (0.0, 0.02, 0.05, 0.08, 0.10, 0.15, 0.20)


def declining_nothing(config_path: Path) -> Dict:
    """The project's config with its FallbackClassifier declining no line."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] == "FallbackClassifier":
            component.update(threshold=0.0, ambiguity_threshold=0.0)
    return config


async def _two_likeliest(model_path: str, examples) -> List[Dict]:
    from rasa.core.agent import Agent

    from shopbot import rasa_ext

    rasa_ext.apply()  # loaded and run as the replicas run it
    agent = Agent.load(model_path)
    rows = []
    for example in examples:
        parsed = await agent.parse_message(example.get("text"))
        ranking = [r for r in parsed.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
        second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
        rows.append({"right": ranking[0]["name"] == example.get("intent"),
                     "first": ranking[0]["confidence"], "second": second})
    return rows


def held_out_predictions(config: Dict, data_dir: Path, folds: int, work: Path) -> List[Dict]:
    """Each line of data_dir, classified by a model that did not train on it."""
    from rasa.model_training import train_nlu
    from rasa.nlu.test import generate_folds
    from rasa.shared.nlu.training_data.loading import load_data

    config_path = work / "config.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    rows: List[Dict] = []
    for fold, (train, test) in enumerate(generate_folds(folds, load_data(str(data_dir)))):
        train_path = work / f"train{fold}.yml"
        train_path.write_text(train.nlu_as_yaml(), encoding="utf-8")
        model = train_nlu(str(config_path), str(train_path), str(work / "models"), fixed_model_name=f"fold{fold}")
        rows += asyncio.run(_two_likeliest(model, test.intent_examples))
        print(f"fold {fold + 1}/{folds}: {len(test.intent_examples)} lines", flush=True)
    return rows


def trade(rows: Sequence[Dict], threshold: float, ambiguity: float) -> Dict[str, int]:
    """Lines answered right, answered wrong, and declined (of which the bot had right) at these thresholds."""
    counts = {"right": 0, "wrong": 0, "declined_right": 0, "declined_wrong": 0}
    for row in rows:
        declined = row["first"] < threshold or row["first"] - row["second"] < ambiguity
        key = ("declined_" if declined else "") + ("right" if row["right"] else "wrong")
        counts[key] += 1
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--data", type=Path, default=Path("data/nlu"))
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args(argv)
    if args.folds < 2:
        print("error: --folds must be at least 2", file=sys.stderr)
        return 2
    for path in (args.config, args.data):
        if not path.exists():
            print(f"error: not found: {path}", file=sys.stderr)
            return 2
    quiet_rasa()
    with tempfile.TemporaryDirectory(prefix="thresholds-") as work:
        rows = held_out_predictions(declining_nothing(args.config), args.data, args.folds, Path(work))
    right = sum(row["right"] for row in rows)
    print(f"{len(rows)} lines, {args.folds} folds; right with nothing declined: {right / len(rows):.3f}")
    print("threshold ambiguity  answered right  answered wrong  declined (of them right / wrong)")
    for threshold in THRESHOLDS:
        for ambiguity in AMBIGUITIES:
            c = trade(rows, threshold, ambiguity)
            declined = c["declined_right"] + c["declined_wrong"]
            print(f"{threshold:9.2f} {ambiguity:9.2f}  {c['right']:14d}  {c['wrong']:14d}  "
                  f"{declined:8d} ({c['declined_right']} / {c['declined_wrong']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
