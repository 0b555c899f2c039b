"""The messages a new user sees when their machine is not ready."""
import os
import socket
import subprocess


def test_unsupported_python_gets_a_clear_message(project_root, tmp_path):
    fake = tmp_path / "python3.9"
    fake.write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo 'Python 3.9.2'\nexit 1\n")
    fake.chmod(0o755)
    result = subprocess.run([project_root / "scripts" / "check_python.sh", str(fake)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Python 3.9.2 is not supported" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_python_gets_a_clear_message(project_root):
    result = subprocess.run([project_root / "scripts" / "check_python.sh", "no-such-python3"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "not found" in result.stderr


def test_port_in_use_is_reported_before_anything_starts(project_root):
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = dict(os.environ, RASA_PORT=str(port), ACTIONS_PORT="0", DESK_PORT="0", TRACKER_DB="var/t.db")
        result = subprocess.run([project_root / "scripts" / "run.sh"], cwd=project_root,
                                env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"port {port} (RASA_PORT) is already in use" in result.stderr
