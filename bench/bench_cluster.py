"""The cluster a load bench runs against, and who spends CPU in it.

bench/load.py and bench/saturation.py both start `make run-cluster`'s topology
(harness/cluster.py) on the usual ports (DESK_PORT, RASA_PORT, ACTIONS_PORT),
log a simulated agent in to it, split the machine's CPU by role, and may need
to know whether the shared PostgreSQL restarted under them; this is that, once.
"""
from __future__ import annotations

import os
from pathlib import Path
from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from harness import proc_cpu
from harness.cluster import SHARED_SERVERS, Cluster

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

    Without a cluster of the bench's own the servers' sessions are unknown: only
    the shared servers and the bench are split out.
    """
    servers = cluster.cpu_roles().sessions if cluster is not None else {}
    return proc_cpu.Roles(sessions={**servers, os.getpid(): "bench"}, commands=SHARED_SERVERS)


def postgres_started_at(cluster: Cluster) -> Optional[datetime]:
    """When the PostgreSQL server the cluster uses last started (None if it cannot be asked).

    The server is this machine's, shared with whatever else runs here (tests that
    restart it, for one): a bench that sees it change knows its phase was disturbed.
    """
    engine = sa.create_engine(cluster.postgres_url("postgres"))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("select pg_postmaster_start_time()")).scalar()
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()
