"""The cluster a load bench runs against, and who spends CPU in it.

bench/load.py and bench/saturation.py both start `make run-cluster`'s topology
(harness/cluster.py) on the usual ports (DESK_PORT, RASA_PORT, ACTIONS_PORT),
log a simulated agent in to it, split the machine's CPU by role, and need to
know whether something else on the machine disturbed the cluster under them;
this is that, once.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import List, Optional

import requests
import sqlalchemy as sa

from harness import proc_cpu
from harness.cluster import SHARED_SERVERS, Cluster, ClusterError

ROOT = Path(__file__).resolve().parent.parent


def start_cluster(name: str, agent: str, agent_password: str) -> Cluster:
    """The topology under var/<name>, running, with the simulated agent's account."""
    cluster = Cluster(ROOT / "var" / name, desk_port=int(os.environ.get("DESK_PORT", "8000")),
                      rasa_port=int(os.environ.get("RASA_PORT", "5005")),
                      actions_port=int(os.environ.get("ACTIONS_PORT", "5055"))).start()
    try:
        cluster.add_user(agent, agent_password)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def cpu_roles(cluster: Optional[Cluster]) -> proc_cpu.Roles:
    """Who is who for /proc: the cluster's processes, this machine's PostgreSQL and Redis, and the bench itself.

    Read from the cluster's pid files: a process restarted since is a new session,
    so read it again after a restart. Without a cluster of the bench's own the
    servers' sessions are unknown: only the shared servers and the bench are split out.
    """
    servers = cluster.cpu_roles().sessions if cluster is not None else {}
    return proc_cpu.Roles(sessions={**servers, os.getpid(): "bench"}, commands=SHARED_SERVERS)


@dataclass(frozen=True)
class ClusterState:
    """Marks of what may happen to a cluster behind a bench's back, read before and after a phase.

    The machine is shared: other work restarts its PostgreSQL (tests do), or stops
    processes by name, which the cluster's supervisor then starts again. A phase
    during which either happened measured that, not the path.
    """
    postgres_started_at: Optional[datetime]  # None when it could not be asked
    restarts: int  # lines in the supervisor's log: a process that died and was started again


def cluster_state(cluster: Optional[Cluster]) -> ClusterState:
    if cluster is None:  # servers the bench did not start: nothing to read
        return ClusterState(None, 0)
    return ClusterState(postgres_started_at(cluster), len(cluster.restarts()))


def what_happened(before: ClusterState, after: ClusterState) -> List[str]:
    """What changed between two readings, in words; empty when nothing did."""
    events = []
    if after.postgres_started_at != before.postgres_started_at:
        events.append("PostgreSQL restarted")
    if after.restarts > before.restarts:
        events.append(f"{after.restarts - before.restarts} of the cluster's processes restarted")
    return events


def postgres_started_at(cluster: Cluster) -> Optional[datetime]:
    """When the PostgreSQL server the cluster uses last started (None if it cannot be asked)."""
    engine = sa.create_engine(cluster.postgres_url("postgres"))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("select pg_postmaster_start_time()")).scalar()
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def wait_healthy(cluster: Optional[Cluster], timeout: float = 180.0) -> None:
    """Until PostgreSQL answers and every process of the cluster answers its health check (after a restart)."""
    if cluster is None:
        return
    give_up_at = time.monotonic() + timeout
    while postgres_started_at(cluster) is None:
        if time.monotonic() > give_up_at:
            raise ClusterError(f"PostgreSQL did not answer within {timeout:.0f} s")
        time.sleep(0.5)
    for pid_file in sorted((cluster.run_dir / "pids").glob("*.pid")):
        while True:
            try:
                if requests.get(cluster.health_url(pid_file.stem), timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > give_up_at:
                raise ClusterError(f"{pid_file.stem} did not answer its health check within {timeout:.0f} s")
            time.sleep(0.5)
