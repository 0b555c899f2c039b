"""Which goods a buyer's question names, when they are none of the shop's own names."""
import pytest

from shopbot.shop.goods_phrase import goods_named


@pytest.mark.parametrize("text, goods", [
    ("小龙虾有货吗", "小龙虾"),
    ("你们有卖辣条吗", "辣条"),
    ("有没有卖火腿肠的", "火腿肠"),
    ("苹果多少钱一斤", "苹果"),
    ("你家的红薯干甜不甜", "红薯干"),
    ("请问螺蛳粉还有吗", "螺蛳粉"),
    ("亲，你们店里有卖牛奶吗？", "牛奶"),
    ("老板，手机壳怎么卖", "手机壳"),
    ("我想问下草莓干新鲜吗", "草莓干"),
])
def test_the_goods_a_question_names_are_found_after_greetings_and_your_shops(text, goods):
    assert goods_named(text) == goods


@pytest.mark.parametrize("text", [
    "这个有货吗", "这款多少钱", "宝贝还有吗", "有货吗", "还有吗", "多少钱", "保质期多久",
    "今天下单多少钱", "快递多少钱", "两袋多少钱", "买两袋一共多少钱", "有什么推荐的", "有优惠吗",
    "口味有哪些", "生产日期是什么时候", "你好在吗有货吗", "有没有礼盒装", "有卖的吗", "卖完了吗",
    "有没有小包装的", "有没有不辣的", "这个是哪里产的", "能便宜点吗",
    "到手多少钱", "总共多少钱", "最低多少钱", "平时多少钱", "口感好吃吗", "吃起来甜不甜", "里面有几包",
    "每包多少克", "净含量多少", "整箱多少钱", "大袋的多少钱", "低糖的有吗", "试吃装有吗",
])
def test_pronouns_service_words_quantities_and_times_are_not_goods(text):
    assert goods_named(text) is None


def test_only_chinese_characters_are_returned_so_a_reply_can_quote_them():
    assert goods_named("<script>有货吗") is None
    assert goods_named("有没有卖<b>糖</b>的") is None
