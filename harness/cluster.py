"""Starting, hurting and stopping `make run-cluster`'s topology from Python.

bench/load.py, bench/faults.py and the cluster fault tests all need the same
thing: scripts/run_cluster.sh on ports of their choosing, with databases of
their own, and a way to kill one of its processes and see it come back (the
script restarts whatever dies, as compose's `restart: unless-stopped` does).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

import requests
import sqlalchemy as sa

from harness.proc_cpu import Roles

ROOT = Path(__file__).resolve().parent.parent
# This machine's servers the topology uses, counted whole (they may serve others too).
SHARED_SERVERS = {"postgres": "postgres", "redis-server": "redis"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ClusterError(RuntimeError):
    """The cluster did not start, or a process did not come back."""


class Cluster:
    def __init__(self, run_dir: Path, *, desk_port: int = 8000, rasa_port: int = 5005, actions_port: int = 5055,
                 rasa_replicas: Optional[List[int]] = None, desk_replicas: Optional[List[int]] = None,
                 database: str = "shopbot", env: Optional[Dict[str, str]] = None):
        self.run_dir = Path(run_dir)
        self.rasa_replicas = rasa_replicas or [5011, 5012]
        self.desk_replicas = desk_replicas or [8001, 8002]
        self.desk_url = f"http://127.0.0.1:{desk_port}"
        self.rasa_url = f"http://127.0.0.1:{rasa_port}"
        self.actions_url = f"http://127.0.0.1:{actions_port}"
        self.database = database
        # The rig's buyers all come from 127.0.0.1: the per-address limits of nginx and the
        # desks are for real buyers, not for a load or fault drill from one address.
        self.env = dict(os.environ, NGINX_RATE="100000r/s", NGINX_BURST="100000", NGINX_CONNECTIONS="60000",
                        DESK_SOCKET_RATE="100000,100000", DESK_ADDRESS_RATE="100000,100000",
                        DESK_CHATS_RATE="100000,100000", DESK_REMIND_EVERY="0")
        self.env.update(env or {})
        self.env.update(DESK_PORT=str(desk_port), RASA_PORT=str(rasa_port), ACTIONS_PORT=str(actions_port),
                        RASA_REPLICA_PORTS=" ".join(map(str, self.rasa_replicas)),
                        DESK_REPLICA_PORTS=" ".join(map(str, self.desk_replicas)),
                        CLUSTER_DIR=str(self.run_dir), POSTGRES_DB=database,
                        POSTGRES_TRACKER_DB=f"{database}_trackers")
        self.process: Optional[subprocess.Popen] = None

    @classmethod
    def on_free_ports(cls, run_dir: Path, database: str, env: Optional[Dict[str, str]] = None) -> "Cluster":
        """A cluster beside anything else running here (tests)."""
        return cls(run_dir, desk_port=free_port(), rasa_port=free_port(), actions_port=free_port(),
                   rasa_replicas=[free_port(), free_port()], desk_replicas=[free_port(), free_port()],
                   database=database, env=env)

    # -- databases -------------------------------------------------------------------------
    def postgres_url(self, database: str) -> str:
        e = self.env
        password = e.get("POSTGRES_PASSWORD", "")
        return (f"postgresql://{e.get('POSTGRES_USER', 'postgres')}{':' + password if password else ''}"
                f"@{e.get('POSTGRES_HOST', '127.0.0.1')}:{e.get('POSTGRES_PORT', '5432')}/{database}")

    @property
    def desk_db_url(self) -> str:
        return self.postgres_url(self.database)

    def drop_databases(self) -> None:
        """A fresh start for tests: their databases, never the shop's default one."""
        engine = sa.create_engine(self.postgres_url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in (self.database, f"{self.database}_trackers"):
                conn.execute(sa.text(f'drop database if exists "{name}"'))
        engine.dispose()

    # -- life cycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 480) -> "Cluster":
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log = (self.run_dir / "cluster.log").open("w")
        self.process = subprocess.Popen([str(ROOT / "scripts" / "run_cluster.sh")], cwd=ROOT, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        give_up_at = time.monotonic() + timeout
        while time.monotonic() < give_up_at:
            if self.process.poll() is not None:
                raise ClusterError(f"the cluster did not start; see {self.run_dir / 'cluster.log'}")
            if "The cluster is running" in (self.run_dir / "cluster.log").read_text(errors="replace"):
                return self
            time.sleep(0.5)
        self.stop()
        raise ClusterError(f"the cluster did not come up in {timeout:.0f} s; see {self.run_dir / 'cluster.log'}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # TERM, not INT: a shell started from a background job ignores SIGINT and cannot trap it.
        self.process.terminate()
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def add_user(self, username: str, password: str, role: str = "agent") -> None:
        subprocess.run([str(ROOT / ".venv" / "bin" / "shopbot"), "user", "add", username, "--role", role,
                        "--password", password], cwd=ROOT, env=dict(self.env, DESK_DB_URL=self.desk_db_url),
                       check=True, capture_output=True)

    # -- faults -----------------------------------------------------------------------------------
    def pid(self, name: str) -> int:
        """The current pid of a process: actions, rasa-<port>, desk-<port>, nginx."""
        return int((self.run_dir / "pids" / f"{name}.pid").read_text())

    def cpu_roles(self) -> Roles:
        """Who spends CPU for this topology: each supervised process's session, PostgreSQL, Redis."""
        sessions = {}
        for pid_file in (self.run_dir / "pids").glob("*.pid"):
            try:
                sessions[int(pid_file.read_text())] = pid_file.stem.partition("-")[0]  # rasa-5011 -> rasa
            except ValueError:
                continue  # being rewritten by a restart
        return Roles(sessions=sessions, commands=SHARED_SERVERS)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        pid = self.pid(name)
        os.kill(pid, sig)
        return pid

    def health_url(self, name: str) -> str:
        kind, _, port = name.partition("-")
        return {"rasa": f"http://127.0.0.1:{port}/version", "desk": f"http://127.0.0.1:{port}/health",
                "actions": f"{self.actions_url}/health", "nginx": f"{self.desk_url}/health"}[kind]

    def wait_restarted(self, name: str, old_pid: int, timeout: float = 240) -> float:
        """Seconds until the supervisor's new process answers its health check."""
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            try:
                if self.pid(name) != old_pid and requests.get(self.health_url(name), timeout=2).ok:
                    return time.monotonic() - began
            except (requests.RequestException, ValueError, FileNotFoundError):
                pass
            time.sleep(0.5)
        raise ClusterError(f"{name} did not come back within {timeout:.0f} s; see {self.run_dir / 'logs'}")

    def restarts(self) -> List[str]:
        """What the supervisor restarted, one line each."""
        log = self.run_dir / "logs" / "supervisor.log"
        return log.read_text().splitlines() if log.exists() else []


def pg_ctlcluster(action: str) -> subprocess.CompletedProcess:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
                          capture_output=True, text=True, timeout=120)


def restart_postgres() -> float:
    """Restart this machine's PostgreSQL cluster (Debian's pg_ctlcluster); seconds it took."""
    began = time.monotonic()
    done = pg_ctlcluster("restart")
    if done.returncode != 0:
        raise ClusterError(f"PostgreSQL did not restart: {done.stderr.strip()}")
    return time.monotonic() - began


def ensure_postgres_running() -> None:
    """After a drill, PostgreSQL is up again whatever happened (CI runs on this machine)."""
    if pg_ctlcluster("status").returncode != 0:
        pg_ctlcluster("start")


# This machine's Redis keeps nothing on disk; it is started again as it was.
REDIS_START = ["redis-server", "/etc/redis/redis.conf", "--save", "", "--appendonly", "no"]


def redis_answers() -> bool:
    done = subprocess.run(["redis-cli", "ping"], capture_output=True, text=True, timeout=10)
    return done.stdout.strip() == "PONG"


def restart_redis() -> float:
    """Stop this machine's Redis and start it again; seconds it took."""
    began = time.monotonic()
    subprocess.run(["redis-cli", "shutdown", "nosave"], capture_output=True, timeout=30)
    while redis_answers():
        time.sleep(0.1)
    ensure_redis_running()
    return time.monotonic() - began


def ensure_redis_running(timeout: float = 30.0) -> None:
    """After a drill, Redis is up again whatever happened (CI runs on this machine)."""
    if redis_answers():
        return
    started = subprocess.run(REDIS_START, capture_output=True, text=True, timeout=30)
    deadline = time.monotonic() + timeout
    while not redis_answers():
        if time.monotonic() > deadline:
            raise ClusterError(f"Redis did not start again: {started.stderr.strip() or started.stdout.strip()}")
        time.sleep(0.1)
