"""The product page the widget is on travels with the buyer's lines to the bot, as context only."""
from __future__ import annotations

from tests.desk_support import StandInRasa, bot_answer, running_desk, signed_hello, widget


async def lines_from(tmp_path, hello_sku, frames):
    rasa = StandInRasa()
    async with running_desk(tmp_path, rasa=rasa) as desk:
        hello = signed_hello("tb_lily", **({"sku": hello_sku} if hello_sku is not None else {}))
        async with widget(desk, hello) as buyer:
            for number, frame in enumerate(frames):
                await buyer.ws.send_json(dict({"type": "message", "client_id": f"c{number}"}, **frame))
                await buyer.until(bot_answer)
    return rasa


async def test_the_page_of_the_hello_goes_with_every_line_and_a_lines_own_page_wins(tmp_path):
    rasa = await lines_from(tmp_path, "SN001", [{"text": "这款多少钱"}, {"text": "这个有货吗", "sku": "SN013"}])
    assert rasa.pages == ["SN001", "SN013"]
    assert [account for _, _, account in rasa.sent] == ["tb_lily", "tb_lily"]


async def test_what_does_not_look_like_a_product_code_is_dropped_never_an_error(tmp_path):
    rasa = await lines_from(tmp_path, "<script>", [{"text": "这款多少钱", "sku": {"a": 1}},
                                                  {"text": "这个呢", "sku": "x" * 40}])
    assert rasa.pages == [None, None]
