"""Our Rasa extensions start only on the Rasa they were written for, and only explicitly (shopbot/rasa_ext/)."""
import os
import subprocess
import sys

import pytest

from harness.cluster import free_port
from shopbot import rasa_ext
from shopbot.rasa_ext import model_patches, server_patches, versions
from tests.conftest import MODEL, RASA, ROOT

ANOTHER = "3.7.0"


def test_another_rasa_is_refused_before_anything_is_patched(monkeypatch):
    import rasa

    patched = []
    monkeypatch.setattr(server_patches, "apply", lambda: patched.append("server"))
    monkeypatch.setattr(model_patches, "apply", lambda: patched.append("model"))
    monkeypatch.setattr(rasa, "__version__", ANOTHER)
    with pytest.raises(versions.UnsupportedVersion, match=f"Rasa {ANOTHER} is installed, but shopbot.rasa_ext "
                                                          f"was written for Rasa {versions.RASA}"):
        rasa_ext.apply()
    assert patched == []


def test_another_rasa_sdk_is_refused(monkeypatch):
    import rasa_sdk

    versions.require_rasa_sdk()
    monkeypatch.setattr(rasa_sdk, "__version__", ANOTHER)
    with pytest.raises(versions.UnsupportedVersion, match=f"rasa-sdk {ANOTHER} is installed"):
        versions.require_rasa_sdk()


def test_the_rest_channel_will_not_serve_from_a_rasa_left_unpatched(monkeypatch):
    from rasa.core.tracker_store import FailSafeTrackerStore

    from shopbot.rasa_ext.rest_channel import NOT_APPLIED, RestInput

    rasa_ext.apply()
    assert RestInput().blueprint(lambda message: None) is not None
    monkeypatch.setattr(FailSafeTrackerStore, "retrieve", server_patches.RASA_ORIGINALS["tracker_retrieve"])
    with pytest.raises(RuntimeError) as refused:
        RestInput().blueprint(lambda message: None)
    assert str(refused.value) == NOT_APPLIED



@pytest.mark.parametrize("installer", ["Makefile", "Dockerfile"])
def test_what_setup_installs_is_what_the_extensions_were_written_for(installer):
    text = (ROOT / installer).read_text()
    assert f"rasa=={versions.RASA} rasa-sdk=={versions.RASA_SDK}" in text


@pytest.mark.parametrize("package, server", [
    ("rasa", ["run", "--enable-api", "--model", str(MODEL), "--endpoints", "endpoints.yml",
              "--credentials", "credentials.yml"]),
    ("rasa_sdk", ["run", "actions", "--actions", "actions"]),
], ids=["rasa", "action server"])
def test_a_server_on_another_version_refuses_to_start_and_says_why(tmp_path, package, server):
    """The real entry point, with the imported package saying it is another version."""
    (tmp_path / "sitecustomize.py").write_text(f"import {package}\n{package}.__version__ = {ANOTHER!r}\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])),
               ACTIONS_PORT=str(free_port()), TRACKER_DB=str(tmp_path / "trackers.db"))
    try:
        started = subprocess.run([*RASA, *server, "--port", str(free_port())], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server started on {package} {ANOTHER}")
    name = {"rasa": "Rasa", "rasa_sdk": "rasa-sdk"}[package]
    assert started.returncode == 2, started.stderr[-2000:]
    assert started.stderr.startswith(f"error: {name} {ANOTHER} is installed, but shopbot.rasa_ext was written for "
                                     f"{name} {getattr(versions, package.upper())}"), started.stderr[-2000:]
    assert "Traceback" not in started.stderr


WARN_AFTER = """
import warnings
{setup}
class PyparsingLike(UserWarning, DeprecationWarning):
    pass
warnings.warn("a third party's deprecation", DeprecationWarning)
warnings.warn("pyparsing's, a UserWarning too", PyparsingLike)
"""


@pytest.mark.parametrize("setup, shown", [
    ("import sanic", ["a third party's deprecation", "pyparsing's, a UserWarning too"]),  # PYTHONWARNINGS alone
    ("from shopbot.rasa_ext import warning_filters\nwarning_filters.keep_in_force()\n"
     "from rasa.plugin import plugin_manager\nfrom rasa.utils.common import configure_logging_and_warnings\n"
     "configure_logging_and_warnings()\nplugin_manager().hook.configure_commandline(cmdline_arguments=None)", []),
], ids=["sanic alone", "kept in force"])
def test_pythonwarnings_holds_past_sanics_and_rasas_own_filters(setup, shown):
    env = dict(os.environ, PYTHONWARNINGS="ignore::DeprecationWarning")
    ran = subprocess.run([sys.executable, "-c", WARN_AFTER.format(setup=setup)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert [line for line in ("a third party's deprecation", "pyparsing's, a UserWarning too")
            if line in ran.stderr] == shown


def test_a_line_is_cut_into_clauses_at_buyers_punctuation_and_spaces():
    from shopbot.rasa_ext.second_question import clauses

    assert clauses("芒果干有货吗？新疆包邮吗") == ["芒果干有货吗", "新疆包邮吗"]
    assert clauses("亲在吗，这个多少钱~~") == ["亲在吗", "这个多少钱"]
    assert clauses("好 的，bao you ma，嗯嗯") == []  # too short, or no Chinese: not a question of its own
    assert len(clauses("一问一，二问二，三问三，四问四，五问五")) == 4


def test_a_line_of_two_questions_is_parsed_whole_once_and_the_other_question_offered():
    import asyncio

    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from shopbot.rasa_ext.second_question import offer_second_question, parse_once

    intents = {"芒果干有货吗？新疆包邮吗": "ask_stock", "芒果干有货吗": "ask_stock", "新疆包邮吗": "ask_free_shipping"}
    parsed = []

    class Processor:
        async def parse_message(self, message, tracker=None):
            parsed.append(message.text)
            return {"intent": {"name": intents[message.text], "confidence": 0.99}, "entities": []}

    async def handle(text):
        output = CollectingOutputChannel()
        message = UserMessage(text, output, sender_id="buyer")
        await parse_once(Processor(), message)
        await offer_second_question(Processor(), message)
        return output.messages

    replies = asyncio.run(handle("芒果干有货吗？新疆包邮吗"))
    assert [button["payload"] for button in replies[0]["buttons"]] == ["新疆包邮吗"]
    assert parsed.count("芒果干有货吗？新疆包邮吗") == 1
    parsed.clear()
    assert asyncio.run(handle("芒果干有货吗")) == [] and parsed == []  # one clause: nothing parsed again
