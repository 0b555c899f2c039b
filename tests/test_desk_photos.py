"""Photos through the desk as the widget sends them: kept clean, shown to the right people only,
and every hostile upload refused with a message for the buyer and nothing kept."""
import io
from pathlib import Path

import aiohttp
import pytest
from PIL import ExifTags, Image

from tests.desk_support import bot_answer, running_desk, signed_hello, widget
from tests.photo_samples import encoded, phone_photo_with_gps_and_rotation, png_declaring


@pytest.fixture
async def desk(tmp_path):
    async with running_desk(tmp_path, PHOTO_DIR=str(tmp_path / "uploads"), DESK_PHOTO_RATE="4,0.01") as running:
        await running.add_user("alice")
        yield running


def kept_files(desk) -> list:
    return sorted(Path(desk.app.ctx.cfg.photo_dir).rglob("*.jpg"))


async def upload(desk, buyer, data: bytes, resume=None, client_id=None):
    headers = {"X-Conversation-Id": buyer.welcome["conversation_id"],
               "X-Resume-Token": buyer.welcome["resume"] if resume is None else resume,
               "Content-Type": "application/octet-stream"}
    if client_id:
        headers["X-Client-Id"] = client_id
    async with aiohttp.ClientSession() as http:
        # As a browser may: the size is declared first, so a refused upload is not even sent.
        async with http.post(f"{desk.url}/api/buyer/photos", data=data, headers=headers, expect100=True) as answer:
            return answer.status, await answer.json()


def photo_message(event) -> bool:
    return event["type"] == "message" and (event["message"].get("payload") or {}).get("photo")


async def test_a_phone_photo_reaches_the_chat_upright_and_without_its_location(desk):
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        status, body = await upload(desk, buyer, phone_photo_with_gps_and_rotation())
        assert status == 201, body
        shown = (await buyer.until(photo_message))[-1]["message"]
        assert shown["text"] == "[图片]" and shown["payload"]["photo"] == body["message"]["payload"]["photo"]
        note = (await buyer.until(bot_answer))[-1]["message"]["text"]
        assert "破损" in note  # no case yet: the bot asks what is wrong
        async with aiohttp.ClientSession() as http:
            async with http.get(desk.url + shown["payload"]["url"]) as fetched:
                assert fetched.status == 200 and fetched.headers["Content-Type"] == "image/jpeg"
                assert fetched.headers["X-Content-Type-Options"] == "nosniff"
                image = Image.open(io.BytesIO(await fetched.read()))
    assert image.size == (40, 80) and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    for path in kept_files(desk):
        assert b"GPS" not in path.read_bytes() and b"Exif" not in path.read_bytes()


async def test_a_photo_address_works_only_as_signed_and_an_agents_one_needs_a_login(desk):
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        status, body = await upload(desk, buyer, encoded(Image.new("RGB", (20, 20), "red"), "PNG"))
        assert status == 201
        url = body["message"]["payload"]["url"]
        chat = buyer.welcome["conversation_id"]
    transcript_url = f"{desk.url}/api/conversations/{chat}"
    async with aiohttp.ClientSession() as http:
        for bad in (url.replace("viewer=chat", "viewer=chax"), url.replace("/photo?", "/thumb?"),
                    url[:-4] + "0000", url.replace(url.split("/")[2], "0" * 32)):
            async with http.get(desk.url + bad) as answer:
                assert answer.status == 403, bad
    agent = await desk.session("alice")
    async with agent.get(transcript_url) as answer:
        agents_url = next(m for m in (await answer.json())["messages"] if m["payload"])["payload"]["url"]
    async with agent.get(desk.url + agents_url) as answer:
        assert answer.status == 200
    await agent.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(desk.url + agents_url) as answer:
            assert answer.status == 401  # signed for agents: an agent's session as well


async def test_hostile_uploads_are_refused_with_a_message_and_nothing_is_kept(desk):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
    hostile = {
        "a text file named .jpg": (b"just some text, not an image" * 10, 400),
        "an SVG with a script": (svg, 400),
        "a decompression bomb": (png_declaring(60_000, 60_000), 400),
        "a 50 MB file": (b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024), 413),
    }
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        for name, (data, expected) in hostile.items():
            status, body = await upload(desk, buyer, data)
            assert status == expected, name
            assert "亲" in body["error"], name  # said to the buyer in the shop's tone
        transcript = await desk.store.transcript(buyer.welcome["conversation_id"])
    assert kept_files(desk) == [] and transcript == []


async def test_an_upload_to_another_buyers_chat_or_a_flood_of_uploads_is_refused(desk):
    photo = encoded(Image.new("RGB", (20, 20), "blue"), "JPEG")
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        status, body = await upload(desk, buyer, photo, resume="not-the-token")
        assert status == 403 and "刷新" in body["error"]
        statuses = [(await upload(desk, buyer, photo))[0] for _ in range(6)]
    assert statuses[:4] == [201] * 4 and statuses[4:] == [429, 429]
    assert len(kept_files(desk)) == 4 * 2  # each kept photo and its thumbnail, the refused ones not at all


async def test_a_photo_sent_again_after_a_dropped_connection_is_kept_once(desk):
    photo = encoded(Image.new("RGB", (20, 20), "green"), "JPEG")
    async with widget(desk, signed_hello("tb_lily")) as buyer:
        first = await upload(desk, buyer, photo, client_id="p-1")
        again = await upload(desk, buyer, photo, client_id="p-1")
        transcript = await desk.store.transcript(buyer.welcome["conversation_id"])
    assert first[0] == again[0] == 201
    assert first[1]["message"]["id"] == again[1]["message"]["id"]
    assert [m.text for m in transcript if m.sender == "buyer"] == ["[图片]"]
    assert len(kept_files(desk)) == 2  # the second copy is not kept either



async def test_a_body_streamed_without_a_declared_size_is_cut_off_past_the_limit(desk):
    async def eleven_megabytes():
        for _ in range(11):
            yield b"\xff" * (1024 * 1024)

    async with widget(desk, signed_hello("tb_lily")) as buyer:
        headers = {"X-Conversation-Id": buyer.welcome["conversation_id"], "X-Resume-Token": buyer.welcome["resume"]}
        async with aiohttp.ClientSession() as http:
            try:
                async with http.post(f"{desk.url}/api/buyer/photos", data=eleven_megabytes(),
                                     headers=headers) as answer:
                    assert answer.status == 413
            except aiohttp.ClientError:
                pass  # the desk may close the connection before the client has read the answer
        assert await desk.store.transcript(buyer.welcome["conversation_id"]) == []
    assert kept_files(desk) == []
