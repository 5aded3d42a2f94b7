"""Does memory grow with the number of sentences? Stream SST-2 test sentences through
``Job.run`` (what ``explain`` and ``wordinfo run`` use) and record the resident set size.

    python benchmarks/memory_stream.py [--sentences 64] [--solver default] [--out benchmarks/results/memory_stream.json]

Prints, after each sentence, its token count, the RSS now and the peak so far (sampled every
5 ms). If memory is flat, the peak after the first quarter of the stream is already close to the
final peak, and what remains is set by the longest sentence, not by how many came before.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from wordinfo.bench import PeakMemory, rss, sst2_sentences
from wordinfo.job import prepare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=64)
    ap.add_argument("--solver", default="default")
    ap.add_argument("--out", default="benchmarks/results/memory_stream.json")
    args = ap.parse_args()

    texts = sst2_sentences(None, args.sentences)
    job = prepare(None, solver=args.solver)
    rows = []
    start_rss = rss()
    t0 = time.perf_counter()
    with job.encoder.frozen(), PeakMemory() as mem:
        for i, text in enumerate(texts, 1):
            job.run([text])
            tokens = len(job.encoder.tokenize([text])["input_ids"][0])
            rows.append({"sentence": i, "tokens": tokens, "rss_mb": (rss() - start_rss) / 2**20,
                         "peak_mb": (mem.peak - start_rss) / 2**20, "seconds": time.perf_counter() - t0})
            r = rows[-1]
            print(f"{i:3d} {tokens:3d} tokens  rss +{r['rss_mb']:6.0f} MB  peak so far +{r['peak_mb']:6.0f} MB  "
                  f"{r['seconds']:6.1f} s", flush=True)
    quarter = rows[len(rows) // 4 - 1]
    summary = {"solver": args.solver, "sentences": len(rows), "final_peak_mb": rows[-1]["peak_mb"],
               "peak_after_first_quarter_mb": quarter["peak_mb"], "final_rss_mb": rows[-1]["rss_mb"],
               "longest_in_first_quarter": max(r["tokens"] for r in rows[:len(rows) // 4]),
               "longest": max(r["tokens"] for r in rows), "per_minute": len(rows) / rows[-1]["seconds"] * 60,
               "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=1))
    print(f"peak +{summary['final_peak_mb']:.0f} MB after {len(rows)} sentences, "
          f"+{summary['peak_after_first_quarter_mb']:.0f} MB after {len(rows) // 4}; "
          f"longest sentence {summary['longest']} tokens ({summary['longest_in_first_quarter']} in the first quarter)")


if __name__ == "__main__":
    main()
