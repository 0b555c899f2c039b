"""The buyer widget as the one file a shop embeds (/widget.js), put together from its parts.

The widget shares its message renderer and frame reader with the agents'
console (static/chat-render.js, which the console loads with a <script> tag).
A shop's page loads one script, so the desk serves the shared part and the
widget's own part (static/widget-main.js) concatenated, inside one function:
`ShopbotChat` is then a name of the widget's own, not a global of the shop's
page. No build tool: the parts are plain files joined as they are.
"""
from __future__ import annotations

from pathlib import Path

# In order: the shared part defines ShopbotChat, which the widget's own part uses.
WIDGET_PARTS = ("chat-render.js", "widget-main.js")


def widget_bundle(static_dir: Path) -> str:
    """The text of /widget.js: the parts in WIDGET_PARTS, read from static_dir, in one closure."""
    parts = []
    for name in WIDGET_PARTS:
        source = (static_dir / name).read_text(encoding="utf-8")
        parts.append(f"/* -- {name} -- */\n{source.rstrip()}\n")
    return "(function () {\n" + "\n".join(parts) + "})();\n"
