"""Where wordinfo misses the reverse task's true word: by how many bits, and is that within its noise?

    python benchmarks/reverse_misses.py runs/eval/reverse-lstm-default [--precision 0.03]

Reads an evaluation's ``scores.json`` (``wordinfo evaluate`` on a reverse model) and, for every
output step whose true source word wordinfo does not rank first, the gap in bits kept between the
word it ranks first and the true one. At the solver's ``precision`` (the standard error of each
word's log sigma, for converged pairs) one word's bits have a standard error of at most
``K / ln 2 * precision``; a gap above 2.8 times the error of a difference (``2.8 * sqrt(2)`` of
one word's) is not the solver's noise but the measure's own ranking.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from wordinfo.training.reverse import ground_truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--precision", type=float, default=0.03)
    parser.add_argument("--width", type=int, default=None, help="K (default: from the model's config.json)")
    args = parser.parse_args()
    folder = Path(args.folder)
    results = json.loads((folder / "results.json").read_text())
    width = args.width or json.loads((Path(results["settings"]["model"]) / "config.json").read_text())["model"][
        "embedding_dim"]
    scores = json.loads((folder / "scores.json").read_text())
    gaps, steps = [], 0
    for entry in scores:
        n = len(entry["words"])
        for j, row in enumerate(entry["scores"]["wordinfo"], start=1):
            row = np.asarray(row, float)
            truth = ground_truth(n, j) - 1
            steps += 1
            others = np.delete(row, truth)
            if (others >= row[truth]).any():
                gaps.append(float(others.max() - row[truth]))
    se_one = width / math.log(2) * args.precision
    threshold = 2.8 * math.sqrt(2) * se_one
    gaps = np.asarray(gaps)
    print(f"{folder}: {steps} steps, {len(gaps)} misses (top-1 {1 - len(gaps) / steps:.3f}); K = {width}")
    if len(gaps):
        print(f"gap (bits kept, winner - true word): median {np.median(gaps):.1f}, 10th pct "
              f"{np.percentile(gaps, 10):.1f}, 90th pct {np.percentile(gaps, 90):.1f}")
        print(f"one word's error at precision {args.precision}: <= {se_one:.2f} bits; a difference beyond 2.8 of its "
              f"errors: > {threshold:.1f} bits")
        print(f"misses beyond that: {int((gaps > threshold).sum())} of {len(gaps)}; within it: "
              f"{int((gaps <= threshold).sum())}")


if __name__ == "__main__":
    main()
