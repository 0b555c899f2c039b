"""A retrain started on one desk replica is seen, and not started twice, on another.

Behind nginx a trainer's polls reach either replica; the job's state lives in models/jobs/,
which the replicas share. Training itself is replaced by a stand-in that waits for the test.
"""
import threading
import time

from shopbot.training.jobs import RetrainJobs


def replicas_sharing(project, release: threading.Event):
    """Two RetrainJobs on one project folder whose job runs until `release` is set."""
    def stand_in_run(self, job):
        job.state, job.progress, job.message = "training", 40, "训练中 40%"
        self._save(job)
        release.wait(10)
        job.state, job.progress, job.message = "deployed", 100, "新模型已上线"
        self._save(job)

    replicas = [RetrainJobs(project, "http://127.0.0.1:1", 0.01) for _ in range(2)]
    for replica in replicas:
        replica._run = stand_in_run.__get__(replica)
    return replicas


def wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_job_started_on_one_replica_is_polled_and_not_started_again_on_the_other(tmp_path):
    release = threading.Event()
    first, second = replicas_sharing(tmp_path, release)
    job = first.start()
    wait_for(lambda: (second.get(job.id) or job).progress == 40)
    polled = second.get(job.id)
    assert (polled.id, polled.state, polled.message) == (job.id, "training", "训练中 40%")
    assert second.start().id == job.id  # the other replica's job, not a second training
    release.set()
    wait_for(lambda: second.get(job.id).state == "deployed")
    assert second.start().id != job.id  # once it is done, a new one may start


def test_an_unknown_or_malformed_job_id_is_none_never_a_file_outside(tmp_path):
    first, _ = replicas_sharing(tmp_path, threading.Event())
    (tmp_path / "secret.json").write_text('{"id": "x"}')
    for job_id in ("nosuchjob000", "../../secret", "", "a" * 200):
        assert first.get(job_id) is None
