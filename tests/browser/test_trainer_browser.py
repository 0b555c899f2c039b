"""The trainers' page in a real browser: permissions, labelling an inbox item, a retrain.

Runs against a private copy of the project (ProjectStack), so labels and models
never touch the repository.
"""
import re
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import BIN, rasa_api, trainer_stack

WRONG = "推荐个好看的电视剧"  # chit-chat the shipped model takes for a product recommendation
XSS = "<img src=x onerror=alert(1)>看看这个"
WIDE = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def project_stack(tmp_path_factory):
    """The page's workflow, not the model's quality, is under test here: five epochs
    train in seconds and give a candidate clearly worse than the live model, which
    the gate refuses unless the admin overrides it."""
    yield from trainer_stack(tmp_path_factory, diet_epochs=5)


def log_in(page, stack, username, password):
    page.goto(f"{stack.desk_url}/trainer")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")


def test_an_agent_is_told_the_page_needs_a_trainer(page_factory, project_stack):
    page = page_factory(**WIDE)
    log_in(page, project_stack, "alice", "agentpass1")
    expect(page.locator("body")).to_contain_text("需要训练师权限")
    expect(page.locator("#forbidden-view")).to_be_visible()
    expect(page.locator("#trainer-view")).to_be_hidden()
    # The API agrees with the page.
    session = requests.Session()
    assert session.post(f"{project_stack.desk_url}/api/login",
                        json={"username": "alice", "password": "agentpass1"}).ok
    assert session.get(f"{project_stack.desk_url}/api/trainer/inbox").status_code == 403


def resident_megabytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


def test_label_an_inbox_item_then_retrain_override_the_gate_and_roll_back(page_factory, project_stack):
    stack = project_stack
    page = page_factory(**WIDE)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    log_in(page, stack, "tina", "wrong-password")
    expect(page.locator("#login-error")).to_contain_text("用户名或密码错误")
    page.fill("#login-password", "trainerpass1")
    page.click("#login-submit")
    expect(page.locator("#trainer-view")).to_be_visible()

    for text in (WRONG, XSS):
        flagged = stack.run(BIN / "shopbot", "inbox", "--flag", text)
        assert flagged.returncode == 0, flagged.stderr
    page.reload()

    inbox = page.locator("#inbox")
    item = inbox.locator(".inbox-item").filter(has_text=WRONG)
    expect(item).to_have_count(1, timeout=15000)
    expect(item).to_contain_text("被标记")
    # Buyer text is shown as text, never parsed as HTML.
    expect(inbox).to_contain_text(XSS)
    assert inbox.locator("img").count() == 0 and not dialogs
    expect(item.locator(".label-intent option[value='out_of_scope']")).to_have_count(1)
    screenshot(page, "trainer-inbox")

    item.locator(".label-intent").select_option("out_of_scope")
    item.locator(".label-save").click()
    expect(item.locator(".label-result")).to_contain_text("已添加到 data/nlu/", timeout=120000)
    expect(inbox.locator(".inbox-item").filter(has_text=WRONG)).to_have_count(0, timeout=15000)
    assert WRONG in (stack.dir / "data" / "nlu" / "general.yml").read_text(encoding="utf-8")

    # The same text again through the direct form is a duplicate, and nothing is written.
    page.select_option("#add-intent", "out_of_scope")
    page.fill("#add-text", WRONG)
    page.click("#add-save")
    expect(page.locator("#add-result")).to_contain_text("重复", timeout=60000)

    # Deploying a model the gate refuses is the shop owner's (admin's) call, not a trainer's.
    expect(page.locator("#retrain-override")).to_be_hidden()
    page.click("#logout")
    # The login form comes back once the desk has ended the session; navigating before that
    # (a busy machine) would find the trainer still logged in.
    expect(page.locator("#login-username")).to_be_visible(timeout=30000)
    log_in(page, stack, "olga", "adminpass1")
    expect(page.locator("#current-user")).to_contain_text("管理员")
    page.check("#retrain-override")  # 即使变差也上线
    page.click("#retrain-start")
    progress, report = page.locator("#retrain-progress"), page.locator("#retrain-report")
    expect(progress).to_contain_text(re.compile(r"\d+%"), timeout=15000)
    seen, states = [], set()
    deadline = time.monotonic() + 360
    while time.monotonic() < deadline and not report.is_visible():
        text = progress.text_content() or ""
        match = re.search(r"(\d+)%", text)
        if match and (not seen or seen[-1] != int(match.group(1))):
            seen.append(int(match.group(1)))
        states.update(s for s in ("训练中", "评估中") if s in text)
        page.wait_for_timeout(300)
    assert report.is_visible(), f"no report after 6 minutes; progress seen: {seen}"
    before_done = [p for p in seen if p < 100]
    assert len(set(before_done)) >= 2, f"the progress never moved before completion: {seen}"
    assert "训练中" in states, states

    verdict = page.locator("#retrain-verdict")
    expect(verdict).to_contain_text("已上线(新模型较差,训练师确认覆盖)")
    rows = page.locator("#retrain-report .report-row")
    assert rows.count() >= 20
    expect(progress).to_contain_text("100%")
    expect(page.locator("#retrain-scores")).to_contain_text("→")
    # Rows are sorted by delta, the worse ones in red first.
    deltas = [float(t) for t in rows.locator("td.delta").all_text_contents()]
    assert deltas == sorted(deltas)
    worse = page.locator("#retrain-report .report-row.worse").count()
    assert worse > 0 and worse == sum(1 for d in deltas if d < 0)

    image = page.locator("#retrain-confusion-img")
    expect(image).to_be_visible(timeout=15000)
    page.wait_for_function("document.getElementById('retrain-confusion-img').naturalWidth > 0", timeout=15000)
    job_id = page.evaluate("localStorage.getItem('shopbot.trainer.job')")
    png = page.request.get(f"{stack.desk_url}/api/trainer/jobs/{job_id}/confusion.png")
    assert png.ok and png.headers["content-type"] == "image/png" and png.body()[:4] == b"\x89PNG"
    report.evaluate("node => node.scrollIntoView({block: 'start'})")
    screenshot(page, "trainer-report")

    # Both models were loaded and compared outside the desk, which serves the buyers meanwhile.
    assert resident_megabytes(stack.desk.pid) < 300, "the desk loaded TensorFlow and the models itself"

    status = requests.get(f"{stack.rasa_url}/status", params=rasa_api(), timeout=10).json()
    assert not status["model_file"].endswith("shopbot.tar.gz"), f"Rasa does not serve the overridden candidate: {status}"
    reply = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook",
                          json={"sender": "trainer-browser", "message": WRONG}, timeout=30).json()
    assert reply, "the bot did not answer after the deploy"

    page.click("#rollback")
    expect(page.locator("#rollback-result")).to_contain_text("已回滚", timeout=120000)
    status = requests.get(f"{stack.rasa_url}/status", params=rasa_api(), timeout=10).json()
    assert status["model_file"].endswith("shopbot.tar.gz"), status


def test_the_confusion_matrix_route_is_for_trainers_only(project_stack):
    url = f"{project_stack.desk_url}/api/trainer/jobs/nosuchjob/confusion.png"
    assert requests.get(url).status_code == 401
    agent = requests.Session()
    agent.post(f"{project_stack.desk_url}/api/login", json={"username": "alice", "password": "agentpass1"})
    assert agent.get(url).status_code == 403
    trainer = requests.Session()
    trainer.post(f"{project_stack.desk_url}/api/login", json={"username": "tina", "password": "trainerpass1"})
    assert trainer.get(url).status_code == 404


def test_cross_validation_is_asked_for_and_its_scores_are_shown_worst_first(page_factory, project_stack):
    """The page sends the folds the trainer chose and lays out each intent's averages.

    The job's answer is stood in for: cross-validation trains once per fold, minutes
    here, and tests/test_crossval.py runs the real one.
    """
    page = page_factory(**WIDE)
    scores = {"greet": {"precision": 1.0, "recall": 0.9, "f1": 0.95, "support": 60},
              "ask_stock": {"precision": 0.7, "recall": 0.6, "f1": 0.65, "support": 80},
              "macro avg": {"precision": 0.85, "recall": 0.75, "f1": 0.8, "support": 140}}
    job = {"id": "cvjob", "state": "deployed", "progress": 100, "message": "新模型已上线", "override": False,
           "cross_validation_folds": 3,
           "report": {"passed": True, "live_macro_f1": 0.9, "candidate_macro_f1": 0.91, "live_accuracy": 0.9,
                      "candidate_accuracy": 0.91, "n": 520, "margin": 0.02, "worse": [], "changes": [],
                      "cross_validation": scores}}
    posted = []

    def start(route):
        posted.append(route.request.post_data_json)
        route.fulfill(json=job)

    page.route("**/api/trainer/retrain", start)
    page.route("**/api/trainer/jobs/cvjob", lambda route: route.fulfill(json=job))
    log_in(page, project_stack, "tina", "trainerpass1")
    expect(page.locator("#trainer-view")).to_be_visible()
    page.select_option("#retrain-folds", "3")
    page.click("#retrain-start")

    expect(page.locator("#retrain-crossval")).to_be_visible()
    assert posted == [{"override": False, "cross_validation_folds": 3}]
    expect(page.locator("#retrain-crossval-title")).to_contain_text("3 折")
    rows = page.locator("#retrain-crossval-rows tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).locator("td").first.text_content() for i in range(3)][0].startswith("ask_stock")
    expect(rows.nth(2)).to_contain_text("宏平均")
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("0.650")
