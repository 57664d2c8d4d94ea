"""The one code-generation mechanism: Jinja templates from templates/."""

from __future__ import annotations

import functools

import jinja2

from .resources import templates_dir


@functools.cache
def environment() -> jinja2.Environment:
    """A strict Jinja environment over the shipped templates."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(template: str, **context) -> str:
    """Render `template` (a path under templates/) with `context`."""
    return environment().get_template(template).render(**context)
