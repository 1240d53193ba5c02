"""``--format json``: the Scorecard's JSON contract (docs/DESIGN.md), pretty-printed UTF-8.

>>> from kpiboard.render.jsonout import render_json  # doctest: +SKIP
>>> render_json(scorecard, RenderOptions())  # doctest: +SKIP
b'{\\n  "title": ...'
"""

from __future__ import annotations

import json

from kpiboard.render.registry import RenderOptions
from kpiboard.scorecard import Scorecard


def render_json(scorecard: Scorecard, options: RenderOptions) -> bytes:
    """``scorecard.to_dict()`` as indented JSON with a trailing newline.

    ``ensure_ascii=False`` keeps "£", "–" and "↳" readable in the file; it is UTF-8 bytes.
    """
    del options  # JSON has no layout options
    text = json.dumps(scorecard.to_dict(), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")
