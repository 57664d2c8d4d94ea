"""The report as one self-contained HTML page: figures inline as base64 PNG, no script, no network."""

from __future__ import annotations

import base64
import functools

import jinja2

from .. import __version__
from ..resources import templates_dir
from .sections import Section


@functools.cache
def _environment() -> jinja2.Environment:
    # Unlike the C templates (render.py), HTML escapes every value: labels and paths come from user data.
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=True)


def render_html(sections: list[Section], title: str, run: str) -> str:
    """The page of `sections`."""
    images = {f.name: base64.b64encode(f.png).decode("ascii") for s in sections for f in s.figures}
    return _environment().get_template("report/report.html.j2").render(
        sections=sections, images=images, title=title, run=run, version=__version__)
