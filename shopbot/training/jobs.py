"""Retraining as a background job the trainer page can watch.

One job at a time (training takes both cores); its state and progress are polled by
the page. Each job's state is also a file in models/jobs/, which every desk replica
shares (the models volume): behind nginx, a poll answered by another replica than the
one training finds the job, and no replica starts a second job meanwhile. The job trains, compares with the live model,
and deploys only if the gate passes or the trainer overrode it. Training and the
comparison run in processes of their own, never in the desk's, which serves buyers.
"""
from __future__ import annotations

import json
import logging
import multiprocessing
import re
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from shopbot.training import retrain

logger = logging.getLogger(__name__)


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

    @property
    def running(self) -> bool:
        return self.state in RUNNING


RUNNING = ("queued", "training", "evaluating")
JOB_ID = re.compile(r"[0-9a-f]{12}")
# A job file not written for this long belongs to a replica that died mid-job.
STALE_AFTER = 15 * 60.0


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
        self.state_dir = project_dir / "models" / "jobs"
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Optional[Job]:
        """The job, started here or by another replica; None for an unknown or malformed id."""
        if job_id in self.jobs:
            return self.jobs[job_id]
        if not JOB_ID.fullmatch(job_id or ""):
            return None
        try:
            return Job(**json.loads((self.state_dir / f"{job_id}.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def running(self) -> Optional[Job]:
        """The job under way here or on another replica, if any."""
        here = next((j for j in self.jobs.values() if j.running), None)
        if here is not None:
            return here
        for path in sorted(self.state_dir.glob("*.json")) if self.state_dir.is_dir() else []:
            job = self.get(path.stem)
            if job is not None and job.running and time.time() - path.stat().st_mtime < STALE_AFTER:
                return job
        return None

    @contextmanager
    def _across_replicas(self) -> Iterator[None]:
        """Two replicas asked to start at the same moment: one starts, the other finds its job."""
        import fcntl

        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / ".start.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _save(self, job: Job) -> None:
        """The job's state where every replica reads it (written whole, then renamed)."""
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            temporary = self.state_dir / f".{job.id}.tmp"
            temporary.write_text(json.dumps(job.as_dict(), ensure_ascii=False), encoding="utf-8")
            temporary.replace(self.state_dir / f"{job.id}.json")
        except OSError as error:  # the page of this replica still follows the job in memory
            logger.warning("could not save retrain job %s for the other replicas: %r", job.id, error)

    def start(self, override: bool = False, cross_validation_folds: int = 0) -> Job:
        with self._lock, self._across_replicas():
            busy = self.running()
            if busy:
                return busy
            job = Job(uuid.uuid4().hex[:12], override, max(0, min(int(cross_validation_folds), 10)))
            self.jobs[job.id] = job
            self._save(job)
        threading.Thread(target=self._run, args=(job,), daemon=True).start()
        return job

    def _run(self, job: Job) -> None:
        models = self.project_dir / "models"

        def progress(percent: int, message: str) -> None:
            job.state, job.progress, job.message = "training", percent, message
            self._save(job)

        try:
            live = retrain.live_model_path(self.rasa_url, self.token)
            candidate = retrain.train_candidate(self.project_dir, models / "candidates", progress, finetune_from=live)
            job.state, job.progress, job.message = "evaluating", 92, "与线上模型对比评估中"
            self._save(job)
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
        self._save(job)
