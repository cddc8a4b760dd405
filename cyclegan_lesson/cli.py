"""The ``cyclegan-lesson`` command line.

cyclegan-lesson config [--profile P] [--epochs N ...]   show the resolved configuration
cyclegan-lesson toy-dataset DIR [--image-size N] [--seed S]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from .config import FIELD_NAMES, PROFILES, Config, get_config


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per Config field (``--image-size``, ``--epochs``, ...), plus ``--profile``."""
    parser.add_argument(
        "--profile",
        choices=list(PROFILES),
        help="preset of settings (default: $CYCLEGAN_LESSON_PROFILE or demo)",
    )
    for f in dataclasses.fields(Config):
        flag = "--" + f.name.replace("_", "-")
        if f.name == "output_dir":
            flag = "--out"
        if f.type in ("bool", bool):
            parser.add_argument(
                flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None
            )
        else:
            parser.add_argument(flag, dest=f.name, default=None, metavar=f.name.upper())


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, help="the --out folder of a training run")
    parser.add_argument("--checkpoint", help="a checkpoint path (default: the run's newest)")


def config_from_args(args: argparse.Namespace) -> Config:
    overrides = {name: getattr(args, name) for name in FIELD_NAMES if hasattr(args, name)}
    return get_config(args.profile, overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cyclegan-lesson", description="Train and use a CycleGAN, the lesson's way."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train (or resume) a CycleGAN run")
    _add_config_flags(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")

    p = sub.add_parser("translate", help="translate an image or a folder with a trained run")
    _add_run_flags(p)
    p.add_argument("--direction", choices=["a2b", "b2a"], required=True)
    p.add_argument("--input", required=True, help="an image file or a folder of images")
    p.add_argument("--output", required=True, help="folder for the translated images")
    p.add_argument(
        "--native",
        action="store_true",
        help="run at each image's own size (padded to what the generator takes)",
    )

    p = sub.add_parser("export", help="write the generators as SavedModels and .keras files")
    _add_run_flags(p)
    p.add_argument("--output", required=True)

    p = sub.add_parser("evaluate", help="measure a run's translations on the test sets")
    _add_run_flags(p)
    p.add_argument("--dataset", help="evaluate on another dataset source than the run's")
    p.add_argument("--json", help="also write the results to this JSON file")
    p.add_argument(
        "--inception-weights",
        help="local InceptionV3 (include_top=False) weights file, to add KID; "
        "nothing is downloaded",
    )

    p = sub.add_parser("grid", help="draw input | translation | reconstruction for test images")
    _add_run_flags(p)
    p.add_argument("--output", required=True, help="PNG file to write")
    p.add_argument("--rows", type=int, default=4)

    p = sub.add_parser("config", help="print the configuration a run would use")
    _add_config_flags(p)

    p = sub.add_parser("toy-dataset", help="write the built-in toy horse2zebra as PNG folders")
    p.add_argument("directory")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    return parser


def _cmd_config(args) -> int:
    _print_config(config_from_args(args))
    return 0


def _print_config(config: Config) -> None:
    for key, value in config.to_dict().items():
        print(f"{key:>16} = {value!r}")


def _cmd_train(args) -> int:
    import time

    from .training import run_paths, train

    config = config_from_args(args)
    _print_config(config)
    paths = run_paths(config.output_dir)
    print(f"\nRun folder: {paths['root'].resolve()}", flush=True)
    started = time.perf_counter()
    result = train(config, progress=not args.no_progress)
    minutes = (time.perf_counter() - started) / 60
    state = "Interrupted; re-run the same command to resume" if result.interrupted else "Done"
    print(f"\n{state} after {minutes:.1f} min.")
    print(f"  checkpoints: {paths['checkpoints'].resolve()}")
    print(f"  previews:    {paths['previews'].resolve()}")
    print(f"  history:     {paths['history'].resolve()}")
    return 130 if result.interrupted else 0


def _cmd_translate(args) -> int:
    from .inference import load_run, translate_path

    run = load_run(args.run, args.checkpoint)
    report = translate_path(run, args.direction, args.input, args.output, native=args.native)
    for path, reason in report.skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    print(f"{len(report.written)} image(s) written to {args.output}", end="")
    print(f", {len(report.skipped)} skipped" if report.skipped else "")
    return 1 if report.skipped and not report.written else 0


def _cmd_export(args) -> int:
    from .inference import export, load_run

    run = load_run(args.run, args.checkpoint)
    for name, path in export(run, args.output).items():
        print(f"{name:>24}: {path}")
    return 0


def _cmd_evaluate(args) -> int:
    import json

    from .data import load_domains
    from .evaluation import evaluate, format_table
    from .inference import load_run

    run = load_run(args.run, args.checkpoint)
    config = run.config.replace(dataset=args.dataset) if args.dataset else run.config
    result = evaluate(
        run.generator_g,
        run.generator_f,
        load_domains(config),
        inception_weights=args.inception_weights,
    )
    result["checkpoint"] = run.checkpoint
    print(format_table(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
        print(f"\nwritten to {args.json}")
    return 0


def _cmd_grid(args) -> int:
    from .data import load_domains
    from .inference import load_run
    from .viz import translation_grid

    run = load_run(args.run, args.checkpoint)
    fig = translation_grid(run.generator_g, run.generator_f, load_domains(run.config), args.rows)
    fig.savefig(args.output, dpi=80)
    print(f"grid written to {args.output}")
    return 0


def _cmd_toy_dataset(args) -> int:
    from . import toy

    if args.image_size < 8:
        raise SystemExit("error: --image-size must be at least 8")
    counts = toy.write_dataset(args.directory, size=args.image_size, seed=args.seed)
    for split, n in counts.items():
        print(f"{n:5d} images in {os.path.join(args.directory, split)}")
    return 0


COMMANDS = {
    "train": _cmd_train,
    "translate": _cmd_translate,
    "export": _cmd_export,
    "evaluate": _cmd_evaluate,
    "grid": _cmd_grid,
    "config": _cmd_config,
    "toy-dataset": _cmd_toy_dataset,
}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    from .data import DataSourceError
    from .inference import RunError
    from .training import TrainingError

    try:
        return COMMANDS[args.command](args)
    except (ValueError, DataSourceError, TrainingError, RunError) as error:
        print(f"cyclegan-lesson {args.command}: error: {error}", file=sys.stderr)
        return 2 if isinstance(error, ValueError) else 1


if __name__ == "__main__":
    sys.exit(main())
