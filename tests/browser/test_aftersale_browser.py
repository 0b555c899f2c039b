"""After-sales in a real browser: a buyer photographs damaged goods in the widget, an agent sees
the photo on the case and in the transcript and approves, the buyer is told and can ask later."""
import io
import re

from PIL import ExifTags, Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_desk_browser import PHONE, last_bot_text, open_widget, say


def parcel_photo(path):
    """A phone-sized photo of a torn snack bag, with the phone's GPS in its EXIF."""
    image = Image.new("RGB", (1600, 1200), (214, 190, 150))
    draw = ImageDraw.Draw(image)
    draw.rectangle((300, 200, 1300, 1000), fill=(190, 40, 30))
    draw.polygon([(700, 200), (820, 420), (640, 600), (900, 1000), (760, 1000), (560, 600), (720, 420)],
                 fill=(214, 190, 150))
    exif = image.getexif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 15.0, 20.0)
    data = io.BytesIO()
    image.save(data, "JPEG", exif=exif, quality=90)
    path.write_bytes(data.getvalue())
    return path


def test_a_photo_of_damaged_goods_reaches_the_agents_case_and_the_buyer_hears_the_decision(
        page_factory, desk, tmp_path):
    buyer = page_factory(**PHONE)
    open_widget(buyer, desk)
    say(buyer, "收到的麻辣牛肉干袋子破了 漏气了")
    expect(last_bot_text(buyer)).to_contain_text("申请「部分退款」,客服确认后", timeout=20000)  # proposed, not promised
    expect(buyer.locator("#shopbot-messages .msg-bot").filter(has_text="「图片」按钮")).to_have_count(1)

    buyer.set_input_files("#shopbot-photo-input", str(parcel_photo(tmp_path / "IMG_2041.jpg")))
    photo = buyer.locator("#shopbot-messages .msg-buyer img.sb-img").last
    expect(photo).to_be_visible(timeout=15000)
    expect(last_bot_text(buyer)).to_contain_text("已经提交", timeout=15000)
    screenshot(buyer, "widget-aftersale-photo")

    agent = page_factory(viewport={"width": 1280, "height": 860})
    agent.goto(f"{desk.url}/console")
    agent.fill("#login-username", "alice")
    agent.fill("#login-password", "agentpass1")
    agent.click("#login-submit")
    case = agent.locator("#cases .case").filter(has_text="麻辣牛肉干").last
    expect(case).to_contain_text("待审核", timeout=15000)
    expect(case).to_contain_text("收到的麻辣牛肉干袋子破了")
    thumbnail = case.locator("img.case-photo")
    expect(thumbnail).to_have_count(1)
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth > 0"), "the agent's copy of the photo loads"
    case.locator("button", has_text="查看会话").click()
    expect(agent.locator("#transcript img")).to_have_count(1, timeout=15000)
    screenshot(agent, "console-aftersale-case")

    expect(case.locator("select.case-resolution")).to_have_value("部分退款")
    case.locator("button", has_text="同意").click()
    told = buyer.locator("#shopbot-messages .msg-bot").filter(has_text="审核通过").last
    expect(told).to_contain_text("部分退款", timeout=15000)
    screenshot(buyer, "widget-aftersale-approved")

    say(buyer, "我的售后进度")
    expect(last_bot_text(buyer)).to_contain_text(re.compile("编号\\d+.*客服已同意「部分退款」"), timeout=20000)
    screenshot(buyer, "widget-aftersale-progress")
