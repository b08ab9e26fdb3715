"""Command line: ``python -m vae app | train | bench | info``.

    python -m vae app                      # the app, as streamlit run app.py (options pass through)
    python -m vae train --data two_moons --epochs 60 --out run.zip
    python -m vae train --data points.csv --columns x,y --beta 4
    python -m vae bench --quick --json
    python -m vae info run.zip

Bad arguments, settings or data exit with status 2 and one line
``error: ...`` on stderr (no traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vae.config import DEFAULT_STEPS, DataConfig, ModelConfig, TrainConfig, default_epochs
from vae.settings import Setting, from_text, schema, to_text, with_value


class UsageError(Exception):
    """A user mistake: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print usage and exit itself
        raise UsageError(message)


def _cli_type(s: Setting) -> Callable[[str], Any]:
    """argparse's type for a setting: ``settings.from_text``, its error as argparse's own."""

    def convert(text: str) -> Any:
        try:
            return from_text(s, text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    convert.__name__ = s.kind
    return convert


# Where the command line's default is not the field's: the budget is sized to the data, and a
# CSV's columns and label are the ones the Data page proposes.
CLI_DEFAULTS = {
    "epochs": f"sized to {DEFAULT_STEPS} optimizer steps, 60 on 2,000 rows",
    "columns": "the proposed ones",
    "label_column": "the proposed label",
}


def add_settings(group: argparse._ArgumentGroup, cls: type) -> None:
    """One option per setting of ``cls`` the CLI takes (vae.settings); absent options stay None."""
    for s in schema(cls):
        if not s.cli:
            continue
        own = "the preset's own" if "default" in s.per_preset else to_text(s, s.default)
        text = f"{s.cli_help or s.help} (default {CLI_DEFAULTS.get(s.field, own)})".replace("%", "%%")
        flags, dest = (s.flag, *s.aliases), {"dest": s.name, "default": None, "help": text}
        if s.kind == "bool":
            group.add_argument(*flags, action=argparse.BooleanOptionalAction, **dest)
        elif s.kind == "choice":
            group.add_argument(*flags, choices=s.choices, **dest)
        else:
            group.add_argument(*flags, type=_cli_type(s), **dest)


def settings_from_args(cls: type, args: argparse.Namespace, **fixed: Any) -> Any:
    """``cls`` built from the options given; the field's default where an option is absent."""
    given = {s.field: getattr(args, s.name) for s in schema(cls) if s.cli}
    return cls(**fixed, **{field: value for field, value in given.items() if value is not None})


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m vae", description="Latent Lab: train and benchmark VAEs.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser(
        "app",
        help="start the app: streamlit run app.py (its options follow, e.g. --server.port 8502), "
        "making no outbound lookup from the server's start",
        add_help=False,  # everything after "app" is Streamlit's
    )
    train = sub.add_parser("train", help="train a model on a preset or a CSV file")
    add_settings(train.add_argument_group("data"), DataConfig)
    add_settings(train.add_argument_group("model"), ModelConfig)
    add_settings(train.add_argument_group("training"), TrainConfig)
    train.add_argument("--out", type=Path, help="write the trained run (a zip bundle) here")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    bench = sub.add_parser("bench", help="measure training, decoding, parsing and UI overhead")
    bench.add_argument("--quick", action="store_true", help="finish in under a minute")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument(
        "--only",
        default="engine,parse,ui",
        help="comma-separated sections: engine, parse, ui, load, live, exact, latency (default "
        "engine,parse,ui; load drives 4 browser sessions and 30 trainings, and needs the test extras; "
        "live times the Train page's live view and its snapshot memory; exact times and checks the "
        "exact log p(x) by quadrature; latency times Start, Pause, Step and Compare in a browser)",
    )
    bench.add_argument("--out", type=Path, help="also write the JSON report here")
    bench.add_argument("--markdown", type=Path, help="also write a Markdown report (BENCHMARKS.md) here")

    info = sub.add_parser("info", help="check a run bundle (.zip) and print its summary")
    info.add_argument("bundle", type=Path, help="a run bundle written by train --out or the Runs page")
    return parser


def data_config_from_args(args: argparse.Namespace) -> DataConfig:
    """The dataset's settings: a preset's own defaults, or a CSV's; then the options given that apply."""
    from vae.data.presets import PRESETS, preset_config

    data = args.data or DataConfig().preset
    config = preset_config(data) if data in PRESETS else DataConfig(source="upload", name=Path(data).name)
    for s in schema(DataConfig):
        value = getattr(args, s.name)
        if s.name != "data" and value is not None and s.applies(vars(config)):
            config = with_value(config, s, value)
    return config


def load_data(args: argparse.Namespace, config: DataConfig):
    from vae.data.build import build_dataset
    from vae.data.csv_reader import read_table
    from vae.data.presets import PRESETS, generate

    if config.source == "preset":
        return generate(config)
    path = Path(args.data)
    if not path.is_file():
        raise UsageError(
            f"--data must be a preset ({', '.join(PRESETS)}) or an existing CSV file. Received: {args.data!r}"
        )
    table = read_table(path, name=path.name)
    # The Data page's proposal unless told otherwise; --label none turns the label off.
    label = table.roles().label if config.label_column is None else config.label_column
    return build_dataset(
        table,
        list(config.columns) or None,
        label_column=None if label == "none" and "none" not in table.columns else label,
        scaling=config.scaling,
        missing=config.missing,
    )


class ProgressBar:
    """One self-rewriting stderr line: epoch, loss and ETA."""

    WIDTH = 24

    def __init__(self, total: int):
        self.total, self.after_first = total, None

    def update(self, record: dict[str, Any]) -> None:
        done = record["epoch"]
        now = time.perf_counter()
        # The first epoch includes XLA compilation: estimate from the ones after it.
        if self.after_first is None:
            self.after_first = now
        per_epoch = (now - self.after_first) / (done - 1) if done > 1 else record["seconds"]
        eta = per_epoch * (self.total - done)
        filled = int(self.WIDTH * done / self.total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        val = f" val {record['val_loss']:.4f}" if "val_loss" in record else ""
        sys.stderr.write(
            f"\repoch {done:>{len(str(self.total))}}/{self.total} [{bar}] "
            f"loss {record['loss']:.4f} (recon {record['recon']:.4f}, kl {record['kl']:.4f})"
            f"{val}  ETA {eta:5.1f}s "
        )
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")


def check_out_path(path: Path | None, option: str = "--out") -> None:
    """Raise ``UsageError`` if a file cannot be written at ``path``, before any long work would be lost.

    Checked before training: the trained run exists only in memory until it is written.
    """
    if path is None:
        return
    if path.is_dir():
        raise UsageError(
            f"{option} {str(path)!r} is a folder; give a file name in it, e.g. {str(path / 'run.zip')!r}"
        )
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(
            f"{option} {str(path)!r}: the folder {str(folder)!r} does not exist; create it or choose another path"
        )
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"{option} {str(path)!r} cannot be written (permission denied); choose another path")


def _write_or_keep(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path``; if that fails after all, keep it in a temporary file and say where."""
    try:
        path.write_bytes(payload)
    except OSError as error:
        import tempfile

        with tempfile.NamedTemporaryFile(prefix="latent-lab-run-", suffix=".zip", delete=False) as kept:
            kept.write(payload)
        raise UsageError(
            f"could not write {str(path)!r} ({error.strerror or error}); the run was saved to {kept.name!r} instead"
        ) from None


def cmd_train(args: argparse.Namespace) -> int:
    check_out_path(args.out)
    data_config = data_config_from_args(args)
    train_config = settings_from_args(TrainConfig, args)  # epochs, when absent, is sized below
    dataset = load_data(args, data_config)
    data_config = dataset.config if dataset.config.source == "upload" else data_config
    if not args.quiet:
        for line in (*dataset.notes, *dataset.warnings):
            print(f"data: {line}", file=sys.stderr)
    model_config = settings_from_args(ModelConfig, args, input_dim=dataset.n_dims)
    if args.epochs is None:  # the default budget is in optimizer steps, as on the Train page
        train_config = train_config.replace(
            epochs=default_epochs(dataset.n_rows, train_config.batch_size, train_config.validation_split)
        )
    train_config.check_against_data(dataset.n_rows)

    from vae.runs.run import Run
    from vae.training.fit import fit, split_data

    x_train, x_val = split_data(dataset.standardized(), train_config)
    bar = None if args.quiet else ProgressBar(train_config.epochs)
    result = fit(x_train, model_config, train_config, x_val=x_val, on_epoch=bar.update if bar else None)
    if bar:
        bar.close()
    run = Run(data_config, model_config, train_config, history=result.history, weights=result.weights)
    run.end(result.stop_reason, result.message)
    last = run.history[-1] if run.history else {}
    print(
        f"{model_config.label} on {dataset.name} ({dataset.n_rows:,} rows): {result.stop_reason} "
        f"after {len(run.history)} epochs; loss {run.last_loss:.4f} nats/point "
        f"(recon {last.get('recon', math.nan):.4f} + beta x KL {last.get('kl', math.nan):.4f})"
    )
    if run.message:
        print(run.message)
    if args.out:
        from vae.storage.bundle_save import save_bundle

        _write_or_keep(args.out, save_bundle(run, dataset))
        print(f"wrote {args.out}")
    return 0 if run.status == "finished" else 1


def cmd_bench(args: argparse.Namespace) -> int:
    from bench import engine as bench
    from bench.sections import SECTIONS, measure

    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = sections - set(SECTIONS)
    if unknown:
        raise UsageError(f"--only takes {', '.join(SECTIONS)}. Received: {', '.join(sorted(unknown))}")
    check_out_path(args.out)
    check_out_path(args.markdown, "--markdown")
    result = measure(sections, quick=args.quick)
    result["peak_rss_mb"] = bench.peak_rss_mb()
    text = json.dumps(result, indent=None if args.json else 2, default=float)
    if args.out:
        args.out.write_text(text + "\n")
    if args.markdown:
        only = "" if args.only == "engine,parse,ui" else f" --only {args.only}"
        command = f"python -m vae bench{' --quick' if args.quick else ''}{only} --markdown {args.markdown}"
        args.markdown.write_text(bench.format_markdown(result, command))
    print(text if args.json else bench.format_report(result))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from vae.storage.bundle_format import MAX_TOTAL_BYTES
    from vae.storage.bundle_load import summarize_bundle

    path: Path = args.bundle
    if not path.is_file():
        raise UsageError(f"no such bundle file: {str(path)!r}")
    if path.stat().st_size > MAX_TOTAL_BYTES:
        raise UsageError(
            f"{path.name} is {path.stat().st_size:,} bytes, over the {MAX_TOTAL_BYTES:,}-byte "
            f"bundle limit; it is not a Latent Lab run bundle."
        )
    print(summarize_bundle(path.read_bytes()))  # BundleError is a ValueError: exit 2
    return 0


def cmd_app(options: Sequence[str]) -> int:
    """``streamlit run app.py OPTIONS`` in this process, with Streamlit's address lookups off first.

    Streamlit's WebSocket origin check looks up this machine's addresses (a UDP socket towards
    8.8.8.8, an HTTP request to checkip.amazonaws.com) for any foreign ``Origin``, and no setting
    avoids it (``vae.ui.offline``). app.py turns the lookups off, but only once a session runs it;
    here they are off before the server exists, so even a first request with a foreign Origin
    makes none.
    """
    from streamlit.web import cli as streamlit_cli

    from vae.ui import offline

    offline.apply()
    app = Path(__file__).resolve().parents[1] / "app.py"
    return streamlit_cli.main(["run", str(app), *options], prog_name="streamlit", standalone_mode=False) or 0


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["app"]:  # Streamlit parses the rest (argparse would take --server.port as ours)
        return cmd_app(argv[1:])
    try:
        args = build_parser().parse_args(argv)
        if args.command == "train":
            return cmd_train(args)
        if args.command == "info":
            return cmd_info(args)
        return cmd_bench(args)
    except (UsageError, ValueError) as error:  # DataError and config errors are ValueErrors
        message = " ".join(str(error).split())
        print(f"error: {message}", file=sys.stderr)
        return 2
    except MemoryError:  # readers turn theirs into their own errors; anything else still gets one line
        print(
            "error: out of memory; use a smaller file or settings, or close other programs.", file=sys.stderr
        )
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
