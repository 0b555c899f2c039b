"""Run the desk's page scripts in node, in the small stand-in for a page in tests/js/fake_page.js.

A check without a browser: quick, and it runs wherever the project is set up, since
Playwright (requirements/extra.txt) ships a node of its own when the machine has none.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "shopbot" / "desk" / "static"
FAKE_PAGE = Path(__file__).parent / "js" / "fake_page.js"


def node_binary() -> str:
    """The machine's node, else the one inside the Playwright package."""
    found = shutil.which("node")
    if found:
        return found
    try:
        import playwright
    except ImportError:
        pytest.fail("no node: install nodejs or the project's requirements (Playwright ships one)")
    bundled = Path(playwright.__file__).parent / "driver" / "node"
    if not bundled.exists():
        pytest.fail(f"no node on PATH and none at {bundled}")
    return str(bundled)


def static_script(name: str) -> Tuple[str, str]:
    """(name, source) of a file in shopbot/desk/static, for run_in_page."""
    return name, (STATIC / name).read_text(encoding="utf-8")


def run_in_page(scripts: Iterable[Tuple[str, str]], check: str, page: Optional[Dict[str, Any]] = None) -> Any:
    """Run the scripts in order in one fake page, then `check` (a function body); its return value."""
    job = {"scripts": [{"name": name, "source": source} for name, source in scripts],
           "check": check, "page": page or {}}
    done = subprocess.run([node_binary(), str(FAKE_PAGE)], input=json.dumps(job), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, f"the script failed in the page:\n{done.stderr}"
    return json.loads(done.stdout)


def syntax_error_of(source: str, tmp_path: Path) -> str:
    """node's complaint about the source as one script file, or "" when it parses."""
    path = tmp_path / "script.js"
    path.write_text(source, encoding="utf-8")
    done = subprocess.run([node_binary(), "--check", str(path)], capture_output=True, text=True, timeout=60)
    return "" if done.returncode == 0 else done.stderr
