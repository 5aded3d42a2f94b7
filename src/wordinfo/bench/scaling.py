"""The scaling sweep: the default solver's time and memory against length, layers and batch size; its figure."""

from __future__ import annotations

from pathlib import Path

from .timing import run_solver_on


def scaling(job, texts, quick: bool = False, log=print) -> dict:
    """Time and memory of the default solver against length, layers and batch size."""
    from ..job import prepare
    words = " ".join(texts[:200]).split()
    lengths = (8, 16, 32) if quick else (8, 16, 32, 64, 128)
    rows = {"length": [], "layers": [], "batch": []}
    for n in lengths:                                    # n tokens including [CLS] and [SEP]
        text = _text_of_tokens(job.encoder.tokenizer, words, n)
        r = run_solver_on(job, [job.problem([text])[0]], "default")
        rows["length"].append({"tokens": n, "seconds": r.seconds, "memory_mb": r.memory_mb})
        log(f"  length {n:4d} tokens: {r.seconds:6.1f} s, +{r.memory_mb:.0f} MB")
    sample = texts[100]
    for layers in ((1, 3, 6) if quick else (1, 2, 3, 4, 5, 6)):
        sub = prepare(job.encoder.model, job.encoder.tokenizer, layers=list(range(1, layers + 1)),
                      dtype=job.settings["dtype"])
        r = run_solver_on(sub, [sub.problem([sample])[0]], "default")
        rows["layers"].append({"layers": layers, "seconds": r.seconds, "memory_mb": r.memory_mb})
        log(f"  layers 1..{layers}: {r.seconds:6.1f} s, +{r.memory_mb:.0f} MB")
    for batch in ((1, 4) if quick else (1, 2, 4, 8, 16)):
        chosen = texts[200:200 + batch]
        r = run_solver_on(job, [job.problem(chosen)[0]], "default")
        rows["batch"].append({"batch": batch, "seconds": r.seconds, "per_sentence": r.seconds / batch,
                              "memory_mb": r.memory_mb})
        log(f"  batch {batch:3d}: {r.seconds:6.1f} s ({r.seconds / batch:.1f} s a sentence), +{r.memory_mb:.0f} MB")
    return rows


def _text_of_tokens(tokenizer, words, n):
    """A text of exactly ``n`` tokens with the specials, cut from running SST-2 words."""
    ids = tokenizer(" ".join(words), add_special_tokens=False)["input_ids"][: n - 2]
    return tokenizer.decode(ids)


def scaling_figure(rows: dict, path: str | Path) -> None:
    """The sweep's three panels (length, layers, batch: seconds and peak memory) as a PNG at ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    specs = (("length", "tokens", "sentence length (tokens)"), ("layers", "layers", "layers explained"),
             ("batch", "batch", "sentences per batch"))
    for ax, (key, x, label) in zip(axes, specs):
        xs = [r[x] for r in rows[key]]
        ax.plot(xs, [r["seconds"] for r in rows[key]], "o-", label="seconds")
        if key == "batch":
            ax.plot(xs, [r["per_sentence"] for r in rows[key]], "s--", label="seconds per sentence")
        ax.set_xlabel(label)
        ax.set_ylabel("seconds (default solver)")
        ax2 = ax.twinx()
        memory = [r["memory_mb"] for r in rows[key]]
        ax2.plot(xs, memory, "^:", color="grey", label="memory")
        ax2.set_ylabel("peak memory above start (MB)", color="grey")
        ax2.set_ylim(0, max(100.0, 1.1 * max(memory)))      # sampling noise of a few kB is not a curve
        if key != "layers":
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")                             # seconds span two orders of magnitude
        ax.legend(loc="upper left", fontsize=7)
    fig.suptitle("wordinfo default solver, bundled MiniLM-L6, all six layers unless stated", fontsize=9)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
