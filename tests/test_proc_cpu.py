"""The load bench's CPU split: work is charged to the role whose processes did it."""
import os
import subprocess
import sys
import time

from harness import proc_cpu

# Burns `seconds` of CPU, then stays alive so the snapshot after still sees it.
BURN_THEN_WAIT = ("import time\nend = time.process_time() + {seconds}\n"
                  "while time.process_time() < end: pass\ntime.sleep(5)")


def _started_in_own_session(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)


def _seconds_by_role_until(take_snapshot, roles: proc_cpu.Roles, role: str, at_least: float) -> dict:
    """Seconds by role since now, read again until `role` has `at_least` of them (or 30 s pass)."""
    before = take_snapshot(roles)
    seconds: dict = {}
    give_up_at = time.monotonic() + 30
    while seconds.get(role, 0.0) < at_least and time.monotonic() < give_up_at:
        time.sleep(0.2)
        seconds = proc_cpu.seconds_by_role(before, take_snapshot(roles))
    return seconds


def _stop_sessions(*processes: subprocess.Popen) -> None:
    for process in processes:
        subprocess.run(["pkill", "-s", str(process.pid)])
        process.wait()


def test_a_sessions_cpu_includes_what_its_children_spent_and_an_idle_session_spends_next_to_nothing():
    # Like nginx's master and worker: the worker is forked, the leader only waits.
    forks_a_busy_child = _started_in_own_session(
        "import subprocess, sys\n"
        f"subprocess.run([sys.executable, '-c', {BURN_THEN_WAIT.format(seconds=0.6)!r}])")
    idle = _started_in_own_session("import time; time.sleep(8)")
    roles = proc_cpu.Roles(sessions={forks_a_busy_child.pid: "worker", idle.pid: "idle"})
    try:
        spent = _seconds_by_role_until(proc_cpu.snapshot, roles, "worker", at_least=0.55)
        assert spent["worker"] >= 0.55
        assert spent.get("idle", 0.0) < 0.2
        assert set(spent) <= {"worker", "idle"}  # nothing else on the machine is charged to them
    finally:
        _stop_sessions(forks_a_busy_child, idle)


def test_a_role_by_command_name_counts_every_process_of_that_name():
    roles = proc_cpu.Roles(commands={"postgres": "postgres"})
    found = proc_cpu.snapshot(roles)
    # This machine's PostgreSQL runs several processes (postmaster, checkpointer, walwriter...).
    assert len(found) >= 2
    assert {role for role, _ in found.values()} == {"postgres"}


def test_the_time_the_host_took_from_this_machine_is_read_from_the_steal_column(tmp_path):
    stat = tmp_path / "stat"
    ticks = os.sysconf("SC_CLK_TCK")
    stat.write_text(f"cpu  4705 150 1120 16250 520 0 30 {3 * ticks} 0 0\ncpu0 2000 70 500 8000 200 0 10 100 0 0\n")
    assert proc_cpu.stolen_seconds(str(stat)) == 3.0


def test_work_that_shares_one_core_is_charged_the_time_it_waited_and_an_idle_session_none():
    # Three processes burning on the same core: each runs a third of the time and waits the rest.
    pinned_burners = _started_in_own_session(
        "import os, subprocess, sys\n"
        "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
        f"burners = [subprocess.Popen([sys.executable, '-c', {BURN_THEN_WAIT.format(seconds=0.5)!r}]) for _ in range(3)]\n"
        "[burner.wait() for burner in burners]")
    idle = _started_in_own_session("import time; time.sleep(8)")
    roles = proc_cpu.Roles(sessions={pinned_burners.pid: "burners", idle.pid: "idle"})
    try:
        waited = _seconds_by_role_until(proc_cpu.waits_snapshot, roles, "burners", at_least=0.8)
        assert waited["burners"] >= 0.8  # about 2 x 0.5 s each, while the other two had the core
        assert waited.get("idle", 0.0) < 0.1
    finally:
        _stop_sessions(pinned_burners, idle)
