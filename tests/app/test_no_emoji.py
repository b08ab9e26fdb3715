"""No emoji anywhere in the app: a machine without an emoji font draws each one as an empty box.

Offline Linux machines often have no colour-emoji font (this one's headless Chromium has none),
so an emoji page icon, button icon or status mark shows as a box. The app uses words, Streamlit's
coloured badges and a bundled SVG favicon instead (tests/e2e/test_console.py checks the favicon). Checked twice: on every page as AppTest renders
it (an empty session, and one with data, a trained model and a comparison), and in the source of
everything the browser is sent (app.py, pages/, vae/ui/), which also covers the navigation's page
icons and the components' JavaScript.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict

from tests.app.test_compare_page import finished_comparison
from tests.app.test_other_width import PAGES, moons_run
from vae.config import DataConfig
from vae.data.presets import generate
from vae.ui import state

ROOT = Path(__file__).resolve().parents[2]
# The pictographic planes, the presentation selector that asks for an emoji glyph, and the BMP blocks
# whose symbols come as emoji (media controls, check marks, squares, warning signs). ★ stays: it is
# typography, in the ordinary fonts (DejaVu, Liberation), and Compare marks the best values with it.
EMOJI = re.compile("[\U0001f000-\U0001faff\ufe0f\u2300-\u23ff\u2600-\u2604\u2606-\u27bf\u2b00-\u2bff]")
SOURCES = ("app.py", "pages/*.py", "vae/ui/**/*.py", "vae/ui/**/*.js", "vae/ui/**/*.html", "vae/ui/**/*.css")


def strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return []


def shown_text(node) -> list[str]:
    """Every string of every element AppTest rendered (labels, bodies, icons, help), main and sidebar."""
    children = getattr(node, "children", None)
    if children:
        return [s for child in children.values() for s in shown_text(child)]
    proto = getattr(node, "proto", None)
    return strings(MessageToDict(proto)) if proto is not None else []


def emoji_in(texts: list[str]) -> list[str]:
    return [t[:80] for t in texts if EMOJI.search(t)]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("session", ["empty", "trained"])
def test_no_page_shows_an_emoji(app_test, page, session):
    at = app_test("app.py", default_timeout=60)
    if session == "trained":
        dataset = generate(DataConfig(n_samples=200))
        at.session_state[state.DATASET] = dataset
        at.session_state[state.RUN] = moons_run()
        at.session_state[state.COMPARE] = finished_comparison(generate(DataConfig(n_samples=300)))
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    texts = shown_text(at._tree)
    assert len(texts) > 10  # the page and the sidebar were drawn
    assert emoji_in(texts) == []


def test_no_source_the_browser_gets_has_an_emoji():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}"
        for pattern in SOURCES
        for path in sorted(ROOT.glob(pattern))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if EMOJI.search(line)
    ]
    assert found == [], "use words, a badge (vae.ui.text.badge) or an SVG instead:\n" + "\n".join(found)
