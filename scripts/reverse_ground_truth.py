"""Does the decoder state at output step j keep input word n-j+1 most? Checked on trained reverse models.

Usage: python scripts/reverse_ground_truth.py runs/models/reverse-lstm runs/models/reverse-transformer
       [--sequences 10] [--solver default]

Explains ``decoder:j`` for every step j of test sequences (the generator's test stream,
so sequences the model never saw) and prints, per model and decoder layer, how often the
true word is the one kept most (top-1) and its mean rank among the n words (1 = best),
as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import wordinfo
from wordinfo.training.reverse import ReverseTask, ground_truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--sequences", type=int, default=10)
    parser.add_argument("--solver", default="default")
    args = parser.parse_args()
    print("| model | decoder layer | steps | top-1 (true word kept most) | mean rank of the true word (1 = best) |")
    print("|---|---|---|---|---|")
    for path in args.models:
        report = json.loads((Path(path) / "metrics.json").read_text())
        gen = ReverseTask(seed=report["seed"], **{k: v for k, v in report["data"]["generator"].items() if k != "seed"})
        texts = gen.sample(args.sequences, stream=2)          # stream 2 = the test sequences
        ranks: dict[int, list[int]] = {}
        started = time.time()
        for text in texts:
            n = len(text.split())
            for j in range(1, n + 1):
                exp = wordinfo.explain(text, str(path), layers="all", target=f"decoder:{j}", solver=args.solver)
                kept = exp.word_values("retained_bits")[:, 1:-1]          # words only, without [CLS] / [SEP]
                truth = ground_truth(n, j) - 1
                for layer, row in zip(exp.layers, kept):
                    ranks.setdefault(int(layer), []).append(int((row > row[truth]).sum()) + 1)
        for layer, r in sorted(ranks.items()):
            r = np.array(r)
            print(f"| {Path(path).name} | {layer} | {len(r)} | {np.mean(r == 1):.2f} | {r.mean():.2f} |")
        print(f"<!-- {Path(path).name}: {time.time() - started:.0f} s, solver {args.solver} -->")


if __name__ == "__main__":
    main()
