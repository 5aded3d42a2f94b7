"""F3: BERT drops function words that the other models keep."""

from __future__ import annotations

from ..figures import bars
from ..finding import Finding, Measured, table, verdict_of
from ..intervals import difference, mean_interval
from ..statistics import CONTENT, FUNCTION, SENTIMENT, aligned, log_sigma_gap, per_layer, words_only


class FunctionWords(Finding):
    id = "F3"
    title = "BERT drops function words that the other models keep"
    paper = ("BERT keeps the meaningful words and forgets function words such as 'and', 'the', 'is', which the "
             "other models keep.")

    def measure(self, data):
        b = data.plan.bootstrap
        measured, checks, rows, groups = [], [], [], {}
        for task in ("sst2", "cola"):
            names = data.of_task(task)
            gaps = {n: log_sigma_gap(data.words(n), FUNCTION, CONTENT) for n in names}
            for n in names:
                w = words_only(data.words(n))
                kept = {c: per_layer(w[w["category"].isin(c)], "kept") for c in (FUNCTION, CONTENT, SENTIMENT)}
                for layer in gaps[n].columns:
                    rows.append([n, int(layer), *(mean_interval(k[layer], b) if layer in k else None
                                                  for k in kept.values()), mean_interval(gaps[n][layer], b)])
                groups.setdefault(task, {})[n.split("-", 1)[1]] = mean_interval(gaps[n][gaps[n].columns.max()], b)
            bert = f"{task}-bert"
            if bert not in gaps:
                continue
            for other in names:
                if other == bert:
                    continue
                a, o = aligned(gaps[bert], gaps[other])
                d = difference(a, o, b)
                measured.append(Measured(f"{task}: function-word forgetting (mean log sigma of stop words minus "
                                         f"content words, last layer), bert minus {other.split('-', 1)[1]}", d,
                                         "nats"))
                checks.append(d.above(0))
        figures = [bars(data.plan.root / "figures" / "F3.png", groups,
                        "log sigma: stop words - content words\n(last layer; > 0: function words forgotten more)")]
        why = (f"BERT forgets function words more than the other model (relative to content words in the same "
               f"sentences, interval above 0) in {sum(checks)} of {len(checks)} comparisons.")
        if not checks:
            why = "needs the bert family and at least one other"
        return self.result(measured, verdict_of(checks), why,
                           tables={"bits kept per word by category, per layer": table(
                               ["model", "layer", "function (stop) words", "content words", "sentiment words",
                                "log sigma gap, function - content"], rows)},
                           figures=[str(f.relative_to(data.plan.root)) for f in figures],
                           how="Words sorted by the summary's categories: stop words (the bundled list) are function "
                               "words, VADER's sentiment words, the rest content words. Per sentence, mean log "
                               "sigma of its function words minus that of its content words at the model's last "
                               "layer (a within-sentence comparison, so models with other sigma levels compare); "
                               "BERT's gap minus each other model's, paired by sentence.")
