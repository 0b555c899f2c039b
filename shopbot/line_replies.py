"""A buyer's line in Rasa's tracker: how the desk names it, and what the bot answered to it.

The desk sends each line with its name (the widget's client id) in the message's
metadata. A line asked again, by the sweep that took over from a desk that died,
carries AGAIN_KEY too: then Rasa gives the replies it already gave to that line,
if it got that far, instead of processing it a second time. Shared by the desk
and Rasa's side (shopbot.rasa_ext.replay); no dependencies.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

# The metadata key of the desk's name for a buyer's line, in Rasa's tracker.
LINE_KEY = "desk_line"
# Set (true) on a line asked again: answer it as before if it was answered before.
AGAIN_KEY = "desk_again"
# The product (sku) whose page the buyer is on: what "这个 / 这款" means to the actions.
PAGE_KEY = "page_sku"


def replies_to_line(events: List[Any], line: str) -> Optional[List[Dict[str, Any]]]:
    """The bot's replies after the last user turn named `line`, as the REST channel gives them.

    None if no user turn carries that name: Rasa never finished that message.
    """
    found = None
    for position, event in enumerate(events):
        if (isinstance(event, dict) and event.get("event") == "user"
                and isinstance(event.get("metadata"), dict) and event["metadata"].get(LINE_KEY) == line):
            found = position
    if found is None:
        return None
    replies = []
    for event in events[found + 1:]:
        if not isinstance(event, dict):
            continue
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            reply = {"text": event.get("text")} if event.get("text") else {}
            reply.update({key: data[key] for key in ("buttons", "image", "custom") if data.get(key)})
            if reply:
                replies.append(reply)
    return replies
