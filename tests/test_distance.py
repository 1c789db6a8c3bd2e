"""Distances between texts: metric properties, agreement with plain reference DPs, tokens, pixels, SSIM."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixtok.errors import UsageError
from pixtok.measure.distance import (
    _common_affixes,
    _cost_matrix,
    compare_pages,
    gaussian_window,
    keyboard_distance,
    levenshtein,
    pixel_distance,
    ssim,
    ssim_map,
    substitution_cost,
    text_distance,
    token_distance,
)
from pixtok.measure.keyboards import get_layout
from pixtok.render.config import RenderConfig
from pixtok.tokenizers import get_tokenizer

# Characters on every Latin layout, characters only some layouts have, and ones none has.
ALPHABET = "aeswdrpoEW3#é ж€"
texts = st.text(alphabet=ALPHABET, max_size=7)
LAYOUT_NAMES = ("qwerty", "dvorak", "azerty", "qwertz")


def reference_edit_distance(
    a: Sequence[object], b: Sequence[object], sub: Callable[[object, object], float]
) -> float:
    """The textbook O(n·m) DP, cell by cell, with unit insertions and deletions."""
    previous = [float(j) for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        current = [float(i)] + [0.0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (0.0 if a[i - 1] == b[j - 1] else sub(a[i - 1], b[j - 1])),
            )
        previous = current
    return previous[-1]


def reference_lcs(a: Sequence[int], b: Sequence[int]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = (
                table[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1] else max(table[i - 1][j], table[i][j - 1])
            )
    return table[-1][-1]


# -- characters -----------------------------------------------------------------------------------


def test_levenshtein_known_values() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("Hello", "Hwllo") == 1
    assert levenshtein("", "abc") == 3
    assert levenshtein([1, 2, 3], [1, 3]) == 1


@settings(max_examples=60, deadline=None)
@given(texts, texts)
def test_levenshtein_matches_the_reference_dp(a: str, b: str) -> None:
    assert levenshtein(a, b) == reference_edit_distance(a, b, lambda x, y: 1.0)


@settings(max_examples=80, deadline=None)
@given(texts, texts, st.sampled_from(LAYOUT_NAMES))
def test_keyboard_distance_matches_the_reference_dp(a: str, b: str, layout: str) -> None:
    expected = reference_edit_distance(a, b, lambda x, y: substitution_cost(x, y, layout))
    assert keyboard_distance(a, b, layout) == pytest.approx(expected, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(texts, texts, texts, st.sampled_from(LAYOUT_NAMES))
def test_keyboard_distance_is_a_metric(a: str, b: str, c: str, layout: str) -> None:
    ab, ba = keyboard_distance(a, b, layout), keyboard_distance(b, a, layout)
    assert ab == ba  # exactly: the pair is ordered before the DP runs
    assert (ab == 0) == (a == b)
    assert ab > 0 or a == b
    assert keyboard_distance(a, c, layout) <= ab + keyboard_distance(b, c, layout) + 1e-9
    # Never more than plain Levenshtein (substitutions cost at most 1), never less than the length gap.
    assert abs(len(a) - len(b)) - 1e-9 <= ab <= levenshtein(a, b) + 1e-9


def test_substitution_cost_is_a_bounded_metric_on_the_whole_layout() -> None:
    keyboard = get_layout("qwerty")
    chars = keyboard.chars + "éж€"
    cost = np.array([[substitution_cost(x, y, keyboard) for y in chars] for x in chars])
    assert np.array_equal(cost, cost.T)
    assert (np.diag(cost) == 0).all() and (cost[~np.eye(len(chars), dtype=bool)] > 0).all()
    assert cost.max() == 1.0  # at most one insertion + one deletion's half: substitution never loses to them
    assert (cost[:, None, :] <= cost[:, :, None] + cost[None, :, :] + 1e-12).all()


def test_hwllo_is_closer_than_hpllo_on_qwerty_but_not_on_dvorak() -> None:
    # QWERTY: w is next to e, p is at the other end of the top row.
    assert keyboard_distance("Hello", "Hwllo", "qwerty") < keyboard_distance("Hello", "Hpllo", "qwerty")
    # Dvorak: e sits on the home row under p; w is on the far right of the bottom row.
    assert keyboard_distance("Hello", "Hwllo", "dvorak") > keyboard_distance("Hello", "Hpllo", "dvorak")
    # Plain Levenshtein cannot tell the two apart.
    assert levenshtein("Hello", "Hwllo") == levenshtein("Hello", "Hpllo") == 1


def test_one_substitution_costs_key_distance_over_diameter() -> None:
    qwerty = get_layout("qwerty")
    assert keyboard_distance("Hello", "Hwllo") == pytest.approx(1.0 / qwerty.diameter)
    assert keyboard_distance("Hello", "HEllo") == pytest.approx(qwerty.shift_weight / qwerty.diameter)
    assert keyboard_distance("Hello", "Héllo") == 1.0  # é has no key on US QWERTY
    assert keyboard_distance("Hello", "Hllo") == 1.0
    assert keyboard_distance("abc", "") == 3.0


def test_keyboard_distance_on_long_texts_strips_common_affixes(corpus_text: Callable[[str], str]) -> None:
    text = corpus_text("en_prose")
    typo = text[:5000] + "w" + text[5001:]
    assert text[5000] != "w"
    assert keyboard_distance(text, typo) == pytest.approx(substitution_cost(text[5000], "w"))


def full_table_distance(a: str, b: str, layout: str) -> float:
    """`keyboard_distance` as it was computed over the whole table, row by row (the operations
    the banded DP must reproduce to the last bit): same canonical order, same stripped affixes,
    same cost matrix."""
    if a == b:
        return 0.0
    if b < a:
        a, b = b, a
    a, b = _common_affixes(a, b)
    if not a or not b:
        return float(len(a) + len(b))
    alphabet = sorted(set(a) | set(b))
    index = {c: i for i, c in enumerate(alphabet)}
    costs = _cost_matrix(alphabet, get_layout(layout))
    ia, ib = [index[c] for c in a], np.array([index[c] for c in b], dtype=np.intp)
    if len(ia) > len(ib):
        ia, ib = list(ib), np.array(ia, dtype=np.intp)
    columns = np.arange(len(ib) + 1, dtype=np.float64)
    row = columns * 1.0
    for i in range(1, len(ia) + 1):
        best = np.empty(len(ib) + 1, dtype=np.float64)
        best[0] = i * 1.0
        np.minimum(row[1:] + 1.0, row[:-1] + costs[ia[i - 1], ib], out=best[1:])
        row = np.minimum.accumulate(best - columns) + columns
    return float(row[-1])


def typed_over(text: str, rng: np.random.Generator, edits: int, alphabet: str) -> str:
    """`text` with `edits` random substitutions, insertions and deletions."""
    chars = list(text)
    for _ in range(edits):
        at = int(rng.integers(0, len(chars) + 1))
        kind = int(rng.integers(0, 3))
        if kind == 0 and at < len(chars):
            chars[at] = alphabet[int(rng.integers(0, len(alphabet)))]
        elif kind == 1:
            chars.insert(at, alphabet[int(rng.integers(0, len(alphabet)))])
        elif at < len(chars):
            del chars[at]
    return "".join(chars)


def test_the_banded_dp_gives_the_full_table_s_distance_to_the_last_bit() -> None:
    """Only the band of diagonals an upper bound allows is computed: the result must still be the
    full table's, bit for bit, on texts that differ by a few edits, by many, or entirely, in any
    script, and when one is empty."""
    rng = np.random.default_rng(20251202)
    alphabets = (ALPHABET, "ab", "asdf ", "The quick brown fox; ЖЭЮ, 中文, ñ€\t", "xy")
    checked = 0
    for trial in range(400):
        alphabet = alphabets[trial % len(alphabets)]
        length = int(rng.choice([0, 1, 2, 7, 40, 150, 400]))
        a = "".join(alphabet[int(k)] for k in rng.integers(0, len(alphabet), length))
        shape = trial % 4
        if shape == 0:
            b = typed_over(a, rng, int(rng.integers(0, 6)), alphabet)
        elif shape == 1:
            b = typed_over(a, rng, int(rng.integers(0, length // 2 + 2)), alphabet)
        elif shape == 2:
            b = "".join(alphabet[int(k)] for k in rng.integers(0, len(alphabet), int(rng.integers(0, 300))))
        else:  # every character near its key: a bound well below Levenshtein's
            b = "".join(c if rng.random() < 0.7 else alphabet[int(rng.integers(0, len(alphabet)))] for c in a)
        layout = LAYOUT_NAMES[trial % len(LAYOUT_NAMES)]
        expected = full_table_distance(a, b, layout)
        assert keyboard_distance(a, b, layout) == expected, (a, b, layout)
        assert keyboard_distance(b, a, layout) == expected
        checked += a != b
    assert checked > 300


def test_keyboard_distance_reports_progress_only_on_a_long_dp(monkeypatch) -> None:
    import pixtok.measure.distance as distance

    calls: list[tuple[int, int]] = []
    keyboard_distance("abcdef" * 50, "zbcdex" * 50, progress=lambda done, total: calls.append((done, total)))
    assert calls == []  # a few thousand cells: no report
    monkeypatch.setattr(distance, "PROGRESS_CELLS", 1000)
    keyboard_distance("abcdef" * 50, "zbcdex" * 50, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 300) and calls[-1] == (300, 300) and len(calls) > 3
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_distance_of_two_long_texts_a_few_typos_apart(run_cli, tmp_path) -> None:
    """Two 50,000-character texts 20 scattered typos apart: the keyboard DP (computed over a band
    as wide as the distance allows, not over 2.5·10^9 cells) gives the typos' own costs."""
    rng = np.random.default_rng(7)
    letters = "etaoin shrdlu"
    text = "".join(letters[int(k)] for k in rng.integers(0, len(letters), 50_000))
    typo = list(text)
    expected = 0.0
    for at in range(1_000, 50_000, 2_500):  # 20 substitutions, far apart
        swap = "w" if typo[at] != "w" else "q"
        expected += substitution_cost(typo[at], swap)
        typo[at] = swap
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_text("".join(typo), encoding="utf-8")
    result = run_cli("distance", "a.txt", "b.txt", "--no-pixels", "-t", "cl100k", "--jsonl", cwd=tmp_path)
    assert result.exit_code == 0 and result.exception is None, result.stderr
    record = json.loads(result.stdout)
    assert record["levenshtein"] == 20
    assert record["keyboard"]["distance"] == pytest.approx(expected, abs=1e-5)


# -- tokens ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mistral-spm", "cl100k", "tekken"])
@pytest.mark.parametrize(("a", "b"), [("Hello", "Hwllo"), ("The quick brown fox", "The quikc brown fox")])
def test_token_distance_agrees_with_the_tokenizers_own_encodings(name: str, a: str, b: str) -> None:
    tokenizer = get_tokenizer(name)
    ids_a, ids_b = tokenizer.encode(a), tokenizer.encode(b)
    result = token_distance(a, b, tokenizer)
    assert (result.tokens_a, result.tokens_b) == (len(ids_a), len(ids_b))
    assert result.edit == reference_edit_distance(ids_a, ids_b, lambda x, y: 1.0)
    lcs = reference_lcs(ids_a, ids_b)
    assert result.changed == len(ids_a) + len(ids_b) - 2 * lcs
    assert (result.removed, result.added) == (len(ids_a) - lcs, len(ids_b) - lcs)
    assert result.changed > 0


def test_a_one_letter_typo_reshuffles_several_tokens() -> None:
    result = token_distance("Hello", "Hwllo", "cl100k")
    assert result.tokens_a == 1 and result.tokens_b > 1
    assert result.edit == result.tokens_b


@settings(max_examples=50, deadline=None)
@given(texts, texts, texts)
def test_token_edit_distance_is_a_metric_for_a_lossless_tokenizer(a: str, b: str, c: str) -> None:
    tok = get_tokenizer("cl100k")  # byte-level BPE: equal ids only for equal texts
    ab = token_distance(a, b, tok)
    assert ab.edit == token_distance(b, a, tok).edit and ab.changed == token_distance(b, a, tok).changed
    assert (ab.edit == 0) == (a == b) == (ab.changed == 0)
    for field in ("edit", "changed"):
        ac = getattr(token_distance(a, c, tok), field)
        assert ac <= getattr(ab, field) + getattr(token_distance(b, c, tok), field)


# -- pixels ---------------------------------------------------------------------------------------

SMALL = RenderConfig(layout="page", page="160x48", size="16px", margin="4px")


def test_identical_texts_render_identically() -> None:
    result = pixel_distance("Hello", "Hello", SMALL)
    assert (result.patches_differ, result.pixels_differ, result.l2, result.ssim) == (0, 0, 0.0, 1.0)
    assert result.patches == 10 * 3


def test_a_typo_changes_a_few_patches_and_is_symmetric() -> None:
    ab = pixel_distance("Hello", "Hwllo", SMALL)
    ba = pixel_distance("Hwllo", "Hello", SMALL)
    assert 0 < ab.patches_differ < ab.patches
    assert (ab.patches_differ, ab.pixels_differ, ab.l2, ab.ssim) == (
        ba.patches_differ,
        ba.pixels_differ,
        ba.l2,
        ba.ssim,
    )
    assert ab.ssim < 1.0
    assert ab.rmse == pytest.approx(ab.l2 / math.sqrt(160 * 48))


def test_pixel_distances_obey_the_triangle_inequality() -> None:
    words = ["Hello", "Hwllo", "Hpllo", "Help", "Hello, world"]
    cfg = RenderConfig(layout="page", page="200x48", size="16px", margin="4px")
    d = {(a, b): pixel_distance(a, b, cfg) for a in words for b in words}
    for a in words:
        for b in words:
            for c in words:
                assert d[a, c].patches_differ <= d[a, b].patches_differ + d[b, c].patches_differ
                assert d[a, c].l2 <= d[a, b].l2 + d[b, c].l2 + 1e-9


def test_pixels_are_a_pseudo_metric_a_trailing_space_is_invisible() -> None:
    assert pixel_distance("Hello", "Hello ", SMALL).patches_differ == 0
    assert token_distance("Hello", "Hello ", "cl100k").edit > 0
    assert levenshtein("Hello", "Hello ") == 1


def test_renders_of_different_sizes_and_page_counts_are_padded_with_the_background() -> None:
    cropped = RenderConfig.from_preset("glyph")
    short = pixel_distance("Hi", "Hi there, a much longer line of text", cropped)
    assert short.patches_differ > 0 and short.width > 30
    paged = RenderConfig(layout="page", page="120x40", size="16px", margin="2px")
    long = pixel_distance("one", "one two three four five six seven eight", paged)
    assert long.pages_a == 1 and long.pages_b > 1
    assert long.patches == long.pages_b * (40 // 16 + 1) * (120 // 16 + 1)
    # A page missing from one side counts as a blank page.
    blank = np.full((40, 120), 255, dtype=np.uint8)
    explicit = compare_pages([blank], [blank, 255 - blank])
    assert explicit.patches_differ == explicit.patches // 2


def test_encoder_view_counts_patches_on_the_encoders_own_grid() -> None:
    page = RenderConfig.from_preset("page-1024")
    result = pixel_distance("Hello world", "Hwllo world", page, encoders=["deepseek-ocr-base", "qwen2.5-vl"])
    # DeepSeek-OCR Base reads a 1024² page as it is, with 16-px patches: the page grid itself.
    base = result.encoders["deepseek-ocr-base"]
    assert (base.patch, base.width, base.height) == (16, 1024, 1024)
    assert (base.patches, base.differ) == (result.patches, result.patches_differ)
    qwen = result.encoders["qwen2.5-vl"]
    assert qwen.patch == 14 and qwen.patches == (qwen.width // 14) * (qwen.height // 14)
    assert qwen.differ > 0


def test_encoders_without_a_patch_grid_are_refused() -> None:
    with pytest.raises(UsageError, match="no patch size"):
        pixel_distance("a", "b", SMALL, encoders=["claude"])


# -- SSIM -----------------------------------------------------------------------------------------


def reference_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """SSIM computed window by window with the explicit 11×11 Gaussian weights (Wang et al. 2004)."""
    g = gaussian_window()
    w = np.outer(g, g)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    values = []
    for i in range(x.shape[0] - 10):
        for j in range(x.shape[1] - 10):
            px, py = x[i : i + 11, j : j + 11].astype(float), y[i : i + 11, j : j + 11].astype(float)
            mx, my = (w * px).sum(), (w * py).sum()
            vx, vy = (w * (px - mx) ** 2).sum(), (w * (py - my) ** 2).sum()
            cov = (w * (px - mx) * (py - my)).sum()
            values.append(((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2)))
    return float(np.mean(values))


def test_gaussian_window_is_normalised_with_sigma_1_5() -> None:
    g = gaussian_window()
    assert len(g) == 11 and g.sum() == pytest.approx(1.0)
    assert g[6] / g[5] == pytest.approx(math.exp(-1 / (2 * 1.5**2)))


def test_ssim_matches_the_windowed_definition() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(0, 256, (20, 23)).astype(np.uint8)
    y = np.clip(x.astype(int) + rng.integers(-40, 40, x.shape), 0, 255).astype(np.uint8)
    assert ssim(x, y) == pytest.approx(reference_ssim(x, y), rel=1e-9)
    assert ssim_map(x, y).shape == (20 - 10, 23 - 10)


def test_ssim_known_properties() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (32, 32)).astype(np.uint8)
    y = rng.integers(0, 256, (32, 32)).astype(np.uint8)
    assert ssim(x, x) == 1.0
    assert ssim(x, y) == ssim(y, x)
    assert -1.0 <= ssim(x, y) < 0.2
    assert ssim(x, 255 - x) < 0  # inverted structure correlates negatively
    # Two flat images: the variance terms cancel and SSIM = (2ab + C1) / (a² + b² + C1).
    a, b, c1 = 100.0, 180.0, (0.01 * 255) ** 2
    flat = ssim(np.full((16, 16), 100, np.uint8), np.full((16, 16), 180, np.uint8))
    assert flat == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1))


def test_ssim_refuses_images_smaller_than_the_window() -> None:
    with pytest.raises(UsageError, match="11×11"):
        ssim(np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8))


# -- all at once ----------------------------------------------------------------------------------


def test_text_distance_record_has_the_documented_keys() -> None:
    record = text_distance("Hello", "Hwllo", tokenizers=["cl100k"], config=SMALL, layout="dvorak")
    assert list(record) == ["chars_a", "chars_b", "levenshtein", "keyboard", "tokens", "pixels"]
    assert record["keyboard"]["layout"] == "dvorak"
    assert record["tokens"]["cl100k"]["edit"] == token_distance("Hello", "Hwllo", "cl100k").edit
    assert record["pixels"]["patches_differ"] > 0


def test_pad_square_encoders_keep_the_aspect_ratio() -> None:
    from pixtok.encoders import get_encoder
    from pixtok.measure.distance import encoder_view

    page = np.full((200, 100), 255, dtype=np.uint8)
    page[:, :50] = 0  # left half black: stretched it would fill half the square, padded a quarter
    view, patch = encoder_view(page, get_encoder("deepseek-ocr-base"))
    assert view.shape == (1024, 1024) and patch == 16
    dark = np.count_nonzero(view[512] < 64)
    assert 256 - 8 <= dark <= 256 + 8
    assert (view[:, :250] == 127).all() and (view[:, -250:] == 127).all()  # centred grey padding


def test_an_empty_text_has_no_pages_and_compares_as_blank_pages() -> None:
    result = pixel_distance("", "Hello", SMALL)
    assert (result.pages_a, result.pages_b) == (0, 1)
    assert result.patches == 30 and result.patches_differ > 0
    assert pixel_distance(" ", "", SMALL).patches == 0
