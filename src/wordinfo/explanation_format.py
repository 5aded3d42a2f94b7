"""What a saved explanation (``explain --json``, ``Explanation.save``) must hold, checked before one is built.

A file edited by hand, cut short or written by something else is one line naming the first field that is
wrong (``sentence 2, layer '3': 'sigma' has 7 values for 8 tokens``), never a traceback from deep inside a
report or a summary. :func:`check_saved` is called by ``Explanation.from_dict``, so ``Explanation.load``,
``wordinfo report``/``summary`` on a JSON file and ``LayerMatrix.load`` all go through it.
"""

from __future__ import annotations

import math

from .errors import WordinfoError

FIX = "give a file written by `wordinfo explain --json` or Explanation.save"


def check_saved(d, source: str = "the explanation") -> None:
    """Raise a one-line WordinfoError if ``d`` is not a consistent explanation dict (see the module docstring)."""
    def fail(where: str, why: str):
        raise WordinfoError(f"{source}: {where}{': ' if where else ''}{why}: {FIX}")

    if not isinstance(d, dict):
        fail("", f"a JSON object was expected, got {type(d).__name__}")
    for key, ok, what in (("model", _text, "a model name"), ("target", _text, "a target name"),
                          ("width", _whole, "a whole number >= 1"), ("scale", _positive, "a number > 0")):
        if not ok(d.get(key)):
            fail("", f"{key!r} is missing" if key not in d else f"{key!r} must be {what}, got {d[key]!r:.40}")
    sentences = d["sentences"] if "sentences" in d else [d]
    if not isinstance(sentences, list) or not sentences:
        fail("", "'sentences' must be a non-empty list")
    labels = None
    for i, s in enumerate(sentences):
        where = f"sentence {i}" if "sentences" in d else ""
        if not isinstance(s, dict):
            fail(where, "a JSON object was expected")
        ours = _sentence_labels(s, lambda why, w=where: fail(w, why))
        if labels is None:
            labels = ours
        elif ours != labels:
            fail(where, f"its layers {ours} differ from the first sentence's {labels}")


def _sentence_labels(s: dict, fail) -> list[str]:
    """Check one sentence; its layer labels."""
    for key in ("text", "tokens", "words", "token_word", "special", "layers"):
        if key not in s:
            fail(f"{key!r} is missing")
    if not isinstance(s["text"], str) or ("pair" in s and not isinstance(s["pair"], str)):
        fail("'text' (and 'pair') must be strings")
    tokens, words, token_word, special = s["tokens"], s["words"], s["token_word"], s["special"]
    if not _strings(tokens) or not tokens or not _strings(words) or not words:
        fail("'tokens' and 'words' must be non-empty lists of strings")
    if not isinstance(token_word, list) or len(token_word) != len(tokens) or \
            not all(_index(w, len(words)) for w in token_word):
        fail(f"'token_word' must give each of the {len(tokens)} tokens a word number 0..{len(words) - 1}")
    if not isinstance(special, list) or len(special) != len(words) or not all(isinstance(v, bool) for v in special):
        fail(f"'special' must be {len(words)} true/false values, one per word")
    segment = s.get("segment")
    if segment and (not isinstance(segment, list) or len(segment) != len(words) or
                    not all(v in (0, 1) for v in segment)):
        fail(f"'segment' must be {len(words)} values 0 or 1, one per word")
    layers = s["layers"]
    if not isinstance(layers, list) or not layers or not all(isinstance(layer, dict) for layer in layers):
        fail("'layers' must be a non-empty list of objects")
    labels = []
    for layer in layers:
        label = layer.get("layer")
        if not isinstance(label, (int, str)) or isinstance(label, bool):
            fail("each layer needs a 'layer' number or name")
        labels.append(str(label))
        for key, required in (("sigma", True), ("log_sigma_se", False)):
            values = layer.get(key)
            if values is None and not required:
                continue
            if not isinstance(values, list) or len(values) != len(tokens):
                got = f"{len(values)} values" if isinstance(values, list) else f"a {type(values).__name__}"
                fail(f"layer {label!r}: {key!r} has {got} for {len(tokens)} tokens")
            if key == "sigma" and not all(v is None or _positive(v) for v in values):
                fail(f"layer {label!r}: 'sigma' values must be numbers > 0 (or null)")
    if len(set(labels)) != len(labels):
        fail(f"a layer is listed twice ({labels})")
    return labels


def _text(v) -> bool:
    return isinstance(v, str) and bool(v)


def _strings(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _index(v, n: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n


def _positive(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
