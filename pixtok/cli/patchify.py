"""`pixtok patchify`: cut an image into patches as a vision encoder would, and count them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from pixtok.cli import app
from pixtok.cli import options as opt
from pixtok.cli.output import Report, choose_format, emit_report, one_on_stdout
from pixtok.encoders import get_encoders
from pixtok.errors import UsageError
from pixtok.io import STDIO, atomic_writer, deferred_outputs, read_bytes, same_file, write_bytes_atomic
from pixtok.limits import printable
from pixtok.patches import (
    PAD_MODES,
    check_patch_array,
    decode_page,
    draw_overlay,
    encode_png,
    grid_shape,
    patchify,
    read_page,
    write_patch_tensor,
)


def parse_background(value: str) -> int | tuple[int, ...]:
    """'255' → 255; '250,245,230' → (250, 245, 230)."""
    try:
        levels = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise UsageError(f"--background is a grey level or R,G,B levels, not {value!r}") from None
    return levels[0] if len(levels) == 1 else levels


@app.command("patchify")
def patchify_command(
    image: str | None = typer.Argument(
        None,
        metavar="IMAGE|-",
        help="PNG/JPEG (any Pillow format) file, or - for stdin (read when piped and no file is given).",
        show_default=False,
    ),
    patch: int = typer.Option(16, "--patch", help="Patch side in pixels."),
    stride: int | None = typer.Option(None, "--stride", help="Step between patches (< patch: overlapping)."),
    pad: str = typer.Option(
        "background", "--pad", help=f"Fill for partial edge patches: {', '.join(PAD_MODES)}."
    ),
    background: str = typer.Option(
        "255", "--background", help="Blank paper: a grey level 0-255, or R,G,B with --rgb."
    ),
    rgb: bool = typer.Option(False, "--rgb", help="Keep colour (default: convert to grey)."),
    overlay: Path | None = typer.Option(
        None, "--overlay", help="Write a PNG with the grid and blank patches."
    ),
    npy: Path | None = typer.Option(
        None, "--npy", help="Write the patch tensor (rows, cols, p, p[, 3]) as .npy."
    ),
    encoder: str | None = typer.Option(
        None,
        "--encoder",
        "-e",
        help="Comma-separated presets to count vision tokens for (see `pixtok encoders`).",
    ),
    encoder_files: opt.EncoderFiles = None,
    output: opt.Output = None,
    json_: opt.Json = False,
    jsonl: opt.Jsonl = False,
    csv_: opt.Csv = False,
) -> None:
    """Cut an image into patches: grid, patch and non-blank patch counts, and vision tokens per preset."""
    fmt = choose_format(json_, jsonl, csv_, output)
    one_on_stdout({"--overlay": overlay, "--npy": npy}, output)
    _distinct_files({"--overlay": overlay, "--npy": npy, "-o": output})
    if pad not in PAD_MODES:
        raise UsageError(f"--pad must be one of {', '.join(PAD_MODES)}, not {pad!r}")
    paper = parse_background(background)
    opt.load_encoder_files(encoder_files)
    chosen = get_encoders(encoder) if encoder is not None else []
    if image is None:
        # No argument: read a piped stdin; a terminal or an empty stdin (cron, CI) is a usage error.
        data = b"" if sys.stdin is None or sys.stdin.isatty() else read_bytes(STDIO)
        if not data:
            raise UsageError("give an image file, or - to read one from standard input")
        image, page = STDIO, decode_page(data, name="<stdin>", rgb=rgb)
    else:
        page = read_page(image, rgb=rgb)
    if npy is not None:  # refuse an array too large to write before cutting any patch
        rows, cols = grid_shape(page.shape[0], page.shape[1], patch, stride=stride, pad=pad)  # type: ignore[arg-type]
        check_patch_array(rows, cols, patch, f"--npy {npy}")
    grid = patchify(page, patch, stride=stride, pad=pad, background=paper)  # type: ignore[arg-type]
    height, width = page.shape[:2]
    record: dict[str, Any] = {
        "input": image,
        "width": width,
        "height": height,
        "patch": grid.patch,
        "stride": grid.stride,
        "rows": grid.rows,
        "cols": grid.cols,
        "patches": grid.total,
        "nonblank_patches": grid.nonblank_count,
    }
    if chosen:
        record["vision"] = {}
        for enc in chosen:
            counted = enc.count(width, height, pixels=page)
            record["vision"][enc.name] = {
                "tokens": counted.tokens,
                "sequence_tokens": counted.sequence_tokens,
                "valid_tokens": counted.valid_tokens,
            }
    options = {
        "patch": patch,
        "stride": stride,
        "pad": pad,
        "background": list(paper) if isinstance(paper, tuple) else paper,
        "rgb": rgb,
        "encoders": [enc.name for enc in chosen],
    }
    # The overlay and the array are put in place only once the record is written.
    with deferred_outputs():
        if overlay is not None:
            write_bytes_atomic(overlay, encode_png(draw_overlay(page, grid)))
        if npy is not None:
            with atomic_writer(npy) as stream:
                write_patch_tensor(stream, grid, f"--npy {npy}")
        emit_report(Report([record], None, options), fmt, output=output, title="patches")


def _distinct_files(files: dict[str, str | Path | None]) -> None:
    """Refuse two of the command's outputs named as one file: the second would replace the first."""
    named = [(flag, value) for flag, value in files.items() if value is not None and str(value) != STDIO]
    for k, (flag, value) in enumerate(named):
        for other, other_value in named[k + 1 :]:
            if same_file(value, other_value):
                raise UsageError(
                    f"{printable(str(value))}: is both {flag} and {other}, and one would replace the "
                    "other; give them different files"
                )
