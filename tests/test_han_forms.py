"""The lists of Han characters that only one Chinese standard writes (pixtok/data/han_forms.txt,
derived from Unihan), held to the two national character sets, which Python's codecs encode:
GB 2312 is the Simplified set of mainland China, Big5 the Traditional set of Taiwan."""

from __future__ import annotations

from pixtok.render.language import han_forms


def encodes(character: str, codec: str) -> bool:
    try:
        character.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def test_the_lists_agree_with_the_national_character_sets() -> None:
    """Most Simplified-only characters are in GB 2312 and almost none in Big5; most
    Traditional-only ones are in Big5 and almost none in GB 2312 (the few exceptions are
    characters both sets took in, as 後 and 於 in GB 2312)."""
    simplified, traditional = han_forms()
    assert not simplified & traditional
    in_gb2312 = [c for c in simplified if encodes(c, "gb2312")]
    in_big5 = [c for c in traditional if encodes(c, "big5")]
    assert len(in_gb2312) > 1500 and len(in_big5) > 3000
    assert sum(encodes(c, "big5") for c in simplified) <= 0.02 * len(in_gb2312)
    assert sum(encodes(c, "gb2312") for c in traditional) <= 0.02 * len(in_big5)


def test_characters_both_standards_write_are_in_neither_list() -> None:
    simplified, traditional = han_forms()
    assert {"们", "国", "说"} <= simplified and {"們", "國", "說"} <= traditional
    # 后 is Simplified for 後 and Traditional for "empress"; 中 and 文 are written alike.
    assert not {"后", "中", "文"} & (simplified | traditional)
