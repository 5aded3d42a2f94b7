"""Sentences a minute on this machine: one process, and Ray with 1 and with N actors, side by side (docs/scaling.md).

    python benchmarks/ray_throughput.py [--sentences 12] [--workers 2] [--solver default] [--rounds 1]

Each round runs the same first SST-2 test sentences (bundled MiniLM, all six layers) into fresh run
directories, one after the other: ``run_corpus()`` in this process (one thread), then
``run_corpus(ray=True, workers=1)`` and ``run_corpus(ray=True, workers=N)`` (a local Ray instance
started by the run, actors of one thread). Reported per path: the whole wall time (start-up
included, as a user waits for it), the start-up (until the actors hold their model) and the
sentences a minute after it. Give the machine to the benchmark alone.

Issue 15 compared Ray with the home-made process pool it replaced (``--workers`` before Ray): that
comparison is this script as of commit 1df81dc (``benchmarks/ray_vs_pool.py`` there), its results
in ``benchmarks/results/ray_vs_pool.json``.
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
        if "actor(s) on" in message:
            ready["at"] = time.perf_counter() - start

    run = run_corpus(data, out, ray=ray, workers=workers, solver=solver, progress=False, log=log)
    wall = time.perf_counter() - start
    startup = ready.get("at", 0.0)
    return {"wall_s": round(wall, 1), "startup_s": round(startup, 1), "sentences": run.done,
            "per_minute_whole": round(60 * run.done / wall, 2),
            "per_minute_after_startup": round(60 * run.done / (wall - startup), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--solver", default="default")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results/ray_throughput.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rounds = []
    paths = {"one process": (None, 1), "ray, 1 actor": (True, 1), f"ray, {args.workers} actors": (True, args.workers)}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sst2.txt"
        data.write_text("\n".join(sst2_sentences(n=args.sentences)) + "\n")
        for r in range(args.rounds):
            got = {}
            for name, (ray, workers) in paths.items():
                got[name] = one(data, Path(tmp) / f"{r}-{len(got)}", ray, workers, args.solver)
                print(f"round {r + 1}: {name}: {got[name]}", flush=True)
            base = got["one process"]["per_minute_whole"]
            got["speed-up over one process"] = {k: round(v["per_minute_whole"] / base, 3) for k, v in got.items()
                                                if k != "one process"}
            print(f"round {r + 1}: {got['speed-up over one process']}", flush=True)
            rounds.append(got)
    write_json(args.out, {"machine": f"{platform.node()}, {os.cpu_count()} CPUs", "torch": torch.__version__,
                          "sentences": args.sentences, "workers": args.workers, "solver": args.solver,
                          "rounds": rounds}, indent=1)


if __name__ == "__main__":
    main()
