"""Every page in the light and the dark theme, after the tour, saved to artifacts/screens/ for review.

Uses tools/screenshots.py (the README's screenshot script) with its own
servers, one per theme. What must NOT happen: an exception box on any page, in
either theme. Look at the PNGs: would a teacher put them on a projector?
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ROOT, in_own_thread
from tools.screenshots import PAGES, capture

pytestmark = pytest.mark.slow

OUT = ROOT / "artifacts" / "screens"


def test_every_page_in_both_themes_has_no_exception_box():
    found = in_own_thread(capture, OUT, ("light", "dark"), drag=False)
    expected = {f"{name}{suffix}.png" for name in PAGES for suffix in ("", "-dark")}
    assert set(found) == expected
    assert all((OUT / name).stat().st_size > 10_000 for name in expected)
    assert {name: n for name, n in found.items() if n} == {}
