"""The buyer widget as the one file a shop embeds (/widget.js), put together from its parts.

The widget shares its message renderer and frame reader with the agents'
console (static/chat-render.js, which the console loads with a <script> tag).
A shop's page loads one script, so the desk serves the shared part and the
widget's own parts (static/widget-*.js, one job each) concatenated, inside one
strict-mode function: `ShopbotChat` and the names the widget's parts share are
then the widget's own, not globals of the shop's page. No build tool: the parts
are plain files joined as they are.
"""
from __future__ import annotations

from pathlib import Path

# In order: the shared part defines ShopbotChat, which the widget's own parts use. widget-state.js
# comes first of those (it stops a second copy of the widget on one page; the others use its state)
# and widget-ui.js last (it puts the widget on the page).
WIDGET_PARTS = (
    "chat-render.js",      # ShopbotChat: reads the desk's frames, draws a message's body
    "widget-state.js",     # the buyer, the desk's address, local storage and outbox, the state
    "widget-dom.js",       # the bubble and the dialog, and their style sheet
    "widget-messages.js",  # messages in order, pending ones, typing, state line, banner
    "widget-socket.js",    # the socket to the desk: hello, reconnects, resending the outbox
    "widget-photos.js",    # photos: the camera button, paste and drop, the upload
    "widget-ui.js",        # the buyer's input, open and close, mounting, window.ShopbotWidget
)


def widget_bundle(static_dir: Path) -> str:
    """The text of /widget.js: the parts in WIDGET_PARTS, read from static_dir, in one closure."""
    parts = []
    for name in WIDGET_PARTS:
        source = (static_dir / name).read_text(encoding="utf-8")
        parts.append(f"/* -- {name} -- */\n{source.rstrip()}\n")
    # The parts are the function's body: "use strict" first, so it holds for all of them (each part's
    # own code sits at the top of the function, where a part's "use strict" would not count).
    return '(function () {\n"use strict";\n' + "\n".join(parts) + "})();\n"
