"""Commentary: Markdown written by analysts, rendered to HTML that cannot run anything.

Two independent guards, so that one mistake does not open a hole:

1. markdown-it-py in CommonMark mode with raw HTML *disabled*: ``<script>`` or
   ``<a onclick=…>`` typed in the text comes out as visible, escaped text, and its link
   validator refuses ``javascript:``, ``vbscript:``, ``file:`` and most ``data:`` URLs.
2. nh3 (the ammonia sanitiser) then keeps only an allow-list of tags, no attributes but
   ``href``/``title`` on links and ``align`` on table cells, and only ``http``, ``https`` and
   ``mailto`` URLs; links get ``rel="noopener noreferrer nofollow"``.

The HTML report, the dashboard and published packs all render commentary through
:func:`commentary_html`, so it reads the same everywhere.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    # headings in commentary sit under the page's own headings: # becomes h3, ## h4, ...
    md.add_render_rule("heading_open", _heading)
    md.add_render_rule("heading_close", _heading)
    return md


def _heading(self: object, tokens: list, idx: int, options: object, env: object) -> str:  # type: ignore[type-arg]
    token = tokens[idx]
    level = min(int(token.tag[1]) + 2, 6)
    return f"<h{level}>" if token.nesting == 1 else f"</h{level}>\n"


def commentary_html(text: str) -> str:
    """The commentary's Markdown as inert HTML (see the module docstring)."""
    html = _markdown().render(text)
    return nh3.clean(
        html,
        tags=set(TAGS),
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
