"""Unit Markdown to HTML, safely: CommonMark with tables, raw HTML shown as text, no images.

markdown-it-py escapes every character it does not turn into markup, so with HTML disabled
a ``<script>`` in a unit appears on the page as the text ``<script>``. Links keep
markdown-it's own check, which refuses ``javascript:``, ``vbscript:``, ``file:`` and
``data:`` addresses (they stay text). Images are disabled: units work offline and load
nothing from elsewhere. Table cells carry their column heading (``data-label``) so that a
phone can show each row of a table of long text as a labelled block instead of squeezing
the columns.
"""

from __future__ import annotations

import functools

from markdown_it import MarkdownIt
from markdown_it.token import Token


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.disable("image")
    return md


#: A table whose longest row holds more characters than this is marked ``stacked``: on a
#: phone its rows become labelled blocks (a short, narrow table keeps its columns) …
STACK_ROW_CHARS = 60
#: … and so is a table of more columns than this (they do not fit side by side on a phone).
STACK_COLUMNS = 3


def _label_cells(tokens: list[Token]) -> None:
    """Give each table cell its column's heading as ``data-label`` (escaped on rendering),
    and mark tables of long text ``stacked``, so that a narrow screen can show their rows
    as labelled blocks instead of squeezing the columns to a word each."""
    labels: list[str] = []
    table: Token | None = None
    column = row = longest = 0
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            table, labels, longest = token, [], 0
        elif token.type == "table_close" and table is not None:
            if longest > STACK_ROW_CHARS or len(labels) > STACK_COLUMNS:
                table.attrSet("class", "stacked")
            table = None
        elif token.type == "th_open":
            labels.append(_text(tokens[index + 1]))
        elif token.type == "tr_open":
            column = row = 0
        elif token.type == "td_open":
            row += len(_text(tokens[index + 1]))
            longest = max(longest, row)
            if column < len(labels) and labels[column]:
                token.attrSet("data-label", labels[column])
            column += 1


def _text(inline: Token) -> str:
    return "".join(c.content for c in inline.children or [] if c.content)


def render_markdown(text: str) -> str:
    """HTML for a block of unit Markdown (safe to insert into a page as it is)."""
    md = _parser()
    tokens = md.parse(text)
    _label_cells(tokens)
    html = md.renderer.render(tokens, md.options, {})
    # Links open in the same tab and tell the target nothing about the page.
    return html.replace("<a href=", '<a rel="noopener noreferrer" href=')
