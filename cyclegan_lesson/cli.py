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


def config_from_args(args: argparse.Namespace) -> Config:
    overrides = {name: getattr(args, name) for name in FIELD_NAMES if hasattr(args, name)}
    return get_config(args.profile, overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cyclegan-lesson", description="Train and use a CycleGAN, the lesson's way."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("config", help="print the configuration a run would use")
    _add_config_flags(p)

    p = sub.add_parser("toy-dataset", help="write the built-in toy horse2zebra as PNG folders")
    p.add_argument("directory")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    return parser


def _cmd_config(args) -> int:
    config = config_from_args(args)
    for key, value in config.to_dict().items():
        print(f"{key:>16} = {value!r}")
    return 0


def _cmd_toy_dataset(args) -> int:
    from . import toy

    if args.image_size < 8:
        raise SystemExit("error: --image-size must be at least 8")
    counts = toy.write_dataset(args.directory, size=args.image_size, seed=args.seed)
    for split, n in counts.items():
        print(f"{n:5d} images in {os.path.join(args.directory, split)}")
    return 0


COMMANDS = {"config": _cmd_config, "toy-dataset": _cmd_toy_dataset}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    from .data import DataSourceError

    try:
        return COMMANDS[args.command](args)
    except (ValueError, DataSourceError) as error:
        print(f"cyclegan-lesson {args.command}: error: {error}", file=sys.stderr)
        return 2 if isinstance(error, ValueError) else 1


if __name__ == "__main__":
    sys.exit(main())
