from shopbot.nlu.text_normalizer import normalize_text


def test_traditional_characters_become_simplified():
    assert normalize_text("這個有貨嗎") == "这个有货吗"


def test_full_width_letters_and_digits_become_half_width_lower_case():
    assert normalize_text("能發ＳＦ嗎１２３") == "能发sf吗123"


def test_length_is_kept_so_entity_offsets_stay_valid():
    for text in ["乾燥麵包髮貨", "後天發貨😂😂", "ＡＢＣ头发", ""]:
        assert len(normalize_text(text)) == len(text)


def test_pasted_markup_is_read_by_its_words_alone_with_the_offsets_kept():
    from shopbot.nlu.text_normalizer import blank_markup

    line = "<b>芒果干</b>有货吗<img src=x onerror=alert(1)>"
    blanked = blank_markup(line)
    assert len(blanked) == len(line) and blanked.split() == ["芒果干", "有货吗"]
    assert blank_markup("满199减30 <3 哈哈") == "满199减30 <3 哈哈"  # not a tag: kept
