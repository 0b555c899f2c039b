"""No reply script may break a Tmall rule; `make test` fails if one does."""
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from shopbot.reply_scripts import check_domain


def test_every_reply_script_passes_the_tmall_rules(project_root):
    assert check_domain(project_root / "domain.yml") == []


def add_script(domain_path: Path, name: str, text: str) -> None:
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8"))
    domain["responses"][name] = [{"text": text}]
    domain_path.write_text(yaml.safe_dump(domain, allow_unicode=True), encoding="utf-8")


def test_a_deliberately_bad_script_fails_the_check(project_root, tmp_path):
    bad = tmp_path / "domain.yml"
    shutil.copy(project_root / "domain.yml", bad)
    add_script(bad, "utter_bad_invoice", "亲,特价商品不提供发票的哦,需要的话要加3个点的税")
    add_script(bad, "utter_bad_card", "亲,信用卡付款要加收2%手续费呢")
    add_script(bad, "utter_bad_close", "好的亲,我这边帮您把交易关闭了")

    rules = {(name, breach.rule) for name, _, breach in check_domain(bad)}
    assert ("utter_bad_invoice", "invoice_refused") in rules
    assert ("utter_bad_invoice", "invoice_charged") in rules
    assert ("utter_bad_card", "card_fee") in rules
    assert ("utter_bad_close", "transaction_closed") in rules

    cli = Path(sys.executable).parent / "shopbot"
    result = subprocess.run([cli, "check-replies", bad], capture_output=True, text=True)
    assert result.returncode == 1
    assert "utter_bad_card" in result.stdout


def test_every_response_an_action_names_exists_and_every_script_is_used(project_root):
    import re

    responses = set(yaml.safe_load((project_root / "domain.yml").read_text(encoding="utf-8"))["responses"])
    named = set()
    for path in (project_root / "actions").glob("*.py"):
        named |= set(re.findall(r'"(utter_[a-z_]+)"', path.read_text(encoding="utf-8")))
    for path in (project_root / "data" / "rules").glob("*.yml"):
        named |= set(re.findall(r"utter_[a-z_]+", path.read_text(encoding="utf-8")))
    named.discard("utter_action")  # a key of Rasa's bot-event metadata, not a response
    assert named - responses == set(), "actions name responses missing from domain.yml"
    # utter_default is Rasa's own fallback response.
    assert responses - named - {"utter_default"} == set(), "reply scripts nothing uses"
