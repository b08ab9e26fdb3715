"""AppTest fixtures.

``AppTest.from_file`` resolves a relative path against the *calling test file*,
while ``app.py`` registers its pages by paths relative to the working directory
(``st.Page("pages/home.py")``). So tests pass absolute paths (``ROOT / ...``, or
the ``app_test`` factory below) and run from the repository root, as
``streamlit run app.py`` does.

    def test_page(app_test):
        at = app_test("pages/learn.py").run()
        assert not at.exception
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture
def app_test() -> Callable[..., AppTest]:
    """Factory: ``app_test("app.py")`` or ``app_test("pages/train.py", default_timeout=60)``."""

    def make(script: str = "app.py", default_timeout: float = 30) -> AppTest:
        return AppTest.from_file(str(ROOT / script), default_timeout=default_timeout)

    return make
