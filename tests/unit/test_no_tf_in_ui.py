"""The Streamlit process never imports TensorFlow (~4 s and ~490 MiB): only the worker's child does.

Checked in a fresh interpreter: import every library module but the engine and the models, and
every module the pages use, then render every page of app.py through AppTest, and look at
``sys.modules``. What each file may import is checked statically by test_layers.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent(r"""
    import ast, importlib, json, pkgutil, re, sys
    from pathlib import Path

    import vae
    # Every library module but the two that are TensorFlow (the layers test keeps it that way).
    modules = [m.name for m in pkgutil.walk_packages(vae.__path__, "vae.")]
    modules = [m for m in modules if m not in ("vae.__main__", "vae.training.engine", "vae.training.models")]
    modules.append("bench.ui")  # its memory figure stands for the Streamlit process
    for path in sorted(Path("pages").glob("*.py")):  # whatever any page file imports
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.append(node.module)
    modules = sorted(set(modules))
    for name in modules:
        importlib.import_module(name)

    from streamlit.testing.v1 import AppTest
    from vae.config import DataConfig
    from vae.data.presets import generate

    rendered, exceptions = [], {}
    pages = re.findall(r'st\.Page\("(pages/[a-z_]+\.py)"', Path("app.py").read_text())
    at = AppTest.from_file(str(Path("app.py").resolve()), default_timeout=60)
    at.session_state["ll_dataset"] = generate(DataConfig(n_samples=200))
    at.run()
    for page in pages:
        at.switch_page(page).run()
        rendered.append(page)
        if at.exception:
            exceptions[page] = [e.message for e in at.exception]
    print(json.dumps({"modules": modules, "pages": rendered, "exceptions": exceptions,
                      "tensorflow": "tensorflow" in sys.modules, "keras": "keras" in sys.modules}))
""")


def test_no_page_or_ui_module_imports_tensorflow():
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert "pages/train.py" in result["pages"] and len(result["pages"]) >= 6
    assert {"vae.ui.training", "vae.training.worker", "vae.training.pool", "vae.core.losses"} <= set(
        result["modules"]
    )
    assert result["tensorflow"] is False
    assert result["keras"] is False
