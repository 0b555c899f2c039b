"""What every action needs: the buyer's account, the entities in play, the shop."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet

from shopbot.shop.goods_phrase import goods_named
from shopbot.shop.service import get_shop  # noqa: F401  (re-exported for actions)

HANDOFF_ACTION = "action_handoff"


def account_of(tracker: Tracker) -> Optional[str]:
    """The buyer's account as the channel vouched for it (never from the message text).

    Read from the latest message's metadata, which the desk sets on every message,
    rather than kept in a slot: a slot only the channel may fill needs a custom
    mapping, which cost a second action-server call on every buyer message.
    A message without a usable account is anonymous.
    """
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    account = metadata.get("account") if isinstance(metadata, dict) else None
    return account.strip() if isinstance(account, str) and account.strip() else None


def signed_in_account(dispatcher, tracker: Tracker) -> Optional[str]:
    """The buyer's account for a question about their orders; without one, they are asked to log in."""
    account = account_of(tracker)
    if not account:
        dispatcher.utter_message(response="utter_need_account")
    return account


def entities_in_line(tracker: Tracker, name: Optional[str] = None) -> List[Dict[str, Any]]:
    """The entities of the latest message (of kind `name` only, if given), in the line's order."""
    found = [entity for entity in (tracker.latest_message or {}).get("entities") or []
             if name is None or entity.get("entity") == name]
    return sorted(found, key=lambda entity: entity.get("start", 0))


def latest_entity(tracker: Tracker, name: str) -> Optional[str]:
    """The value of `name` in the latest message, if the buyer just mentioned one."""
    found = entities_in_line(tracker, name)
    return found[0].get("value") if found else None


def current(tracker: Tracker, name: str) -> Optional[str]:
    """Latest mention first, else what the conversation established earlier."""
    return latest_entity(tracker, name) or tracker.get_slot(name)


def product_in_view(tracker: Tracker) -> Optional[str]:
    """The product the buyer means by "这个 / 这款": named now, else the one the chat is about,
    else the one whose page the widget is on (metadata page_sku, context only)."""
    named = current(tracker, "product")
    if named:
        return named
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    sku = metadata.get("page_sku") if isinstance(metadata, dict) else None
    product = get_shop().store.product_by_sku(sku) if isinstance(sku, str) and sku else None
    return product.name if product else None


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def mentions(text: str, *words: str) -> bool:
    return any(word in text for word in words)


def parse_time(value: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(value) if value else None


def handoff(reason: str, priority: str) -> List[Dict[str, Any]]:
    """Events that hand the chat to a person through the one action_handoff."""
    return [SlotSet("handoff_reason", reason), SlotSet("handoff_priority", priority),
            FollowupAction(HANDOFF_ACTION)]


def await_answer(topic: Optional[str]) -> Dict[str, Any]:
    """Remember what the bot just asked, so a bare answer (intent inform) continues it."""
    return SlotSet("awaiting", topic)


def product_choices(tracker: Tracker) -> List[str]:
    """The products a short name in the buyer's latest line could mean, when it means several
    (巧克力, 坚果: shopbot.nlu.product_names); empty when a product was named."""
    if latest_entity(tracker, "product"):
        return []
    group = latest_entity(tracker, "product_group")
    return group.split("|") if group else []


def ask_which_of(dispatcher, choices: List[str], topic: str) -> List[Dict[str, Any]]:
    """Ask which of `choices` the buyer means, one button each; the answer continues `topic`."""
    dispatcher.utter_message(response="utter_which_product", products="、".join(choices[:6]),
                             buttons=[{"title": name, "payload": name} for name in choices[:6]])
    return [await_answer(topic)]


def resolve_product_name(dispatcher, tracker: Tracker, topic: str) -> Optional[List[Dict[str, Any]]]:
    """Speak for a product question whose words are not one of the shop's products, and return
    the events; None when there is nothing to say (a product was named, or none at all).

    A short name meaning several products gets a which-one question, one button each (the
    answer continues `topic`); goods the shop does not sell ("小龙虾有货吗") are said to be
    not sold here, with what the shop does sell, before the product in view is assumed.
    """
    choices = product_choices(tracker)
    if choices:
        return ask_which_of(dispatcher, choices, topic)
    if latest_entity(tracker, "product") or latest_entity(tracker, "region") or latest_entity(tracker, "courier"):
        return None  # 西藏有货吗 asks about a place, not about goods called 西藏
    goods = goods_named(latest_text(tracker))
    if goods is None:
        return None
    products = get_shop().store.products()
    if any(goods in surface or surface in goods for p in products for surface in [p.name, *p.aliases]):
        return None  # one of ours, in words the NLU did not take for it: ask, do not deny
    categories = list(dict.fromkeys(p.category for p in products if p.category))
    dispatcher.utter_message(response="utter_product_not_sold", goods=goods,
                             shop_name=get_shop().policy.shop_name, categories="、".join(categories[:6]))
    return [SlotSet("product", None)]
