"""Register a custom component (``st.components.v2``) from the files in its folder.

Each component lives in a folder with one ``.html``, ``.css`` and ``.js`` file
of the same stem (no build step, no network); the files are read once, when
the module defining the component is imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

SHARED = Path(__file__).parent  # scripts more than one component uses ("label_place.js")


def register(name: str, folder: Path, stem: str, shared: tuple[str, ...] = ()) -> Any:
    """``st.components.v2.component(name, ...)`` with ``folder/stem.{html,css,js}``, after the
    ``shared`` scripts of ``vae/ui/`` (code two components run, such as where a ring's label goes)."""
    read = lambda ext: (folder / f"{stem}.{ext}").read_text(encoding="utf-8")
    js = "\n".join([*((SHARED / f).read_text(encoding="utf-8") for f in shared), read("js")])
    return st.components.v2.component(name, html=read("html"), css=read("css"), js=js)
