"""Default solver settings side by side on the first SST-2 test sentences, in one process.

    python benchmarks/solver_settings.py [--sentences 16]

Prints, for each setting, the layer evaluations (machine-independent), sentences per minute,
and the agreement with the default settings: median / min Spearman of sigma over
(sentence, layer) and the largest objective gap on common noise (docs/performance.md).
"""

from __future__ import annotations

import argparse

import numpy as np

from wordinfo.bench import agreement, objective_gap, run_solver_on, sst2_sentences
from wordinfo.job import prepare

SETTINGS = ({"tol": 0.01}, {"tol": 0.03}, {"precision": 0.25})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=16)
    args = ap.parse_args()
    job = prepare(None)
    problems = [job.problem([t])[0] for t in sst2_sentences(None, args.sentences)]
    base = run_solver_on(job, problems, "default")
    rate = len(problems) / base.seconds * 60
    print(f"default: {base.layer_evaluations} layer evaluations, {rate:.1f}/min", flush=True)
    for options in SETTINGS:
        r = run_solver_on(job, problems, "default", **options)
        rho = agreement(problems, r.log_sigma, base.log_sigma)
        gap = objective_gap(problems, r.log_sigma, base.log_sigma)
        print(f"{options}: {r.layer_evaluations} layer evaluations, {len(problems) / r.seconds * 60:.1f}/min, "
              f"Spearman {np.median(rho):.3f} / {np.min(rho):.3f}, objective gap max {np.max(gap):+.2%}", flush=True)


if __name__ == "__main__":
    main()
