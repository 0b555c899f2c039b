"""After-sales cases through the desk: opened on the bot's word, photos attached, an agent's
decision told to the buyer; with a stand-in Rasa that answers as the actions do."""
import aiohttp
import pytest
from PIL import Image

from tests.desk_support import StandInRasa, bot_answer, running_desk, signed_hello, widget
from tests.photo_samples import encoded

LILY_BEEF_ORDER = "3163092502056737219"  # tb_lily's delivered 麻辣牛肉干 (the sample shop)
SUNNY_ORDER = "4770897901558040854"  # another buyer's


def bot_opening_a_case(order_id, submit=False, problem="damaged"):
    def replies(text):
        if "碎" not in text:
            return [{"recipient_id": "x", "text": f"亲,收到:{text}"}]
        return [{"recipient_id": "x", "text": "亲,麻烦拍几张照片发给我哦"},
                {"recipient_id": "x", "custom": {"case": {
                    "order_id": order_id, "problem": problem, "proposal": "部分退款", "submit": submit,
                    "items": [{"sku": "SN008", "name": "麻辣牛肉干", "qty": 1, "price": 59.9}],
                    "words": text}}}]
    return replies


@pytest.fixture
async def desk(tmp_path):
    rasa = StandInRasa()
    async with running_desk(tmp_path, rasa=rasa, PHOTO_DIR=str(tmp_path / "uploads")) as running:
        await running.add_user("alice", nickname="小鲜")
        yield running


async def upload(desk, buyer, data):
    headers = {"X-Conversation-Id": buyer.welcome["conversation_id"], "X-Resume-Token": buyer.welcome["resume"]}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{desk.url}/api/buyer/photos", data=data, headers=headers) as answer:
            assert answer.status == 201, await answer.text()


def says(words):
    return lambda event: bot_answer(event) and words in event["message"]["text"]


async def test_a_damaged_item_with_a_photo_becomes_a_case_an_agent_approves_and_the_buyer_hears(desk):
    desk.rasa.replies = bot_opening_a_case(LILY_BEEF_ORDER)
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        await buyer.say("收到的牛肉干袋子碎了", "c1")
        shown = await buyer.until(says("照片"))
        assert not any("case" in str(e["message"].get("payload")) for e in shown if e["type"] == "message")
        [case] = await desk.app.ctx.cases.cases_of("tb_lily")
        assert (case.state, case.order_id, case.problem, case.proposal) == ("collecting", LILY_BEEF_ORDER,
                                                                           "damaged", "部分退款")
        await upload(desk, buyer, encoded(Image.new("RGB", (64, 48), "brown"), "JPEG"))
        submitted = (await buyer.until(says("已经提交")))[-1]["message"]["text"]
        assert f"编号{case.id}" in submitted and "24小时" in submitted and "退款" not in submitted

        agent = await desk.session("alice")
        async with agent.get(f"{desk.url}/api/cases") as answer:
            [listed] = (await answer.json())["cases"]
        assert listed["state"] == "waiting" and listed["order"]["order_id"] == LILY_BEEF_ORDER
        async with agent.get(desk.url + listed["photos"][0]["thumb_url"]) as answer:
            assert answer.status == 200
        async with agent.post(f"{desk.url}/api/cases/{case.id}/approve", json={}) as answer:
            assert answer.status == 200 and (await answer.json())["resolution"] == "部分退款"
        told = (await buyer.until(says("审核通过")))[-1]["message"]["text"]
        assert "部分退款" in told and LILY_BEEF_ORDER in told
        async with agent.post(f"{desk.url}/api/cases/{case.id}/approve", json={}) as answer:
            assert answer.status == 409  # decided once
        await agent.close()


async def test_a_refusal_needs_a_reason_and_the_buyer_reads_it(desk):
    desk.rasa.replies = bot_opening_a_case(LILY_BEEF_ORDER, submit=True)
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        await buyer.say("牛肉干碎了", "c1")
        await buyer.until(says("照片"))
        [case] = await desk.app.ctx.cases.cases_of("tb_lily")
        assert case.state == "waiting"  # nothing more to collect: submitted at once
        agent = await desk.session("alice")
        async with agent.post(f"{desk.url}/api/cases/{case.id}/refuse", json={"note": " "}) as answer:
            assert answer.status == 400
        async with agent.post(f"{desk.url}/api/cases/{case.id}/approve", json={"resolution": "送优惠券"}) as answer:
            assert answer.status == 400
        async with agent.post(f"{desk.url}/api/cases/{case.id}/refuse",
                              json={"note": "照片里包装完好,麻烦再拍一下破损处"}) as answer:
            assert answer.status == 200
        told = (await buyer.until(says("暂时不能")))[-1]["message"]["text"]
        assert "包装完好" in told
        await agent.close()


async def test_the_bot_cannot_open_a_case_on_another_buyers_order(desk):
    desk.rasa.replies = bot_opening_a_case(SUNNY_ORDER, submit=True)
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        await buyer.say("牛肉干碎了", "c1")
        await buyer.until(says("照片"))
    assert await desk.app.ctx.cases.cases_of("tb_lily") == []
    assert await desk.app.ctx.cases.open_cases() == []


async def test_the_cases_api_is_for_agents_only(desk):
    await desk.add_user("tina", role="trainer")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{desk.url}/api/cases") as answer:
            assert answer.status == 401
        async with http.post(f"{desk.url}/api/cases/1/approve", json={}) as answer:
            assert answer.status == 401
    trainer = await desk.session("tina")
    async with trainer.get(f"{desk.url}/api/cases") as answer:
        assert answer.status == 403
    await trainer.close()


def test_what_the_desk_says_of_cases_keeps_the_tmall_rules_and_the_shops_tone():
    from shopbot.compliance import check_reply
    from shopbot.desk import aftersale_desk as said

    texts = [said.CASE_SUBMITTED, said.PHOTO_ADDED, said.PHOTOS_FULL, said.PHOTO_WITHOUT_CASE, said.CASE_APPROVED,
             said.CASE_REFUSED, said.CASE_DONE, said.NO_CASES, said.PROGRESS, *said.NEXT_STEPS.values(),
             *said.STATE_TEXTS.values()]
    for text in texts:
        assert check_reply(text) == [], text
    for text in (said.CASE_SUBMITTED, said.PHOTO_WITHOUT_CASE, said.CASE_APPROVED, said.CASE_REFUSED, said.NO_CASES):
        assert "亲" in text or text.startswith("收到"), text
    assert not any(word in said.CASE_SUBMITTED + said.PHOTO_ADDED for word in ("退款", "补发"))  # nothing promised


async def test_a_problem_told_twice_is_one_case(desk):
    desk.rasa.replies = bot_opening_a_case(LILY_BEEF_ORDER)
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        await buyer.say("牛肉干碎了", "c1")
        await buyer.until(says("照片"))
        await buyer.say("真的碎了 好多都碎了", "c2")
        await buyer.until(says("照片"))
    assert len(await desk.app.ctx.cases.cases_of("tb_lily")) == 1


async def test_a_return_parcel_joins_the_buyers_open_case_from_another_chat_or_is_sent_to_the_order_page(desk):
    def replies(text):
        if "碎" in text:
            return bot_opening_a_case(LILY_BEEF_ORDER, submit=True)(text)
        return [{"recipient_id": "x", "custom": {"return_parcel": {"tracking": "SF1312345678901", "courier": "顺丰"}}}]

    desk.rasa.replies = replies
    async with widget(desk, signed_hello("tb_zhou77")) as stranger:  # no case at all
        await stranger.say("单号SF1312345678901", "c0")
        assert "订单页" in (await stranger.until(says("SF1312345678901")))[-1]["message"]["text"]
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        await buyer.say("牛肉干碎了", "c1")
        await buyer.until(says("照片"))
    async with widget(desk, signed_hello("tb_lily")) as later:  # days later, a new chat
        await later.say("寄回了 单号SF1312345678901", "c2")
        [case] = await desk.app.ctx.cases.cases_of("tb_lily")
        assert f"编号{case.id}" in (await later.until(says("SF1312345678901")))[-1]["message"]["text"]
    case = await desk.app.ctx.cases.case(case.id)
    assert (case.return_courier, case.return_tracking) == ("顺丰", "SF1312345678901")


async def test_photos_without_a_case_get_one_question_not_one_each(desk):
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        for colour in ("red", "green", "blue"):
            await upload(desk, buyer, encoded(Image.new("RGB", (16, 16), colour), "PNG"))
        transcript = await desk.store.transcript(buyer.welcome["conversation_id"])
    assert [m.sender for m in transcript] == ["buyer", "bot", "buyer", "buyer"]


async def test_a_case_that_cannot_be_stored_does_not_cost_the_buyer_the_bots_answer(desk):
    async def database_away(**_fields):
        raise ConnectionError("the database is away")

    desk.rasa.replies = bot_opening_a_case(LILY_BEEF_ORDER)
    desk.app.ctx.cases.open_case = database_away
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        await buyer.say("牛肉干碎了", "c1")
        assert "照片" in (await buyer.until(says("照片")))[-1]["message"]["text"]
