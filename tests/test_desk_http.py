"""The desk over HTTP and WebSocket as the widget and the console use it: the real app
(`create_app()`), served in the test's loop, with a stand-in for Rasa."""
import aiohttp
import pytest

from tests.desk_support import DESK_SECRET, StandInRasa, bot_answer, running_desk, signed_hello, widget

AGENT_ENDPOINTS = [
    ("GET", "/api/queue"), ("GET", "/api/me"), ("GET", "/api/quick-replies"), ("GET", "/api/rules"),
    ("GET", "/api/conversations/abc"), ("POST", "/api/conversations/abc/claim"),
    ("POST", "/api/conversations/abc/messages"), ("POST", "/api/conversations/abc/hand-back"),
    ("POST", "/api/conversations/abc/close"), ("GET", "/api/stats/stages"),
]
TRAINER_ENDPOINTS = [("GET", "/api/trainer/inbox"), ("GET", "/api/trainer/intents"), ("POST", "/api/trainer/label"),
                     ("POST", "/api/trainer/retrain"), ("GET", "/api/trainer/jobs/x"), ("POST", "/api/trainer/rollback")]


@pytest.fixture
async def desk(tmp_path):
    async with running_desk(tmp_path) as running:
        await running.add_user("alice")
        await running.add_user("bob")
        await running.add_user("tina", role="trainer")
        yield running


def sender_is(sender):
    return lambda event: event["type"] == "message" and event["message"]["sender"] == sender


async def ask_for_a_person(buyer) -> str:
    """The buyer asks for a person and hears the desk's notice; the chat's id."""
    await buyer.say("转人工", "c1")
    await buyer.until(sender_is("system"))
    return buyer.welcome["conversation_id"]


async def test_agent_and_trainer_endpoints_answer_401_without_a_session(desk):
    async with aiohttp.ClientSession() as http:
        for method, path in AGENT_ENDPOINTS + TRAINER_ENDPOINTS + [("POST", "/api/trainer/flags")]:
            async with http.request(method, desk.url + path, json={"text": "hi"}) as answer:
                assert (answer.status, (await answer.json())["error"]) == (401, "请先登录"), path
        async with http.get(desk.url + "/api/queue", headers={"Authorization": "Bearer forged"}) as answer:
            assert answer.status == 401


async def test_an_agent_cannot_use_the_trainers_endpoints(desk):
    alice = await desk.session("alice")
    async with alice:
        for method, path in TRAINER_ENDPOINTS:
            async with alice.request(method, desk.url + path, json={}) as answer:
                assert (answer.status, (await answer.json())["error"]) == (403, "没有权限"), path


async def test_a_wrong_password_or_a_bad_body_gets_a_clear_message(desk):
    async with aiohttp.ClientSession() as http:
        async with http.post(desk.url + "/api/login", json={"username": "alice", "password": "nope"}) as answer:
            assert (answer.status, (await answer.json())["error"]) == (401, "用户名或密码错误")
        async with http.post(desk.url + "/api/login", data=b"{bad json") as answer:
            assert answer.status == 400 and (await answer.json())["error"]
        async with http.post(desk.url + "/api/login", json={"username": "nobody", "password": "agentpass1"}) as answer:
            assert answer.status == 401


async def test_errors_come_back_as_json_not_html_pages(desk):
    async with aiohttp.ClientSession() as http:
        for method, path, status in [("GET", "/no-such-page", 404), ("DELETE", "/api/queue", 405),
                                     ("GET", "/static/%00x", 404), ("GET", "/static/" + "a" * 300, 404)]:
            async with http.request(method, desk.url + path) as answer:
                assert answer.status == status, path
                assert answer.content_type == "application/json" and (await answer.json())["error"]


async def test_a_logged_in_agent_sees_who_they_are_until_they_log_out(desk):
    alice = await desk.session("alice")
    async with alice:
        async with alice.get(desk.url + "/api/me") as answer:
            assert await answer.json() == {"username": "alice", "role": "agent", "nickname": None}
        async with alice.post(desk.url + "/api/logout") as answer:
            assert answer.status == 200
        async with alice.get(desk.url + "/api/me") as answer:
            assert answer.status == 401


async def test_a_signed_buyer_is_known_and_a_forged_signature_is_an_anonymous_visitor(desk):
    async with widget(desk, signed_hello("tb_lily")) as lily:
        assert (lily.welcome["type"], lily.welcome["account"]) == ("welcome", "tb_lily")
        await lily.say("我的快递到哪了", "c1")
        await lily.until(bot_answer)
    async with widget(desk, dict(signed_hello("tb_lily"), account="tb_wang88")) as forger:
        assert forger.welcome["account"] is None
        await forger.say("我的快递到哪了", "c1")
        await forger.until(bot_answer)
    async with widget(desk, signed_hello("tb_wang88", secret="not-the-shops-secret")) as other:
        assert other.welcome["account"] is None
    assert [account for _, _, account in desk.rasa.sent] == ["tb_lily", None]


async def test_a_buyer_sees_their_line_then_the_bots_answer(desk):
    async with widget(desk, signed_hello("tb_lily")) as lily:
        await lily.say("这款有货吗", "line-1")
        events = await lily.until(bot_answer)
    messages = [(e["message"]["sender"], e["message"]["text"], e["message"]["client_id"])
                for e in events if e["type"] == "message"]
    assert messages == [("buyer", "这款有货吗", "line-1"), ("bot", "亲,收到:这款有货吗", None)]


async def test_a_buyer_cannot_resume_another_buyers_chat(desk):
    async with widget(desk, signed_hello("tb_lily")) as lily:
        await lily.say("我的地址是杭州市西湖区", "c1")
        await lily.until(bot_answer)
        chat_id = lily.welcome["conversation_id"]
    async with widget(desk, signed_hello("tb_wang88", conversation_id=chat_id)) as other:
        assert other.welcome["conversation_id"] != chat_id
        assert other.events == []  # no history of lily's
    async with widget(desk, signed_hello("tb_lily", conversation_id=chat_id)) as again:
        assert again.welcome["conversation_id"] == chat_id
        assert [e["message"]["text"] for e in await again.until(bot_answer)][0] == "我的地址是杭州市西湖区"


async def test_an_agent_sees_how_long_this_desks_steps_of_a_bot_answer_take(desk):
    async with widget(desk, signed_hello("tb_lily")) as lily:
        await lily.say("这款有货吗", "c1")
        await lily.until(bot_answer)
    alice = await desk.session("alice")
    async with alice:
        async with alice.get(desk.url + "/api/stats/stages") as answer:
            stages = (await answer.json())["stages"]
    for stage in ("store_line", "rasa", "answer", "whole"):
        assert stages[stage]["count"] == 1 and 0 < stages[stage]["p50_ms"] <= stages[stage]["p95_ms"]


async def test_a_complaint_reaches_the_queue_and_only_the_first_agent_to_claim_it_answers(desk):
    async with widget(desk, signed_hello("tb_lily")) as lily:
        await lily.say("你们什么破服务 我要投诉", "c1")
        await lily.until(sender_is("system"))
        chat_id = lily.welcome["conversation_id"]
        alice, bob = await desk.session("alice"), await desk.session("bob")
        async with alice, bob:
            async with alice.get(desk.url + "/api/queue") as answer:
                waiting = (await answer.json())["waiting"]
            assert [(c["id"], c["reason"], c["priority"]) for c in waiting] == [(chat_id, "anger", "high")]
            async with alice.post(f"{desk.url}/api/conversations/{chat_id}/claim") as answer:
                assert answer.status == 200
            async with bob.post(f"{desk.url}/api/conversations/{chat_id}/claim") as answer:
                assert answer.status == 409 and "alice" in (await answer.json())["error"]
            async with bob.post(f"{desk.url}/api/conversations/{chat_id}/messages", json={"text": "亲"}) as answer:
                assert answer.status == 409
            async with alice.post(f"{desk.url}/api/conversations/{chat_id}/messages",
                                  json={"text": "亲,非常抱歉,我来为您处理"}) as answer:
                assert answer.status == 200
            heard = await lily.until(sender_is("agent"))
            assert heard[-1]["message"]["text"] == "亲,非常抱歉,我来为您处理"
            async with alice.get(f"{desk.url}/api/conversations/{chat_id}") as answer:
                senders = [m["sender"] for m in (await answer.json())["messages"]]
    assert senders[0] == "buyer" and senders[-1] == "agent"
    assert desk.rasa.sent == []  # the desk handed the angry buyer over without asking the bot


async def test_a_rule_breaking_agent_reply_needs_confirmation(desk):
    async with widget(desk, signed_hello("tb_lily")) as lily:
        chat_id = await ask_for_a_person(lily)
    alice = await desk.session("alice")
    async with alice:
        await alice.post(f"{desk.url}/api/conversations/{chat_id}/claim")
        draft = {"text": "亲,这个是特价商品,不提供发票哦"}
        async with alice.post(f"{desk.url}/api/conversations/{chat_id}/messages", json=draft) as refused:
            assert refused.status == 422
            assert (await refused.json())["breaches"][0]["rule"] == "invoice_refused"
        async with alice.post(f"{desk.url}/api/conversations/{chat_id}/messages",
                              json=dict(draft, confirm=True)) as confirmed:
            assert confirmed.status == 200


async def test_an_agent_hands_the_chat_back_and_the_bot_answers_again(desk):
    async with widget(desk, signed_hello("tb_lily")) as lily:
        chat_id = await ask_for_a_person(lily)
        alice = await desk.session("alice")
        async with alice:
            await alice.post(f"{desk.url}/api/conversations/{chat_id}/claim")
            async with alice.post(f"{desk.url}/api/conversations/{chat_id}/hand-back") as answer:
                assert (await answer.json())["state"] == "bot"
        await lily.until(lambda e: e["type"] == "state" and e["state"] == "bot")
        await lily.say("包邮吗", "c2")
        answered = await lily.until(sender_is("bot"))
    assert answered[-1]["message"]["text"] == "亲,收到:包邮吗" and desk.rasa.resumed == [chat_id]


async def test_a_line_resent_on_a_new_socket_is_confirmed_to_the_widget_but_stored_and_answered_once(desk):
    """The widget resends what it saw no confirmation for; the desk says "stored" again, nothing more."""
    async with widget(desk, signed_hello("tb_lily")) as first:
        await first.say("芒果干有货吗", "line-1")
        events = await first.until(bot_answer)
        chat_id = first.welcome["conversation_id"]
    echo = events[0]["message"]
    assert (echo["sender"], echo["client_id"]) == ("buyer", "line-1")  # the live echo is the confirmation

    # As after a connection dropped before the echo arrived: everything seen is skipped, the line resent.
    seen = max(e["message"]["id"] for e in events if e["type"] == "message")
    async with widget(desk, signed_hello("tb_lily", conversation_id=chat_id, after=seen)) as again:
        await again.say("芒果干有货吗", "line-1")
        confirmed = await again.next_event()
    assert (confirmed["message"]["id"], confirmed["message"]["client_id"]) == (echo["id"], "line-1")
    assert [m.sender for m in await desk.store.transcript(chat_id)] == ["buyer", "bot"]
    assert len(desk.rasa.sent) == 1


async def test_the_pages_are_served(desk):
    async with aiohttp.ClientSession() as http:
        for path, kind in [("/console", "text/html"), ("/trainer", "text/html"),
                           ("/widget.js", "application/javascript"), ("/health", "application/json")]:
            async with http.get(desk.url + path) as answer:
                assert answer.status == 200 and answer.content_type == kind, path


async def test_a_desk_without_rasa_still_takes_the_line_and_hands_the_chat_to_a_person(tmp_path):
    rasa = StandInRasa()
    rasa.down = True
    async with running_desk(tmp_path, rasa=rasa) as desk:
        async with widget(desk, signed_hello("tb_lily")) as lily:
            await lily.say("有货吗", "c1")
            events = await lily.until(lambda e: e["type"] == "state" and e["state"] == "waiting")
        chat = await desk.store.conversation(lily.welcome["conversation_id"])
    assert chat.reason == "bot_unavailable"
    assert any("稍等" in e["message"]["text"] for e in events if e["type"] == "message")
    assert DESK_SECRET  # the hello above was signed with the test desk's secret
