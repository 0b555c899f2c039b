"""Retraining as a background job the trainer page can watch.

One job at a time per desk process (training takes both cores); its state and
progress are polled by the page. The job trains, compares with the live model,
and deploys only if the gate passes or the trainer overrode it. Training and the
comparison run in processes of their own, never in the desk's, which serves buyers.
"""
from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from shopbot.training import retrain


@dataclass
class Job:
    id: str
    override: bool
    cross_validation_folds: int = 0
    state: str = "queued"      # queued / training / evaluating / deployed / refused / failed
    progress: int = 0
    message: str = "排队中"
    report: Optional[Dict] = None
    started_at: float = field(default_factory=time.time)

    def as_dict(self) -> Dict:
        return dict(self.__dict__)


def compare_in_a_process_of_its_own(*args) -> retrain.Comparison:
    """retrain.compare, in a fresh process that exits when it is done.

    In the desk's own process, loading both models and parsing the test set held the
    interpreter from the buyers' event loop for half a minute and left TensorFlow and
    the models in the desk's memory for good (975 MB after one retrain).
    """
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(retrain.compare, *args).result()


class RetrainJobs:
    def __init__(self, project_dir: Path, rasa_url: str, margin: float, token: Optional[str] = None,
                 test_file: str = "tests/nlu_test.yml", rasa_replica_urls: Optional[List[str]] = None):
        self.project_dir = project_dir
        self.rasa_url = rasa_url
        self.rasa_replica_urls = rasa_replica_urls or [rasa_url]  # a deploy switches every one
        self.margin = margin
        self.token = token
        self.test_file = project_dir / test_file
        self.jobs: Dict[str, Job] = {}
        self._lock = threading.Lock()

    def running(self) -> Optional[Job]:
        return next((j for j in self.jobs.values() if j.state in ("queued", "training", "evaluating")), None)

    def start(self, override: bool = False, cross_validation_folds: int = 0) -> Job:
        with self._lock:
            busy = self.running()
            if busy:
                return busy
            job = Job(uuid.uuid4().hex[:12], override, max(0, min(int(cross_validation_folds), 10)))
            self.jobs[job.id] = job
        threading.Thread(target=self._run, args=(job,), daemon=True).start()
        return job

    def _run(self, job: Job) -> None:
        models = self.project_dir / "models"

        def progress(percent: int, message: str) -> None:
            job.state, job.progress, job.message = "training", percent, message

        try:
            live = retrain.live_model_path(self.rasa_url, self.token)
            candidate = retrain.train_candidate(self.project_dir, models / "candidates", progress)
            job.state, job.progress, job.message = "evaluating", 92, "与线上模型对比评估中"
            result = compare_in_a_process_of_its_own(live, candidate, self.test_file, self.margin,
                                                     self.project_dir / "var" / "results-retrain" / job.id)
            job.report = dict(result.as_dict(), candidate=str(candidate), live=str(live))
            if job.cross_validation_folds > 1:
                from shopbot.training.crossval import cross_validate

                job.message = f"{job.cross_validation_folds} 折交叉验证中"
                job.report["cross_validation"] = cross_validate(self.project_dir, job.cross_validation_folds)
            if result.passed or job.override:
                retrain.deploy(self.rasa_replica_urls, candidate, models, self.token)
                job.state, job.message = "deployed", "新模型已上线" + ("(训练师确认覆盖)" if not result.passed else "")
            else:
                job.state, job.message = "refused", "新模型比线上模型差,未上线"
        except (retrain.TrainingFailed, retrain.DeployFailed, OSError) as error:
            job.state, job.message = "failed", str(error)[:500]
        except Exception as error:  # a failed job must report, never kill the desk
            job.state, job.message = "failed", f"{type(error).__name__}: {error}"[:500]
        job.progress = 100
