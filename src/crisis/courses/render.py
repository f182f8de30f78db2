"""Unit Markdown to HTML, safely: CommonMark with tables, raw HTML shown as text, no images.

markdown-it-py escapes every character it does not turn into markup, so with HTML disabled
a ``<script>`` in a unit appears on the page as the text ``<script>``. Links keep
markdown-it's own check, which refuses ``javascript:``, ``vbscript:``, ``file:`` and
``data:`` addresses (they stay text). Images are disabled: units work offline and load
nothing from elsewhere.
"""

from __future__ import annotations

import functools

from markdown_it import MarkdownIt


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.disable("image")
    return md


def render_markdown(text: str) -> str:
    """HTML for a block of unit Markdown (safe to insert into a page as it is)."""
    html = _parser().render(text)
    # Links open in the same tab and tell the target nothing about the page.
    return html.replace("<a href=", '<a rel="noopener noreferrer" href=')
