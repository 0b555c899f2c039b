"""Print the wall time of a full training and of a trainer's label going live (`make bench-train`).

Full: trains from scratch into a temporary directory (forcing past Rasa's cache), so
the figure is what a trainer waits for after changing the pipeline or the domain.
Label: one new example added to a copy of the data, then the retrain's fine-tuning
from the full model (shopbot.training.retrain.train_candidate with finetune_from):
what a trainer waits for after labelling a line, before the gate's comparison.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shopbot.training.retrain import TrainingFailed, train_candidate

NEW_LABEL = 'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - 老板娘在线吗在线吗\n'


def main() -> int:
    rasa = os.path.join(os.path.dirname(sys.executable), "rasa")
    project = Path.cwd()
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = subprocess.run([rasa, "train", "--force", "--quiet", "--out", out, "--fixed-model-name", "full"])
        full = time.perf_counter() - started
        if result.returncode != 0:
            print("error: training failed", file=sys.stderr)
            return result.returncode
        print(f"full training: {full:.1f} s wall on {os.cpu_count()} cores")
        data = Path(out) / "data"
        shutil.copytree(project / "data", data)
        (data / "nlu" / "bench_new_label.yml").write_text(NEW_LABEL, encoding="utf-8")
        started = time.perf_counter()
        try:
            train_candidate(project, Path(out) / "candidates", data_dir=data,
                            finetune_from=Path(out) / "full.tar.gz")
        except TrainingFailed as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        label = time.perf_counter() - started
    print(f"one label, fine-tuned from the live model: {label:.1f} s wall ({label / full:.2f} of a full training)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
