"""The ``cyclegan-lesson`` command line.

cyclegan-lesson train [--profile P] [--epochs N ...]    train or resume a run
cyclegan-lesson config [--profile P] [--epochs N ...]   show the resolved configuration
cyclegan-lesson translate | export | evaluate | grid --run DIR ...   use a trained run
cyclegan-lesson toy-dataset DIR [--image-size N] [--seed S]

The flags of ``train`` and ``config`` are generated from the :class:`~.config.Config` fields,
their help from each field's ``metadata["help"]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from .config import DEFAULT_PROFILE, FIELD_NAMES, PROFILE_ENV, PROFILES, Config, get_config

# What each section of Config settles (the sections come from the fields' metadata).
SECTION_DESCRIPTIONS = {
    "data": "where the images come from and how the training batches are cut from them",
    "models": "the generators' and discriminators' layers",
    "attention": "generators that mask where they change the image (price: --lambda-mask)",
    "losses": "what the generators and discriminators are trained to minimise",
    "optimisation": "how long and how the networks are trained",
    "bookkeeping": "what a run writes, and where",
}
METAVARS = {"int": "N", "float": "X"}


def flag_name(field: dataclasses.Field) -> str:
    """The command-line flag of a Config field: ``--image-size``; ``--out`` for output_dir."""
    return "--out" if field.name == "output_dir" else "--" + field.name.replace("_", "-")


def shown_value(value) -> str:
    """A setting as it would be typed: ``none`` for None, ``on``/``off`` for booleans."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def flag_help(field: dataclasses.Field) -> str:
    """The field's help text, ended by its value in the default profile."""
    default = shown_value(getattr(PROFILES[DEFAULT_PROFILE], field.name))
    text = field.metadata.get("help", "").strip()  # tests/test_cli.py demands one
    return f"{text} ({DEFAULT_PROFILE} profile: {default})".lstrip()


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per Config field (``--image-size``, ``--epochs``, ...), in one argument group
    per section of Config, plus ``--profile``. Every flag defaults to None: a flag that is not
    given leaves the setting to the profile and the environment."""
    parser.add_argument(
        "--profile",
        choices=list(PROFILES),
        help="preset of all the settings below, which single flags then override "
        f"(default: ${PROFILE_ENV}, else {DEFAULT_PROFILE})",
    )
    groups: dict[str, argparse._ArgumentGroup] = {}
    for f in dataclasses.fields(Config):
        section = f.metadata.get("section", "other settings")
        if section not in groups:
            groups[section] = parser.add_argument_group(section, SECTION_DESCRIPTIONS.get(section))
        group = groups[section]
        help_text = flag_help(f).replace("%", "%%")  # argparse formats help with %
        base_type = f.type.split("|")[0].strip() if isinstance(f.type, str) else f.type.__name__
        if base_type == "bool":
            group.add_argument(
                flag_name(f),
                dest=f.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        elif "choices" in f.metadata:
            group.add_argument(
                flag_name(f),
                dest=f.name,
                default=None,
                choices=f.metadata["choices"],
                help=help_text,
            )
        else:
            metavar = f.metadata.get("metavar") or METAVARS.get(base_type, f.name.upper())
            group.add_argument(
                flag_name(f), dest=f.name, default=None, metavar=metavar, help=help_text
            )


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--run",
        required=True,
        metavar="DIR",
        help="the run folder (the --out of a `cyclegan-lesson train` run): its config.json "
        "and checkpoints are used (required)",
    )
    parser.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="a checkpoint of the run, e.g. DIR/checkpoints/ckpt-700 (default: the run's newest)",
    )


def _profiles_table() -> str:
    """A table of the profiles, from PROFILES: dataset, size, networks, loss and length."""
    rows = [["", "dataset", "px", "generator", "loss", "epochs"]]
    for name, p in PROFILES.items():
        generator = p.generator + ("+attention" if p.attention else "")
        rows.append([name, p.dataset, str(p.image_size), generator, p.loss, str(p.epochs)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  "
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


TRAIN_DESCRIPTION = f"""\
Train a CycleGAN, or resume one.

The settings come from a profile (--profile; default ${PROFILE_ENV},
else {DEFAULT_PROFILE}), then CYCLEGAN_LESSON_<SETTING> environment variables (e.g.
CYCLEGAN_LESSON_EPOCHS=3), then the flags below; `cyclegan-lesson config`
prints what they resolve to. The value at the end of each flag's help is the
{DEFAULT_PROFILE} profile's.

The run folder (--out) gets config.json (the settings), checkpoints/ (the
newest --keep-checkpoints, saved every --checkpoint-every epochs, after the last epoch and on
Ctrl-C), previews/ (a PNG of test translations per epoch), history.csv (the
mean losses of each epoch) and, with --tensorboard, tensorboard/.

If the run folder already holds checkpoints, training resumes from the newest,
at the step where it stopped; the model settings must be the ones it was made
with. A finished run is never overwritten: pass a larger --epochs to train on."""

TRAIN_EPILOG = f"""\
profiles:
{_profiles_table()}

examples:
  cyclegan-lesson train
      the {DEFAULT_PROFILE} profile; after Ctrl-C, the same line resumes it
  cyclegan-lesson train --epochs 10
      train a finished {DEFAULT_PROFILE} run on, to 10 epochs
  cyclegan-lesson train --no-attention --out runs/demo-plain
      the {DEFAULT_PROFILE} profile without attention, in a folder of its own
  cyclegan-lesson train --profile tiny --out runs/smoke
      a run of seconds, to check an installation
  cyclegan-lesson train --profile tutorial --generator resnet --pool-size 50
      the seed tutorial on tfds' horse2zebra, with the paper's ResNet and pool
  cyclegan-lesson train --dataset photos/ --image-size 128 --out runs/mine
      your own folder of trainA/ and trainB/ images"""

CONFIG_DESCRIPTION = f"""\
Print the settings a run would use: a profile (--profile; default
${PROFILE_ENV}, else {DEFAULT_PROFILE}), then CYCLEGAN_LESSON_<SETTING>
environment variables, then the flags, which are those of
`cyclegan-lesson train`. Nothing is trained or written."""


def config_from_args(args: argparse.Namespace) -> Config:
    overrides = {name: getattr(args, name) for name in FIELD_NAMES if hasattr(args, name)}
    return get_config(args.profile, overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cyclegan-lesson",
        description="Train and use a CycleGAN, the lesson's way.",
        epilog="Run `cyclegan-lesson COMMAND --help` for a command's options.",
    )
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        title="commands",
        metavar="COMMAND",
        help="what to do (`cyclegan-lesson COMMAND --help` tells more)",
    )
    raw = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser(
        "train",
        help="train (or resume) a CycleGAN run",
        description=TRAIN_DESCRIPTION,
        epilog=TRAIN_EPILOG,
        formatter_class=raw,
    )
    _add_config_flags(p)
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bars (default: a bar per epoch)",
    )

    p = sub.add_parser(
        "translate",
        help="translate an image or a folder with a trained run",
        description="Translate an image, or every image in a folder, with a run's G (a2b) or "
        "F (b2a). Names are kept; PNG, JPEG, BMP and WebP keep their format, other images "
        "become PNG; unreadable files are skipped and listed.",
    )
    _add_run_flags(p)
    p.add_argument(
        "--direction",
        choices=["a2b", "b2a"],
        required=True,
        help="a2b: G turns domain A (e.g. horses) into B (zebras); b2a: F turns B into A "
        "(required)",
    )
    p.add_argument(
        "--input",
        required=True,
        metavar="PATH",
        help="an image file or a folder of images (required)",
    )
    p.add_argument(
        "--output",
        required=True,
        metavar="DIR",
        help="folder for the translated images, made if missing (required)",
    )
    p.add_argument(
        "--native",
        action="store_true",
        help="run at each image's own size, padded to what the generator takes "
        "(default: resize each image to the run's image size, which the output has)",
    )

    p = sub.add_parser(
        "export",
        help="write the generators as SavedModels and .keras files",
        description="Write G (generator_g, A->B) and F (generator_f, B->A) as SavedModels, "
        "whose serving_default takes and gives uint8 images of any batch and size, and as "
        ".keras files.",
    )
    _add_run_flags(p)
    p.add_argument(
        "--output",
        required=True,
        metavar="DIR",
        help="folder to write them into, made if missing (required)",
    )

    p = sub.add_parser(
        "evaluate",
        help="measure a run's translations on the test sets",
        description="Measure a run's translations on the test sets: cycle and identity L1, "
        "a domain score from a separately trained classifier, paired metrics on the toy "
        "dataset and, with --inception-weights, KID. Prints a table.",
    )
    _add_run_flags(p)
    p.add_argument(
        "--dataset",
        metavar="SOURCE",
        help="evaluate on another dataset source: 'toy', 'tfds:cycle_gan/<config>' or a "
        "folder (default: the run's own)",
    )
    p.add_argument(
        "--json",
        metavar="FILE",
        help="also write the results to this JSON file (default: only print them)",
    )
    p.add_argument(
        "--inception-weights",
        metavar="FILE",
        help="local InceptionV3 (include_top=False) weights file, to add KID; "
        "nothing is downloaded (default: no KID)",
    )

    p = sub.add_parser(
        "grid",
        help="draw input | translation | reconstruction for test images",
        description="Draw input | translation | reconstruction for the first test images of "
        "each domain: x -> G(x) -> F(G(x)) on the left, y -> F(y) -> G(F(y)) on the right.",
    )
    _add_run_flags(p)
    p.add_argument("--output", required=True, metavar="FILE", help="PNG file to write (required)")
    p.add_argument(
        "--rows",
        type=int,
        default=4,
        metavar="N",
        help="test images per domain, one per row (default: %(default)s)",
    )

    p = sub.add_parser(
        "status",
        help="say where a run stands: epoch, step, newest checkpoint, finished or not",
        description="Say where a run stands: its epoch and step, its newest checkpoint, and "
        "whether it has trained all its epochs. Exits 0 when it has finished, 1 when it "
        "has not (or has not started), so scripts can ask.",
    )
    p.add_argument("--run", required=True, help="the --out folder of a training run (required)")

    p = sub.add_parser(
        "config",
        help="print the configuration a run would use",
        description=CONFIG_DESCRIPTION,
        epilog=f"profiles:\n{_profiles_table()}",
        formatter_class=raw,
    )
    _add_config_flags(p)

    p = sub.add_parser(
        "student-version",
        help="write the lesson's notebooks without their solutions, for students",
        description="Write each notebook without its solutions: cells tagged 'solution' "
        "are removed, and lines between '### BEGIN SOLUTION' and '### END SOLUTION' become "
        "'...'. The exercises' stubs and checks stay, so students can still check their "
        "answers.",
    )
    p.add_argument("notebooks", nargs="+", help="the notebooks (.ipynb) to convert")
    p.add_argument(
        "--out", required=True, help="folder for the student versions, made if missing (required)"
    )

    p = sub.add_parser(
        "ablations",
        help="train and score the lesson's ablations (notebook 06) side by side",
        description="Short runs of equal length, each changing one setting of the profile "
        "(no cycle loss, no identity loss, lambda 1 and 30, BCE, no image pool, a wide "
        "discriminator, attention; the baseline with two seeds), scored on the toy's paired "
        "scenes. Each run goes to a folder of its own; a finished one is scored again, not "
        "retrained. The short run is at 64 px with batches of one unless --image-size or "
        "--batch-size says otherwise.",
    )
    _add_config_flags(p)
    p.add_argument(
        "--steps",
        type=int,
        default=1500,
        metavar="N",
        help="training steps of each run, in two epochs (default: %(default)s)",
    )
    p.add_argument(
        "--only",
        metavar="NAMES",
        help="comma-separated names of the variants to run (default: all of them)",
    )
    p.add_argument(
        "--ablations-dir",
        metavar="DIR",
        help="folder for the runs (default: the run folder's name + '-ablations', e.g. "
        "runs/demo-ablations)",
    )
    p.add_argument(
        "--json", metavar="FILE", help="also write the table's rows as JSON (default: none)"
    )
    p.add_argument(
        "--grid", metavar="FILE", help="also draw the picture grid into a PNG (default: none)"
    )

    p = sub.add_parser(
        "toy-dataset",
        help="write the built-in toy horse2zebra as PNG folders",
        description="Write the built-in toy horse2zebra as PNG folders (trainA/ trainB/ "
        "testA/ testB/, and pairedA/ pairedB/ of the same scenes both ways), for a folder "
        "dataset or any other CycleGAN code.",
    )
    p.add_argument("directory", help="folder to write the image folders into, made if missing")
    p.add_argument(
        "--image-size",
        type=int,
        default=64,
        metavar="N",
        help="side of the square images, in pixels, at least 8 (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="random seed of the scenes (default: %(default)s)",
    )
    return parser


def _cmd_config(args) -> int:
    _print_config(config_from_args(args))
    return 0


def _print_config(config: Config) -> None:
    for key, value in config.to_dict().items():
        print(f"{key:>16} = {value!r}")


def _cmd_train(args) -> int:
    import time

    from .distribute import make_strategy
    from .training import run_paths, train

    config = config_from_args(args)
    _print_config(config)
    strategy = make_strategy(config.strategy)  # before anything else runs TensorFlow
    replicas = strategy.num_replicas_in_sync
    print(f"{'strategy':>16}   {type(strategy).__name__.lstrip('_')}, {replicas} replica(s)")
    if config.precision == "auto":
        from .speedups import resolve_precision

        print(f"{'precision':>16}   auto: {resolve_precision('auto')} on this machine")
    paths = run_paths(config.output_dir)
    print(f"\nRun folder: {paths['root'].resolve()}", flush=True)
    started = time.perf_counter()
    result = train(config, strategy=strategy, progress=not args.no_progress)
    minutes = (time.perf_counter() - started) / 60
    state = "Interrupted; re-run the same command to resume" if result.interrupted else "Done"
    print(f"\n{state} after {minutes:.1f} min.")
    print(f"  checkpoints: {paths['checkpoints'].resolve()}")
    print(f"  previews:    {paths['previews'].resolve()}")
    print(f"  history:     {paths['history'].resolve()}")
    return 130 if result.interrupted else 0


def _cmd_status(args) -> int:
    from .runs import run_status

    status = run_status(args.run)
    if status["epochs"] is None:
        print(f"{args.run}: no run yet (no config.json)")
        return 1
    state = "finished" if status["finished"] else "not finished"
    print(
        f"{args.run}: {state}, epoch {status['epoch']} of {status['epochs']}, "
        f"step {status['step']}, checkpoint {status['checkpoint']}"
    )
    return 0 if status["finished"] else 1


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


def _cmd_ablations(args) -> int:
    from . import experiments

    config = config_from_args(args)
    base = experiments.short_run(
        config,
        args.steps,
        image_size=None if args.image_size else 64,
        batch_size=None if args.batch_size else 1,
    )
    variants = experiments.ablations(base)
    if args.only:
        wanted = [name.strip() for name in args.only.split(",")]
        known = {v.name: v for v in variants}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise ValueError(
                f"--only: no variant named {', '.join(map(repr, unknown))}; the variants are "
                + ", ".join(known)
            )
        variants = [known[name] for name in wanted]
    result = experiments.run_ablations(variants, base, output_dir=args.ablations_dir)
    print(result.table())
    if args.json:
        print(f"rows written to {result.to_json(args.json)}")
    if args.grid:
        result.grid().savefig(args.grid, dpi=80)
        print(f"grid written to {args.grid}")
    return 0


def _cmd_toy_dataset(args) -> int:
    from . import toy

    if args.image_size < 8:
        raise SystemExit("error: --image-size must be at least 8")
    counts = toy.write_dataset(args.directory, size=args.image_size, seed=args.seed)
    for split, n in counts.items():
        print(f"{n:5d} images in {os.path.join(args.directory, split)}")
    return 0


def _cmd_student_version(args) -> int:
    from .student import write_student_versions

    for path in write_student_versions([Path(p) for p in args.notebooks], Path(args.out)):
        print(path)
    return 0


COMMANDS = {
    "ablations": _cmd_ablations,
    "student-version": _cmd_student_version,
    "train": _cmd_train,
    "translate": _cmd_translate,
    "export": _cmd_export,
    "evaluate": _cmd_evaluate,
    "grid": _cmd_grid,
    "status": _cmd_status,
    "config": _cmd_config,
    "toy-dataset": _cmd_toy_dataset,
}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    from .data import DataSourceError
    from .distribute import StrategyError
    from .inference import RunError
    from .training import TrainingError

    try:
        return COMMANDS[args.command](args)
    except (ValueError, DataSourceError, TrainingError, RunError, StrategyError) as error:
        print(f"cyclegan-lesson {args.command}: error: {error}", file=sys.stderr)
        return 2 if isinstance(error, ValueError) else 1


if __name__ == "__main__":
    sys.exit(main())
