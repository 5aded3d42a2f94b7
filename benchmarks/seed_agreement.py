"""Two seeds, the same sentences: how far the answers move, and whether the error bars say so.

    python benchmarks/seed_agreement.py [--sentences 16] [--model minilm|DIR] [--target tokens|logits]
                                        [--solver default|fast] [--precision 0.03] [--max-samples 256]
                                        [--out FILE.json]

Prints, for the SST-2 test sentences from the first on, all layers (or the prediction with
``--target logits``): the seed-0 vs seed-1 Spearman of sigma per (sentence, layer) (median,
10th percentile, min), the median word's |log sigma ratio|, the share of words whose
difference lies within 1.96 combined standard errors, and the time of each seed's run.
``wordinfo bench`` reports the same figures for case B; this script is the quick,
configurable version (another model, a prediction target, another precision).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from wordinfo.bench import run_solver_on, seed_agreement, sst2_sentences
from wordinfo.job import prepare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=16)
    ap.add_argument("--model", default=None)
    ap.add_argument("--target", default="tokens")
    ap.add_argument("--solver", default="default")
    ap.add_argument("--precision", type=float, default=None)
    ap.add_argument("--max-samples", type=int, default=None, help="the default solver's cap on samples a pair")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    options = {k: v for k, v in (("precision", args.precision), ("max_samples", args.max_samples)) if v is not None}
    texts = sst2_sentences(n=args.sentences)
    runs, problems, seconds = [], None, []
    for seed in (0, 1):
        job = prepare(args.model, layers="all", target=args.target, seed=seed, solver=args.solver, **options)
        with job.encoder.frozen():
            problems = [job.problem([t])[0] for t in texts]
        start = time.perf_counter()
        runs.append(run_solver_on(job, problems, args.solver, **options))
        seconds.append(time.perf_counter() - start)
    result = seed_agreement(problems, runs[0], runs[1], job.scale)
    result.update(sentences=len(texts), model=job.encoder.name, target=args.target, solver=args.solver,
                  settings={k: v for k, v in job.settings.items() if isinstance(v, (int, float, str, bool))},
                  seconds_per_sentence=[s / len(texts) for s in seconds], torch_threads=torch.get_num_threads(),
                  converged=float(np.mean([r.converged for r in runs])))
    print(json.dumps(result, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
