"""User text (file names, column names, bundle text) shown as text, never as Markdown or HTML.

Streamlit renders st.caption / st.error / st.success / st.toast strings as
Markdown: a column named ``**x**`` would turn bold and one named
``![t](http://host/p.png)`` would make the browser fetch that address. Every
user string goes through ``plain`` before it reaches one of those calls.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

# Enough to disarm emphasis, code, links and images ([ ]), HTML (< >), math ($),
# strikethrough, tables and headings, while ordinary punctuation stays readable
# in the page source (and in AppTest).
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]<>!$~|#])")


# GitHub-flavoured Markdown also links bare addresses (http://..., www.... and e-mail)
# after escapes are resolved, so a backslash cannot stop it: an invisible word
# joiner (U+2060) inside the pattern does, and the text still reads the same.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp)(?=:)|\b(www)(?=\.)|(?=@)")


def plain(text: str) -> str:
    """``text`` with Markdown-active characters escaped (no emphasis, links, images, HTML or math)."""
    text = _MARKDOWN_ACTIVE.sub(r"\\\1", str(text))
    return _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, text)


def figure_text(text: object) -> str:
    """``text`` for a Plotly figure (axis or subplot title, legend name, hover text), shown as typed.

    Plotly renders a subset of HTML in every label: ``<a href>`` becomes a link,
    ``<span style>`` restyles, ``<br>`` breaks. Escaping ``&``, ``<`` and ``>`` as
    entities disarms the tags; Plotly decodes the entities back to the same characters.
    """
    return html.escape(str(text), quote=False)


# Status shown as a coloured word (Streamlit's Markdown badge: plain CSS), never as an emoji: an
# offline Linux machine without an emoji font (and headless Chromium here) draws emoji as empty boxes.
STATUS_COLORS = {
    "queued": "gray",
    "starting": "blue",
    "training": "blue",
    "paused": "orange",
    "finished": "green",
    "stopped": "gray",
    "diverged": "red",
    "failed": "red",
}


def badge(word: str, color: str = "gray") -> str:
    """Markdown for ``word`` in a small coloured badge (one of Streamlit's named colours)."""
    return f":{color}-badge[{plain(word)}]"


def status_badge(status: str) -> str:
    """Markdown for a run's status (``"finished"``, ``"training"``, ...) as a badge in its colour: "Finished"."""
    return badge(status.capitalize(), STATUS_COLORS.get(status, "gray"))


def column_format(values: Sequence[float]) -> str:
    """A printf format (``st.column_config.NumberColumn``) with the same decimals on every row.

    The largest finite magnitude gets 4 significant digits and the others as many decimals (at most
    8, however small the values), so a column reads 0.5470 above 0.4179 (not 0.547 above 0.4179)
    and 1250 above 982 (not 1250.0000).
    """
    finite = [abs(v) for v in values if math.isfinite(v) and v != 0]
    if not finite:
        return "%.1f"
    decimals = 3 - math.floor(math.log10(max(finite)))
    return f"%.{min(max(decimals, 0), 8)}f"
