"""No file in shopbot/ grows past 450 lines (issue 31): a long file is split into files with one job each.

Every text file counts, Python or not (the desk's scripts, pages and styles too);
byte-compiled caches and binary files do not.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "shopbot"
MOST_LINES = 450


def text_files(top: Path):
    for path in sorted(top.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue
        try:
            yield path, data.decode("utf-8")
        except UnicodeDecodeError:
            continue


def test_no_file_in_the_package_is_over_450_lines():
    too_long = {str(path.relative_to(ROOT)): len(text.splitlines())
                for path, text in text_files(PACKAGE) if len(text.splitlines()) > MOST_LINES}
    assert not too_long, (
        f"over {MOST_LINES} lines: {too_long}; split each into smaller files with one job each "
        "(the widget's parts are joined in shopbot/desk/widget_bundle.py, the pages load theirs with <script>)")


def test_the_check_sees_the_package_s_scripts_and_pages():
    names = {path.name for path, _ in text_files(PACKAGE)}
    assert {"widget_bundle.py", "console.html", "console-base.js", "widget-state.js", "trainer-base.js"} <= names
