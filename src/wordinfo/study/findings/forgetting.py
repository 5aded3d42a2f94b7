"""F4: BERT forgets [SEP] early (layers 3-4 of 12) and the other irrelevant words later (layers 5-12)."""

from __future__ import annotations

import numpy as np

from ..figures import bars
from ..finding import Finding, Measured, table, verdict_of
from ..intervals import difference, paired_interval
from ..statistics import FUNCTION, NEVER, forgetting_depth

SEP = ("[SEP]", "</s>")
IRRELEVANT = {"sst2": FUNCTION + ("other", "punctuation"), "cola": FUNCTION + ("punctuation",)}
SEP_BY = 4 / 12            # "by layers 3-4 of 12"
OTHERS_FROM = 5 / 12       # "through layers 5-12"


class Forgetting(Finding):
    id = "F4"
    title = "BERT forgets [SEP] by a third of its depth, the other irrelevant words later"
    paper = ("BERT forgets the end-of-sentence token [SEP] by layers 3-4 (of 12) and the other task-irrelevant words "
             "gradually through layers 5-12.")

    def measure(self, data):
        b = data.plan.bootstrap
        measured, checks, rows, groups = [], [], [], {}
        for name in data.classifiers:
            task, family = name.split("-", 1)
            words = data.words(name)
            scale = float(data.first_sentences(name).scale)
            for criterion in ("absolute", "relative"):
                d = forgetting_depth(words, scale, criterion)
                sep = d[d["word"].isin(SEP)].groupby("sid")["depth"].mean()
                irr = d[~d["special"] & d["category"].isin(IRRELEVANT[task])].groupby("sid")["depth"].mean()
                common = sep.index.intersection(irr.index)
                s, o = sep.loc[common].to_numpy(), irr.loc[common].to_numpy()
                med_s = paired_interval([s], np.median, b)
                med_o = paired_interval([o], np.median, b)
                rows.append([name, criterion, med_s, med_o, float(np.mean(s < NEVER)), float(np.mean(o < NEVER))])
                groups.setdefault(f"{criterion} criterion", {})[f"{name} [SEP]"] = med_s
                groups[f"{criterion} criterion"][f"{name} other"] = med_o
                if family != "bert":
                    continue
                measured.append(Measured(f"{name}, {criterion}: median depth at which [SEP] is forgotten "
                                         f"(2 = never)", med_s, "l/L"))
                measured.append(Measured(f"{name}, {criterion}: median depth at which the other irrelevant words "
                                         "are forgotten (per sentence mean; 2 = never)", med_o, "l/L"))
                gap = difference(s, o, b)
                measured.append(Measured(f"{name}, {criterion}: [SEP]'s depth minus the other words' (paired)",
                                         gap, "l/L"))
                checks += [med_s.high <= SEP_BY + 1e-9, med_o.estimate >= OTHERS_FROM and med_o.estimate <= 1,
                           gap.below(0)]
        figures = [bars(data.plan.root / "figures" / "F4.png", groups, "depth forgotten at (l/L; 2 = never)",
                        zero=False)]
        why = (f"{sum(checks)} of {len(checks)} checks hold: [SEP] forgotten by depth {SEP_BY:.2f} (the interval's "
               f"top), the other irrelevant words' median depth in [{OTHERS_FROM:.2f}, 1], and [SEP] before them "
               "(paired interval below 0); for the absolute and the relative criterion.")
        if not checks:
            why = "needs the bert family"
        return self.result(measured, verdict_of(checks), why,
                           tables={"forgetting depth": table(
                               ["model", "criterion", "[SEP]: median depth", "other irrelevant words: median depth",
                                "share of [SEP] forgotten by the last layer", "share of the others"], rows)},
                           figures=[str(f.relative_to(data.plan.root)) for f in figures],
                           how="A word is forgotten from the first layer from which it stays forgotten in every "
                               "later layer. Absolute criterion: sigma at least half the bound on sigma (the noise "
                               "half as wide as the widest allowed). Relative: at most half the bits of its own best "
                               "layer (the summary's 'forgetting' view). Depth l/L; 2 means still kept at the last "
                               "layer. Irrelevant words: SST-2, every word but sentiment words and [CLS]/[SEP]; "
                               "CoLA, stop words and punctuation.")
