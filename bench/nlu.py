"""Evaluate the trained model on Rasa NLU YAML files and print their scores.

    make bench-nlu NLU_TEST=<file>          (default tests/nlu_test.yml)

For each file: per-intent precision/recall/F1, the confusion-matrix PNG's path, and
as that file's last line `accuracy=0.xxx macro_f1=0.xxx n=NNN`. Several files are
scored with one loading of the model: `--data A B --out OA OB --min-macro-f1 0.95 0.88
--show-errors 40 0`, each option given once for all files or once per file. With
--min-macro-f1 it is the NLU gate of `make test`: exit 1 when a file is below its bar.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional, Sequence

from shopbot import nlu_eval
from shopbot.rasa_ext import warning_filters


def _per_file(values: Optional[Sequence], count: int, option: str) -> List:
    """An option's values, one per data file (a single value stands for every file)."""
    if values is None:
        return [None] * count
    if len(values) == 1:
        return list(values) * count
    if len(values) != count:
        raise SystemExit(f"error: {option} takes one value or one per --data file ({count})")
    return list(values)


def _print_report(data: Path, out: Path, gold: List[str], predicted: List[str], texts: List[str],
                  min_macro_f1: Optional[float], show_errors: int) -> bool:
    """Print one file's scores; False when it is under its bar."""
    report = nlu_eval.score(gold, predicted, texts)
    png = nlu_eval.plot_confusion_matrix(gold, predicted, out / "confusion_matrix.png")
    print(f"== {data}")
    print(f"{'intent':<22}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for intent, s in report.per_intent.items():
        print(f"{intent:<22}{s.precision:>10.3f}{s.recall:>10.3f}{s.f1:>10.3f}{s.support:>9}")
    print(f"\nmessages the model declined (nlu_fallback): {report.fallbacks}")
    if report.errors and show_errors:
        print(f"first {min(show_errors, len(report.errors))} of {len(report.errors)} errors (text | true -> predicted):")
        for text, g, p in report.errors[:show_errors]:
            print(f"  {text} | {g} -> {p}")
    print(f"confusion matrix: {png}")
    failed = min_macro_f1 is not None and report.macro_f1 < min_macro_f1
    if failed:
        print(f"NLU gate FAILED on {data}: macro-F1 {report.macro_f1:.3f} < {min_macro_f1:.2f}", file=sys.stderr)
    print(report.summary_line(), flush=True)
    return not failed


def main(argv=None) -> int:
    warning_filters.keep_in_force()  # before Rasa's imports, whose deprecation notices it hides
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/shopbot.tar.gz"))
    parser.add_argument("--data", type=Path, nargs="+", default=[Path("tests/nlu_test.yml")])
    parser.add_argument("--out", type=Path, nargs="+", default=[Path("var/results-nlu")])
    parser.add_argument("--min-macro-f1", type=float, nargs="+", default=None)
    parser.add_argument("--show-errors", type=int, nargs="+", default=[40])
    args = parser.parse_args(argv)

    count = len(args.data)
    outs = _per_file(args.out, count, "--out")
    if count > 1 and len(args.out) == 1:
        outs = [args.out[0] / data.stem for data in args.data]  # one directory per file
    bars = _per_file(args.min_macro_f1, count, "--min-macro-f1")
    shown = _per_file(args.show_errors, count, "--show-errors")
    for path, what in [(args.model, "model")] + [(data, "NLU data file") for data in args.data]:
        if not path.exists():
            print(f"error: {what} not found: {path}", file=sys.stderr)
            return 2
    sets = []
    for data in args.data:
        examples = nlu_eval.load_examples(data)
        if not examples:
            print(f"error: no intent examples in {data}", file=sys.stderr)
            return 2
        sets.append(examples)
    texts = [t for examples in sets for t, _ in examples]
    predicted = nlu_eval.predict(args.model, texts)
    passed, start = True, 0
    for data, examples, out, bar, show in zip(args.data, sets, outs, bars, shown):
        end = start + len(examples)
        passed &= _print_report(data, out, [i for _, i in examples], predicted[start:end],
                                [t for t, _ in examples], bar, show)
        start = end
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
