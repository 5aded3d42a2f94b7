"""Ray actors against the home-made worker pool on one machine: sentences a minute, side by side (issue 15, item 6).

    python benchmarks/ray_vs_pool.py [--sentences 16] [--workers 2] [--solver default] [--rounds 1]

Each round runs the same first SST-2 test sentences (bundled MiniLM, all six layers) twice into
fresh run directories, one after the other: ``run_corpus(workers=N)`` (the pool: N single-thread
processes) and ``run_corpus(ray=True, workers=N)`` (a local Ray instance started by the run, N
actors of one thread). Reported per path: the whole wall time (start-up included, as a user
waits for it), the start-up (until the processes hold their model) and the sentences a minute
after it; the ratio Ray / pool is what to read. Give the machine to the benchmark alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from wordinfo.bench import sst2_sentences
from wordinfo.files import write_json
from wordinfo.runs import run_corpus


def one(data: Path, out: Path, ray, workers: int, solver: str) -> dict:
    ready = {}
    start = time.perf_counter()

    def log(message: str) -> None:
        if "actor(s) on" in message or "worker processes ready" in message:
            ready["at"] = time.perf_counter() - start

    run = run_corpus(data, out, ray=ray, workers=workers, solver=solver, progress=False, log=log)
    wall = time.perf_counter() - start
    startup = ready.get("at", 0.0)
    return {"wall_s": round(wall, 1), "startup_s": round(startup, 1), "sentences": run.done,
            "per_minute_whole": round(60 * run.done / wall, 2),
            "per_minute_after_startup": round(60 * run.done / (wall - startup), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--solver", default="default")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results/ray_vs_pool.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sst2.txt"
        data.write_text("\n".join(sst2_sentences(n=args.sentences)) + "\n")
        for r in range(args.rounds):
            pool = one(data, Path(tmp) / f"pool{r}", None, args.workers, args.solver)
            print(f"round {r + 1}: pool {pool}", flush=True)
            ray = one(data, Path(tmp) / f"ray{r}", True, args.workers, args.solver)
            print(f"round {r + 1}: ray  {ray}", flush=True)
            rounds.append({"pool": pool, "ray": ray,
                           "ratio_whole": round(ray["per_minute_whole"] / pool["per_minute_whole"], 3),
                           "ratio_after_startup": round(ray["per_minute_after_startup"]
                                                        / pool["per_minute_after_startup"], 3)})
            print(f"round {r + 1}: Ray / pool = {rounds[-1]['ratio_whole']} (whole), "
                  f"{rounds[-1]['ratio_after_startup']} (after start-up)", flush=True)
    write_json(args.out, {"machine": f"{platform.node()}, {os.cpu_count()} CPUs", "torch": torch.__version__,
                          "sentences": args.sentences, "workers": args.workers, "solver": args.solver,
                          "rounds": rounds}, indent=1)


if __name__ == "__main__":
    main()
