"""CPU time spent by each role of a running topology, read from Linux's /proc.

On a 2-core machine any CPU spent beside Rasa slows Rasa itself, so a load
figure means little without knowing who spent the CPU. `make bench-load`
prints, per phase, the milliseconds of CPU per message each role used.

A role is either a session (a process started with setsid and everything it
forks, such as nginx's workers: make run-cluster starts each of its processes
in its own session) or a command name (PostgreSQL and Redis are this machine's
servers, shared by everything on it, so they are counted whole).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, Iterator, Mapping, Optional, Tuple


@dataclass(frozen=True)
class Roles:
    """Who is who: session (or exact pid) -> role, and command name -> role."""
    sessions: Mapping[int, str] = field(default_factory=dict)
    commands: Mapping[str, str] = field(default_factory=dict)

    def role_of(self, pid: int, session: int, command: str) -> Optional[str]:
        return self.sessions.get(pid) or self.sessions.get(session) or self.commands.get(command)


def _read_stat(pid: int) -> Optional[Tuple[str, int, int]]:
    """(command, session id, user + system clock ticks), or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except OSError:
        return None
    # The command sits in parentheses and may itself hold spaces or ')'.
    command = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    # After the command: state, ppid, pgrp, session, ... utime is the 14th field of the line, stime the 15th.
    return command, int(fields[3]), int(fields[11]) + int(fields[12])


def _with_roles(roles: Roles) -> Iterator[Tuple[int, str, int]]:
    """(pid, role, user + system clock ticks) of every running process that has a role."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        stat = _read_stat(int(name))
        if stat is None:
            continue
        command, session, ticks = stat
        role = roles.role_of(int(name), session, command)
        if role is not None:
            yield int(name), role, ticks


def snapshot(roles: Roles) -> Dict[int, Tuple[str, float]]:
    """pid -> (role, CPU seconds so far) for every running process that has a role."""
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    return {pid: (role, ticks / ticks_per_second) for pid, role, ticks in _with_roles(roles)}


def _waited_seconds(pid: int) -> float:
    """Seconds the process's threads, those alive now, spent runnable but waiting for a core."""
    waited_ns = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as schedstat:
                # "time on a core, time waiting on a run queue, time slices", in nanoseconds
                waited_ns += int(schedstat.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the thread ended meanwhile, or the kernel keeps no scheduler statistics
    return waited_ns / 1e9


def waits_snapshot(roles: Roles) -> Dict[int, Tuple[str, float]]:
    """pid -> (role, seconds waited for a core so far); `seconds_by_role` takes two of these too.

    On a machine whose cores are not all busy, CPU spent beside a process still
    slows it: whenever its work is ready and both cores are taken, it waits.
    That wait, not the CPU itself, is what other processes add to Rasa's answer.
    """
    return {pid: (role, _waited_seconds(pid)) for pid, role, _ in _with_roles(roles)}


def seconds_by_role(before: Mapping[int, Tuple[str, float]],
                    after: Mapping[int, Tuple[str, float]]) -> Dict[str, float]:
    """Seconds each role spent between two snapshots: of CPU (`snapshot`), or waiting for it (`waits_snapshot`).

    A process started in between counts from zero; one that ended in between is
    missing from `after`, and what it spent since `before` cannot be known (a
    load run restarts nothing, so this does not arise there).
    """
    spent: Dict[str, float] = {}
    for pid, (role, seconds) in after.items():
        _, earlier = before.get(pid, (role, 0.0))
        spent[role] = spent.get(role, 0.0) + max(0.0, seconds - earlier)
    return spent


def stolen_seconds(stat_path: str = "/proc/stat") -> float:
    """CPU seconds the hypervisor ran other guests while this machine's CPUs had work, since boot (all CPUs).

    On a shared host this is how a run shows that the machine, not the code,
    slowed down.
    """
    with open(stat_path) as stat:
        # "cpu  user nice system idle iowait irq softirq steal guest guest_nice", in clock ticks
        fields = stat.readline().split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0
