"""After-sales cases: a problem with an order, carried from the buyer's words to a resolution.

A case has the order and its items concerned, the problem's type, the buyer's words
and photos, what the shop's policy let the bot propose, and a state:

    collecting  the bot is still asking (which items, photos)
    waiting     submitted: an agent approves or refuses it
    approved    an agent approved the proposal, or changed it (resolution, note)
    refused     an agent refused it, with a reason for the buyer (note)
    done        the resolution was carried out

Every change of state is one conditional UPDATE on the state it leaves, so of two
agents deciding the same case at the same moment exactly one does. Photos are kept
as keys of the photo store (shopbot.desk.photo_store), at most MAX_PHOTOS a case.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shopbot.desk.photo_store import KEY
from shopbot.desk.schema import aftersale_cases
from shopbot.desk.store import outlasts_db_restarts
from shopbot.shop.aftersale_policy import RESOLUTIONS

MAX_PHOTOS = 6
PROBLEM = re.compile(r"[a-z_]{1,30}")  # damaged, missing, wrong_item, quality, expired, safety...
STATES = ("collecting", "waiting", "approved", "refused", "done")
OPEN_STATES = ("collecting", "waiting", "approved")
PHOTO_STATES = ("collecting", "waiting")  # photos still count: no agent has decided
# state left -> the states an action may move a case to
MOVES = {"submit": ("collecting", "waiting"), "approve": ("waiting", "approved"),
         "refuse": ("waiting", "refused"), "finish": ("approved", "done")}


class CaseError(ValueError):
    """A change the case's state does not allow, or too many photos."""


@dataclass(frozen=True)
class Case:
    id: int
    conversation_id: Optional[str]
    account: str
    order_id: str
    items: List[Dict[str, Any]]
    problem: str
    words: str
    photos: List[str]
    proposal: Optional[str]
    urgent: bool
    state: str
    resolution: Optional[str]
    decided_by: Optional[str]
    note: Optional[str]
    created_at: float
    updated_at: float
    return_courier: Optional[str] = None
    return_tracking: Optional[str] = None


def _case(row) -> Case:
    return Case(row.id, row.conversation_id, row.account, row.order_id, json.loads(row.items or "[]"),
                row.problem, row.words, json.loads(row.photos or "[]"), row.proposal, bool(row.urgent),
                row.state, row.resolution, row.decided_by, row.note, row.created_at, row.updated_at,
                row.return_courier, row.return_tracking)


class CaseStore:
    """The cases in the desk's database, over the desk store's engine."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine

    @outlasts_db_restarts
    async def open_case(self, *, account: str, order_id: str, problem: str, items: List[Dict[str, Any]],
                        words: str = "", proposal: Optional[str] = None, urgent: bool = False,
                        conversation_id: Optional[str] = None) -> Case:
        if not PROBLEM.fullmatch(problem or ""):
            raise CaseError(f"not a problem type: {problem!r}")
        if proposal is not None and proposal not in RESOLUTIONS:
            raise CaseError(f"not a resolution: {proposal!r}")
        now = time.time()
        async with self.engine.begin() as conn:
            result = await conn.execute(aftersale_cases.insert().values(
                conversation_id=conversation_id, account=account, order_id=order_id,
                items=json.dumps(items, ensure_ascii=False), problem=problem, words=words, photos="[]",
                proposal=proposal, urgent=urgent, state="collecting", created_at=now, updated_at=now))
            case_id = result.inserted_primary_key[0]
        return await self.case(case_id)

    @outlasts_db_restarts
    async def case(self, case_id: int) -> Optional[Case]:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(aftersale_cases).where(aftersale_cases.c.id == case_id))).first()
        return _case(row) if row else None

    async def add_photo(self, case_id: int, key: str) -> Case:
        """Attach a stored photo to a case no agent has decided yet; at most MAX_PHOTOS.

        The desk's connections autocommit each statement, so the list is replaced only if no
        other upload changed it since it was read (two photos sent at once both stay).
        """
        if not KEY.fullmatch(key or ""):
            raise CaseError("not a photo key")
        for _ in range(10):
            current = await self.case(case_id)
            if current is None or current.state not in PHOTO_STATES:
                raise CaseError("photos are added until an agent decides the case")
            if key in current.photos:  # the widget sent it again: kept once
                return current
            if len(current.photos) >= MAX_PHOTOS:
                raise CaseError(f"at most {MAX_PHOTOS} photos a case")
            async with self.engine.begin() as conn:
                result = await conn.execute(aftersale_cases.update().where(
                    (aftersale_cases.c.id == case_id) & aftersale_cases.c.state.in_(PHOTO_STATES)
                    & (aftersale_cases.c.photos == json.dumps(current.photos)))
                    .values(photos=json.dumps(current.photos + [key]), updated_at=time.time()))
            if result.rowcount == 1:
                return await self.case(case_id)
        raise CaseError("the case kept changing; try again")

    async def move(self, case_id: int, action: str, *, agent: Optional[str] = None,
                   resolution: Optional[str] = None, note: Optional[str] = None) -> Case:
        """submit / approve (as proposed, or `resolution`) / refuse (with `note`) / finish."""
        if action not in MOVES:
            raise CaseError(f"unknown action {action}")
        leaving, entering = MOVES[action]
        if action == "refuse" and not (note or "").strip():
            raise CaseError("a refusal carries its reason for the buyer")
        values: Dict[str, Any] = {"state": entering, "updated_at": time.time()}
        if action in ("approve", "refuse"):
            if not agent:
                raise CaseError("an agent decides a case")
            values.update(decided_by=agent, note=note)
        matches = (aftersale_cases.c.id == case_id) & (aftersale_cases.c.state == leaving)
        if action == "approve":
            if resolution is not None and resolution not in RESOLUTIONS:
                raise CaseError(f"not a resolution: {resolution!r}")
            if resolution is None:  # as proposed: only when something was
                matches = matches & aftersale_cases.c.proposal.isnot(None)
            values["resolution"] = sa.func.coalesce(resolution, aftersale_cases.c.proposal)
        async with self.engine.begin() as conn:
            result = await conn.execute(aftersale_cases.update().where(matches).values(**values))
        if result.rowcount != 1:
            current = await self.case(case_id)
            if current is not None and current.state == leaving:
                raise CaseError("nothing was proposed: the agent names the resolution")
            raise CaseError(f"case {case_id} is {current.state if current else 'missing'}, not {leaving}")
        return await self.case(case_id)

    @outlasts_db_restarts
    async def set_return_parcel(self, case_id: int, courier: Optional[str], tracking: str) -> Case:
        """The parcel the buyer sent back for this case (the number's shape checked by the bot)."""
        async with self.engine.begin() as conn:
            await conn.execute(aftersale_cases.update().where(aftersale_cases.c.id == case_id).values(
                return_courier=courier, return_tracking=tracking, updated_at=time.time()))
        return await self.case(case_id)

    @outlasts_db_restarts
    async def latest_of_conversation(self, conversation_id: str, states=PHOTO_STATES) -> Optional[Case]:
        """The chat's newest case in one of `states`: where a photo sent now belongs."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(aftersale_cases).where(
                (aftersale_cases.c.conversation_id == conversation_id) & aftersale_cases.c.state.in_(states))
                .order_by(aftersale_cases.c.id.desc()).limit(1))).first()
        return _case(row) if row else None

    @outlasts_db_restarts
    async def latest_open(self, account: str, order_id: Optional[str] = None,
                          problem: Optional[str] = None) -> Optional[Case]:
        """The buyer's newest case not yet done or refused (of that order and problem, if given): a
        problem told twice is one case, and a return parcel finds the case it belongs to."""
        matches = (aftersale_cases.c.account == account) & aftersale_cases.c.state.in_(OPEN_STATES)
        if order_id is not None:
            matches = matches & (aftersale_cases.c.order_id == order_id)
        if problem is not None:
            matches = matches & (aftersale_cases.c.problem == problem)
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(aftersale_cases).where(matches)
                                      .order_by(aftersale_cases.c.id.desc()).limit(1))).first()
        return _case(row) if row else None

    @outlasts_db_restarts
    async def cases_of(self, account: str) -> List[Case]:
        """A buyer's cases, newest first: what 我的售后进度 shows."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(aftersale_cases).where(aftersale_cases.c.account == account)
                                       .order_by(aftersale_cases.c.created_at.desc(),
                                                 aftersale_cases.c.id.desc()))).all()
        return [_case(row) for row in rows]

    @outlasts_db_restarts
    async def open_cases(self) -> List[Case]:
        """The cases agents work on: urgent first, then the oldest."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(aftersale_cases)
                                       .where(aftersale_cases.c.state.in_(OPEN_STATES))
                                       .order_by(aftersale_cases.c.urgent.desc(), aftersale_cases.c.created_at,
                                                 aftersale_cases.c.id))).all()
        return [_case(row) for row in rows]
