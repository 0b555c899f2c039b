"""Cross-validation names the intent whose examples are mixed up with another's."""
import shutil
from concurrent.futures import ThreadPoolExecutor

import yaml

from shopbot.training.crossval import cross_validate
from tests.conftest import set_diet_epochs


def small_project(project_root, tmp_path, mislabel):
    """Three intents of the real data, a quick config, optionally half of one intent mislabelled."""
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    shutil.copytree(project_root / "data" / "jieba", project / "data" / "jieba")
    shutil.copytree(project_root / "shop", project / "shop")
    shutil.copy(project_root / "config.yml", project / "config.yml")
    set_diet_epochs(project / "config.yml", 15)
    wanted = {"ask_invoice": [], "ask_payment": [], "greet": []}
    for path in (project_root / "data" / "nlu").glob("*.yml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if item.get("intent") in wanted:
                wanted[item["intent"]] += [l[2:] for l in item["examples"].splitlines() if l.startswith("- ")]
    if mislabel:
        moved = wanted["ask_payment"][::2]
        wanted["ask_payment"] = wanted["ask_payment"][1::2]
        wanted["ask_invoice"] += moved
    nlu = {"version": "3.1", "nlu": [{"intent": i, "examples": "".join(f"- {t}\n" for t in texts)}
                                     for i, texts in wanted.items()]}
    (project / "data" / "nlu.yml").write_text(yaml.safe_dump(nlu, allow_unicode=True), encoding="utf-8")
    return project


def test_mislabelled_examples_show_up_as_a_weak_intent(project_root, tmp_path):
    projects = [small_project(project_root, tmp_path / "a", mislabel=False),
                small_project(project_root, tmp_path / "b", mislabel=True)]
    # Each run is a `rasa test nlu` process that spends much of its time single-threaded
    # (start-up, featurizing); side by side they use both cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        clean, mixed = pool.map(lambda project: cross_validate(project, folds=2), projects)
    assert {"ask_invoice", "ask_payment", "greet"} <= set(clean)
    assert mixed["ask_payment"]["f1"] < clean["ask_payment"]["f1"] - 0.1
    assert mixed["ask_invoice"]["f1"] < clean["ask_invoice"]["f1"]
