"""A return parcel's tracking number in what buyers type: kept when its shape fits its courier."""
import pytest

from shopbot.shop.tracking_numbers import tracking_number_in


@pytest.mark.parametrize("line, courier, number", [
    ("退货单号SF1312345678901", None, ("SF1312345678901", "顺丰")),
    ("寄回去了 中通 78512345678901", "中通", ("78512345678901", "中通")),
    ("退货快递 yt1234567890123", None, ("YT1234567890123", "圆通")),
    ("京东的运单JDVA00123456789", None, ("JDVA00123456789", "京东")),
    ("电话13812345678,寄回单号78123456789012", None, ("78123456789012", None)),
])
def test_a_well_formed_number_is_found_with_its_courier(line, courier, number):
    found = tracking_number_in(line, courier)
    assert found is not None and found.well_formed and (found.number, found.courier) == number


@pytest.mark.parametrize("line", ["退货单号SF13123456", "顺丰单号 SF12345678901234567"])
def test_a_number_of_the_wrong_shape_is_found_for_the_buyer_to_check(line):
    found = tracking_number_in(line)
    assert found is not None and not found.well_formed


@pytest.mark.parametrize("line", [
    "我要退货,订单号339683558594042728",
    "订单3163092502056737219想换货",
    "退货运费谁出",
    "我的电话13812345678",
    "满199减30 能便宜点吗",
])
def test_order_numbers_phone_numbers_and_plain_lines_give_none(line):
    assert tracking_number_in(line) is None
