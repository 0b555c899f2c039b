"""Trainers add examples: kept in the right file, duplicates and conflicts refused."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shopbot.training.examples import add_examples, existing_examples

from tests.conftest import copy_project

CLI = Path(sys.executable).parent / "shopbot"


@pytest.fixture
def nlu_dir(project_root, tmp_path):
    copy = tmp_path / "data" / "nlu"
    shutil.copytree(project_root / "data" / "nlu", copy)
    return copy


def test_an_example_goes_to_its_intents_file_and_nothing_else_changes(nlu_dir, project_root):
    before = (nlu_dir / "presale.yml").read_text(encoding="utf-8")
    [result] = add_examples(nlu_dir, [("ask_stock", "仓库里还剩几箱")])
    assert result.status == "added" and result.path.name == "presale.yml"
    after = (nlu_dir / "presale.yml").read_text(encoding="utf-8")
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == ["    - 仓库里还剩几箱"]
    assert len(after.splitlines()) == len(before.splitlines()) + 1
    assert existing_examples(nlu_dir)  # still parses


def test_comments_in_the_data_files_survive(nlu_dir):
    path = nlu_dir / "general.yml"
    path.write_text("# 问候语:买家打招呼\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    add_examples(nlu_dir, [("greet", "掌柜的早上好呀")])
    assert path.read_text(encoding="utf-8").startswith("# 问候语:买家打招呼\n")


@pytest.mark.parametrize("text", ["还有没有现货呀", "還有沒有現貨呀!", "还有没有现货 呀~"])
def test_exact_and_normalised_duplicates_are_refused(nlu_dir, text):
    assert add_examples(nlu_dir, [("ask_stock", "还有没有现货呀")])[0].status == "added"
    assert add_examples(nlu_dir, [("ask_stock", text)])[0].status == "duplicate"


def test_an_example_of_another_intent_is_a_conflict(nlu_dir):
    existing_text, (intent, _) = next(iter(existing_examples(nlu_dir).items()))
    other = "greet" if intent != "greet" else "goodbye"
    original = existing_examples(nlu_dir)[existing_text][1]
    [result] = add_examples(nlu_dir, [(other, original)])
    assert result.status == "conflict" and intent in result.detail


def test_a_new_intent_gets_its_own_file(nlu_dir):
    [result] = add_examples(nlu_dir, [("ask_gift_wrap", "能帮忙包装成礼盒吗")])
    assert result.path.name == "new_intents.yml"
    assert existing_examples(nlu_dir)


@pytest.mark.parametrize("intent,text", [("ask_stock", ""), ("ask_stock", "😂😂"), ("Ask Stock", "有货吗亲亲")])
def test_unusable_examples_are_refused_with_a_reason(nlu_dir, intent, text):
    [result] = add_examples(nlu_dir, [(intent, text)])
    assert result.status == "invalid" and result.detail


def project_copy(project_root, tmp_path):
    return copy_project(tmp_path / "project")


def test_the_command_adds_once_and_refuses_the_same_text_again(project_root, tmp_path):
    project = project_copy(project_root, tmp_path)
    first = subprocess.run([CLI, "nlu", "add", "ask_stock", "还有没有现货呀"], cwd=project,
                           capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "added 1" in first.stdout
    second = subprocess.run([CLI, "nlu", "add", "ask_stock", "还有没有现货呀"], cwd=project,
                            capture_output=True, text=True)
    assert second.returncode == 1
    assert "duplicate 1" in second.stdout


def test_a_csv_import_reports_what_was_added_refused_and_why(project_root, tmp_path):
    project = project_copy(project_root, tmp_path)
    csv_file = tmp_path / "batch.csv"
    csv_file.write_text("intent,text\nask_stock,库房里还剩几箱\nask_stock,库房里还剩几箱\n"
                        "greet,有现货吗\nask_stock,\n", encoding="utf-8")
    result = subprocess.run([CLI, "nlu", "import", csv_file], cwd=project, capture_output=True, text=True)
    assert "added 1, duplicate 1, conflict 1, invalid 1" in result.stdout
    broken = subprocess.run([CLI, "nlu", "import", tmp_path / "missing.csv"], cwd=project,
                            capture_output=True, text=True)
    assert broken.returncode == 2 and "cannot read" in broken.stderr


def test_two_trainers_labelling_at_once_both_keep_their_example(project_root, tmp_path, monkeypatch):
    """Each labelling rewrites a whole file after seconds of validation: side by side, the
    second would write back a file without the first's example. They take turns instead."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from shopbot.training import examples

    project = copy_project(tmp_path / "project")
    # Rasa's validation is the slow window in which the two would overlap.
    monkeypatch.setattr(examples, "validate_with_rasa", lambda *args: time.sleep(0.5))
    labels = [("ask_invoice", "能不能开个电子发票给我"), ("ask_invoice", "发票抬头写公司的可以吗")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda label: examples.add_validated(project, [label]), labels))
    assert [results[0].status for results, _ in outcomes] == ["added", "added"]
    kept = {text for _, text in existing_examples(project / "data" / "nlu").values()}
    assert all(text in kept for _, text in labels), "one trainer's example was lost"
