"""Full garbage collections must not walk what a server made while starting.

Measured under load before this, a Rasa replica paused up to 730 ms per full
collection, the action server 326 ms and a desk 117 ms (shopbot/gc_tuning.py).
"""
import gc

import pytest
import sanic

from shopbot.gc_tuning import freeze_startup_heap
from shopbot.rasa_ext import action_server_plugin

FROZEN_LOG_LINE = "start-up objects exempted from garbage collection"


@pytest.fixture()
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


def test_objects_alive_at_start_up_are_no_longer_walked_by_collections(unfrozen):
    startup_state = [[] for _ in range(1000)]  # containers the collector tracks
    assert freeze_startup_heap("test server") >= len(startup_state)
    assert not any(tracked is startup_state for tracked in gc.get_objects())
    made_later = [[]]
    assert any(tracked is made_later for tracked in gc.get_objects())  # requests' garbage is still collected


def test_rasa_sdk_finds_our_plugin_and_it_freezes_the_action_server_after_start():
    from rasa_sdk.plugin import plugin_manager

    assert action_server_plugin in plugin_manager().get_plugins()  # handed over by rasa_sdk_plugins/
    app = sanic.Sanic("action_server_under_test")
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    handlers = [route.handler for route in app.signal_router.routes if route.path.startswith("server.init")]
    assert [h.keywords["listener"].__qualname__ for h in handlers] == ["freeze_after_start.<locals>.freeze"]


def test_rasa_and_the_action_server_froze_their_start_up_heap(rasa_url, server_logs):
    for name in ("rasa", "actions"):
        assert FROZEN_LOG_LINE in server_logs[name].read_text(errors="replace"), name


def test_the_desk_froze_its_start_up_heap(desk):
    assert FROZEN_LOG_LINE in desk.log.read_text(errors="replace")
