"""Evaluate the trained model on a Rasa NLU YAML file and print its scores.

    make bench-nlu NLU_TEST=<file>          (default tests/nlu_test.yml)

Prints per-intent precision/recall/F1, the confusion-matrix PNG's path, and as
the very last line `accuracy=0.xxx macro_f1=0.xxx n=NNN`. With --min-macro-f1 it
is the NLU gate of `make test`: exit 1 below the bar (the last line stays the same).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shopbot import nlu_eval
from shopbot.rasa_ext import warning_filters


def main(argv=None) -> int:
    warning_filters.keep_in_force()  # before Rasa's imports, whose deprecation notices it hides
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/shopbot.tar.gz"))
    parser.add_argument("--data", type=Path, default=Path("tests/nlu_test.yml"))
    parser.add_argument("--out", type=Path, default=Path("var/results-nlu"))
    parser.add_argument("--min-macro-f1", type=float, default=None)
    parser.add_argument("--show-errors", type=int, default=40)
    args = parser.parse_args(argv)

    for path, what in ((args.model, "model"), (args.data, "NLU data file")):
        if not path.exists():
            print(f"error: {what} not found: {path}", file=sys.stderr)
            return 2

    examples = nlu_eval.load_examples(args.data)
    if not examples:
        print(f"error: no intent examples in {args.data}", file=sys.stderr)
        return 2
    texts = [t for t, _ in examples]
    gold = [i for _, i in examples]
    predicted = nlu_eval.predict(args.model, texts)
    report = nlu_eval.score(gold, predicted, texts)
    png = nlu_eval.plot_confusion_matrix(gold, predicted, args.out / "confusion_matrix.png")

    print(f"{'intent':<22}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for intent, s in report.per_intent.items():
        print(f"{intent:<22}{s.precision:>10.3f}{s.recall:>10.3f}{s.f1:>10.3f}{s.support:>9}")
    print(f"\nmessages the model declined (nlu_fallback): {report.fallbacks}")
    if report.errors and args.show_errors:
        print(f"first {min(args.show_errors, len(report.errors))} of {len(report.errors)} errors (text | true -> predicted):")
        for text, g, p in report.errors[: args.show_errors]:
            print(f"  {text} | {g} -> {p}")
    print(f"confusion matrix: {png}")
    failed = args.min_macro_f1 is not None and report.macro_f1 < args.min_macro_f1
    if failed:
        print(f"NLU gate FAILED: macro-F1 {report.macro_f1:.3f} < {args.min_macro_f1:.2f}", file=sys.stderr)
    print(report.summary_line())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
