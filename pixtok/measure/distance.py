"""How far apart two texts are: as characters, as keystrokes, as text tokens and as pixels.

- `levenshtein`: unit-cost edit distance over characters (rapidfuzz: a bit-parallel C++
  implementation, orders of magnitude faster than a Python DP on file-sized inputs and exact).
- `keyboard_distance`: weighted edit distance where substituting one character for another costs
  the distance between their keys divided by the layout's diameter (in (0, 1]), insertions and
  deletions cost 1, and characters the layout lacks cost 1 to substitute. The substitution cost is
  a metric bounded by 1 ≤ 2 = insert + delete, so the edit distance is a metric too: symmetric,
  zero only for equal strings, and obeying the triangle inequality.
- `token_distance`: the same questions over a tokenizer's ids: `edit` is the Levenshtein distance
  between the id sequences, `changed` = len(a) + len(b) − 2·LCS(a, b) (ids removed plus ids added:
  the indel distance), both from rapidfuzz, which works on any sequence of hashables.
- `pixel_distance`: render both texts with one config and compare the rasters: patches that
  differ on the page grid (and, on request, on each vision encoder's own resized grid), the L2
  distance and RMSE of the pixels, and SSIM (Wang et al. 2004).

Pixel distances are pseudo-metrics: two different texts can render to the same pixels (a
trailing space draws nothing), so zero does not imply equal texts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from rapidfuzz.distance import Indel
from rapidfuzz.distance import Levenshtein as _Levenshtein

from pixtok.errors import UsageError
from pixtok.limits import check_unicode
from pixtok.measure.keyboards import Keyboard, get_layout
from pixtok.patches import patchify
from pixtok.render.config import RenderConfig, parse_color

#: Cost of substituting a character the layout has no key for (and of inserting/deleting any).
INDEL_COST = 1.0
UNKNOWN_COST = 1.0
#: Decimals kept in JSON records (the library functions return full floats).
DECIMALS = 6

# SSIM parameters of Wang, Bovik, Sheikh & Simoncelli, "Image quality assessment: from error
# visibility to structural similarity", IEEE TIP 13(4), 2004, §III-C: an 11×11 circular-symmetric
# Gaussian window with σ = 1.5, K1 = 0.01, K2 = 0.03, and L = 255 for 8-bit images.
SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03


# -- characters -------------------------------------------------------------------------------------


def levenshtein(a: str | Sequence[Any], b: str | Sequence[Any]) -> int:
    """Unit-cost edit distance (insert, delete, substitute) between two strings or sequences."""
    return int(_Levenshtein.distance(a, b))


def _layout(layout: Keyboard | str) -> Keyboard:
    return layout if isinstance(layout, Keyboard) else get_layout(layout)


def substitution_cost(a: str, b: str, layout: Keyboard | str = "qwerty") -> float:
    """Cost of typing `b` for `a`: key distance / layout diameter, 1 off the layout, 0 if equal."""
    keyboard = _layout(layout)
    if a == b:
        return 0.0
    d = keyboard.distance(a, b)
    return UNKNOWN_COST if math.isinf(d) else min(UNKNOWN_COST, d / keyboard.diameter)


def _cost_matrix(alphabet: Sequence[str], keyboard: Keyboard) -> np.ndarray:
    """Substitution costs between every pair of characters in `alphabet` (symmetric, zero diagonal)."""
    n = len(alphabet)
    points = [keyboard.point(c) for c in alphabet]
    known = np.array([p is not None for p in points])
    coords = np.array([p if p is not None else (0.0, 0.0, 0.0) for p in points], dtype=np.float64)
    gaps = coords[:, None, :] - coords[None, :, :]
    costs = np.minimum(np.sqrt((gaps**2).sum(axis=2)) / keyboard.diameter, UNKNOWN_COST)
    costs[~(known[:, None] & known[None, :])] = UNKNOWN_COST
    costs[np.arange(n), np.arange(n)] = 0.0
    return costs


#: Cells of the keyboard DP between two calls of its `progress` callback (a few seconds' work).
PROGRESS_CELLS = 50_000_000
#: Largest table of substitution costs (alphabet × second text) the DP looks rows up in (32 MB);
#: beyond it each row gathers its costs.
COST_TABLE_CELLS = 4_000_000


def weighted_edit_distance(
    a: np.ndarray,
    b: np.ndarray,
    costs: np.ndarray,
    *,
    bound: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> float:
    """Edit distance between index sequences `a` and `b`: insert/delete 1, substitute `costs[a_i, b_j]`.

    The row recurrence D[i][j] = min(D[i-1][j] + 1, D[i-1][j-1] + c, D[i][j-1] + 1) is vectorised:
    with unit insertions, the left-to-right term is a running minimum, D[i][j] = j + min_{k≤j}
    (T[k] − k) where T holds the first two terms. Memory is one row.

    `bound`, an upper bound on the distance (the cost of any one alignment, with costs at most 1),
    limits the work to a band of diagonals (Ukkonen 1985): a path through cell (i, j) makes at
    least |j − i| + |(m − n) − (j − i)| insertions and deletions, each costing 1, so cells where
    that exceeds the bound (with a margin larger than any rounding) lie on no optimal path. The
    cells inside the band are computed with exactly the operations of the full table, and the
    minimum is over paths the band keeps, which include every optimal one: the result is the full
    table's to the last bit, in time len(a)·(bound + 1) instead of len(a)·len(b).

    `progress(rows done, rows)` is called at the start, every `PROGRESS_CELLS` cells or so and at
    the end, when the work is at least that large (not at all for a smaller one).
    """
    n, m = len(a), len(b)
    columns = np.arange(m + 1, dtype=np.float64)
    row = columns * INDEL_COST
    low, high = -n, m  # the diagonals j − i kept: all of them, unless a bound narrows them
    if bound is not None:
        shift = m - n
        # Each float operation is off by at most half an ulp of a value below n + m, and a path
        # takes at most 3(n + m) of them: the margin covers that error for the bound, the optimal
        # path and any path left out, plus one whole insertion.
        margin = 1.0 + 9.0 * float(n + m) ** 2 * 2.0**-53
        slack = max(0, (math.floor(bound + margin) - abs(shift)) // 2)
        low, high = max(low, min(0, shift) - slack), min(high, max(0, shift) + slack)
    if high < m:
        row[high + 1 :] = math.inf  # never computed: the cells beyond the band's right edge
    width = min(m, high - low) + 1
    best = np.empty(width, dtype=np.float64)  # buffers reused by every row
    diagonal = np.empty(width, dtype=np.float64)
    # Substitution costs of each character against all of `b`, looked up once when that is small.
    table = costs[:, b] if costs.shape[0] * m <= COST_TABLE_CELLS else None
    every = max(1, PROGRESS_CELLS // width)
    report = progress if n * width >= PROGRESS_CELLS else None
    if report is not None:
        report(0, n)
    for i in range(1, n + 1):
        lo, hi = max(0, i + low), min(m, i + high)
        cells = best[: hi - lo + 1]
        first = 1 if lo == 0 else 0
        if first:
            cells[0] = i * INDEL_COST
        start = lo + first  # the first column with a cell above-left of it
        substitute = diagonal[: hi - start + 1]
        if table is not None:
            np.add(row[start - 1 : hi], table[a[i - 1], start - 1 : hi], out=substitute)
        else:
            np.add(row[start - 1 : hi], costs[a[i - 1], b[start - 1 : hi]], out=substitute)
        np.add(row[start : hi + 1], INDEL_COST, out=cells[first:])
        np.minimum(cells[first:], substitute, out=cells[first:])
        span = columns[lo : hi + 1]
        np.subtract(cells, span, out=cells)
        np.minimum.accumulate(cells, out=cells)
        np.add(cells, span, out=row[lo : hi + 1])
        if report is not None and i % every == 0:
            report(i, n)
    if report is not None:
        report(n, n)
    return float(row[m])


def alignment_bound(a: np.ndarray, b: np.ndarray, costs: np.ndarray) -> float:
    """An upper bound on the weighted edit distance of index sequences `a` and `b`: the cheaper of
    two alignments that pair characters in order, flush left and flush right, inserting the rest
    (each costs what the DP would charge for it, so the distance is at most that)."""
    n, m = len(a), len(b)
    k = min(n, m)
    gap = float(abs(m - n)) * INDEL_COST
    if k == 0:
        return gap
    left = float(costs[a[:k], b[:k]].sum())
    right = float(costs[a[n - k :], b[m - k :]].sum())
    return min(left, right) + gap


def _common_affixes(a: str, b: str) -> tuple[str, str]:
    """Strip the common prefix and suffix (safe for any edit distance whose costs form a metric)."""
    start = 0
    limit = min(len(a), len(b))
    while start < limit and a[start] == b[start]:
        start += 1
    end = 0
    while end < limit - start and a[len(a) - 1 - end] == b[len(b) - 1 - end]:
        end += 1
    return a[start : len(a) - end], b[start : len(b) - end]


def keyboard_distance(
    a: str,
    b: str,
    layout: Keyboard | str = "qwerty",
    *,
    progress: Callable[[int, int], None] | None = None,
) -> float:
    """Keyboard-aware edit distance: substitutions cost the normalised key distance (see the module doc).

    The result does not depend on the order of the arguments, to the last bit: the pair is put in a
    canonical order before the floating-point DP runs. The DP is confined to the band of diagonals
    that an upper bound on the distance allows (`weighted_edit_distance`): the Levenshtein
    distance, since no substitution costs more than 1, or an in-order alignment, whichever is
    lower. Texts that differ by a few edits then cost time in proportion to their length, while
    two unrelated texts still cost the product of their lengths. `progress(rows done, rows)`
    reports on a long DP (see `weighted_edit_distance`).
    """
    keyboard = _layout(layout)
    if a == b:
        return 0.0
    if b < a:
        a, b = b, a
    a, b = _common_affixes(a, b)
    if not a or not b:
        return float(len(a) + len(b)) * INDEL_COST
    alphabet = sorted(set(a) | set(b))
    index = {c: i for i, c in enumerate(alphabet)}
    costs = _cost_matrix(alphabet, keyboard)
    ia = np.fromiter((index[c] for c in a), dtype=np.intp, count=len(a))
    ib = np.fromiter((index[c] for c in b), dtype=np.intp, count=len(b))
    if len(ia) > len(ib):  # loop over the shorter sequence, vectorise over the longer (costs are symmetric)
        ia, ib = ib, ia
    bound = alignment_bound(ia, ib, costs)
    # Unit substitutions cost at least as much as keyed ones: Levenshtein bounds the distance too.
    # rapidfuzz stops once past the cutoff, so this costs little when it does not help.
    unit = _Levenshtein.distance(a, b, score_cutoff=math.ceil(bound))
    return weighted_edit_distance(ia, ib, costs, bound=min(bound, float(unit)), progress=progress)


# -- tokens -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenDistance:
    """Two texts as one tokenizer sees them.

    `edit`: Levenshtein distance between the id sequences; `changed`: ids removed plus ids added
    (len(a) + len(b) − 2·LCS); `removed`/`added`: ids of a / of b outside a longest common
    subsequence.
    """

    tokenizer: str
    tokens_a: int
    tokens_b: int
    edit: int
    changed: int
    removed: int
    added: int

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "tokenizer"}


def token_distance_ids(ids_a: Sequence[int], ids_b: Sequence[int], tokenizer: str = "") -> TokenDistance:
    """Token distance between two id sequences (already encoded)."""
    changed = int(Indel.distance(ids_a, ids_b))
    common = (len(ids_a) + len(ids_b) - changed) // 2
    return TokenDistance(
        tokenizer=tokenizer,
        tokens_a=len(ids_a),
        tokens_b=len(ids_b),
        edit=int(_Levenshtein.distance(ids_a, ids_b)),
        changed=changed,
        removed=len(ids_a) - common,
        added=len(ids_b) - common,
    )


def token_distance(a: str, b: str, tokenizer: Any) -> TokenDistance:
    """Token distance under a tokenizer: an object with `encode(text) -> list[int]`, or a registry name."""
    if isinstance(tokenizer, str):
        from pixtok.tokenizers import get_tokenizer

        tokenizer = get_tokenizer(tokenizer)
    return token_distance_ids(tokenizer.encode(a), tokenizer.encode(b), getattr(tokenizer, "name", ""))


# -- pixels -----------------------------------------------------------------------------------------


def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """A normalised 1-D Gaussian of `size` taps; its outer product is the 2-D SSIM window."""
    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2
    weights = np.exp(-(offsets**2) / (2 * sigma**2))
    return weights / weights.sum()


def _filter_valid(image: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Separable 'valid' filtering with a symmetric kernel (as MATLAB's filter2(w, x, 'valid'))."""
    k = len(weights)
    h, w = image.shape
    rows = np.zeros((h, w - k + 1), dtype=np.float64)
    for t in range(k):
        rows += weights[t] * image[:, t : t + w - k + 1]
    out = np.zeros((h - k + 1, w - k + 1), dtype=np.float64)
    for t in range(k):
        out += weights[t] * rows[t : t + h - k + 1, :]
    return out


def ssim_map(
    x: np.ndarray,
    y: np.ndarray,
    *,
    data_range: float = 255.0,
    window: int = SSIM_WINDOW,
    sigma: float = SSIM_SIGMA,
    k1: float = SSIM_K1,
    k2: float = SSIM_K2,
) -> np.ndarray:
    """The local SSIM index of two equal-size grey images, one value per full window position.

    SSIM = ((2 μx μy + C1)(2 σxy + C2)) / ((μx² + μy² + C1)(σx² + σy² + C2)), C1 = (K1 L)², C2 = (K2 L)²,
    with means and (co)variances under a Gaussian window, evaluated where the window fits
    ('valid'), as in the reference implementation ssim_index.m of Wang et al. 2004.
    """
    if x.shape != y.shape or x.ndim != 2:
        raise UsageError(f"SSIM needs two grey images of one size, got {x.shape} and {y.shape}")
    if min(x.shape) < window:
        raise UsageError(f"SSIM needs images of at least {window}×{window} px, got {x.shape[1]}×{x.shape[0]}")
    weights = gaussian_window(window, sigma)
    xf, yf = x.astype(np.float64), y.astype(np.float64)
    mu_x, mu_y = _filter_valid(xf, weights), _filter_valid(yf, weights)
    var_x = _filter_valid(xf * xf, weights) - mu_x * mu_x
    var_y = _filter_valid(yf * yf, weights) - mu_y * mu_y
    cov = _filter_valid(xf * yf, weights) - mu_x * mu_y
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2)
    )


def ssim(x: np.ndarray, y: np.ndarray, **options: Any) -> float:
    """Mean SSIM of two equal-size images; colour images average the SSIM of each channel."""
    if x.shape != y.shape:
        raise UsageError(f"SSIM needs two images of one size, got {x.shape} and {y.shape}")
    if x.ndim == 3:
        return float(np.mean([ssim_map(x[..., c], y[..., c], **options).mean() for c in range(x.shape[2])]))
    return float(ssim_map(x, y, **options).mean())


@dataclass(frozen=True)
class GridDifference:
    """Patches of one grid that differ between two renders (a patch differs if any pixel does)."""

    patch: int
    width: int
    height: int
    patches: int
    differ: int


@dataclass(frozen=True)
class PixelDistance:
    """Two renders compared page by page, each pair padded to one size with the background.

    `patches`/`patches_differ` are on the page grid (`patch` px); `encoders` holds the same count on
    each encoder's view (the page resized to the encoder's input size, cut with its patch size).
    `l2` is the Euclidean distance of the rasters with pixels scaled to [0, 1], `rmse` the root mean
    square difference on the same scale, `ssim` the mean SSIM over every window of every page.
    """

    pages_a: int
    pages_b: int
    width: int
    height: int
    patch: int
    patches: int
    patches_differ: int
    pixels_differ: int
    l2: float
    rmse: float
    ssim: float
    encoders: dict[str, GridDifference] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (floats to 6 decimals), with `encoders` only when some were compared."""
        out = {
            k: round(v, DECIMALS) if isinstance(v, float) else v
            for k, v in asdict(self).items()
            if k != "encoders"
        }
        if self.encoders:
            out["encoders"] = {
                name: {
                    "patch": g.patch,
                    "resized": [g.width, g.height],
                    "patches": g.patches,
                    "patches_differ": g.differ,
                }
                for name, g in self.encoders.items()
            }
        return out


def background_pixel(config: RenderConfig) -> np.ndarray:
    """The value of an empty page pixel under `config` (grey level, or an RGB triple)."""
    from pixtok.render.raster import colorize

    blank = colorize(
        np.zeros((1, 1), dtype=np.uint8),
        parse_color(config.foreground),
        parse_color(config.background),
        config.color_mode,
    )
    return blank[0, 0]


def pad_pair(
    a: np.ndarray | None, b: np.ndarray | None, background: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two pages padded at the right and bottom to one size with the background (None = a blank page)."""
    shapes = [p.shape for p in (a, b) if p is not None]
    height, width = max(s[0] for s in shapes), max(s[1] for s in shapes)
    tail = shapes[0][2:]

    def pad(page: np.ndarray | None) -> np.ndarray:
        out = np.empty((height, width, *tail), dtype=np.uint8)
        out[...] = background
        if page is not None:
            out[: page.shape[0], : page.shape[1]] = page
        return out

    return pad(a), pad(b)


def differing_patches(a: np.ndarray, b: np.ndarray, patch: int) -> tuple[int, int]:
    """(patches that differ, patches in the grid) between two equal-size pages; the grid starts at (0, 0)."""
    changed = (a != b) if a.ndim == 2 else (a != b).any(axis=2)
    grid = patchify(changed.view(np.uint8), patch, pad="zero", background=0)
    return grid.nonblank_count, grid.total


def _encoder_view(page: np.ndarray, size: tuple[int, int], *, pad_square: bool = False) -> np.ndarray:
    """The page resized to an encoder's input size, bicubic as CLIP/SigLIP/Qwen2-VL processors resize.

    `pad_square` keeps the aspect ratio and pads to the square instead, centred, as DeepSeek-OCR
    (`ImageOps.pad(image, (size, size))` in its process/image_process.py) and LLaVA-1.5
    (`expand2square`) do, with their padding colour: the normalisation mean 0.5 → grey 127. The
    padding is the same in both views, so it never differs.
    """
    from PIL import Image, ImageOps

    if (page.shape[1], page.shape[0]) == tuple(size):
        return page
    image = Image.fromarray(page)
    if pad_square:
        grey = 127 if page.ndim == 2 else (127,) * page.shape[2]
        image = ImageOps.pad(image, tuple(size), Image.Resampling.BICUBIC, color=grey, centering=(0.5, 0.5))
    else:
        image = image.resize(tuple(size), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.uint8)


def encoder_view(page: np.ndarray, encoder: Any) -> tuple[np.ndarray, int]:
    """The page as an encoder sees it and the encoder's patch size.

    The page is resized (bicubic) to the encoder's `resized` size, or, for encoders that pad to a
    square (`resize == "pad-square"`), fitted and padded to it. For encoders that pad a resized
    image up to whole patches, stretching to `resized` moves content by less than one patch.
    """
    height, width = page.shape[:2]
    if not encoder.patch:
        raise UsageError(f"encoder {encoder.name!r} publishes no patch size; its view cannot be compared")
    count = encoder.count(width, height, pixels=page)
    rw, rh = count.resized
    if min(rw, rh) < encoder.patch:
        raise UsageError(f"encoder {encoder.name!r} resizes to {rw}×{rh}, smaller than its patch")
    pad_square = getattr(encoder, "resize", None) == "pad-square"
    return _encoder_view(page, (int(rw), int(rh)), pad_square=pad_square), int(encoder.patch)


def encoder_grid_difference(
    a: np.ndarray, b: np.ndarray, encoder: Any, *, view_a: np.ndarray | None = None
) -> GridDifference:
    """Patches that differ once both pages are resized to the encoder's input size and cut with its patch.

    `view_a` may pass `a`'s view when it is already known (it is what `encoder_view(a)` returns).
    """
    view_b, patch = encoder_view(b, encoder)
    if view_a is None:
        view_a = encoder_view(a, encoder)[0]
    differ, total = differing_patches(view_a, view_b, patch)
    return GridDifference(patch, view_b.shape[1], view_b.shape[0], total, differ)


def compare_pages(
    pages_a: Sequence[np.ndarray],
    pages_b: Sequence[np.ndarray],
    *,
    background: np.ndarray | int = 255,
    patch: int = 16,
    encoders: Iterable[Any] = (),
) -> PixelDistance:
    """Compare two lists of pages (see `PixelDistance`): page i of one against page i of the other."""
    if isinstance(patch, bool) or not isinstance(patch, int) or patch < 1:
        raise UsageError(f"--patch must be a positive whole number of pixels, not {patch!r}")
    background = np.asarray(background, dtype=np.uint8)
    encoders = list(encoders)
    n = max(len(pages_a), len(pages_b))
    total = differ = pixels_differ = 0
    squares = 0.0
    pixels = 0
    ssim_sum, ssim_count = 0.0, 0
    width = height = 0
    grids: dict[str, list[int]] = {}
    sizes: dict[str, tuple[int, int, int]] = {}
    for i in range(n):
        a, b = pad_pair(
            pages_a[i] if i < len(pages_a) else None, pages_b[i] if i < len(pages_b) else None, background
        )
        height, width = max(height, a.shape[0]), max(width, a.shape[1])
        d, t = differing_patches(a, b, patch)
        differ, total = differ + d, total + t
        delta = a.astype(np.int32) - b.astype(np.int32)
        pixels_differ += int(np.count_nonzero(delta if a.ndim == 2 else delta.any(axis=2)))
        squares += float(np.square(delta, dtype=np.int64).sum()) / (255.0 * 255.0)
        pixels += delta.size
        channels = [(a, b)] if a.ndim == 2 else [(a[..., c], b[..., c]) for c in range(a.shape[2])]
        for x, y in channels:
            if x is y or np.array_equal(x, y):
                valid = (x.shape[0] - SSIM_WINDOW + 1) * (x.shape[1] - SSIM_WINDOW + 1)
                if valid <= 0:
                    raise UsageError(f"SSIM needs pages of at least {SSIM_WINDOW}×{SSIM_WINDOW} px")
                ssim_sum, ssim_count = ssim_sum + valid, ssim_count + valid
            else:
                values = ssim_map(x, y)
                ssim_sum, ssim_count = ssim_sum + float(values.sum()), ssim_count + values.size
        for encoder in encoders:
            g = encoder_grid_difference(a, b, encoder)
            acc = grids.setdefault(encoder.name, [0, 0])
            acc[0] += g.patches
            acc[1] += g.differ
            sizes[encoder.name] = (g.patch, g.width, g.height)
    return PixelDistance(
        pages_a=len(pages_a),
        pages_b=len(pages_b),
        width=width,
        height=height,
        patch=patch,
        patches=total,
        patches_differ=differ,
        pixels_differ=pixels_differ,
        l2=math.sqrt(squares),
        rmse=math.sqrt(squares / pixels) if pixels else 0.0,
        ssim=ssim_sum / ssim_count if ssim_count else 1.0,
        encoders={
            name: GridDifference(sizes[name][0], sizes[name][1], sizes[name][2], acc[0], acc[1])
            for name, acc in grids.items()
        },
    )


def _encoders(encoders: Iterable[Any]) -> list[Any]:
    from pixtok.encoders import get_encoder

    return [get_encoder(e) if isinstance(e, str) else e for e in encoders]


def render_pages(text: str, config: RenderConfig) -> list[np.ndarray]:
    """The pages of a render; a text with nothing to draw (empty, only whitespace) has no pages.

    Compared with another render, its missing pages count as blank pages.
    """
    from pixtok.render import render

    return render(text, config).pages if text.strip() else []


def pixel_distance(
    a: str,
    b: str,
    config: RenderConfig | None = None,
    *,
    patch: int = 16,
    encoders: Iterable[Any] = (),
) -> PixelDistance:
    """Render both texts with the same config and compare the rasters (see `PixelDistance`)."""
    config = config or RenderConfig()
    return compare_pages(
        render_pages(a, config),
        render_pages(b, config),
        background=background_pixel(config),
        patch=patch,
        encoders=_encoders(encoders),
    )


# -- everything at once ------------------------------------------------------------------------------


def text_distance(
    a: str,
    b: str,
    *,
    layout: Keyboard | str = "qwerty",
    tokenizers: Iterable[Any] = (),
    config: RenderConfig | None = None,
    patch: int = 16,
    encoders: Iterable[Any] = (),
    pixels: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Every distance between two texts, as the record `pixtok distance` prints.

    Keys: `levenshtein`, `keyboard` ({layout, distance}), `tokens` ({tokenizer: TokenDistance}),
    `pixels` (PixelDistance, when `pixels`). Text that is not valid Unicode (a lone surrogate) is
    refused with `InputError`, whichever distances are asked for. `progress(rows done, rows)`
    reports on a keyboard distance that takes long (`keyboard_distance`).
    """
    from pixtok.tokenizers import get_tokenizer

    check_unicode(a, "a")
    check_unicode(b, "b")
    keyboard = _layout(layout)
    record: dict[str, Any] = {
        "chars_a": len(a),
        "chars_b": len(b),
        "levenshtein": levenshtein(a, b),
        "keyboard": {
            "layout": keyboard.name,
            "distance": round(keyboard_distance(a, b, keyboard, progress=progress), DECIMALS),
        },
        "tokens": {},
    }
    for tok in tokenizers:
        loaded = get_tokenizer(tok) if isinstance(tok, str) else tok
        record["tokens"][loaded.name] = token_distance(a, b, loaded).as_dict()
    if pixels:
        record["pixels"] = pixel_distance(a, b, config, patch=patch, encoders=encoders).as_dict()
    return record


__all__ = [
    "COST_TABLE_CELLS",
    "INDEL_COST",
    "PROGRESS_CELLS",
    "SSIM_K1",
    "SSIM_K2",
    "SSIM_SIGMA",
    "SSIM_WINDOW",
    "UNKNOWN_COST",
    "GridDifference",
    "PixelDistance",
    "TokenDistance",
    "alignment_bound",
    "background_pixel",
    "compare_pages",
    "differing_patches",
    "encoder_grid_difference",
    "encoder_view",
    "gaussian_window",
    "keyboard_distance",
    "levenshtein",
    "pad_pair",
    "pixel_distance",
    "render_pages",
    "ssim",
    "ssim_map",
    "substitution_cost",
    "text_distance",
    "token_distance",
    "token_distance_ids",
    "weighted_edit_distance",
]
