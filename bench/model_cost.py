"""What a model costs Rasa per message, in this process: parsing a line, and predicting the next action.

    .venv/bin/python -m bench.model_cost models/shopbot.tar.gz /path/to/other.tar.gz

For telling a slower model from a slower machine: bench-load's bare Rasa p50 moves with
the machine from run to run, while the models given here are timed in turns, A B A B,
in one process, so the machine's drift weighs on each alike. Parsing runs every line of
tests/nlu_test.yml through the NLU pipeline; prediction asks the policies for the next
action on trackers of a short chat (the bench-load buyers' lines). Prints, per model and
round, ms per parse and ms per prediction, then the medians.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Dict, List

from shopbot import nlu_eval
from shopbot.rasa_ext import warning_filters

CHAT = ["这个芒果干还有货吗", "保质期多久", "新疆包邮吗", "好的谢谢", "能便宜点吗", "我的快递到哪了", "怎么还不发货",
        "有发票吗"]


async def _load(model: Path):
    from rasa.core.agent import Agent

    return Agent.load(str(model)).processor


async def _parse_ms(processor, texts: List[str]) -> float:
    from rasa.core.channels.channel import UserMessage

    started = time.perf_counter()
    for text in texts:
        await processor.parse_message(UserMessage(text))
    return (time.perf_counter() - started) * 1000 / len(texts)


async def _trackers(processor):
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    parsed = [await processor.parse_message(UserMessage(text)) for text in CHAT]

    def said(parse):
        return UserUttered(parse["text"], parse["intent"], parse["entities"], parse)

    opening = [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]
    for parse in parsed[:3]:
        opening += [said(parse), ActionExecuted("action_listen")]
    return [DialogueStateTracker.from_events("bench", opening + [said(parse)], processor.domain.slots)
            for parse in parsed]


def _predict_ms(processor, trackers, repeat: int = 10) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        for tracker in trackers:
            processor._predict_next_with_tracker(tracker)
    return (time.perf_counter() - started) * 1000 / (repeat * len(trackers))


async def _run(models: List[Path], rounds: int) -> Dict[Path, Dict[str, List[float]]]:
    from shopbot import rasa_ext

    rasa_ext.apply()
    nlu_eval.quiet_rasa()
    texts = [text for text, _ in nlu_eval.load_examples(Path("tests/nlu_test.yml"))]
    processors = {model: await _load(model) for model in models}
    trackers = {model: await _trackers(processor) for model, processor in processors.items()}
    for model, processor in processors.items():  # warm each model once before timing
        await _parse_ms(processor, texts[:50])
        _predict_ms(processor, trackers[model], repeat=1)
    figures = {model: {"parse": [], "predict": []} for model in models}
    for number in range(1, rounds + 1):
        for model, processor in processors.items():
            parse, predict = await _parse_ms(processor, texts), _predict_ms(processor, trackers[model])
            figures[model]["parse"].append(parse)
            figures[model]["predict"].append(predict)
            print(f"round {number}  {model}: {parse:.2f} ms a parse, {predict:.2f} ms a prediction", flush=True)
    return figures


def main(argv=None) -> int:
    warning_filters.keep_in_force()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    missing = [model for model in args.models if not model.exists()]
    if missing:
        print(f"error: model not found: {missing[0]}", file=sys.stderr)
        return 2
    figures = asyncio.run(_run(args.models, args.rounds))
    for model, times in figures.items():
        print(f"model_cost model={model} parse_ms={statistics.median(times['parse']):.2f} "
              f"predict_ms={statistics.median(times['predict']):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
