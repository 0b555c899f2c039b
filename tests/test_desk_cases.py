"""After-sales cases in the desk's database: states an agent moves once, photos up to the limit."""
import asyncio

import pytest

from shopbot.desk.cases import MAX_PHOTOS, CaseError, CaseStore
from shopbot.desk.photo_store import new_key
from shopbot.desk.store import DeskStore
from tests.db_support import fresh_desk_db

# With the other tests of the machine's PostgreSQL, one at a time (some restart it).
pytestmark = pytest.mark.local_services

ITEMS = [{"sku": "SN001", "name": "芒果干", "qty": 1, "price": 29.9}]


@pytest.fixture(params=["sqlite", "postgresql"])
async def cases(request, tmp_path):
    store = await DeskStore(fresh_desk_db(request.param, tmp_path, "shopbot_desk_cases_test")).open()
    yield CaseStore(store.engine)
    await store.close()


async def opened(cases, **overrides):
    fields = dict(account="tb_lily", order_id="3241683524485628643", problem="damaged", items=ITEMS,
                  words="收到的芒果干袋子破了", proposal="补发")
    fields.update(overrides)
    return await cases.open_case(**fields)


async def test_a_case_goes_from_the_buyers_words_to_an_approved_resolution_and_done(cases):
    case = await opened(cases)
    assert case.state == "collecting" and case.items == ITEMS and case.photos == []
    case = await cases.add_photo(case.id, new_key())
    case = await cases.move(case.id, "submit")
    assert case.state == "waiting"
    case = await cases.move(case.id, "approve", agent="alice")
    assert (case.state, case.resolution, case.decided_by) == ("approved", "补发", "alice")
    assert (await cases.move(case.id, "finish")).state == "done"


async def test_an_agent_may_change_the_proposal_or_refuse_with_a_reason(cases):
    changed = await cases.move((await cases.move((await opened(cases)).id, "submit")).id, "approve",
                               agent="alice", resolution="部分退款", note="只破了一角,退10元")
    assert changed.resolution == "部分退款" and changed.proposal == "补发"
    waiting = await cases.move((await opened(cases)).id, "submit")
    with pytest.raises(CaseError):
        await cases.move(waiting.id, "refuse", agent="alice", note="  ")  # a refusal says why
    refused = await cases.move(waiting.id, "refuse", agent="alice", note="照片里包装完好,麻烦再拍一张破损处哦")
    assert refused.state == "refused" and "破损" in refused.note


async def test_two_agents_deciding_one_case_at_once_only_one_decides(cases):
    waiting = await cases.move((await opened(cases)).id, "submit")
    results = await asyncio.gather(cases.move(waiting.id, "approve", agent="alice"),
                                   cases.move(waiting.id, "refuse", agent="bob", note="不符合"),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Case", "CaseError"]


async def test_a_case_not_waiting_cannot_be_decided_and_photos_stop_at_the_limit(cases):
    case = await opened(cases)
    with pytest.raises(CaseError):
        await cases.move(case.id, "approve", agent="alice")  # still collecting
    for _ in range(MAX_PHOTOS):
        case = await cases.add_photo(case.id, new_key())
    with pytest.raises(CaseError):
        await cases.add_photo(case.id, new_key())
    assert len((await cases.case(case.id)).photos) == MAX_PHOTOS
    await cases.move(case.id, "submit")
    with pytest.raises(CaseError):
        await cases.add_photo(case.id, new_key())  # submitted: no more photos


async def test_photos_sent_at_once_are_all_kept(cases):
    case = await opened(cases)
    keys = [new_key() for _ in range(4)]
    await asyncio.gather(*(cases.add_photo(case.id, key) for key in keys))
    assert sorted((await cases.case(case.id)).photos) == sorted(keys)


async def test_a_buyer_sees_only_their_cases_and_agents_see_urgent_ones_first(cases):
    old = await cases.move((await opened(cases)).id, "submit")
    urgent = await opened(cases, problem="expired", proposal="退款", urgent=True)
    await opened(cases, account="tb_wang88", order_id="4594092335600500865")
    assert [c.id for c in await cases.cases_of("tb_lily")] == [urgent.id, old.id]
    assert [c.id for c in await cases.open_cases()][:2] == [urgent.id, old.id]
    assert all(c.account == "tb_lily" for c in await cases.cases_of("tb_lily"))


async def test_nothing_proposed_means_the_agent_names_a_known_resolution(cases):
    waiting = await cases.move((await opened(cases, proposal=None)).id, "submit")
    with pytest.raises(CaseError):
        await cases.move(waiting.id, "approve", agent="alice")  # approving nothing records nothing
    with pytest.raises(CaseError):
        await cases.move(waiting.id, "approve", agent="alice", resolution="送一箱给您赔罪吧送一箱给您赔罪吧")
    approved = await cases.move(waiting.id, "approve", agent="alice", resolution="退款")
    assert approved.resolution == "退款"


async def test_bad_fields_and_photo_keys_are_refused_and_a_photo_sent_again_counts_once(cases):
    for bad in (dict(problem="x" * 40), dict(problem="破了"), dict(proposal="送一箱")):
        with pytest.raises(CaseError):
            await opened(cases, **bad)
    case = await opened(cases)
    for hostile in ("../../etc/passwd", "same-key", ""):
        with pytest.raises(CaseError):
            await cases.add_photo(case.id, hostile)
    key = new_key()
    await cases.add_photo(case.id, key)
    assert (await cases.add_photo(case.id, key)).photos == [key]
