"""The report as one HTML file: the Jinja2 template filled with a `Report`, CSS and script inlined.

The page needs nothing beside itself (pictures are data: URIs or inline SVG) and its
Content-Security-Policy forbids loading anything else, so it opens the same from disk, from a
mail attachment or offline. The same report gives byte-identical HTML.
"""

from __future__ import annotations

import functools
import html
import json
import os
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pixtok import __version__
from pixtok.io import write_bytes_atomic
from pixtok.report.build import Report, show


def _asset(name: str) -> str:
    return resources.files("pixtok.report").joinpath("templates", name).read_text(encoding="utf-8")


def token_runs(pieces: list[str]) -> Markup:
    """A page's text as one `<i>` element per token, escaped: the one piece of markup built
    outside the template, because a template loop over every token of a corpus costs more than
    the rest of the page together."""
    return Markup("".join(["<i>" + html.escape(piece, quote=False) + "</i>" for piece in pieces]))


@functools.cache
def _environment() -> Environment:
    """The report's templates, compiled once per process (a few hundred ms each time)."""
    environment = Environment(
        loader=PackageLoader("pixtok.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["show"] = show
    environment.filters["token_runs"] = token_runs
    return environment


def render_html(report: Report) -> str:
    """The report page as a string."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        version=__version__,
        css=Markup(_asset("report.css")),
        script=Markup(_asset("report.js")),
        options_json=json.dumps(report.options, ensure_ascii=False, indent=2),
    )


def write_report(report: Report, path: str | os.PathLike[str]) -> int:
    """Write the report page to `path` atomically (`-`: to standard output); returns its size in
    bytes. Text that is not valid Unicode (a lone surrogate a records file let through) is written
    as a `\\uXXXX` escape, visible on the page, instead of failing the whole report."""
    data = render_html(report).encode("utf-8", "backslashreplace")
    write_bytes_atomic(path, data)
    return len(data)
