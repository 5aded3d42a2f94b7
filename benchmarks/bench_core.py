"""Default solver vs the authors' algorithm on the bundled MiniLM-L6, all six layers of one sentence.

    python benchmarks/bench_core.py [--paper-steps 5000] [--out benchmarks/results/core.json]

Both run in this one process, one after the other, on the same sentence, layers,
lambda, bound and sigma_S; the paper solver fits each layer separately (as the
authors' code does), the default solver all layers at once. Prints the wall
times, their ratio and the Spearman correlation of sigma over tokens per layer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import torch
from scipy.stats import spearmanr

import wordinfo
from wordinfo.models.hub import load_pretrained

SENTENCE = "rare bird has more than enough charm to make it memorable."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paper-steps", type=int, default=5000)
    ap.add_argument("--layers", default="all")
    ap.add_argument("--out", default="benchmarks/results/core.json")
    args = ap.parse_args()

    model, tokenizer, _ = load_pretrained(None)
    wordinfo.explain(SENTENCE, model, tokenizer, layers=args.layers, max_steps=1, max_samples=16)  # warm caches
    runs = {}
    for solver, opts in (("default", {}), ("paper", {"steps": args.paper_steps})):
        start = time.perf_counter()
        # the paper solver in float32, as the authors' code runs; ours in the default dtype (bfloat16 where fast)
        dtype = "float32" if solver == "paper" else "auto"
        exp = wordinfo.explain(SENTENCE, model, tokenizer, layers=args.layers, solver=solver, progress=True,
                               dtype=dtype, **opts)
        runs[solver] = {"seconds": time.perf_counter() - start, "exp": exp}
        print(f"{solver}: {runs[solver]['seconds']:.1f} s", flush=True)

    d, p = runs["default"]["exp"], runs["paper"]["exp"]
    rows = []
    for li, layer in enumerate(d.layers):
        rho = spearmanr(d.sigma[0][li], p.sigma[0][li])[0]
        rows.append({"layer": layer, "spearman": float(rho), "default_steps": int(d.steps[0][li])})
    result = {
        "sentence": SENTENCE, "tokens": d.tokens(0),
        "default_seconds": runs["default"]["seconds"], "paper_seconds": runs["paper"]["seconds"],
        "speedup": runs["paper"]["seconds"] / runs["default"]["seconds"], "paper_steps": args.paper_steps,
        "layers": rows, "default_sigma": [s.tolist() for s in d.sigma[0]],
        "paper_sigma": [s.tolist() for s in p.sigma[0]],
        "machine": {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "platform": platform.platform(), "processor": platform.processor(), "torch": torch.__version__},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(f"\nspeed-up (paper / default, same {len(d.layers)} layers): {result['speedup']:.1f}x")
    print("layer  spearman(default, paper)  default steps")
    for r in rows:
        print(f"{r['layer']:>5}  {r['spearman']:24.3f}  {r['default_steps']:13d}")


if __name__ == "__main__":
    main()
