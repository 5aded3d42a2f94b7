"""The evaluation's outputs: a table (terminal and Markdown), CSV, JSON and figures."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from ..files import plain, write_atomic, write_json, write_text
from .faithfulness import PERCENTS

# (column title, how to read it from a method's results, format)
COLUMNS = [
    ("deletion AOPC ↑", lambda e: e.get("faithfulness", {}).get("deletion_aopc"), "{:.3f}"),
    ("insertion AOPC ↑", lambda e: e.get("faithfulness", {}).get("insertion_aopc"), "{:.3f}"),
    ("compr. ↑", lambda e: e.get("faithfulness", {}).get("comprehensiveness_mean"), "{:.3f}"),
    ("suff. ↓", lambda e: e.get("faithfulness", {}).get("sufficiency_mean"), "{:.3f}"),
    ("layer ρ ↑", lambda e: e.get("layer_coherency", {}).get("mean"), "{:.2f}"),
    ("top-1 ↑", lambda e: e.get("ground_truth", {}).get("top1"), "{:.3f}"),
    ("mean rank ↓", lambda e: e.get("ground_truth", {}).get("mean_rank"), "{:.2f}"),
    ("seed ρ, prediction ↑", lambda e: _seed(e, "prediction"), "{:.2f}"),
    ("seed ρ, layers ↑", lambda e: _seed(e, "layers"), "{:.2f}"),
    ("seed ρ, steps ↑", lambda e: _seed(e, "steps"), "{:.2f}"),
    ("s / sentence", lambda e: e.get("seconds_per_sentence"), "{:.2f}"),
    ("s / explanation", lambda e: e.get("seconds_per_explanation"), "{:.3f}"),
    ("CPU s / explanation", lambda e: e.get("cpu_seconds_per_explanation"), "{:.3f}"),
]


def _seed(entry, key):
    if not entry.get("stochastic"):
        return "det." if entry.get("seconds_per_sentence") is not None else None
    return entry.get("seed_coherency", {}).get(key)


def rows(results: dict) -> tuple[list[str], list[list[str]]]:
    """Column titles and one row of formatted cells per method; columns no method fills are dropped."""
    methods = results["methods"]
    cells = {name: [get(e) for _, get, _ in COLUMNS] for name, e in methods.items()}
    keep = [i for i in range(len(COLUMNS))
            if any(isinstance(c[i], (int, float)) and not math.isnan(c[i]) for c in cells.values())]
    header = ["method"] + [COLUMNS[i][0] for i in keep]
    out = []
    for name in methods:
        row = [name]
        for i in keep:
            v = cells[name][i]
            if isinstance(v, str):
                row.append(v)
            else:
                row.append(COLUMNS[i][2].format(v) if isinstance(v, (int, float)) and not math.isnan(v) else "–")
        if all(c == "–" for c in row[1:]):
            row = [name] + ["n/a"] * len(keep)
        out.append(row)
    return header, out


def markdown(results: dict) -> str:
    header, body = rows(results)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    notes = _notes(results)
    return "\n".join(lines + ([""] + notes if notes else []))


def _notes(results: dict) -> list[str]:
    notes = []
    for name, entry in results["methods"].items():
        reasons = sorted(set(entry.get("unsupported", {}).values()))
        if reasons:
            where = ", ".join(entry["unsupported"]) if len(entry["unsupported"]) < 4 else "all targets"
            notes.append(f"- {name}: not applicable to {where}: {'; '.join(reasons)}")
        if entry.get("errors"):
            notes.append(f"- {name}: failed on {entry['errors']['sentences']} sentence(s): {entry['errors']['first']}")
    return notes


def print_table(results: dict, echo=print) -> None:
    from rich.console import Console
    from rich.table import Table

    header, body = rows(results)
    done = results["settings"]
    table = Table(title=f"{results['model']}: {done['sentences']} sentences"
                        + ("" if done.get("complete", True) else " (incomplete run)"))
    for h in header:
        table.add_column(h, justify="left" if h == "method" else "right", no_wrap=h == "method")
    for r in body:
        table.add_row(*r)
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)          # a file or pipe: no reason to squeeze the table
    console.print(table)
    for note in _notes(results):
        console.print(note, style="dim", markup=False)


def write_partial(results: dict, done: int, out: Path) -> None:
    """``partial.md``: the table over the first ``done`` sentences of a run still going (removed at the end)."""
    out.mkdir(parents=True, exist_ok=True)
    results = {**results, "settings": {"sentences": done}}
    write_text(out / "partial.md", f"{done} sentences so far\n\n" + markdown(results) + "\n")


def write(results: dict, per_sentence: list[dict], out: Path) -> None:
    """results.json, results.csv, results.md, scores.json (every word score) and the figures; each file
    written whole or not at all (:mod:`wordinfo.files`)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "partial.md").unlink(missing_ok=True)
    write_json(out / "results.json", results, indent=1, sort_keys=False)
    write_text(out / "results.md", markdown(results) + "\n")
    write_atomic(out / "results.csv", lambda tmp: _csv(results, tmp))
    scores = [{"text": s["text"], "words": s["words"], "targets": s["targets"],
               "scores": {m: r["scores"] for m, r in s["methods"].items()}} for s in per_sentence]
    write_json(out / "scores.json", scores, indent=None, sort_keys=False)
    _figures(results, out)


def _csv(results: dict, path: Path) -> None:
    fields = ["method", "stochastic", "seconds_per_sentence", "seconds_per_explanation",
              "cpu_seconds_per_explanation", "deletion_aopc",
              "insertion_aopc", *[f"comprehensiveness_{q}" for q in PERCENTS], "comprehensiveness_mean",
              *[f"sufficiency_{q}" for q in PERCENTS], "sufficiency_mean", "layer_rho", "seed_rho_prediction",
              "seed_rho_layers", "seed_rho_steps", "top1", "mean_rank", "chance_top1", "unsupported"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for name, e in results["methods"].items():
            fa, gtr, sc = e.get("faithfulness", {}), e.get("ground_truth", {}), e.get("seed_coherency", {})
            row = {"method": name, "stochastic": e["stochastic"],
                   "seconds_per_sentence": e.get("seconds_per_sentence"),
                   "seconds_per_explanation": e.get("seconds_per_explanation"),
                   "cpu_seconds_per_explanation": e.get("cpu_seconds_per_explanation"),
                   "deletion_aopc": fa.get("deletion_aopc"), "insertion_aopc": fa.get("insertion_aopc"),
                   "comprehensiveness_mean": fa.get("comprehensiveness_mean"),
                   "sufficiency_mean": fa.get("sufficiency_mean"),
                   "layer_rho": e.get("layer_coherency", {}).get("mean"),
                   "seed_rho_prediction": sc.get("prediction"), "seed_rho_layers": sc.get("layers"),
                   "seed_rho_steps": sc.get("steps"), "top1": gtr.get("top1"), "mean_rank": gtr.get("mean_rank"),
                   "chance_top1": gtr.get("chance_top1"),
                   "unsupported": "; ".join(sorted(set(e.get("unsupported", {}).values())))}
            for q in PERCENTS:
                row[f"comprehensiveness_{q}"] = fa.get("comprehensiveness", {}).get(q)
                row[f"sufficiency_{q}"] = fa.get("sufficiency", {}).get(q)
            w.writerow(plain(row))


def _figures(results: dict, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = results["methods"]
    title = f"{results['model']} ({results['settings']['sentences']} sentences)"
    faithful = {n: e["faithfulness"] for n, e in methods.items() if "faithfulness" in e}
    if faithful:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
        for name, fa in faithful.items():
            axes[0].plot(fa["grid"], fa["deletion_curve"], label=name, **_style(name))
            axes[1].plot(fa["grid"], fa["insertion_curve"], label=name, **_style(name))
        axes[0].set(title="deletion (most important first)", xlabel="fraction of words deleted",
                    ylabel="probability of the predicted class")
        axes[1].set(title="insertion (most important first)", xlabel="fraction of words restored")
        axes[1].legend(fontsize=7)
        fig.suptitle(title)
        _save(fig, out / "faithfulness.png")
    layered = {n: e["layer_coherency"] for n, e in methods.items() if "layer_coherency" in e}
    if layered:
        fig, ax = plt.subplots(figsize=(7, 4))
        for name, lc in layered.items():
            pairs = list(lc["pairs"])
            ax.plot(range(len(pairs)), [lc["pairs"][p] for p in pairs], marker="o", label=name, **_style(name))
        ax.set_xticks(range(len(pairs)), [p.replace("layer ", "") for p in pairs])
        ax.set(xlabel="adjacent layers", ylabel="Spearman of word scores", title=title)
        ax.legend(fontsize=7)
        _save(fig, out / "coherency.png")
    truths = {n: e["ground_truth"] for n, e in methods.items() if "ground_truth" in e}
    if truths:
        fig, ax = plt.subplots(figsize=(7, 4))
        names = list(truths)
        ax.bar(range(len(names)), [truths[n]["top1"] for n in names],
               color=["black" if n == "wordinfo" else "tab:blue" for n in names])
        chance = next(iter(truths.values()))["chance_top1"]
        ax.axhline(chance, color="grey", ls="--")
        ax.text(len(names) - 0.5, chance, "chance", color="grey", ha="right", va="bottom", fontsize=8)
        for i, n in enumerate(names):
            ax.text(i, truths[n]["top1"], f"{truths[n]['top1']:.2f}", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
        ax.set(ylabel="top-1 accuracy of the source word", title=title, ylim=(0, 1.08))
        _save(fig, out / "ground_truth.png")


def _style(name: str) -> dict:
    """wordinfo's line stands out: thick and black."""
    return {"lw": 2.5, "color": "black"} if name == "wordinfo" else {"lw": 1.2}


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
