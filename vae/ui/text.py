"""User text (file names, column names, bundle text) shown as text, never as Markdown.

Streamlit renders st.caption / st.error / st.success / st.toast strings as
Markdown: a column named ``**x**`` would turn bold and one named
``![t](http://host/p.png)`` would make the browser fetch that address. Every
user string goes through ``plain`` before it reaches one of those calls.
"""

from __future__ import annotations

import re

# Enough to disarm emphasis, code, links and images ([ ]), HTML (< >), math ($),
# strikethrough, tables and headings, while ordinary punctuation stays readable
# in the page source (and in AppTest).
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]<>!$~|#])")


def plain(text: str) -> str:
    """``text`` with Markdown-active characters escaped (no emphasis, links, images, HTML or math)."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", str(text))
