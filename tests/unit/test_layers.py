"""The layers of docs/ARCHITECTURE.md, enforced by reading every import of every .py file.

Imports are read with ``ast`` (module-level and inside functions alike), so a
lazy ``import tensorflow`` in a helper counts as much as one at the top. The
only import not seen here is the worker child's ``importlib.import_module`` of
the engine, which lives in vae/training (the test checks that too). What a
module imports at run time, transitively, is checked by test_no_tf_in_ui.py.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Which vae packages each vae package may import (besides itself). Lower layers never import higher.
_SETTINGS = {"vae.settings", "vae.config"}  # the settings schema and its declarations: the base
ALLOWED = {
    "vae.settings": set(),
    "vae.config": {"vae.settings"},
    "vae.data": _SETTINGS,
    "vae.core": _SETTINGS | {"vae.data"},
    "vae.runs": _SETTINGS | {"vae.data", "vae.core"},
    "vae.storage": _SETTINGS | {"vae", "vae.data", "vae.core", "vae.runs"},
    "vae.training": _SETTINGS | {"vae.core", "vae.runs"},
    # Compare (its comparison and report) runs models through the training side's scheduler.
    "vae.compare": _SETTINGS | {"vae.data", "vae.core", "vae.runs", "vae.training"},
    "vae.compare_report": _SETTINGS | {"vae.data", "vae.core", "vae.compare"},
    "vae.ui": _SETTINGS
    | {
        "vae",
        "vae.data",
        "vae.core",
        "vae.runs",
        "vae.storage",
        "vae.training",
        "vae.compare",
        "vae.compare_report",
    },
    # The command line is the top: it trains (engine), benchmarks (bench) and starts the app (vae.ui).
    "vae.__main__": _SETTINGS
    | {"vae", "vae.data", "vae.core", "vae.runs", "vae.storage", "vae.training", "vae.ui"},
    "vae": set(),
}
# (module, package) imports that break the layers on purpose, each inside the function that needs it.
EXCEPTIONS = {
    # The warm child traces Compare's default variants before any job asks for them.
    ("vae.training.worker_child", "vae.compare"),
}
# The modules of vae/training that the Streamlit process may import: the parent side (no TensorFlow).
PARENT_SIDE = {
    "vae.training",
    "vae.training.worker",
    "vae.training.pool",
    "vae.training.scheduler",
    "vae.training.worker_child",
}
TENSORFLOW = {"tensorflow", "keras"}
STREAMLIT = {"streamlit"}
PLOTLY = {"plotly"}
OUTSIDE_LIBRARY = ("bench", "tests", "tools", "pages", "app")


def _python_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, at any depth; ``from a import b`` gives a.b too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _package(module: str) -> str:
    """vae.core.losses -> vae.core; vae.__main__ -> vae.__main__; vae -> vae."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "vae" and len(parts) > 1 else parts[0]


def _is_module(name: str) -> bool:
    """True if ``name`` is a vae module or package (``from vae.core import losses`` names one)."""
    path = ROOT / Path(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


FILES = _python_files()
IMPORTS = {path: _imports(path) for path in FILES}


def _violations(rule) -> list[str]:
    out = []
    for path, imports in IMPORTS.items():
        module = _module(path)
        for line, name in imports:
            why = rule(module, name)
            if why:
                out.append(f"{path.relative_to(ROOT)}:{line} imports {name}: {why}")
    return sorted(set(out))


def test_the_files_are_found():
    modules = {_module(path) for path in FILES}
    assert {"vae.core.losses", "vae.training.engine", "vae.ui.state", "pages.train", "app"} <= modules


def _top(name: str) -> str:
    return name.split(".")[0]


def tensorflow_rule(module: str, name: str) -> str | None:
    if _top(name) not in TENSORFLOW or module.startswith(("bench", "tests", "tools")):
        return None
    if not module.startswith("vae.training"):
        return "TensorFlow and Keras belong in vae/training only"
    if module in PARENT_SIDE:
        return "the parent side of training runs in the Streamlit process"
    return None


def test_tensorflow_and_keras_only_in_the_training_package():
    assert _violations(tensorflow_rule) == []


def test_the_worker_child_imports_the_engine_from_the_training_package():
    from vae.training import worker_child

    assert worker_child.ENGINE_MODULE.startswith("vae.training.")
    assert "importlib.import_module(ENGINE_MODULE)" in (ROOT / "vae/training/worker_child.py").read_text()


def test_streamlit_only_in_the_ui_package_pages_and_app():
    def rule(module: str, name: str) -> str | None:
        if _top(name) not in STREAMLIT:
            return None
        if module.startswith(("vae.ui", "pages", "app", "tests", "tools")) or module == "vae.__main__":
            return None  # (python -m vae app starts the server)
        return "Streamlit belongs in vae/ui, pages/ and app.py only"

    assert _violations(rule) == []


def test_plotly_only_in_the_ui_package_and_pages():
    def rule(module: str, name: str) -> str | None:
        if _top(name) not in PLOTLY or module.startswith(
            ("vae.ui", "pages", "app", "tests", "tools", "bench")
        ):
            return None
        return "figures are built in vae/ui; the library computes numbers"

    assert _violations(rule) == []


def layer_rule(module: str, name: str) -> str | None:
    if not module.startswith("vae") or _top(name) != "vae" or name == "vae" or not _is_module(name):
        return None  # (``vae`` itself holds only ``__version__``)
    mine, theirs = _package(module), _package(name)
    if theirs == mine or (module, theirs) in EXCEPTIONS:
        return None
    if theirs not in ALLOWED[mine]:
        return f"{mine} may import only {', '.join(sorted(ALLOWED[mine])) or 'nothing of vae'}"
    if theirs == "vae.training" and mine != "vae.__main__" and name not in PARENT_SIDE:
        return "outside vae/training only the parent side (worker, pool, scheduler) may be imported"
    return None


def test_each_vae_package_imports_only_the_layers_below_it():
    assert _violations(layer_rule) == []


def test_pages_use_the_parent_side_of_training_only():
    def rule(module: str, name: str) -> str | None:
        if not module.startswith(("pages", "app")) or _package(name) != "vae.training":
            return None
        return None if name in PARENT_SIDE or not _is_module(name) else "pages run in the Streamlit process"

    assert _violations(rule) == []


def test_the_library_never_imports_pages_tests_tools_or_benchmarks():
    def rule(module: str, name: str) -> str | None:
        if not module.startswith("vae") or _top(name) not in OUTSIDE_LIBRARY:
            return None
        if module == "vae.__main__" and _top(name) == "bench":
            return None  # python -m vae bench runs them
        return "vae/ is a library: nothing in it depends on the app, its tests or its tools"

    assert _violations(rule) == []


def test_a_violation_is_reported(monkeypatch):
    """The rules do catch an import: a function-level ``import keras`` in the core, or the UI importing
    the engine."""
    core, ui = ROOT / "vae/core/losses.py", ROOT / "vae/ui/state.py"
    monkeypatch.setitem(IMPORTS, core, [*IMPORTS[core], (7, "keras.ops")])
    monkeypatch.setitem(IMPORTS, ui, [*IMPORTS[ui], (9, "vae.training.engine")])
    assert _violations(tensorflow_rule) == [
        "vae/core/losses.py:7 imports keras.ops: TensorFlow and Keras belong in vae/training only"
    ]
    assert _violations(layer_rule) == [
        "vae/ui/state.py:9 imports vae.training.engine: outside vae/training only the parent side "
        "(worker, pool, scheduler) may be imported"
    ]


LONG = 400  # lines; a longer module says why in its docstring ("Longer than 400 lines: ...")


def test_long_modules_say_why():
    long = []
    for path in FILES:
        name = str(path.relative_to(ROOT))
        if not _module(path).startswith(("vae", "pages", "app")):
            continue
        text = path.read_text()
        lines = text.count("\n")
        if lines > LONG and "Longer than 400 lines" not in (ast.get_docstring(ast.parse(text)) or ""):
            long.append(f"{name}: {lines} lines")
    assert long == []
