"""F5: fine-grained information: how much a layer keeps about a word beyond what its concept shares."""

from __future__ import annotations

import numpy as np

from ...concepts import bundled_concepts, read_concept
from ...runs import open_run
from ..figures import curves
from ..finding import Finding, Measured, table, verdict_of
from ..intervals import difference, mean_interval


def occurrences(data, name: str, concept: str) -> dict:
    """``{(sentence, word index): [layers] r_{i,c} in bits}`` for every word of ``concept`` in ``name``'s runs."""
    words = set(read_concept(concept).words)
    out = {}
    for run_dir in data.runs(name):
        run = open_run(run_dir)
        exp = run.explanation(run.sentence_ids())
        keep = [i for i in range(len(exp)) if any(w.lower() in words for w in exp.words(i))]
        if not keep:
            continue
        exp = exp.select(keep).with_concept(concept, model=str(data.model(name)))
        for i, sid in enumerate(keep):
            r = exp.word_values("concept", i)
            for w, word in enumerate(exp.words(i)):
                if word.lower() in words and not exp.word_maps[i].special[w]:
                    out[(f"{run_dir.name[len(name) + 1:]}:{sid}", w)] = r[:, w]      # keyed alike for every model
    return out


class FineGrained(Finding):
    id = "F5"
    title = "Fine-grained information: BERT keeps the most about which word of a concept it saw"
    paper = ("Beyond the concept a word belongs to (e.g. 'a positive adjective'), BERT keeps the most information "
             "about the word itself: r_{i,c} = log p(x_i | s) - E_{x' in X_c} log p(x' | s) is largest for BERT.")

    def measure(self, data):
        b = data.plan.bootstrap
        names = data.of_task("sst2")
        measured, checks, rows, sets = [], [], [], {}
        pooled: dict = {n: {} for n in names}
        groups = {}
        for concept in bundled_concepts():
            occ = {n: occurrences(data, n, concept) for n in names}
            for n in names:
                pooled[n].update({(concept, *k): v for k, v in occ[n].items()})
            groups[concept.replace("_", " ")] = occ
        groups["all four concepts"] = pooled
        for label, occ in groups.items():
            keys = sorted(set.intersection(*(set(o) for o in occ.values()))) if occ else []
            if len(keys) < 2:
                continue
            for n in names:
                r = np.array([occ[n][k] for k in keys])             # [occurrences, layers]
                top = r.shape[1]
                rows.append([label, n, len(keys), *(mean_interval(r[:, li], b) for li in (0, top - 1))])
                sets.setdefault(label, {})[n] = {(li + 1) / top: mean_interval(r[:, li], b) for li in range(top)}
            if "sst2-bert" not in occ:
                continue
            bert = np.array([occ["sst2-bert"][k][-1] for k in keys])
            for n in names:
                if n == "sst2-bert":
                    continue
                d = difference(bert, np.array([occ[n][k][-1] for k in keys]), b)
                measured.append(Measured(f"{label}: r at the last layer, bert minus {n.split('-', 1)[1]} (paired by "
                                         "occurrence)", d, "bits"))
                checks.append(d.above(0))
        figures = [curves(data.plan.root / "figures" / "F5.png", sets, "r_{i,c}, bits")] if sets else []
        why = (f"BERT's r_{{i,c}} at its last layer is above the other model's (interval above 0) in {sum(checks)} of "
               f"{len(checks)} comparisons (each concept with two occurrences or more, and the four pooled).")
        if not checks:
            why = ("too few concept words in the explained sentences, or no bert family: cannot compare "
                   "(raise --n)")
        return self.result(measured, verdict_of(checks), why,
                           tables={"r_{i,c} of concept words, first and last layer": table(
                               ["concept", "model", "occurrences", "first layer", "last layer"], rows)},
                           figures=[str(f.relative_to(data.plan.root)) for f in figures],
                           how="Every occurrence, in the SST-2 corpus runs, of a word of the four bundled concept "
                               "lists (positive / negative adjectives and nouns); r_{i,c} in bits with the word's own "
                               "concept, from the run's sigma and the mean squared distance to the concept's vectors "
                               "in the model's input space (wordinfo.concept_distances). Models compared on the same "
                               "occurrences. r is scale-free (the bound on sigma scales with the input space), but "
                               "the spaces differ: BERT's x is its embedding block's output, the others' the word "
                               "embeddings.")
