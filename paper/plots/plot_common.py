"""Shared plumbing of the paper's plot scripts: the command line run_paper.py uses, the house
style, and atomic PNG + PDF output. Plot scripts read only the drivers' outputs."""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STATE_COLORS = {"active": "#d95f02", "passive": "#1b9e77", "other": "#bbbbbb"}
VARIANT = None  # --variant: figure names get "_<variant>", captions say which variant


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--paper-dir", required=True, help="root of the paper run (driver outputs)")
    p.add_argument("--figures", required=True, help="where to write <figure>.png and .pdf")
    p.add_argument("--variant", help="the config variant whose outputs --paper-dir holds")
    args = p.parse_args()
    global VARIANT
    VARIANT = args.variant
    os.makedirs(args.figures, exist_ok=True)
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 150, "font.size": 9,
                         "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
                         "axes.spines.top": False, "axes.spines.right": False})
    return args


def write_atomic(path, text):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def save(fig, figures_dir, name, caption):
    """Writes <name>.png and <name>.pdf atomically (no timestamps in the PDF), and the one-line
    caption REPORT.md shows under the figure to <name>.caption."""
    caption = " ".join(caption.split())
    if VARIANT:
        name = f"{name}_{VARIANT}"
        caption = f"Variant '{VARIANT}' (paper config): {caption}"
    write_atomic(os.path.join(figures_dir, f"{name}.caption"), caption + "\n")
    for ext, meta in (("png", {}), ("pdf", {"CreationDate": None})):
        final = os.path.join(figures_dir, f"{name}.{ext}")
        tmp = f"{final}.tmp-{os.getpid()}.{ext}"
        fig.savefig(tmp, metadata=meta, bbox_inches="tight")
        os.replace(tmp, final)
    plt.close(fig)


def shade_blocks(ax, blocks, label=True, alpha=0.18):
    """Shades stimulus blocks: the active task and the passive replay in their state colours,
    the other blocks in grey; labels each on top of the axis."""
    passive = {b["block"] for b in blocks if b.get("state") == "passive"}
    for b in blocks:
        state = "active" if b["active"] else ("passive" if b["block"] in passive else "other")
        ax.axvspan(b["start_s"], b["stop_s"], color=STATE_COLORS[state], alpha=alpha, lw=0)
        if label:
            text = f"block {b['block']}" + ("" if state == "other" else f"\n{state}")
            ax.text((b["start_s"] + b["stop_s"]) / 2, 1.01, text, transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=7, color="#333333")
