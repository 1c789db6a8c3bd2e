# cython: language_level=3
"""Characters to runs, in a few walks over the characters.

`itemize.Itemizer` keeps per-code-point tables (script and flags of every character, the chain's
font for it) and the rules of HarfBuzz's and Pango's itemisation: characters of no script take
the font and script of the letters around them, marks the font of the letter they follow, and a
run ends wherever font, script group, bidi level or language change. Written as numpy, each rule
was a handful of gathers, cumulative maxima and masks; a text of a few hundred characters cost
tens of such calls whose fixed cost, not the characters, made up the time. Here each rule is a
walk over the characters, forward for "the last one before" and backward for "the first one
after", in the same order of steps, so every choice is the one the rules make.

The per-character state lives in one scratch block of C memory, not in numpy arrays: allocating
and viewing a dozen arrays cost more than walking a page of text. A first walk (the survey)
notes what the text holds; when it is one font, one script, one direction and one language
(most prose), the text is one run and nothing more is walked. Otherwise a second walk (the
scan) records what each character is, and the rules follow. `itemize_known` reads each
character's properties and font from the Itemizer's tables itself, and declines (returns None)
when a table lacks a character or the text may hold emoji: the Itemizer then resolves those
first and passes the text to `itemize_pass`.

Paragraphs end at newlines: a newline belongs to the paragraph it ends, and neighbours are only
looked for within a paragraph.
"""

cimport numpy as cnp
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t
from libc.stdlib cimport calloc, free, malloc

from pixtok.render._arrays cimport (
    new_array, new_zeros, read_int32, read_int64, read_int8, read_uint16, read_uint32, read_uint8,
    read_uint8_matrix, write_int32, write_int64, write_int8, write_uint16,
)

cnp.import_array()

#: Flags of the property table (above the 8-bit script index), as `itemize` defines them.
cdef uint16_t SCRIPT_BITS = 0xFF
#: Entries of a table with one for every code point (U+0000-U+10FFFF).
cdef Py_ssize_t CODE_POINTS = 0x110000
cdef uint16_t MARK = 1 << 8
cdef uint16_t INVISIBLE = 1 << 9
cdef uint16_t STRONG = 1 << 10
cdef uint16_t SPACE = 1 << 11
cdef uint16_t EMOJI = 1 << 12
cdef uint16_t SIMPLIFIED = 1 << 13  # a Han character only Simplified Chinese writes
cdef uint16_t TRADITIONAL = 1 << 14  # a Han character only Traditional Chinese writes

#: Code points of the Basic Multilingual Plane, where coverage is a table lookup.
cdef uint32_t BMP = 0x10000
#: The script index of Inherited (Common's is 0): the itemizer's table starts with the two.
cdef int16_t INHERITED_SCRIPT = 1

# What each character is, as bits of its byte in `Text.kind`.
cdef enum:
    NEWLINE = 1  # U+000A: ends a paragraph
    LETTER_OF_SCRIPT = 2  # a letter or mark of some script (STRONG)
    ATTACHED = 4  # a mark or invisible character (not a newline): follows what it attaches to
    LETTER = 8  # of some script and not attached
    PINNED = 16  # in an emoji sequence whose font the chain chose whole
    COMMON = 32  # of no script, not attached, not a newline, not pinned
    LETTER_WITH_FONT = 64  # a letter some font has (marked only when some letter has none)


cdef struct Text:
    # The text and its inputs.
    Py_ssize_t n
    const uint32_t* cps
    const int8_t* levels
    const uint16_t* props
    const int32_t* base
    # Per-character state, in one scratch block (`gathered_*`: the inputs when read from tables).
    void* block
    uint16_t* gathered_props
    int32_t* gathered_base
    uint8_t* kind
    int32_t* font
    int16_t* resolved
    int8_t* code
    int8_t* level
    Py_ssize_t* nearest
    # What the survey found.
    int32_t paragraphs  # newlines seen
    bint has_levels  # some level is not 0
    bint any_text  # some character is not a newline
    bint one_font  # all characters but newlines have the same font...
    int32_t drawn_font  # ... this one (-3: there are none)
    bint one_script  # all letters have the same script...
    int16_t first_script  # ... this one (-1: there are none)
    Py_ssize_t han_balance  # characters only Traditional Chinese writes, less those only Simplified
    bint orphans  # some paragraph has characters but no letter
    bint any_pinned  # some character's font is pinned
    # What the scan found.
    bint any_missing_letter  # some letter has no font
    bint any_common  # some character is of no script (and neither attached nor pinned)


cdef struct Rules:
    # What the rules need beyond the characters, as plain pointers (see `ItemizeRules`).
    const uint8_t* coverage  # fonts x BMP, row-major
    int64_t user_count
    const uint8_t* cjk_script
    int64_t hangul_script
    bint language_given
    const int64_t* kana_edges
    Py_ssize_t kana_count
    const int64_t* hangul_edges
    Py_ssize_t hangul_count


def gather_properties(table_array, cps_array, uint16_t unseen):
    """(table[cps], how many are `unseen`, the bitwise or of all of them): the per-character
    properties of a text, whether the table lacks some, and which flags occur at all."""
    cdef Py_ssize_t table_n, cps_n
    cdef const uint16_t* table = read_uint16(table_array, &table_n)
    cdef const uint32_t* cps = read_uint32(cps_array, &cps_n)
    cdef Py_ssize_t n = cps_n, i
    if table_n < CODE_POINTS:
        raise ValueError("the table must have an entry for every code point")
    props = new_array(n, cnp.NPY_UINT16)
    cdef uint16_t* out = write_uint16(props, NULL)
    cdef Py_ssize_t missing = 0
    cdef uint16_t value, any_flags = 0
    with nogil:
        for i in range(n):
            value = table[cps[i]]
            out[i] = value
            if value == unseen:
                missing += 1
            else:
                any_flags |= value
    return props, missing, any_flags


def gather_fonts(table_array, cps_array):
    """(table[cps], whether any entry is not yet a font: below -1): the chain's font for each
    character of a text (-1: no font has it)."""
    cdef Py_ssize_t table_n, cps_n
    cdef const int32_t* table = read_int32(table_array, &table_n)
    cdef const uint32_t* cps = read_uint32(cps_array, &cps_n)
    cdef Py_ssize_t n = cps_n, i
    if table_n < CODE_POINTS:
        raise ValueError("the table must have an entry for every code point")
    fonts = new_array(n, cnp.NPY_INT32)
    cdef int32_t* out = write_int32(fonts, NULL)
    cdef bint unresolved = False
    with nogil:
        for i in range(n):
            out[i] = table[cps[i]]
            if out[i] < -1:
                unresolved = True
    return fonts, unresolved


#: Code points decided together when one of them is first met (`decide_blocks`).
DECIDED_BLOCK = 256
cdef Py_ssize_t BLOCK = DECIDED_BLOCK


def decide_blocks(
    coverage_array,
    script_class_array,
    class_font_array,
    int64_t user_count,
    int32_t none,
    int32_t unasked,
    table_array,
    cps_array,
):
    """Fill `table` (int32) with the font `FontChain.font_index` picks for every code point in
    each block of DECIDED_BLOCK code points of the Basic Multilingual Plane that holds one of
    `cps` (uint32) still `unasked` there, by the chain's rule: the first of the user's fonts
    that has it, else the bundled font of its script (`class_font[script_class[cp]]`, uint8
    and int32; none when that is -1 or the class is beyond `class_font`) if that has it, else
    the first font that has it; `none` where no font has it. `coverage[f, cp]` (uint8, one row
    per font) says whether font f has code point cp. A text meets few blocks its Itemizer has
    not met, and a block costs a few microseconds: cheaper than deciding its characters one by
    one, and than deciding the whole plane for a Renderer that draws one short text."""
    cdef Py_ssize_t fonts, points, script_n, classes, table_n, cps_n
    cdef const uint8_t* coverage = read_uint8_matrix(coverage_array, &fonts, &points)
    cdef const uint8_t* script_class = read_uint8(script_class_array, &script_n)
    cdef const int32_t* class_font = read_int32(class_font_array, &classes)
    cdef int32_t* table = write_int32(table_array, &table_n)
    cdef const uint32_t* cps = read_uint32(cps_array, &cps_n)
    cdef Py_ssize_t users = min(user_count, fonts)
    cdef Py_ssize_t i, f, cp, first_cp
    cdef int32_t found, wanted
    cdef uint32_t point
    if script_n < points or table_n < points:
        raise ValueError("script_class and table must cover the code points of coverage")
    with nogil:
        for i in range(cps_n):
            point = cps[i]
            if point >= points or table[point] != unasked:
                continue
            first_cp = point - point % BLOCK
            for cp in range(first_cp, min(first_cp + BLOCK, points)):
                found = -1
                for f in range(users):
                    if coverage[f * points + cp]:
                        found = <int32_t>f
                        break
                wanted = class_font[script_class[cp]] if script_class[cp] < classes else -1
                if found < 0 and 0 <= wanted < fonts and coverage[wanted * points + cp]:
                    found = wanted
                if found < 0:
                    for f in range(fonts):
                        if coverage[f * points + cp]:
                            found = <int32_t>f
                            break
                table[cp] = found if found >= 0 else none


cdef class ItemizeRules:
    """What the rules need beyond the characters, for one call of `itemize_known` or
    `itemize_pass`: `coverage[f, cp]` says whether font `f` has a BMP code point,
    `covers_beyond(f, cp)` one beyond it, fonts before `user_count` are the user's; `cjk_script`
    marks the script indices of the Han-kana-Bopomofo group, `hangul_script` is Hangul's index.
    Without `language_given`, CJK and Hangul characters take the language of their paragraph
    (an index into `languages`, which is then `language.CJK_LANGUAGES`) from the kana and Hangul
    ranges given by their edges. `script_names[k]` is the tag of script index k (None: HarfBuzz
    guesses it). The arrays are held here, so the pointers the walks read stay valid.
    """

    cdef Rules data
    cdef object covers_beyond
    cdef list script_names
    cdef tuple languages
    cdef tuple arrays

    def __init__(
        self,
        object coverage,
        object covers_beyond,
        int64_t user_count,
        object cjk_script,
        int64_t hangul_script,
        bint language_given,
        object kana_edges,
        object hangul_edges,
        list script_names,
        tuple languages,
    ):
        cdef Py_ssize_t fonts, points
        self.arrays = (coverage, cjk_script, kana_edges, hangul_edges)
        self.covers_beyond = covers_beyond
        self.script_names = script_names
        self.languages = languages
        self.data.coverage = read_uint8_matrix(coverage, &fonts, &points)
        if fonts == 0:
            self.data.coverage = NULL
        self.data.user_count = user_count
        self.data.cjk_script = read_uint8(cjk_script, NULL)
        self.data.hangul_script = hangul_script
        self.data.language_given = language_given
        self.data.kana_edges = read_int64(kana_edges, &self.data.kana_count)
        self.data.hangul_edges = read_int64(hangul_edges, &self.data.hangul_count)


def itemize_known(
    property_table_array,
    uint16_t unseen,
    font_table_array,
    cps_array,
    levels_array,
    ItemizeRules rules,
):
    """`itemize_pass` for a text whose characters the tables already describe: their properties
    come from `property_table`, their fonts from `font_table` (the chain's, as `gather_properties`
    and `gather_fonts` read them), with none pinned. Returns None, having decided nothing, when a
    character is `unseen` in the first table or not yet resolved (below -1) in the second, or may
    be part of an emoji sequence: the caller resolves those and calls `itemize_pass`.
    """
    cdef Py_ssize_t property_table_n, font_table_n, cps_n, levels_n
    cdef const uint16_t* property_table = read_uint16(property_table_array, &property_table_n)
    cdef const int32_t* font_table = read_int32(font_table_array, &font_table_n)
    cdef const uint32_t* cps = read_uint32(cps_array, &cps_n)
    cdef const int8_t* levels = read_int8(levels_array, &levels_n)
    cdef Text t
    if property_table_n < CODE_POINTS or font_table_n < CODE_POINTS:
        raise ValueError("the tables must have an entry for every code point")
    if levels_n != cps_n:
        raise ValueError("cps and levels differ in length")
    _allocate(&t, cps_n, True)
    try:
        t.cps = &cps[0] if t.n else NULL
        t.levels = &levels[0] if t.n else NULL
        if not _survey(&t, &property_table[0], unseen, &font_table[0]):
            return None
        t.any_pinned = False
        return _itemize(&t, rules, NULL, &property_table[0], &font_table[0])
    finally:
        free(t.block)


def itemize_pass(
    cps_array,
    props_array,
    base_array,
    pinned_array,
    levels_array,
    ItemizeRules rules,
):
    """The runs of a text, and the characters no font has.

    `props` are the characters' script indices and flags, `base` the chain's font for each
    (-1: none has it), `pinned` the characters of emoji sequences whose font the chain chose
    whole (empty: none), `levels` their bidi embedding levels.

    Returns (start, end, font, level, script, language, lacking): per run its [start, end)
    offsets, font and level as arrays; its script (`rules.script_names[k]` for the script index
    k of its first letter, None when it has none) and language (`rules.languages[c]` for its
    language code c, "" for the default) as lists; and the offsets of the visible characters no
    font has.
    """
    cdef Py_ssize_t cps_n, props_n, base_n, pinned_n, levels_n
    cdef const uint32_t* cps = read_uint32(cps_array, &cps_n)
    cdef const uint16_t* props = read_uint16(props_array, &props_n)
    cdef const int32_t* base = read_int32(base_array, &base_n)
    cdef const uint8_t* pinned = read_uint8(pinned_array, &pinned_n)
    cdef const int8_t* levels = read_int8(levels_array, &levels_n)
    cdef Text t
    if not (props_n == base_n == levels_n == cps_n) or pinned_n not in (0, cps_n):
        raise ValueError("the per-character columns differ in length")
    _allocate(&t, cps_n, False)
    try:
        t.cps = &cps[0] if t.n else NULL
        t.levels = &levels[0] if t.n else NULL
        t.props = &props[0] if t.n else NULL
        t.base = &base[0] if t.n else NULL
        _survey(&t, NULL, 0, NULL)
        t.any_pinned = pinned_n > 0 and _any(&pinned[0], pinned_n)
        return _itemize(&t, rules, &pinned[0] if pinned_n > 0 else NULL, NULL, NULL)
    finally:
        free(t.block)


cdef object _itemize(
    Text* t, ItemizeRules rules, const uint8_t* pinned, const uint16_t* property_table, const int32_t* font_table
):
    """The runs of a surveyed text: at once when it is one run, else after the scan and the rules."""
    runs = _one_run_or_none(t, &rules.data, rules.script_names, rules.languages)
    if runs is not None:
        return runs
    _scan(t, pinned, property_table, font_table)
    return _apply_rules(t, &rules.data, rules.covers_beyond, rules.script_names, rules.languages)


cdef int _allocate(Text* t, Py_ssize_t n, bint gather) except -1:
    """One scratch block for the per-character state of `n` characters (and, with `gather`, for
    their properties and fonts), widest fields first so that each is aligned."""
    cdef size_t per_char = sizeof(Py_ssize_t) + 4 + 2 + 1 + 1 + 1 + (4 + 2 if gather else 0)
    cdef char* block = <char*>malloc(n * per_char + 1)
    if block == NULL:
        raise MemoryError()
    t.n = n
    t.block = block
    t.nearest = <Py_ssize_t*>block
    block += n * sizeof(Py_ssize_t)
    t.font = <int32_t*>block
    block += n * 4
    t.gathered_base = <int32_t*>block if gather else NULL
    block += n * 4 if gather else 0
    t.resolved = <int16_t*>block
    block += n * 2
    t.gathered_props = <uint16_t*>block if gather else NULL
    block += n * 2 if gather else 0
    t.code = <int8_t*>block
    t.level = <int8_t*>(block + n)
    t.kind = <uint8_t*>(block + 2 * n)
    if gather:
        t.props = t.gathered_props
        t.base = t.gathered_base
    return 0


cdef bint _survey(Text* t, const uint16_t* property_table, uint16_t unseen, const int32_t* font_table) noexcept:
    """What the text holds, as the rules' first questions ask it: its fonts, scripts, levels and
    paragraphs (see `Text`). With tables, each character's properties and font are read from
    them, and the walk stops (False) at one they do not resolve or that may start an emoji
    sequence; without, from `props` and `base`.

    Most texts are one run, which this walk alone decides, so it is kept lean: it writes
    nothing per character, and rather than branch on each letter (letters, spaces and marks
    alternate too irregularly for branches to be predicted) it keeps the least and greatest
    font, and the bitwise or and and of the letters' scripts: all are one where these agree.
    """
    cdef Py_ssize_t n = t.n, i
    cdef const uint32_t* cps = t.cps
    cdef const int8_t* levels = t.levels
    cdef const uint16_t* props = t.props
    cdef const int32_t* base = t.base
    cdef uint32_t cp
    cdef uint16_t p, strong, letter_mask, scripts_or = 0, scripts_and = SCRIPT_BITS
    cdef int32_t b, least = 0x7FFFFFFF, greatest = -0x7FFFFFFF
    cdef int8_t any_levels = 0
    cdef uint16_t any_letter = 0, has_letter = 0
    cdef bint orphans = False, has_text = False, any_text = False
    cdef int32_t paragraphs = 0
    cdef Py_ssize_t han_balance = 0
    for i in range(n):
        cp = cps[i]
        if property_table != NULL:
            p = property_table[cp]
            b = font_table[cp]
            if (p == unseen) | ((p & EMOJI) != 0) | (b < -1):
                return False
        else:
            p = props[i]
            b = base[i]
        any_levels |= levels[i]
        han_balance += ((p & TRADITIONAL) != 0) - ((p & SIMPLIFIED) != 0)
        strong = (p & STRONG) >> 10
        letter_mask = -strong  # all ones for a letter, else zero
        scripts_or |= p & SCRIPT_BITS & letter_mask
        scripts_and &= (p & SCRIPT_BITS) | ~letter_mask
        has_letter |= strong
        if cp == 10:
            paragraphs += 1
            orphans = orphans or (has_text and not has_letter)
            any_letter |= has_letter
            has_text = False
            has_letter = 0
            continue
        has_text = True
        least = b if b < least else least
        greatest = b if b > greatest else greatest
    any_letter |= has_letter
    any_text = least <= greatest
    t.paragraphs = paragraphs
    t.has_levels = any_levels != 0
    t.any_text = any_text
    t.one_font = any_text and least == greatest
    t.drawn_font = least if any_text else -3
    t.one_script = not any_letter or scripts_or == scripts_and
    t.first_script = <int16_t>scripts_or if any_letter else -1
    t.han_balance = han_balance
    t.orphans = orphans or (has_text and not has_letter)
    return True


cdef void _scan(Text* t, const uint8_t* pinned, const uint16_t* property_table, const int32_t* font_table) noexcept:
    """What each character is (`kind`), and its font and level as the rules start from them.
    With tables, each character's properties and font are read from them into `props` and
    `base` first. `pinned` (NULL: none) marks characters whose font is decided."""
    cdef Py_ssize_t n = t.n, i
    cdef const uint32_t* cps = t.cps
    cdef const int8_t* levels = t.levels
    cdef const uint16_t* props = t.props
    cdef const int32_t* base = t.base
    cdef uint16_t* gathered_props = t.gathered_props
    cdef int32_t* gathered_base = t.gathered_base
    cdef uint8_t* kinds = t.kind
    cdef int32_t* font = t.font
    cdef int8_t* level = t.level
    cdef uint32_t cp
    cdef uint16_t p
    cdef int32_t b
    cdef uint8_t newline, strong, attached, letter, pin, common
    cdef uint8_t any_missing_letter = 0, any_common = 0
    for i in range(n):
        cp = cps[i]
        if property_table != NULL:
            p = property_table[cp]
            b = font_table[cp]
            gathered_props[i] = p
            gathered_base[i] = b
        else:
            p = props[i]
            b = base[i]
        font[i] = b
        level[i] = levels[i]
        newline = cp == 10
        strong = (p & STRONG) >> 10
        attached = ((p & (MARK | INVISIBLE)) != 0) & (newline ^ 1)
        letter = strong & (attached ^ 1)
        pin = pinned != NULL and pinned[i] != 0
        common = (strong | attached | newline | pin) ^ 1
        kinds[i] = (
            newline * NEWLINE
            | strong * LETTER_OF_SCRIPT
            | attached * ATTACHED
            | letter * LETTER
            | pin * PINNED
            | common * COMMON
        )
        any_missing_letter |= letter & (b < 0)
        any_common |= common
    t.any_missing_letter = any_missing_letter
    t.any_common = any_common


cdef object _one_run_or_none(Text* t, const Rules* r, list script_names, tuple languages):
    """The runs of a text that the survey shows to be one run, else None.

    When every character that is not a newline has the same font and level, and the script of
    the first letter (Common, 0, when there is none: a paragraph without letters would have
    it), the text is one run unless its language is inferred for it and its paragraphs'
    languages differ.
    """
    cdef int16_t script = t.first_script if t.first_script >= 0 else 0
    if not (t.one_font and t.drawn_font >= 0 and not t.any_pinned and t.one_script and not t.has_levels):
        return None
    if t.first_script >= 0 and t.orphans:
        return None
    if r.language_given:
        return _one_run(t.n, t.drawn_font, t.first_script, 0, script_names, languages, [])
    if not (r.cjk_script[script] or script == r.hangul_script):
        return _one_run(t.n, t.drawn_font, t.first_script, -1, script_names, languages, [])
    cdef int8_t code = _one_language(t, r)
    if code >= 0:
        return _one_run(t.n, t.drawn_font, t.first_script, code, script_names, languages, [])
    return None


cdef int8_t _one_language(const Text* t, const Rules* r) noexcept:
    """The language `_infer_languages` gives every character of a text whose letters are all of
    one CJK or Hangul script, when all its paragraphs have the same one; else -1. A paragraph
    with kana is Japanese (0), one with Hangul Korean (1), one with neither takes the
    document's language: Japanese with kana anywhere, else Chinese (`_chinese`). (Korean, the rule's
    other choice, cannot be the document's here: Hangul is a script of its own, so a text with
    Hangul letters and one script has Hangul in every paragraph with text.)"""
    cdef Py_ssize_t i
    cdef uint32_t cp
    cdef bint kana = False, hangul = False, has_text = False
    cdef int kinds = 0  # bit 0: a paragraph with kana, 1: with Hangul and no kana, 2: neither
    for i in range(t.n):
        cp = t.cps[i]
        if cp == 10:
            if has_text:
                kinds |= 1 if kana else 2 if hangul else 4
            kana = hangul = has_text = False
            continue
        has_text = True
        kana = kana or _within(r.kana_edges, r.kana_count, cp)
        hangul = hangul or _within(r.hangul_edges, r.hangul_count, cp)
    if has_text:
        kinds |= 1 if kana else 2 if hangul else 4
    if kinds & 4 and kinds & 1:  # paragraphs of neither are Japanese in a document with kana
        kinds = (kinds & 3) | 1
    if kinds == 1:
        return 0
    if kinds == 2:
        return 1
    if kinds == 4:
        return _chinese(t)
    return -1


cdef int8_t _chinese(const Text* t) noexcept:
    """The language of a Chinese document: Traditional (3) when more of its characters are
    written only in Traditional Chinese than only in Simplified Chinese, else Simplified (2)."""
    return 3 if t.han_balance > 0 else 2


cdef object _apply_rules(Text* t, const Rules* r, object covers_beyond, list script_names, tuple languages):
    """The rest of the rules, after the first walk: fonts, scripts, languages, then the runs."""
    cdef Py_ssize_t n = t.n, i
    cdef Py_ssize_t near, after
    cdef const uint32_t* cps = t.cps
    cdef const uint16_t* props = t.props
    cdef const int32_t* base = t.base
    cdef uint8_t* kinds = t.kind
    cdef const uint8_t* cjk_script = r.cjk_script
    cdef int32_t* font = t.font
    cdef int16_t* resolved = t.resolved
    cdef int8_t* code = t.code
    cdef int8_t* level = t.level
    cdef Py_ssize_t* nearest = t.nearest
    cdef uint8_t kind
    cdef int32_t candidate, b
    cdef int16_t script
    cdef int64_t user_count = r.user_count, hangul_script = r.hangul_script
    cdef bint language_given = r.language_given
    cdef int8_t default_code = 0 if language_given else -1
    cdef bint one_font = t.one_font and t.drawn_font >= 0 and not t.any_pinned
    cdef bint one_script = t.one_script and not (t.first_script >= 0 and t.orphans)
    cdef bint any_lacking = False
    cdef bint any_inferred = False
    cdef int8_t first_code = -2
    cdef bint one_code = True
    cdef list lacking = []

    if not one_font:
        # Letters no font has take the font of the nearest letter that has one.
        if t.any_missing_letter:
            for i in range(n):
                if kinds[i] & LETTER and base[i] >= 0:
                    kinds[i] |= LETTER_WITH_FONT
            _nearest(t, LETTER_WITH_FONT)
            for i in range(n):
                if kinds[i] & LETTER and base[i] < 0:
                    font[i] = base[nearest[i]] if nearest[i] >= 0 else 0
        # Characters of no script take the font of the nearest letter when it has them, unless a
        # user font that comes first has them.
        if t.any_common:
            _nearest(t, LETTER)
            for i in range(n):
                near = nearest[i]
                if not (kinds[i] & COMMON) or near < 0:
                    continue
                candidate = font[near]
                b = base[i]
                if 0 <= b < user_count and b < candidate:
                    continue
                if _covers(r, covers_beyond, candidate, cps[i]):
                    font[i] = candidate
        # Marks and invisible characters take the font of the character they follow in their
        # paragraph when it has them (invisible ones always). What no font has (its font is
        # final once the walk has passed it) is reported when visible.
        near = -1
        for i in range(n):
            kind = kinds[i]
            if i and kinds[i - 1] & NEWLINE:
                near = -1
            if kind & ATTACHED and not kind & PINNED:
                if near >= 0:
                    candidate = font[near]
                    if (props[i] & INVISIBLE) or _covers(r, covers_beyond, candidate, cps[i]):
                        font[i] = candidate
            elif not kind & NEWLINE:
                near = i
            if (font[i] < 0 or (kind & LETTER and base[i] < 0)) and not kind & NEWLINE:
                any_lacking = True
                if not (props[i] & (INVISIBLE | SPACE)):
                    lacking.append(i)
        # What no font has is drawn with the font of what comes before.
        if any_lacking:
            candidate = -1
            for i in range(n):
                if kinds[i] & NEWLINE:
                    continue
                if font[i] >= 0:
                    candidate = font[i]
                else:
                    font[i] = candidate if candidate >= 0 else 0

    # Scripts: letters keep theirs, everything else takes that of the nearest letter drawn in
    # its font, else of the nearest letter. Languages: the one given, else the default, except
    # for CJK and Hangul characters (inferred below).
    _nearest(t, LETTER_OF_SCRIPT)
    if not one_font:
        _nearest_in_own_font(t)
    for i in range(n):
        near = nearest[i]
        script = <int16_t>(props[near] & SCRIPT_BITS) if near >= 0 else 0
        resolved[i] = script
        code[i] = default_code
        any_inferred = any_inferred or cjk_script[script] != 0 or script == hangul_script
    if any_inferred and not language_given:
        _infer_languages(t, r)
    for i in range(n):
        if not kinds[i] & NEWLINE:
            if first_code == -2:
                first_code = code[i]
            elif code[i] != first_code:
                one_code = False
                break
    if one_font and one_script and first_code != -2 and one_code and not t.has_levels:
        # One font, one script, one direction and one language: the text is one run.
        return _one_run(n, t.drawn_font, t.first_script, first_code, script_names, languages, lacking)

    # A newline joins the run before it (else the one after it), so consecutive paragraphs in
    # one font, script, direction and language are one run.
    if t.paragraphs:
        near = -1
        for i in range(n):
            if kinds[i] & NEWLINE:
                nearest[i] = near
            else:
                near = i
        after = -1
        for i in range(n - 1, -1, -1):
            if not kinds[i] & NEWLINE:
                after = i
                continue
            near = nearest[i] if nearest[i] >= 0 else after
            if near >= 0:
                font[i] = font[near]
                resolved[i] = resolved[near]
                code[i] = code[near]
                level[i] = level[near]
            else:
                font[i] = 0
    return _runs(t, r, script_names, languages, lacking)


cdef int _covers(const Rules* r, object covers_beyond, int32_t font, uint32_t cp) except -1:
    """Whether font `font` (-1: none) has code point `cp`."""
    if font < 0:
        return False
    if cp < BMP:
        return r.coverage[<Py_ssize_t>font * BMP + cp] != 0
    return bool(covers_beyond(font, cp))


cdef void _nearest(Text* t, uint8_t mask) noexcept:
    """For each character, the nearest one of a kind in `mask` in its paragraph, into `nearest`:
    the last one at or before it, else the first one at or after it; -1 when the paragraph has
    none."""
    cdef Py_ssize_t n = t.n, i, last = -1
    cdef const uint8_t* kinds = t.kind
    cdef Py_ssize_t* nearest = t.nearest
    for i in range(n):
        if i and kinds[i - 1] & NEWLINE:
            last = -1
        last = i if kinds[i] & mask else last
        nearest[i] = last
    last = -1
    for i in range(n - 1, -1, -1):
        if kinds[i] & NEWLINE:
            last = -1
        last = i if kinds[i] & mask else last
        if nearest[i] < 0:
            nearest[i] = last


cdef int _nearest_in_own_font(Text* t) except -1:
    """For each character without a script of its own whose nearest letter (`nearest`) is drawn
    in another font, the nearest letter of its paragraph drawn in its own font instead (the last
    one before it, else the first one after it), when there is one.

    Full-width punctuation after a Latin word ("Debian？" in Japanese text) is drawn by the CJK
    font, not the Latin one; its glyph forms are the CJK text's (HarfBuzz picks Japanese,
    Traditional Chinese or Korean forms by script and language), and it shapes with that text
    in one run."""
    cdef Py_ssize_t n = t.n, i, j, near, start = 0, limit = n
    cdef const uint8_t* kinds = t.kind
    cdef const int32_t* font = t.font
    cdef Py_ssize_t* nearest = t.nearest
    cdef int32_t fonts = 0, f
    cdef bint pending = False
    for i in range(n):
        fonts = max(fonts, font[i] + 1)
    cdef Py_ssize_t* letter = <Py_ssize_t*>malloc(max(fonts, 1) * sizeof(Py_ssize_t))
    if letter == NULL:
        raise MemoryError()
    for f in range(fonts):
        letter[f] = -1
    # Forward: the last letter in each font; a character with none before it in its paragraph
    # is marked (-2 - its nearest letter) for the walk back.
    for i in range(n):
        if i and kinds[i - 1] & NEWLINE:
            start = i
        f = font[i]
        if kinds[i] & LETTER_OF_SCRIPT:
            if f >= 0:
                letter[f] = i
            continue
        near = nearest[i]
        if kinds[i] & NEWLINE or near < 0 or f < 0 or font[near] == f:
            continue
        j = letter[f]
        if j >= start:
            nearest[i] = j
        else:
            nearest[i] = -2 - near
            pending = True
    if pending:
        # Backward: the first letter in each font after the character, in its paragraph (a
        # newline ends the paragraph before it and belongs to it).
        for f in range(fonts):
            letter[f] = n
        for i in range(n - 1, -1, -1):
            if kinds[i] & NEWLINE:
                limit = i + 1
                continue
            f = font[i]
            if kinds[i] & LETTER_OF_SCRIPT:
                if f >= 0:
                    letter[f] = i
                continue
            if nearest[i] <= -2:
                j = letter[f]
                nearest[i] = j if j < limit else -2 - nearest[i]
    free(letter)
    return 0


cdef inline bint _starts_run(const Text* t, const Rules* r, Py_ssize_t i) noexcept:
    """Whether a run starts at character `i`: the first, or font, script group (the CJK group
    counts as one script), level or (when inferred) language change there."""
    if i == 0:
        return True
    return (
        t.font[i] != t.font[i - 1]
        or _group(t.resolved[i], r) != _group(t.resolved[i - 1], r)
        or t.level[i] != t.level[i - 1]
        or (not r.language_given and t.code[i] != t.code[i - 1])
    )


cdef inline int16_t _group(int16_t script, const Rules* r) noexcept:
    return -1 if r.cjk_script[script] else script


cdef object _runs(Text* t, const Rules* r, list script_names, tuple languages, list lacking):
    """The runs, ending wherever font, level, script group or language change; the script of
    a run is that of its first letter (with none, the one its characters took from theirs)."""
    cdef Py_ssize_t n = t.n, i, j, k, runs = 0
    cdef Py_ssize_t* run_start = t.nearest  # no longer needed as neighbours
    for i in range(n):
        if _starts_run(t, r, i):
            run_start[runs] = i
            runs += 1
    start_array = new_array(runs, cnp.NPY_INT64)
    end_array = new_array(runs, cnp.NPY_INT64)
    font_array = new_array(runs, cnp.NPY_INT32)
    level_array = new_array(runs, cnp.NPY_INT8)
    cdef int64_t* start = write_int64(start_array, NULL)
    cdef int64_t* end = write_int64(end_array, NULL)
    cdef int32_t* font = write_int32(font_array, NULL)
    cdef int8_t* level = write_int8(level_array, NULL)
    cdef list scripts = [None] * runs
    cdef list codes = [""] * runs
    for j in range(runs):
        k = run_start[j]
        start[j] = k
        end[j] = run_start[j + 1] if j + 1 < runs else n
        font[j] = t.font[k]
        level[j] = t.level[k]
        if t.code[k] >= 0:
            codes[j] = languages[t.code[k]]
        while k < end[j]:
            if t.kind[k] & LETTER_OF_SCRIPT:
                scripts[j] = script_names[t.props[k] & SCRIPT_BITS]
                break
            k += 1
        else:
            # No letter of its own: the script its characters took from their letter, so that
            # HarfBuzz picks the glyph forms of that script and language (None when that is
            # Common or Inherited: HarfBuzz guesses).
            k = run_start[j]
            if t.resolved[k] > INHERITED_SCRIPT:
                scripts[j] = script_names[t.resolved[k]]
    return start_array, end_array, font_array, level_array, scripts, codes, lacking


cdef object _one_run(
    Py_ssize_t n, int32_t font, int16_t script, int8_t code, list script_names, tuple languages, list lacking
):
    """The runs of a text that is one run."""
    end, run_font = new_array(1, cnp.NPY_INT64), new_array(1, cnp.NPY_INT32)
    write_int64(end, NULL)[0] = n
    write_int32(run_font, NULL)[0] = font
    return (
        new_zeros(1, cnp.NPY_INT64),
        end,
        run_font,
        new_zeros(1, cnp.NPY_INT8),
        [script_names[script] if script >= 0 else None],
        [languages[code] if code >= 0 else ""],
        lacking,
    )


cdef inline bint _within(const int64_t* edges, Py_ssize_t count, uint32_t cp) noexcept:
    """Whether a code point falls in the sorted ranges whose [start, end) edges are given."""
    cdef Py_ssize_t i
    for i in range(0, count, 2):
        if cp < edges[i]:
            return False
        if cp < edges[i + 1]:
            return True
    return False


cdef int _infer_languages(Text* t, const Rules* r) except -1:
    """The language of every CJK and Hangul character, by the rule `language` states: a
    paragraph with kana is Japanese (0), one with Hangul Korean (1); one with Han alone takes the
    document's language (Japanese with kana anywhere, else Korean with Hangul anywhere, else
    Chinese: `_chinese`)."""
    cdef Py_ssize_t n = t.n, i, paragraph
    cdef uint8_t* seen = <uint8_t*>calloc(2 * (t.paragraphs + 1), 1)
    if seen == NULL:
        raise MemoryError()
    cdef uint8_t* kana = seen
    cdef uint8_t* hangul = seen + t.paragraphs + 1
    cdef bint any_kana = False, any_hangul = False
    cdef int8_t document
    paragraph = 0
    for i in range(n):
        if _within(r.kana_edges, r.kana_count, t.cps[i]):
            kana[paragraph] = True
            any_kana = True
        if _within(r.hangul_edges, r.hangul_count, t.cps[i]):
            hangul[paragraph] = True
            any_hangul = True
        if t.kind[i] & NEWLINE:
            paragraph += 1
    document = 0 if any_kana else 1 if any_hangul else _chinese(t)
    paragraph = 0
    for i in range(n):
        if r.cjk_script[t.resolved[i]] or t.resolved[i] == r.hangul_script:
            t.code[i] = 0 if kana[paragraph] else 1 if hangul[paragraph] else document
        if t.kind[i] & NEWLINE:
            paragraph += 1
    free(seen)
    return 0


cdef bint _any(const uint8_t* values, Py_ssize_t count) noexcept:
    cdef Py_ssize_t i
    for i in range(count):
        if values[i]:
            return True
    return False
