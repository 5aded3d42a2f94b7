"""The result every front end consumes: per-token and per-word information, layer by layer.

An :class:`Explanation` holds one or more sentences explained for the same model
and targets. Index it (``exp[i]``) for one sentence; ``table()`` gives the
``[layers x words]`` view, ``to_dataframe()`` the long one, ``plot()`` a heatmap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import objective as obj
from . import values
from .errors import WordinfoError
from .explanation_format import FIX, check_saved
from .files import json_ready, read_json, write_text
from .words import WordMap

VALUES = tuple(values.BY_KEY)          # the keys of the value registry (wordinfo/values.py)
SUMMED = tuple(v.key for v in values.VALUES.values() if v.in_bits)     # information: pieces' values add
# what the JSON holds per layer for r_{i,c}, and the method that computes each
CONCEPT_FIELDS = {"concept_bits": "token_values", "concept_bits_se": "token_errors",
                  "word_concept_bits": "word_values", "word_concept_bits_se": "word_errors"}


@dataclass
class Explanation:
    model: str
    target: str                      # 'tokens', 'cls' or 'logits'
    layers: list[str]                # one label per explained target ('1'..'L' or 'logits')
    texts: list[str]
    word_maps: list[WordMap]
    sigma: list[np.ndarray]          # per sentence: [len(layers), n_tokens]
    width: int                       # K
    scale: float                     # the bound on sigma
    steps: list[np.ndarray] = field(default_factory=list)       # per sentence: [len(layers)]
    converged: list[np.ndarray] = field(default_factory=list)   # per sentence: [len(layers)]
    settings: dict = field(default_factory=dict)
    # per sentence: [len(layers), n_tokens], the standard error of log sigma (= the relative error of
    # sigma); empty for results saved before error bars existed
    sigma_se: list[np.ndarray] = field(default_factory=list)
    # per sentence, the second text of a sentence pair (wordinfo.pairs); empty when the texts are single
    pairs: list[str] = field(default_factory=list)
    # the concept of r_{i,c} (wordinfo.concepts: name, source, words, averaged, left_out) and, per sentence,
    # [n_tokens] the mean squared distance from x_i to its words' vectors; empty without a concept
    concept: dict = field(default_factory=dict)
    concept_sq_distance: list[np.ndarray] = field(default_factory=list)

    # ---- access
    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, i: int) -> "Explanation":
        return self.select([range(len(self))[i]])

    def select(self, ids) -> "Explanation":
        """The sentences ``ids`` (in that order) as an Explanation of their own."""
        ids = list(ids)
        pick = lambda values: [values[i] for i in ids] if values else []  # noqa: E731
        return Explanation(self.model, self.target, self.layers, pick(self.texts), pick(self.word_maps),
                           pick(self.sigma), self.width, self.scale, pick(self.steps), pick(self.converged),
                           self.settings, pick(self.sigma_se), pick(self.pairs), self.concept,
                           pick(self.concept_sq_distance))

    @property
    def from_layer(self) -> int:
        """The layer whose output was perturbed (0: the input; ``from_layer=`` of :func:`wordinfo.explain`)."""
        return int(self.settings.get("from_layer", 0) or 0)

    def pair(self, i: int = 0) -> str | None:
        """The second text of sentence ``i`` when it is a sentence pair, else None."""
        return self.pairs[i] if self.pairs else None

    def segments(self, i: int = 0) -> list[int]:
        """Per word of sentence ``i``, the text it belongs to (0, or 1: the pair's second text)."""
        wm = self.word_maps[i]
        return list(wm.segment) if wm.segment else [0] * len(wm.words)

    def tokens(self, i: int = 0) -> list[str]:
        return self.word_maps[i].tokens

    def words(self, i: int = 0) -> list[str]:
        return self.word_maps[i].words

    def token_values(self, value: str = "bits", i: int = 0) -> np.ndarray:
        """``[layers, tokens]`` of 'bits' (entropy H_i in bits), 'retained_bits', 'sigma' or
        'log_sigma_centered' (log sigma minus its sentence mean: the per-sentence view)."""
        value = values.value(value).key        # a user's name ('kept') or a key; else a one-line error
        s = self.sigma[i]
        if value == "bits":
            return obj.entropy_bits(s, self.width)
        if value == "retained_bits":
            return obj.retained_bits(s, self.scale, self.width)
        if value == "sigma":
            return s
        if value == "log_sigma_centered":
            return np.log(s) - np.log(s).mean(-1, keepdims=True)
        if value == "concept_bits":
            return obj.concept_bits(s, self._concept_distance(i))
        raise AssertionError(f"values.py has {value!r} but Explanation does not compute it")

    def token_errors(self, value: str = "bits", i: int = 0) -> np.ndarray:
        """The standard error of :meth:`token_values` ``[layers, tokens]`` (NaN where none was saved).

        From the solver's error of ``log sigma``: bits (entropy or kept) move by ``K / ln 2``
        per unit of ``log sigma``, sigma by ``sigma`` times it.
        """
        value = values.value(value).key
        r = self.token_values(value, i) if value == "concept_bits" else None     # no concept: the one-line error
        if not self.sigma_se:
            return np.full_like(self.sigma[i], np.nan)
        se = self.sigma_se[i]
        if value == "concept_bits":
            return obj.concept_bits_error(r, se)
        if value in ("bits", "retained_bits"):
            return obj.bits_error(se, self.width)
        if value == "sigma":
            return self.sigma[i] * se
        if value == "log_sigma_centered":
            return se
        raise AssertionError(f"values.py has {value!r} but Explanation does not compute it")

    def word_errors(self, value: str = "bits", i: int = 0) -> np.ndarray:
        """The standard error of :meth:`word_values` ``[layers, words]``: the pieces' errors added in
        quadrature (bits), or that of their mean log scale (sigma)."""
        value, wm = values.value(value).key, self.word_maps[i]
        se = self.token_errors(value if value in SUMMED else "log_sigma_centered", i)
        var = wm.merge(se ** 2)
        if value in SUMMED:
            return np.sqrt(var)
        counts = wm.merge(np.ones(len(wm.tokens)))
        log_se = np.sqrt(var) / counts
        return self.word_values("sigma", i) * log_se if value == "sigma" else log_se

    def word_values(self, value: str = "bits", i: int = 0) -> np.ndarray:
        """``[layers, words]``: token values summed over each word's pieces (entropies add, and so does
        ``concept``'s r_{i,c}, a difference of log-probabilities).

        For 'sigma' and 'log_sigma_centered' a word gets the mean log-scale of its pieces.
        """
        value, wm = values.value(value).key, self.word_maps[i]    # a user's name ('kept') or a key
        if value in SUMMED:
            return wm.merge(self.token_values(value, i))
        counts = wm.merge(np.ones(len(wm.tokens)))
        mean_log = wm.merge(np.log(self.sigma[i])) / counts
        if value == "sigma":
            return np.exp(mean_log)
        return mean_log - mean_log.mean(-1, keepdims=True)

    def table(self, value: str = "bits", i: int = 0, by: str = "word"):
        """A pandas DataFrame, layers as rows and words (or tokens) as columns."""
        import pandas as pd
        data = self.word_values(value, i) if by == "word" else self.token_values(value, i)
        cols = self.words(i) if by == "word" else self.tokens(i)
        return pd.DataFrame(data, index=pd.Index(self.layers, name="layer"),
                            columns=pd.Index(_unique(cols), name=by))

    def to_dataframe(self):
        """Long format: one row per (sentence, layer, token) with its word, flags and values."""
        import pandas as pd
        rows = []
        for i, wm in enumerate(self.word_maps):
            bits, kept = self.token_values("bits", i), self.token_values("retained_bits", i)
            sigma_se, bits_se = self.token_errors("sigma", i), self.token_errors("bits", i)
            for li, layer in enumerate(self.layers):
                for ti, tok in enumerate(wm.tokens):
                    w = wm.token_word[ti]
                    rows.append({"sentence": i, "layer": layer, "position": ti, "token": tok,
                                 "word_index": w, "word": wm.words[w], "special": wm.special[w],
                                 "segment": wm.segment[w] if wm.segment else 0,
                                 "sigma": float(self.sigma[i][li, ti]), "bits": float(bits[li, ti]),
                                 "retained_bits": float(kept[li, ti]), "sigma_se": float(sigma_se[li, ti]),
                                 "bits_se": float(bits_se[li, ti])})
        df = pd.DataFrame(rows)
        if self.concept:            # the rows run sentence, layer, token: the arrays' own order
            df["concept_bits"] = np.concatenate([self.token_values("concept", i).ravel() for i in range(len(self))])
            df["concept_bits_se"] = np.concatenate([self.token_errors("concept", i).ravel() for i in range(len(self))])
        return df

    # ---- serialisation
    def sentence_dict(self, i: int = 0) -> dict:
        """One sentence in the CLI's JSON layout (``layers`` with sigma/bits per token, word_bits per word)."""
        wm = self.word_maps[i]
        bits, kept = self.token_values("bits", i), self.token_values("retained_bits", i)
        wbits, wkept = self.word_values("bits", i), self.word_values("retained_bits", i)
        sigma_se, bits_se, wbits_se = self.token_errors("sigma", i), self.token_errors("bits", i), \
            self.word_errors("bits", i)
        concept = {k: getattr(self, f)("concept", i) for k, f in CONCEPT_FIELDS.items()} if self.concept else {}
        layers = []
        for li, label in enumerate(self.layers):
            layers.append({
                "layer": int(label) if label.isdigit() else label,
                "sigma": json_ready(self.sigma[i][li]), "bits": json_ready(bits[li]),
                "word_bits": json_ready(wbits[li]),
                "retained_bits": json_ready(kept[li]), "word_retained_bits": json_ready(wkept[li]),
                "sigma_se": json_ready(sigma_se[li]), "bits_se": json_ready(bits_se[li]),
                "word_bits_se": json_ready(wbits_se[li]),
                "log_sigma_se": json_ready(self.sigma_se[i][li]) if self.sigma_se else None,
                "steps": int(self.steps[i][li]) if self.steps else None,
                "converged": bool(self.converged[i][li]) if self.converged else None,
                **{k: json_ready(v[li]) for k, v in concept.items()},       # r_{i,c}, with a concept only
            })
        pair = {"pair": self.pairs[i], "segment": list(wm.segment)} if self.pair(i) is not None else {}
        distance = {"concept_sq_distance": json_ready(self.concept_sq_distance[i])} if self.concept else {}
        return {"text": self.texts[i], **pair, "words": wm.words, "tokens": wm.tokens, "token_word": wm.token_word,
                "special": wm.special, **distance, "layers": layers}

    def to_dict(self) -> dict:
        """JSON-ready. One sentence: its fields at the top level; several: under 'sentences'."""
        head = {"model": self.model, "target": self.target, "from_layer": self.from_layer, "width": self.width,
                "scale": self.scale, "settings": self.settings, **({"concept": self.concept} if self.concept else {})}
        if len(self) == 1:
            return {**head, **self.sentence_dict(0)}
        return {**head, "sentences": [self.sentence_dict(i) for i in range(len(self))]}

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def save(self, path: str | Path) -> Path:
        return write_text(path, json.dumps({**self.to_dict(), "format": "wordinfo.Explanation/1"}))

    @classmethod
    def load(cls, path: str | Path) -> "Explanation":
        return cls.from_dict(read_json(path, "explanation file", FIX), str(path))

    @classmethod
    def from_dict(cls, d: dict, source: str = "the explanation") -> "Explanation":
        check_saved(d, source)        # a file edited by hand or cut short: one line naming the field
        sentences = d["sentences"] if "sentences" in d else [d]
        maps = [WordMap(s["tokens"], s["words"], s["token_word"], s["special"], s.get("segment") or [])
                for s in sentences]
        sigma = [np.array([layer["sigma"] for layer in s["layers"]], dtype=float) for s in sentences]
        steps = [np.array([layer.get("steps") or 0 for layer in s["layers"]]) for s in sentences]
        conv = [np.array([bool(layer.get("converged")) for layer in s["layers"]]) for s in sentences]
        layers = [str(layer["layer"]) for layer in sentences[0]["layers"]]
        has_se = all(layer.get("log_sigma_se") is not None for s in sentences for layer in s["layers"])
        se = [np.array([layer["log_sigma_se"] for layer in s["layers"]], dtype=float) for s in sentences] \
            if has_se else []
        pairs = [s.get("pair") for s in sentences] if any("pair" in s for s in sentences) else []
        concept = d.get("concept") or {}            # absent in files saved before r_{i,c} existed
        dist = [np.array(s["concept_sq_distance"], dtype=float) for s in sentences] if concept else []
        return cls(d["model"], d["target"], layers, [s["text"] for s in sentences], maps, sigma,
                   int(d["width"]), float(d["scale"]), steps, conv, d.get("settings", {}), se, pairs, concept, dist)

    # ---- the concept of r_{i,c} (wordinfo/concepts.py)
    def with_concept(self, concept, model=None, tokenizer=None, *, distances=None, device=None) -> "Explanation":
        """This explanation with a concept, so that ``token_values('concept')`` gives r_{i,c} (docs/method.md,
        "What the paper does"): also for one loaded from a file or a run (``Run.explanation``).

        ``concept``: a bundled list's name, a file of words or a list of words. The distances are
        computed with ``model`` (default: by the name it was explained with, ``self.model``; pass the
        object and its ``tokenizer``, or an encoder, when it was explained from one), or attached as
        given: ``distances``, per sentence ``[tokens]``, as :func:`wordinfo.concept_distances` gives."""
        from .concepts import for_explanation
        record, distances = for_explanation(self, concept, model, tokenizer, distances, device)
        return replace(self, concept=record, concept_sq_distance=distances)

    def _concept_distance(self, i: int) -> np.ndarray:
        if not self.concept_sq_distance:
            raise WordinfoError("this explanation has no concept for the value 'concept': pass concept= to "
                                "wordinfo.explain (--concept NAME|FILE), or use exp.with_concept(words, model)")
        return self.concept_sq_distance[i]

    # ---- pictures
    def plot(self, i: int = 0, value: str = "log_sigma_centered", ax=None, annotate: bool | None = None):
        """Heatmap of one sentence, words by layers (matplotlib). Returns the Axes."""
        from .plotting import heatmap
        return heatmap(self, i=i, value=value, ax=ax, annotate=annotate)

    def _repr_html_(self) -> str:
        """Jupyter's view: words by layers, bits kept, values on hover (first 10 sentences)."""
        from .report import explanation_html  # notebook convenience: lazy import (docs/architecture.md)
        return explanation_html(self)

    def report(self, path: str | Path, **options) -> Path:
        """A self-contained HTML report of these sentences (see :func:`wordinfo.report.build_report`)."""
        from .report import build_report  # notebook convenience: lazy import (docs/architecture.md)
        return build_report([self], path, **options)


def _unique(names: list[str]) -> list[str]:
    """Column labels must be unique: repeated words get '#2', '#3'."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    return out
