"""`python -m shopbot.desk`: run the desk on DESK_HOST:DESK_PORT."""
from __future__ import annotations

import sys

from shopbot import config
from shopbot.desk import logs
from shopbot.desk.app import create_app


def main() -> int:
    cfg = config.load()
    if cfg.desk_secret == config.DEV_SECRET:
        print("warning: DESK_SECRET is the development default; set your own in production.",
              file=sys.stderr)
    logs.configure()
    app = create_app(cfg)
    app.run(host=cfg.desk_host, port=cfg.desk_port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
