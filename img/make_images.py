"""Draw the pictures in img/: `python img/make_images.py` (from the repo root).

* overview.png  - CycleGAN's four networks and what each one sees
* cycle.png     - the forward and backward cycles and their losses
* demo_grid.png - test translations of the demo run (needs `python3 run.py demo` first)
* demo_attention.png - what the demo's G chose to change: test horses, G's masks, G's zebras
* toy_samples.png - what the built-in toy horse2zebra looks like
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
A_COLOUR, B_COLOUR, NET_COLOUR, LOSS_COLOUR = "#c8956b", "#d9d9d9", "#8fb3d9", "#e8a0a0"


def _box(ax, x, y, text, colour, w=1.6, h=0.8):
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05", fc=colour, ec="black", lw=1
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def _arrow(ax, start, end, text="", colour="black", rad=0.0, offset=(0, 0.25)):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=14,
            color=colour,
            lw=1.5,
            connectionstyle=f"arc3,rad={rad}",
        )
    )
    if text:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, text, ha="center", va="center", fontsize=10, color=colour)


def _canvas(width, height, xlim, ylim):
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.axis("off")
    return fig, ax


def overview() -> Figure:
    fig, ax = _canvas(9, 4.2, (0, 10), (0, 4.7))
    _box(ax, 1.2, 3.2, "domain X\n(horses)", A_COLOUR)
    _box(ax, 8.8, 3.2, "domain Y\n(zebras)", B_COLOUR)
    _box(ax, 5, 4.0, "G: X → Y", NET_COLOUR)
    _box(ax, 5, 2.4, "F: Y → X", NET_COLOUR)
    _box(ax, 1.2, 0.8, "D_X: real horse\nor F(zebra)?", LOSS_COLOUR, w=2.2, h=0.9)
    _box(ax, 8.8, 0.8, "D_Y: real zebra\nor G(horse)?", LOSS_COLOUR, w=2.2, h=0.9)
    _arrow(ax, (2.0, 3.5), (4.2, 4.0), "x")
    _arrow(ax, (5.8, 4.0), (8.0, 3.5), "G(x)")
    _arrow(ax, (8.0, 2.9), (5.8, 2.4), "y", offset=(0, -0.25))
    _arrow(ax, (4.2, 2.4), (2.0, 2.9), "F(y)", offset=(0, -0.25))
    _arrow(ax, (1.2, 2.8), (1.2, 1.25), "")
    _arrow(ax, (8.8, 2.8), (8.8, 1.25), "")
    ax.text(
        5,
        0.8,
        "Each discriminator judges 70×70 patches;\n"
        "each generator tries to fool the other domain's one.",
        ha="center",
        va="center",
        fontsize=10,
        style="italic",
    )
    return fig


def cycle() -> Figure:
    fig, ax = _canvas(9, 3.6, (0, 10), (-0.2, 3.8))
    for y, (a, b, c, g, f, colour, loss) in zip(
        (2.9, 0.9),
        (
            ("x", "G(x)", "F(G(x)) ≈ x", "G", "F", A_COLOUR, "forward cycle loss: λ·|x − F(G(x))|"),
            (
                "y",
                "F(y)",
                "G(F(y)) ≈ y",
                "F",
                "G",
                B_COLOUR,
                "backward cycle loss: λ·|y − G(F(y))|",
            ),
        ),
        strict=True,
    ):
        other = B_COLOUR if colour == A_COLOUR else A_COLOUR
        _box(ax, 1.0, y, a, colour, w=1.2, h=0.7)
        _box(ax, 5.0, y, b, other, w=1.4, h=0.7)
        _box(ax, 9.0, y, c, colour, w=1.7, h=0.7)
        _arrow(ax, (1.6, y), (4.3, y), g)
        _arrow(ax, (5.7, y), (8.15, y), f)
        _arrow(ax, (8.9, y - 0.35), (1.1, y - 0.35), "", colour="#b03030", rad=-0.08)
        ax.text(5.0, y - 1.02, loss, ha="center", fontsize=10, color="#b03030")
    return fig


def toy_samples() -> Figure:
    sys.path.insert(0, str(ROOT))
    from cyclegan_lesson import toy, viz

    a = toy.make_split("trainA", 64, count=6).astype("float32") / 127.5 - 1
    b = toy.make_split("trainB", 64, count=6).astype("float32") / 127.5 - 1
    fig = viz.image_grid([list(a), list(b)], size=1.3)
    fig.axes[0].set_title("domain A: plain", loc="left")
    fig.axes[6].set_title("domain B: striped", loc="left")
    return fig


def demo_attention(run_dir: Path) -> Figure | None:
    """Three test horses, G's masks and G's zebras, if the run's generators have masks."""
    sys.path.insert(0, str(ROOT))
    from cyclegan_lesson import inference, toy, viz

    run = inference.load_run(run_dir)
    if not run.config.attention:
        return None
    size, seed = run.config.image_size, run.config.seed
    horses = toy.make_split("testA", size, seed, count=3).astype("float32") / 127.5 - 1
    return viz.attention_figure(run.generator_g, horses, size=1.8)


def main() -> None:
    overview().savefig(HERE / "overview.png", dpi=90)
    cycle().savefig(HERE / "cycle.png", dpi=90)
    toy_samples().savefig(HERE / "toy_samples.png", dpi=80)
    grid = ROOT / "runs" / "demo" / "grid.png"
    if grid.exists():
        shutil.copy(grid, HERE / "demo_grid.png")
        masks = demo_attention(grid.parent)
        if masks is not None:
            masks.savefig(HERE / "demo_attention.png", dpi=80)
    else:
        print(f"{grid} not found: run `python3 run.py demo` first to refresh demo_grid.png")
    print("written:", ", ".join(sorted(p.name for p in HERE.glob("*.png"))))


if __name__ == "__main__":
    main()
