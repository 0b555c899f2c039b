"""The desk's side of after-sales cases: opened on the bot's word, photos attached, decided by agents.

The bot (actions/problems.py, actions/aftersale.py) finds the order and the problem and proposes what the
shop's policy allows; it sends the case to the desk as an instruction beside its
reply (`{"custom": {"case": {...}}}`, never shown), because cases live in the desk's
database and the desk alone writes them. A photo the buyer sends joins the chat's
case not yet decided; the first photo submits a case that was waiting for one. An
agent's decision is told to the buyer in the chat the case came from, and the
consoles hear of every change.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Dict, List, Optional

from shopbot.desk import states
from shopbot.desk.cases import MAX_PHOTOS, OPEN_STATES, Case, CaseError, CaseStore
from shopbot.desk.hub import AGENTS
from shopbot.desk.off_loop import in_thread
from shopbot.desk.photo_links import AGENTS_VIEWER, photo_url
from shopbot.desk.records import Conversation
from shopbot.shop.aftersale_policy import RESOLUTIONS

logger = logging.getLogger(__name__)

# What the buyer is told: warm, and never a promise of money before an agent decides.
CASE_SUBMITTED = ("亲,照片收到啦~售后申请(编号{case_id})已经提交给客服,{hours}小时内会确认处理方案,"
                  "结果会在这里通知您哦。还有照片可以接着发(最多{max}张)。")
PHOTO_ADDED = "照片已经补充到售后申请(编号{case_id})里了,一共{count}张,客服都能看到哦~"
PHOTOS_FULL = "亲,售后申请(编号{case_id})已经有{max}张照片啦,客服看得到的,不用再发了哦~"
PHOTO_WITHOUT_CASE = ("收到您的图片啦~请问是收到的商品有什么问题吗?跟我说说是破损、少发、发错还是质量问题,"
                      "我来帮您登记售后哦。")
CASE_APPROVED = "亲,您的售后申请(编号{case_id},订单{order_id})客服已经审核通过:{resolution}。{next_step}"
CASE_REFUSED = ("亲,您的售后申请(编号{case_id},订单{order_id})客服审核后暂时不能按申请处理,原因是:{note}。"
                "有疑问直接在这里回复我们就好,我们会耐心帮您处理的呢。")
CASE_DONE = "亲,售后申请(编号{case_id},订单{order_id})已经处理完成啦,给您添麻烦了,有问题随时找我们哦~"
PROGRESS = "亲,帮您查到{count}个售后申请:\n{lines}"
PROGRESS_LINE = "· 编号{case_id}(订单{order_id},{problem}):{state}"
NO_CASES = "亲,您目前没有售后申请呢~收到的宝贝有问题的话跟我说说,我马上帮您登记哦。"
STATE_TEXTS = {
    "collecting": "等您发照片哦,点输入框旁边的「图片」按钮就能发",
    "waiting": "已提交,客服审核中,{hours}小时内确认",
    "approved": "客服已同意「{resolution}」,正在为您办理",
    "refused": "客服审核未通过,原因:{note}",
    "done": "已处理完成",
}
PROGRESS_DAYS = 30  # cases done or refused longer ago than this are not listed
NEXT_STEPS = {
    "补发": "我们会尽快为您重新发出,发货后物流单号会在订单里更新哦。",
    "退款": "退款会原路退回,一般1-3个工作日到账哦。",
    "部分退款": "部分退款会原路退回,一般1-3个工作日到账哦。",
    "退货退款": "请把商品寄回:{address},寄出后把快递单号发给我就好,我们收到后就为您退款哦。",
    "换货": "请把收到的商品寄回:{address},寄出后把快递单号发给我就好,收到后马上为您换发哦。",
}
TRACKING_KEPT = "收到啦亲~退回的{courier}单号{tracking}已经记到售后申请(编号{case_id})里了,仓库收到包裹后会尽快为您处理哦。"
TRACKING_NO_CASE = ("亲,您这边还没有进行中的售后申请呢~退货单号{tracking}请在订单页的退货申请里填写哦,"
                    "收到的宝贝有问题的话也可以跟我说说,我帮您登记。")
PROBLEM_NAMES = {"damaged": "破损", "missing": "少发漏发", "wrong_item": "发错货", "quality": "质量问题",
                 "expired": "过期", "near_expiry": "临期", "safety": "食品安全", "not_received": "签收未收到", "exchange": "换货",
                 "no_reason": "七天无理由退货"}


class AftersaleDesk:
    """Opens, fills and decides cases for the desk's service, and tells the buyer and the agents."""

    def __init__(self, cases: CaseStore, service, confirm_hours: int, return_address: str = ""):
        self.cases = cases
        self.return_address = return_address  # where goods are sent back (settings.yml returns.address)
        self.service = service  # DeskService: stores and delivers the notes
        self.confirm_hours = confirm_hours

    async def _tell_agents(self, case: Case) -> None:
        await self.service.hub.publish_many([(AGENTS, {"type": "case",
                                                        "case": case_summary(case, self.service.secret)})])

    async def _note(self, conversation_id: Optional[str], text: str) -> None:
        if conversation_id:
            await self.service.bot_note(conversation_id, text)

    async def follow(self, conversation: Conversation, replies: List[Dict[str, Any]]) -> None:
        """Open the cases the bot's replies describe, keep the return parcels it was told of, tell the
        buyer's cases. A failure (the database away) is logged, and the bot's words still reach the
        buyer: they matter more than the record."""
        try:
            await self._follow(conversation, replies)
        except Exception:
            logger.exception("could not carry out the case instructions of %s", conversation.id)

    async def _follow(self, conversation: Conversation, replies: List[Dict[str, Any]]) -> None:
        for reply in replies:
            custom = reply.get("custom")
            if not isinstance(custom, dict):
                continue
            if "case" in custom:
                await self.open_from_bot(conversation, custom["case"])
            if "return_parcel" in custom:
                await self.set_return_parcel(conversation, custom["return_parcel"])
            if "case_progress" in custom:
                await self.tell_progress(conversation, custom["case_progress"])

    async def tell_progress(self, conversation: Conversation, instruction: Dict[str, Any]) -> None:
        """我的售后进度: the buyer's recent cases and where each stands; with `say_none`, that there
        are none (else, with none, the bot's own answer about refunds is enough)."""
        if not conversation.account:
            return
        since = time.time() - PROGRESS_DAYS * 86400
        cases = [case for case in await self.cases.cases_of(conversation.account)
                 if case.state in OPEN_STATES or case.updated_at >= since][:5]
        if not cases:
            if isinstance(instruction, dict) and instruction.get("say_none"):
                await self._note(conversation.id, NO_CASES)
            return
        lines = [PROGRESS_LINE.format(case_id=case.id, order_id=case.order_id,
                                      problem=PROBLEM_NAMES.get(case.problem, case.problem),
                                      state=STATE_TEXTS[case.state].format(hours=self.confirm_hours,
                                                                           resolution=case.resolution,
                                                                           note=case.note))
                 for case in cases]
        await self._note(conversation.id, PROGRESS.format(count=len(cases), lines="\n".join(lines)))

    async def open_from_bot(self, conversation: Conversation, instruction: Dict[str, Any]) -> Optional[Case]:
        """The case the bot's instruction describes, for the chat's own buyer and one of their orders.

        `submit`: the bot has all it needs (no photo asked), so agents see it at once.
        """
        if not isinstance(instruction, dict) or not conversation.account:
            return None
        order_id = str(instruction.get("order_id") or "")
        owned = await in_thread(self.service.own_order_ids, conversation.account)
        if order_id not in owned:
            logger.warning("case for %s refused: order %r is not the buyer's", conversation.id, order_id)
            return None
        items = [item for item in instruction.get("items") or [] if isinstance(item, dict)][:20]
        proposal = instruction.get("proposal") if instruction.get("proposal") in RESOLUTIONS else None
        problem = str(instruction.get("problem") or "")
        if await self.cases.latest_open(conversation.account, order_id, problem) is not None:
            return None  # told again, or the answer replayed after a desk died: one case
        try:
            case = await self.cases.open_case(
                account=conversation.account, order_id=order_id, problem=problem,
                items=items, words=str(instruction.get("words") or "")[:500], proposal=proposal,
                urgent=bool(instruction.get("urgent")), conversation_id=conversation.id)
            if instruction.get("submit"):
                case = await self.cases.move(case.id, "submit")
        except CaseError as error:
            logger.warning("case for %s not opened: %s", conversation.id, error)
            return None
        await self._tell_agents(case)
        return case

    async def set_return_parcel(self, conversation: Conversation, instruction: Dict[str, Any]) -> Optional[Case]:
        """The buyer's return tracking number, on their case; the buyer hears where it was kept."""
        tracking = instruction.get("tracking") if isinstance(instruction, dict) else None
        if not isinstance(tracking, str) or not 6 <= len(tracking) <= 40:
            return None
        if not conversation.account:
            return None
        # This chat's case, else the buyer's newest open one (the parcel is often sent days later).
        case = (await self.cases.latest_of_conversation(conversation.id, OPEN_STATES)
                or await self.cases.latest_open(conversation.account))
        if case is None:
            await self._note(conversation.id, TRACKING_NO_CASE.format(tracking=tracking))
            return None
        courier = instruction.get("courier") if isinstance(instruction.get("courier"), str) else None
        case = await self.cases.set_return_parcel(case.id, courier, tracking)
        await self._note(conversation.id, TRACKING_KEPT.format(courier=courier or "快递", tracking=tracking,
                                                               case_id=case.id))
        await self._tell_agents(case)
        return case

    async def photo_added(self, conversation: Conversation, key: str) -> Optional[Case]:
        """The photo joins the chat's undecided case (the first one submits it), and the buyer hears so."""
        case = await self.cases.latest_of_conversation(conversation.id)
        if case is None:
            decided = await self.cases.latest_of_conversation(conversation.id, ("approved", "refused", "done"))
            if conversation.state == states.BOT and decided is None and not await self._just_said(
                    conversation.id, PHOTO_WITHOUT_CASE):
                await self._note(conversation.id, PHOTO_WITHOUT_CASE)
            return None
        if len(case.photos) >= MAX_PHOTOS:
            await self._note(conversation.id, PHOTOS_FULL.format(case_id=case.id, max=MAX_PHOTOS))
            return case
        try:
            case = await self.cases.add_photo(case.id, key)
            if case.state == "collecting":
                case = await self.cases.move(case.id, "submit")
                await self._note(conversation.id, CASE_SUBMITTED.format(
                    case_id=case.id, hours=self.confirm_hours, max=MAX_PHOTOS))
            else:
                await self._note(conversation.id, PHOTO_ADDED.format(case_id=case.id, count=len(case.photos)))
        except CaseError as error:  # decided meanwhile, or filled by another upload
            logger.info("photo not added to case %s: %s", case.id, error)
            return case
        await self._tell_agents(case)
        return case

    async def _just_said(self, conversation_id: str, text: str) -> bool:
        """Whether the chat's last word from the bot was `text` (six photos get one question, not six)."""
        for message in reversed(await self.service.store.latest(conversation_id, 8)):
            if message.sender == "bot":
                return message.text == text
        return False

    async def decide(self, case_id: int, action: str, agent: str, resolution: Optional[str] = None,
                     note: Optional[str] = None) -> Case:
        """An agent approves (as proposed or `resolution`), refuses (with `note`) or finishes a case;
        the buyer is told in the case's chat. CaseError when the case's state does not allow it."""
        case = await self.cases.move(case_id, action, agent=agent, resolution=resolution,
                                     note=(note or "").strip()[:500] or None)
        fields = {"case_id": case.id, "order_id": case.order_id}
        if action == "approve":
            next_step = NEXT_STEPS.get(case.resolution, "").format(address=self.return_address)
            text = CASE_APPROVED.format(resolution=case.resolution, next_step=next_step, **fields)
        elif action == "refuse":
            text = CASE_REFUSED.format(note=(case.note or "").rstrip("。.!!~ "), **fields)
        else:
            text = CASE_DONE.format(**fields)
        await self._note(case.conversation_id, text)
        await self._tell_agents(case)
        return case


def case_summary(case: Case, secret: str) -> Dict[str, Any]:
    """A case as the consoles show it: its photos with addresses signed for agents."""
    data = dict(case.__dict__)
    data["problem_name"] = PROBLEM_NAMES.get(case.problem, case.problem)
    now = time.time()
    data["photos"] = [{"key": key, "url": photo_url(key, "photo", AGENTS_VIEWER, secret, now),
                       "thumb_url": photo_url(key, "thumb", AGENTS_VIEWER, secret, now)} for key in case.photos]
    return data
