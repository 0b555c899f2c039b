"""The desk's Sanic app: `create_app()` wires its parts; nothing happens at import time.

Pages (`pages`): the demo storefront with the chat widget, the agents' console, the
trainer page. APIs: logins (`auth`), the agents' (`agent_api`), their after-sales
cases (`case_api`), the trainers' (`trainer_api`), the buyer's WebSocket
(`buyer_socket`) and photos (`buyer_photos`), the agents' WebSocket (`sockets`), and
the shop's order events (`order_webhook`).
What the desk connects to and builds at start is `lifecycle`'s.
"""
from __future__ import annotations

import itertools
from typing import Optional

from sanic import Sanic

from shopbot import config as config_module
from shopbot.desk import errors, lifecycle
from shopbot.desk.agent_api import agent_blueprint
from shopbot.desk.auth import auth_blueprint, same_origin_only
from shopbot.desk.case_api import case_blueprint
from shopbot.desk.order_webhook import order_webhook_blueprint
from shopbot.desk.buyer_photos import buyer_photos_blueprint
from shopbot.desk.buyer_socket import buyer_socket_blueprint
from shopbot.desk.page_scripts import page_scripts_blueprint
from shopbot.desk.pages import STATIC, pages_blueprint, refuse_impossible_paths
from shopbot.desk.sanic_compat import patch_websocket_recv
from shopbot.desk.sockets import agent_socket_blueprint
from shopbot.desk.trainer_api import trainer_blueprint
from shopbot.gc_tuning import freeze_after_start

_app_numbers = itertools.count(1)


def create_app(cfg: Optional[config_module.Config] = None, hub=None, rasa=None) -> Sanic:
    """A desk. `hub` and `rasa` replace the ones it would build from `cfg` (tests use stand-ins)."""
    cfg = cfg or config_module.load()
    patch_websocket_recv()
    # Sanic's lines go to the process's logging (shopbot.desk.logs) alone, not twice.
    app = Sanic(f"shopbot_desk_{next(_app_numbers)}", configure_logging=False)
    app.config.WEBSOCKET_MAX_SIZE = 64 * 1024
    app.config.REQUEST_MAX_SIZE = 256 * 1024
    app.config.PROXIES_COUNT = cfg.desk_proxies  # behind nginx: the buyer's address from X-Forwarded-For
    app.ctx.cfg = cfg
    app.ctx.hub = hub
    app.ctx.rasa = rasa
    app.ctx.in_flight = set()  # buyers' messages being handled now
    app.register_listener(lifecycle.start, "before_server_start")
    app.register_listener(freeze_after_start("desk"), "after_server_start")
    app.register_listener(lifecycle.drain, "before_server_stop")  # answers on the buyers' own sockets
    app.register_listener(lifecycle.stop, "after_server_stop")
    app.register_middleware(refuse_impossible_paths, "request")
    app.register_middleware(same_origin_only, "request")
    errors.install(app)
    for blueprint in (auth_blueprint(), agent_blueprint(), trainer_blueprint(), agent_socket_blueprint(),
                      buyer_socket_blueprint(), buyer_photos_blueprint(), case_blueprint(),
                      order_webhook_blueprint(), pages_blueprint(), page_scripts_blueprint(STATIC)):
        app.blueprint(blueprint)
    return app
