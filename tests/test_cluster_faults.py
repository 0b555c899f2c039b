"""Faults of the production topology, under load: short drills of `make bench-faults`.

A private `make run-cluster` (nginx, two desks, two Rasa replicas, one action
server, this machine's PostgreSQL and Redis) on free ports with databases of
its own. Buyers behave like the widget (reconnect, resend what was not
acknowledged); a simulated agent serves what is handed off. After each fault
the desk's stored transcripts must hold every message once, each answered.
"""
import asyncio
import os
import signal

import pytest
import requests

from harness.cluster import Cluster, ensure_postgres_running, ensure_redis_running, restart_postgres, restart_redis
from shopbot.desk.service import ABANDONED_AFTER, ORPHANED_AFTER
from harness.fault_drill import drill, stranded_line
from harness.hostile import generate
from harness.hostile_runner import HostileRunner, split
from tests.conftest import DESK_SECRET, SAMPLE_NOW

pytestmark = pytest.mark.local_services

AGENT = ("drill-agent", "drill-agent-pass")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster.on_free_ports(tmp_path_factory.mktemp("cluster"), database="shopbot_fault_tests",
                                    env={"DESK_SECRET": DESK_SECRET, "SHOP_NOW": SAMPLE_NOW,
                                         "TF_CPP_MIN_LOG_LEVEL": "2"})
    running.drop_databases()
    running.start()
    running.add_user(*AGENT)
    yield running
    running.stop()


def run_drill(cluster, fault, **kwargs):
    return asyncio.run(drill(cluster.desk_url, DESK_SECRET, AGENT, fault, **kwargs))


def assert_nothing_lost(report):
    assert report.lost == 0 and report.duplicated == 0, report
    assert report.unanswered == 0 and report.unanswered_stored == 0, report


def test_the_cluster_answers_through_both_desks_without_faults(cluster):
    report = run_drill(cluster, None, buyers=4, turns=3)
    assert_nothing_lost(report)
    assert report.answered_by_bot == report.messages, report
    assert cluster.restarts() == []


def test_killing_a_rasa_replica_under_load_loses_nothing_and_the_other_replica_answers(cluster):
    victim = f"rasa-{cluster.rasa_replicas[0]}"
    old_pid = cluster.pid(victim)
    report = run_drill(cluster, lambda: cluster.kill(victim, signal.SIGKILL), fault_at=3.0)
    print(report.line("rasa replica killed"))
    assert_nothing_lost(report)
    # The bot kept answering: messages caught inside the dead replica were sent to the other one.
    assert report.answered_by_bot == report.messages, report
    assert cluster.wait_restarted(victim, old_pid) > 0
    assert requests.get(cluster.health_url(victim), timeout=10).ok


def test_restarting_a_desk_replica_reconnects_its_buyers_and_keeps_transcripts_whole(cluster):
    victim = f"desk-{cluster.desk_replicas[0]}"
    old_pid = cluster.pid(victim)
    # Early in the drill: its buyers pause 0.25-0.75 s between 6 lines, so by 3 s the
    # quickest have finished, and with answers now faster a restart there met no buyer.
    report = run_drill(cluster, lambda: cluster.kill(victim, signal.SIGTERM), fault_at=1.0)
    print(report.line("desk replica restarted"))
    assert report.reconnects > 0, "no buyer was on the restarted desk: the drill proved nothing"
    assert_nothing_lost(report)
    assert report.answered_by_bot == report.messages, report
    cluster.wait_restarted(victim, old_pid)


def test_a_line_left_by_a_killed_desk_is_answered_well_before_the_minute(cluster):
    """The desk stored and confirmed the line, asked Rasa, and was killed before the answer came.

    Another desk sees it gone within ALIVE_TTL (2 s) and answers the line, long before the
    dead desk's own deadline (ABANDONED_AFTER) or its Rasa timeout (20 s) could have. How
    soon is `make bench-faults`'s figure, held there to the issue's 5 s (3.9 s); under make
    test's two busy workers it took up to 5.9 s, so the bound here is the mechanism's.
    """
    victim = f"desk-{cluster.desk_replicas[0]}"
    old_pid = cluster.pid(victim)
    line = asyncio.run(stranded_line(cluster, DESK_SECRET, timeout=ABANDONED_AFTER + 60))
    cluster.wait_restarted(victim, old_pid)
    print(f"answered {line.seconds:.1f} s after the line")
    assert line.confirmed and line.reconnects == 1, line
    assert line.answer_sender == "bot", line
    assert ORPHANED_AFTER <= line.seconds < 15.0, line


def restart_drill(cluster, restart, ensure_running, name):
    """A drill with `restart` 3 s in; nothing lost, no process died, and all normal afterwards."""
    before = list(cluster.restarts())
    try:
        report = run_drill(cluster, restart, fault_at=3.0)
    finally:
        ensure_running()
    print(report.line(f"{name} restarted"))
    assert_nothing_lost(report)
    assert cluster.restarts() == before, f"a process died when {name} restarted"
    after = run_drill(cluster, None, buyers=2, turns=2)  # and afterwards all is normal
    assert_nothing_lost(after)
    assert after.answered_by_bot == after.messages, after
    return report


def test_restarting_postgresql_under_load_loses_nothing_and_nothing_crashes(cluster):
    report = restart_drill(cluster, restart_postgres, ensure_postgres_running, "PostgreSQL")
    assert report.fault_seconds > 0


def test_restarting_redis_under_load_loses_nothing_and_nothing_crashes(cluster):
    """Redis carries Rasa's conversation locks and the desks' live events between replicas."""
    restart_drill(cluster, restart_redis, ensure_redis_running, "Redis")


def test_hostile_inputs_against_the_production_stores_break_nothing(cluster):
    """PostgreSQL enforces what SQLite does not (column lengths): the same hostile cases, here."""
    report = asyncio.run(HostileRunner(cluster.rasa_url, cluster.desk_url, DESK_SECRET, agent=AGENT,
                                       concurrency=2, ws_connections=2, rasa_token=os.environ["RASA_TOKEN"],
                                       channel_token=os.environ["CHANNEL_TOKEN"]).run(*split(generate(400, 6))))
    problems = [str(p) for p in report.problems if p.what in ("server_error", "no_answer", "leak",
                                                               "broken_socket", "injection", "exception")]
    assert not problems, "\n".join(problems)
    assert report.survived


def test_stopping_the_cluster_stops_every_process_it_started(cluster):
    """Last in this module: Ctrl-C (or TERM) must not leave a replica running, nor restart one."""
    pids = {p.stem: int(p.read_text()) for p in (cluster.run_dir / "pids").glob("*.pid")}
    restarts_before = list(cluster.restarts())
    cluster.stop()
    alive = [name for name, pid in pids.items() if _alive(pid)]
    assert alive == [], f"still running after stop: {alive}"
    assert cluster.restarts() == restarts_before, "a supervisor restarted a process while stopping"
    assert not any(os.path.exists(f"/proc/{pid}") for pid in pids.values())


def _alive(pid):
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
