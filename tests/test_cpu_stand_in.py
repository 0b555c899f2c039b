"""The load bench's stand-in burns the CPU it is asked to, so its phase compares like with like."""
import time

import pytest

from harness import proc_cpu
from harness.cpu_stand_in import start_stand_in


def cores_burned(burners, seconds=3.0):
    roles = proc_cpu.Roles(sessions={b.pid: "stand-in" for b in burners})
    time.sleep(0.5)  # the spawned interpreters start up
    before = proc_cpu.snapshot(roles)
    time.sleep(seconds)
    return proc_cpu.seconds_by_role(before, proc_cpu.snapshot(roles)).get("stand-in", 0.0) / seconds


@pytest.mark.parametrize("asked,processes", [(0.3, 1), (1.2, 2)])
def test_the_stand_in_keeps_about_the_asked_cores_busy(asked, processes):
    burners = start_stand_in(asked)
    try:
        assert len(burners) == processes
        burned = cores_burned(burners)
    finally:
        for burner in burners:
            burner.kill()
    # The lower bound leaves room for the other test worker's training on two cores.
    assert asked * 0.4 < burned < asked * 1.3
