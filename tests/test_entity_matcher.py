"""The shop's entities are found by name with canonical values, and by pattern."""
import pytest

from shopbot.nlu.entity_matcher import EntityMatcher
from shopbot.nlu.shop_vocabulary import build_vocabulary
from shopbot.nlu.text_normalizer import normalize_text
from shopbot.shop import files


@pytest.fixture(scope="module")
def matcher(project_root):
    return EntityMatcher(build_vocabulary(project_root / "shop"))


def found(matcher, text):
    return {(e["entity"], e["value"]) for e in matcher.find(normalize_text(text))}


def test_product_from_the_catalog(matcher):
    assert ("product", "芒果干") in found(matcher, "这个芒果干还有货吗")


def test_every_catalog_product_and_alias_is_recognised(matcher, project_root):
    for row in files.read_catalog(project_root / "shop"):
        for surface in [row["name"], *files.split_list(row["aliases"])]:
            assert ("product", row["name"]) in found(matcher, f"请问{surface}怎么样"), surface


def test_region_synonyms_map_to_the_canonical_name(matcher):
    assert found(matcher, "新疆维吾尔自治区包邮吗") == {("region", "新疆")}
    assert ("region", "新疆") in found(matcher, "寄到乌鲁木齐多少钱")


def test_courier_synonyms_and_latin_names(matcher):
    assert found(matcher, "能发顺丰速运吗") == {("courier", "顺丰")}
    assert found(matcher, "发ＳＦ吧") == {("courier", "顺丰")}


def test_longest_name_wins_when_names_overlap(matcher):
    assert found(matcher, "新疆葡萄干有吗") == {("product", "新疆葡萄干")}


def test_order_numbers_by_pattern_but_not_phone_numbers(matcher):
    assert ("order_id", "3920184756102") in found(matcher, "订单号3920184756102")
    assert not any(e == "order_id" for e, _ in found(matcher, "我电话13812345678"))


def test_problem_types_and_amounts(matcher):
    assert ("problem_type", "missing_item") in found(matcher, "少发了一包")
    assert ("problem_type", "damaged") in found(matcher, "收到全碎了")
    assert ("problem_type", "wrong_item") in found(matcher, "你们发错口味了")
    assert ("problem_type", "expired") in found(matcher, "怎么是过期的")
    assert ("amount", "29.9") in found(matcher, "别家才29.9元")


def test_entities_carry_offsets_into_the_text(matcher):
    text = "我在上海,发中通"
    for entity in matcher.find(text):
        assert text[entity["start"]:entity["end"]] in {"上海", "中通"}


# -- the shorter names buyers give products (issue 33) ---------------------------
def test_a_short_name_finds_the_one_product_it_ends(matcher):
    assert found(matcher, "核桃多少钱一斤") == {("product", "临安山核桃")}
    assert found(matcher, "枣甜不甜") == {("product", "新疆和田大枣")}
    assert found(matcher, "鸭脖子辣吗") == {("product", "香辣鸭脖")}


def test_a_short_name_of_several_products_is_a_group_to_choose_from(matcher):
    assert found(matcher, "巧克力有货吗") == {("product_group", "比利时黑巧克力|德国牛奶巧克力")}
    (group,) = [value for entity, value in found(matcher, "坚果有哪些") if entity == "product_group"]
    assert "临安山核桃" in group.split("|") and "夏威夷果" in group.split("|")


def test_everyday_words_are_not_taken_for_products(matcher):
    for text in ("木有货了吗", "页面上写的价格", "我坐地铁去", "这个锅谁背", "儿子喜欢吃"):
        assert not [e for e, _ in found(matcher, text) if e.startswith("product")], text


def test_a_line_made_of_the_shops_names_is_covered_and_a_question_is_not(matcher):
    from shopbot.nlu.bare_value import COVERED, covered_share

    for text, bare in (("新疆乌鲁木齐", True), ("临安山核桃", True), ("3241683524485628643", True),
                       ("新疆乌鲁木齐包邮吗", False), ("芒果干有货吗", False)):
        assert (covered_share(text, matcher.find(text)) >= COVERED) is bare, text


def test_a_bare_value_the_model_declined_or_doubted_is_an_answer_and_a_sure_question_stays(matcher):
    from rasa.shared.nlu.training_data.message import Message

    from shopbot.nlu.bare_value import BareValue

    def decided(text, intent, confidence):
        message = Message(data={"text": text, "intent": {"name": intent, "confidence": confidence},
                                "entities": matcher.find(text)})
        BareValue().process([message])
        return message.get("intent")["name"]

    assert decided("新疆乌鲁木齐", "nlu_fallback", 0.45) == "inform"
    assert decided("新疆乌鲁木齐", "ask_delivery_time", 0.54) == "inform"
    assert decided("顺丰", "ask_courier", 0.93) == "ask_courier"
    assert decided("新疆乌鲁木齐几天到", "ask_delivery_time", 0.6) == "ask_delivery_time"
