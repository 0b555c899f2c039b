"""Adding training examples to data/nlu without disturbing what is there.

YAML is edited round-trip (ruamel), so comments, order and the block style of
each intent's examples survive. An example is refused when it is already there
(exactly, or after normalising: traditional→simplified, width, case,
punctuation, particles) and reported as a conflict when the same text is
already an example of another intent.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from shopbot.text import normalize_text

NEW_INTENTS_FILE = "new_intents.yml"
_PARTICLES = set("亲哈呀啊呢吧嘛哦啦呗咯噢喔哟呐的了")
_EXAMPLE_LINE = re.compile(r"^\s*-\s?(.*)$")


def normalised(text: str) -> str:
    """What two spellings of the same message have in common."""
    return "".join(ch for ch in normalize_text(text) if ch.isalnum() and ch not in _PARTICLES)


@dataclass
class AddResult:
    status: str          # added / duplicate / conflict / invalid
    intent: str
    text: str
    detail: str = ""
    path: Optional[Path] = None


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def _examples_of(block: str) -> List[str]:
    return [m.group(1).strip() for line in block.splitlines() if (m := _EXAMPLE_LINE.match(line))]


def existing_examples(nlu_dir: Path) -> Dict[str, Tuple[str, str]]:
    """normalised text -> (intent, original text) over every NLU file."""
    seen: Dict[str, Tuple[str, str]] = {}
    yaml = _yaml()
    for path in sorted(Path(nlu_dir).glob("*.yml")):
        data = yaml.load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            if "intent" in item:
                for text in _examples_of(str(item.get("examples") or "")):
                    seen.setdefault(normalised(text), (item["intent"], text))
    return seen


def _file_for(nlu_dir: Path, intent: str) -> Path:
    yaml = _yaml()
    for path in sorted(Path(nlu_dir).glob("*.yml")):
        data = yaml.load(path.read_text(encoding="utf-8")) or {}
        if any(item.get("intent") == intent for item in data.get("nlu") or []):
            return path
    return Path(nlu_dir) / NEW_INTENTS_FILE


def check_text(text: str) -> Optional[str]:
    """Why a text cannot be an example, or None."""
    if not text or not text.strip():
        return "空文本不能作为训练样例"
    if "\n" in text:
        return "样例只能是一行"
    if not normalised(text):
        return "只有标点或表情,没有可学习的内容"
    return None


def add_examples(nlu_dir: Path, items: Iterable[Tuple[str, str]]) -> List[AddResult]:
    """Add (intent, text) pairs; each result says added, duplicate, conflict or invalid."""
    seen = existing_examples(nlu_dir)
    results: List[AddResult] = []
    accepted: Dict[Path, Dict[str, List[str]]] = {}
    for intent, text in items:
        intent, text = (intent or "").strip(), (text or "").strip()
        problem = check_text(text) or (None if re.fullmatch(r"[a-z][a-z0-9_]*", intent)
                                       else "意图名只能用小写字母、数字和下划线")
        if problem:
            results.append(AddResult("invalid", intent, text, problem))
            continue
        key = normalised(text)
        if key in seen:
            other_intent, other_text = seen[key]
            status = "duplicate" if other_intent == intent else "conflict"
            detail = (f"已有相同样例:{other_text}" if status == "duplicate"
                      else f"已作为 {other_intent} 的样例存在:{other_text}")
            results.append(AddResult(status, intent, text, detail))
            continue
        path = _file_for(nlu_dir, intent)
        accepted.setdefault(path, {}).setdefault(intent, []).append(text)
        seen[key] = (intent, text)
        results.append(AddResult("added", intent, text, path=path))
    for path, by_intent in accepted.items():
        _append(path, by_intent)
    return results


def _append(path: Path, by_intent: Dict[str, List[str]]) -> None:
    yaml = _yaml()
    data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if data is None:
        data = yaml.load('version: "3.1"\nnlu: []\n')
    for intent, texts in by_intent.items():
        item = next((i for i in data["nlu"] if i.get("intent") == intent), None)
        lines = "".join(f"- {t}\n" for t in texts)
        if item is None:
            data["nlu"].append({"intent": intent, "examples": LiteralScalarString(lines)})
        else:
            block = str(item.get("examples") or "")
            if block and not block.endswith("\n"):
                block += "\n"
            item["examples"] = LiteralScalarString(block + lines)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def validate_with_rasa(project_dir: Path, nlu_dir: Path) -> Optional[str]:
    """Run `rasa data validate` on a data directory; the error text, or None if valid."""
    import os
    import subprocess
    import sys

    rasa = Path(sys.executable).parent / "rasa"
    result = subprocess.run(
        [str(rasa), "data", "validate", "--quiet", "--data", str(nlu_dir.parent),
         "--domain", str(project_dir / "domain.yml"), "--config", str(project_dir / "config.yml")],
        cwd=project_dir, capture_output=True, text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if result.returncode != 0:
        lines = [l for l in (result.stdout + result.stderr).splitlines()
                 if "ERROR" in l or "error" in l.lower() and "Warning" not in l]
        return "\n".join(lines[-5:]) or "rasa data validate failed"
    return None


LOCK_FILE = ".labels.lock"  # in data/nlu, which desk replicas share (Rasa reads only .yml there)


@contextmanager
def labelling(nlu_dir: Path) -> Iterator[None]:
    """One labelling at a time over data/nlu, across threads and processes (desk replicas):
    each rewrites a whole file, so two at once would lose one's example."""
    import fcntl

    with open(Path(nlu_dir) / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def add_validated(project_dir: Path, items: Iterable[Tuple[str, str]]) -> Tuple[List[AddResult], Optional[str]]:
    """Add examples only if the training data still validates with them; nothing is saved otherwise."""
    data_dir = Path(project_dir) / "data"
    with labelling(data_dir / "nlu"):
        return _add_validated(data_dir, Path(project_dir), list(items))


def _add_validated(data_dir: Path, project_dir: Path, items: List[Tuple[str, str]]
                   ) -> Tuple[List[AddResult], Optional[str]]:
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        trial = Path(tmp) / "data"
        shutil.copytree(data_dir, trial)
        results = add_examples(trial / "nlu", items)
        if not any(r.status == "added" for r in results):
            return results, None
        error = validate_with_rasa(project_dir, trial / "nlu")
        if error:
            return [AddResult("invalid", r.intent, r.text, "rasa data validate 未通过") if r.status == "added"
                    else r for r in results], error
        for result in results:
            if result.status == "added":
                relative = result.path.relative_to(trial)
                shutil.copy(result.path, data_dir / relative)
                result.path = data_dir / relative
    return results, None
