"""Solver timings on an accelerator after a warm-up: case A without the paper solver, case B at two batch sizes.

The first solver call on a GPU pays for the CUDA context, cuBLAS handles and kernel
selection; ``wordinfo bench`` times its first call cold. This script warms every
solver setting up on a short sentence first, then times the case-A sentence (best
of three) and the 64 case-B sentences at batch sizes 1 and 16, and writes JSON
after each step. The paper solver's time and the agreement figures come from
``wordinfo bench`` on the same device.

    python benchmarks/device_timings.py --device cuda --out device_timings.json
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from wordinfo.bench import agreement, case_a_sentence, run_solver_on, sst2_sentences
from wordinfo.job import prepare

SETTINGS = (("default", "default", {}), ("default-float32", "default", {"float32": True}), ("fast", "fast", {}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--data", default=None)
    ap.add_argument("--sentences", type=int, default=64)
    ap.add_argument("--batch-sizes", default="1,16")
    ap.add_argument("--out", default="benchmarks/results/device_timings.json")
    args = ap.parse_args()

    torch.manual_seed(0)
    texts = sst2_sentences(args.data)
    job = prepare(None, device=args.device)
    gpu = torch.cuda.get_device_name(job.device) if job.device.type == "cuda" else None
    results = {"device": str(job.device), "gpu": gpu, "torch": torch.__version__, "dtype": job.settings["dtype"]}
    out = Path(args.out)

    def write():
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1))

    warm = [job.problem([texts[1]])[0]]
    start = time.perf_counter()
    for _, solver, opts in SETTINGS:
        run_solver_on(job, warm, solver, **opts)
    results["warm_up_seconds"] = time.perf_counter() - start
    print(f"warm-up {results['warm_up_seconds']:.1f} s", flush=True)

    sentence = case_a_sentence(texts)
    problem_a = [job.problem([sentence])[0]]
    results["case_a"] = {name: min(run_solver_on(job, problem_a, solver, **opts).seconds for _ in range(3))
                         for name, solver, opts in SETTINGS}
    print("case A (best of 3, s):", results["case_a"], flush=True)
    write()

    chosen = texts[:args.sentences]
    results["case_b"] = {}
    for bs in (int(b) for b in args.batch_sizes.split(",")):
        problems = [job.problem(chosen[i:i + bs])[0] for i in range(0, len(chosen), bs)]
        runs = {name: run_solver_on(job, problems, name) for name in ("default", "fast")}
        row = {name: {"per_minute": len(chosen) / r.seconds * 60, "seconds": r.seconds,
                      "gpu_memory_mb": r.gpu_memory_mb, "memory_mb": r.memory_mb, "converged": r.converged}
               for name, r in runs.items()}
        row["fast_vs_default_spearman_median"] = float(np.median(
            agreement(problems, runs["fast"].log_sigma, runs["default"].log_sigma)))
        results["case_b"][f"batch_{bs}"] = row
        print(f"case B, batches of {bs}:", json.dumps(row), flush=True)
        write()


if __name__ == "__main__":
    main()
