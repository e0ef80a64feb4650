"""What would an amendment cost? Sample a population, decide it under the
notice in force and under an amended copy, and plot the impact.

    python python/examples/impact_plot.py --policies policies --n 200000 --out impact.png

The amendment here raises Jiaxing's lowest tier (32 lesson hours) from 800
to 900 yuan and lowers the attendance bar from 70% to 60%; any two versions
of a policy work the same way (`Engine.impact(base, new, table)`). Totals
are exact decimals; the plot converts them to floats only to draw them.
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile

import matplotlib

matplotlib.use("Agg")  # a file, not a window: runs on a server or in CI

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

import policy  # noqa: E402

POLICY = "jiaxing.digital_training_2021"
BENEFIT = "training_subsidy"


def amend(policies: pathlib.Path, into: pathlib.Path) -> pathlib.Path:
    """An amended copy of the notice: the 800 yuan tier raised to 900, the
    attendance bar lowered from 70% to 60%."""
    src = policies / "jiaxing"
    dst = into / "policies" / "jiaxing"
    dst.mkdir(parents=True)
    text = (src / "digital_training_2021.policy").read_text(encoding="utf-8")
    amended = text.replace("=> 800 yuan", "=> 900 yuan").replace("attendance <= 70%", "attendance <= 60%")
    assert amended != text, "the figures to amend are not in the policy any more"
    (dst / "digital_training_2021.policy").write_text(amended, encoding="utf-8")
    source = src / "digital_training_2021.source.txt"
    (dst / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return dst / "digital_training_2021.policy"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policies", default="policies")
    ap.add_argument("--n", type=int, default=100_000, help="applicants to sample")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--as-of", default="2021-10-15")
    ap.add_argument("--out", default="impact.png")
    args = ap.parse_args()

    engine = policy.Engine(args.policies)
    population = engine.sample(POLICY, args.n, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        amended = amend(pathlib.Path(args.policies), pathlib.Path(tmp))
        impact = engine.impact(POLICY, str(amended), population, as_of=args.as_of)
    print(impact.text.split("\n  example")[0])
    b = impact.benefit(BENEFIT)

    fig, (ax_cost, ax_status, ax_delta) = plt.subplots(1, 3, figsize=(15, 4.8), gridspec_kw={"width_ratios": [1, 1.6, 1.4]})
    fig.suptitle(f"Impact of an amendment on {POLICY} ({impact.report['applicants']:,} sampled applicants)")

    # 1. Total cost before and after (exact totals, labelled as text).
    before, after = b["total_before"], b["total_after"]
    bars = ax_cost.bar(["in force", "amended"], [float(before), float(after)], color=["#8a8a8a", "#d9534f"])
    for bar, label in zip(bars, [before, after]):
        ax_cost.annotate(f"{label} ¥", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    ax_cost.set_title(f"Total cost (change {b['total_change']} ¥)")
    ax_cost.set_ylabel("yuan")
    ax_cost.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax_cost.margins(y=0.15)

    # 2. Who changes status (base → new), unchanged statuses left out.
    moved = [t for t in b["transitions"] if t["from"] != t["to"]]
    labels = [f"{t['from']} →\n{t['to']}" for t in moved] or ["none"]
    counts = [t["count"] for t in moved] or [0]
    ax_status.barh(labels, counts, color="#5b8def")
    ax_status.set_title(f"Status changes ({b['status_changed']:,} applicants)")
    ax_status.set_xlabel("applicants")
    for y, n in enumerate(counts):
        ax_status.annotate(f"{n:,}", (n, y), va="center", fontsize=8, xytext=(3, 0), textcoords="offset points")

    # 3. The per-applicant change in amount, over those whose amount
    # changed: the report's exact buckets when there are few distinct
    # changes (the usual case: a policy pays a few tiers), else a histogram
    # of the per-applicant table.
    hist = b["changes"]
    if hist["width"] is None and 0 < len(hist["buckets"]) <= 20:
        labels = [("+" if not k["low"].startswith("-") else "") + k["low"] for k in hist["buckets"]]
        counts = [k["count"] for k in hist["buckets"]]
        ax_delta.bar(labels, counts, color="#f0ad4e", edgecolor="#8a6d3b")
        for x, n in enumerate(counts):
            ax_delta.annotate(f"{n:,}", (x, n), ha="center", va="bottom", fontsize=8)
        ax_delta.margins(y=0.12)
    else:
        column = impact.table.column(BENEFIT)
        deltas = pc.filter(pc.struct_field(column, "delta"), pc.struct_field(column, "changed")).to_pylist()
        ax_delta.hist([float(d) for d in deltas if d is not None], bins=30, color="#f0ad4e", edgecolor="#8a6d3b")
    ax_delta.set_title(f"Change per applicant ({hist['count']:,} applicants)")
    ax_delta.set_xlabel("yuan (amended − in force)")
    ax_delta.set_ylabel("applicants")

    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
