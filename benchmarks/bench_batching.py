"""One sentence at a time vs one padded batch, default and fast solvers, first 8 SST-2 test sentences.

    python benchmarks/bench_batching.py

On a 2-core CPU each evaluation is already compute-bound, so batching mostly adds padding.
"""

import time

from wordinfo.bench import sst2_sentences
from wordinfo.job import prepare

job = prepare(None)
texts = sst2_sentences(None, 8)
with job.encoder.frozen():
    for solver in ("fast", "default"):
        start = time.perf_counter()
        for s in texts:
            job.solve(job.problem([s])[0], solver=solver)
        alone = time.perf_counter() - start
        start = time.perf_counter()
        job.solve(job.problem(texts)[0], solver=solver)
        batched = time.perf_counter() - start
        print(f"{solver:8s} one at a time {alone:6.1f} s, one batch of 8 {batched:6.1f} s "
              f"({len(texts) / alone * 60:.1f} vs {len(texts) / batched * 60:.1f} sentences/min)", flush=True)
