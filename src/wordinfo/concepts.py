"""Fine-grained information (docs/method.md, "What the paper does"): concept word lists and the concept words'
vectors and distances in the model's input space.

``r_{i,c} = log p(x_i | s) - E_{x' in X_c} log p(x' | s)`` asks how much more precisely the layer's
state ``s`` pins down word ``i`` than the words of its concept ``c`` ("a positive adjective"). For the
fitted Gaussian it is ``E_{x'} ||x' - x_i||^2 / (2 sigma_i^2)`` (:func:`wordinfo.objective.concept_bits`):
sigma comes from the explanation, the mean squared distance from here.

``X_c`` lives where ``x`` does, the space the solver perturbs: for the BERT family the embedding
block's output (word + position + segment embeddings after the LayerNorm), for the other adapters
the token embeddings. So concept word ``w``'s vector *at position i* is built exactly as ``x_i`` is:
the encoder's input of the sentence with token ``i`` replaced by ``w``'s token (same position, same
segment), through :func:`wordinfo.models.encoder.embed_ids`, the one rule for what ``x`` of some ids
is. With ``from_layer`` above 0, ``x`` is a hidden state, where concept words have no vectors: refused.

A concept word is tokenized as it appears inside a sentence, after a space (GPT-2's ``Ġgood``, not
``good``). A word of several pieces gets the mean of its pieces' vectors, each at position ``i``: the
convention of probing work for a word's vector from its sub-words, and what a researcher who listed the
word expects (it stays in the concept) rather than a list refused for a tokenizer's whim; which words were
averaged is recorded (``averaged``). A word that holds the tokenizer's unknown token has no vector: it is
left out and recorded (``left_out``); a concept none of whose words is known is a one-line error. The
bundled lists (``data/concepts``) are single WordPieces of MiniLM's vocabulary, so there nothing is
averaged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import WordinfoError
from .pairs import is_pair

FLOATS_PER_PASS = 1 << 24           # the size of one batch of replaced sentences' vectors (64 MB of float32)


@dataclass(frozen=True)
class Concept:
    """A concept's words as read: ``name`` (the bundled list's, the file's stem, or 'words' for a list),
    ``source`` ('bundled', the file's path, or 'list') and its ``words``, in order, without repeats."""
    name: str
    source: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class ConceptPieces:
    """A concept mapped to a tokenizer: the words that have vectors, each word's piece ids, the words of
    several pieces (``averaged``) and the words left out for holding the unknown token (``left_out``)."""
    concept: Concept
    words: tuple[str, ...]
    pieces: tuple[tuple[int, ...], ...]
    averaged: tuple[str, ...]
    left_out: tuple[str, ...]

    def record(self) -> dict:
        """What an Explanation keeps of the concept (JSON-ready)."""
        c = self.concept
        return {"name": c.name, "source": c.source, "words": list(self.words), "averaged": list(self.averaged),
                "left_out": list(self.left_out)}


def bundled_concepts() -> list[str]:
    """The names of the bundled concept lists (``--concept NAME``)."""
    folder = resources.files("wordinfo.data").joinpath("concepts")
    return sorted(f.name[:-4] for f in folder.iterdir() if f.name.endswith(".txt"))


def read_concept(spec) -> Concept:
    """A concept from a bundled list's name, a file (one word a line, '#' starts a comment) or a list of words.

    An existing file wins over a bundled name; anything else is a one-line error naming the choices."""
    if isinstance(spec, Concept):
        return spec
    if isinstance(spec, (str, Path)) and Path(spec).is_file():
        return _concept(Path(spec).stem, str(spec), _read_lines(Path(spec)), f"concept file {spec}")
    if isinstance(spec, Path) or isinstance(spec, str) and ("/" in spec or spec.endswith(".txt")):
        raise WordinfoError(f"concept file {str(spec)!r} not found: give a file of words, one a line, or a bundled "
                            f"list ({', '.join(bundled_concepts())})")
    if isinstance(spec, str):
        if spec in bundled_concepts():
            text = resources.files("wordinfo.data").joinpath("concepts", f"{spec}.txt").read_text(encoding="utf-8")
            return _concept(spec, "bundled", _words_of(text, spec), f"concept {spec}")
        raise WordinfoError(f"unknown concept {spec!r}: use a bundled list ({', '.join(bundled_concepts())}) or a "
                            "file of words, one a line")
    if isinstance(spec, Sequence) and not isinstance(spec, bytes):
        bad = [w for w in spec if not isinstance(w, str) or not w.strip() or len(w.split()) > 1]
        if bad:
            raise WordinfoError(f"a concept's words are single words as strings, got {bad[0]!r}")
        return _concept("words", "list", [w.strip() for w in spec], "the concept's word list")
    raise WordinfoError(f"a concept is a bundled list's name, a file or a list of words, got {type(spec).__name__}")


def concept_pieces(concept, tokenizer) -> ConceptPieces:
    """Each word's piece ids under ``tokenizer`` (see the module docstring for the rules)."""
    concept = read_concept(concept)
    unk = getattr(tokenizer, "unk_token_id", None)
    words, pieces, averaged, left_out = [], [], [], []
    for w in concept.words:
        # after an anchor word and a space, as inside a sentence; the pieces are those over the word's characters
        enc = tokenizer("a " + w, add_special_tokens=False, return_offsets_mapping=True)
        first, last = 2, 2 + len(w)
        spans = zip(enc["input_ids"], enc["offset_mapping"])
        ids = tuple(i for i, (start, end) in spans if end > first and start < last)
        if not ids or (unk is not None and unk in ids):
            left_out.append(w)
            continue
        words.append(w)
        pieces.append(ids)
        if len(ids) > 1:
            averaged.append(w)
    if not words:
        raise WordinfoError(f"no word of concept {concept.name!r} is in the model's vocabulary (all "
                            f"{len(concept.words)} map to its unknown token): use words its tokenizer knows")
    return ConceptPieces(concept, tuple(words), tuple(pieces), tuple(averaged), tuple(left_out))


def concept_distances(texts, words, model=None, tokenizer=None, *, truncate: bool = False,
                      device: str | None = None) -> list[np.ndarray]:
    """Per text, ``[tokens]``: the mean squared distance ``E_{x' in X_c} ||x' - x_i||^2`` from each token's
    input vector ``x_i`` to the concept words' vectors at its position (the module docstring says how
    they are built), over all of ``X_c`` as the formula has it (a token that is itself one of the concept's
    words counts its own zero distance). With an Explanation's sigma, :func:`wordinfo.objective.concept_bits`
    gives ``r_{i,c}`` in bits; ``exp.with_concept`` does both.

    ``texts``: a string, a list, or sentence pairs as tuples; ``words``: a bundled list's name, a file
    or a list of words; ``model``/``tokenizer`` as for :func:`wordinfo.explain` (an encoder too);
    ``truncate`` cuts texts too long for the model, as ``explain(truncate=True)`` does."""
    encoder, pieces = _prepared(model, tokenizer, device, words)
    return [d for _, d in token_distances(encoder, texts, pieces, truncate)]


def concept_vectors(text, words, model=None, tokenizer=None, *, device: str | None = None) -> np.ndarray:
    """``[words, tokens, K]``: each concept word's vector at each position of ``text``, in the space of ``x``
    (the words that have one: ``concept_pieces(words, tokenizer).words``)."""
    import torch

    from .models.encoder import embed_ids, encode_texts
    encoder, pieces = _prepared(model, tokenizer, device, words)
    _, ids, mask, segments = encode_texts(encoder, [text])
    with torch.no_grad():
        width = embed_ids(encoder, ids, mask, segments).shape[-1]
        return _vectors_at(encoder, ids, mask, segments, pieces.pieces, list(range(ids.shape[1])), width) \
            .cpu().numpy()


def token_distances(encoder, texts, pieces: ConceptPieces, truncate: bool = False):
    """Per text, ``(tokens, distances [tokens])`` under a ready encoder: what :func:`concept_distances` and
    ``Explanation.with_concept`` (which checks the tokens against its own) compute."""
    import torch

    from .models.encoder import embed_ids, encode_texts
    texts = [texts] if isinstance(texts, str) or is_pair(texts) else list(texts)
    check_input_space(getattr(encoder, "from_layer", 0))
    out = []
    with torch.no_grad():
        for text in texts:
            _, ids, mask, segments = encode_texts(encoder, [text], truncate)
            x = embed_ids(encoder, ids, mask, segments)[0].float()              # [n, K]
            n, width = x.shape
            n_pieces = len({p for word in pieces.pieces for p in word})
            block = max(1, FLOATS_PER_PASS // (n * width * n_pieces))           # positions at a time
            parts = []
            for start in range(0, n, block):
                at = list(range(start, min(n, start + block)))
                vectors = _vectors_at(encoder, ids, mask, segments, pieces.pieces, at, width)   # [words, at, K]
                parts.append((vectors - x[at]).pow(2).sum(-1).mean(0))
            tokens = encoder.tokenizer.convert_ids_to_tokens(ids[0].tolist())
            out.append((tokens, torch.cat(parts).double().cpu().numpy()))
    return out


def for_explanation(exp, concept, model=None, tokenizer=None, distances=None, device=None):
    """``(record, distances)`` of ``concept`` for the sentences of an Explanation (``Explanation.with_concept``):
    computed with ``model`` (default: by ``exp.model``'s name), checked to read the texts as the explanation's
    model did; or ``distances`` as given, checked to hold one value per token."""
    check_input_space(exp.from_layer)
    if distances is None:
        from .models.resolve import resolve
        encoder = resolve(exp.model if model is None else model, tokenizer, device)
        pieces = concept_pieces(concept, encoder.tokenizer)
        texts = list(zip(exp.texts, exp.pairs)) if exp.pairs else exp.texts
        found = token_distances(encoder, texts, pieces, truncate=True)   # as explained, cut or not
        other_tokens = any(t != exp.tokens(i) for i, (t, _) in enumerate(found))
        if other_tokens or getattr(encoder, "width", exp.width) != exp.width:
            raise WordinfoError(f"{encoder.name} does not read these texts as the explanation's model did "
                                "(other tokens or width): pass the model they were explained with")
        return pieces.record(), [d for _, d in found]
    c = read_concept(concept)
    distances = [np.asarray(d, dtype=float) for d in distances]
    if [len(d) for d in distances] != [len(wm.tokens) for wm in exp.word_maps]:
        raise WordinfoError("distances= needs one array per sentence with one value per token: compute them "
                            "with wordinfo.concept_distances(texts, words, model)")
    return {"name": c.name, "source": c.source, "words": list(c.words)}, distances


def check_input_space(from_layer: int) -> None:
    """The concept's words have vectors in the input space only: a one-line error for ``from_layer`` above 0."""
    if from_layer:
        raise WordinfoError(f"the concept value needs x to be the input word vectors, but from_layer={from_layer} "
                            f"makes x layer {from_layer}'s states, where concept words have no vectors: use "
                            "--from-layer 0")


def describe(record: dict) -> str:
    """One line about an Explanation's concept, for the CLI's table."""
    extra = [f"{len(record['left_out'])} not in the vocabulary left out ({', '.join(record['left_out'])})"
             if record.get("left_out") else "",
             f"{len(record['averaged'])} averaged over their pieces" if record.get("averaged") else ""]
    extra = "; ".join(e for e in extra if e)
    return f"concept {record['name']}: {len(record['words'])} words" + (f" ({extra})" if extra else "")


# ---------------------------------------------------------------- internals

def _prepared(model, tokenizer, device, words):
    from .models.resolve import resolve
    encoder = resolve(model, tokenizer, device)
    check_input_space(getattr(encoder, "from_layer", 0))
    return encoder, concept_pieces(words, encoder.tokenizer)


def _vectors_at(encoder, ids, mask, segments, pieces, positions, width: int):
    """``[words, len(positions), K]``: for each position ``i`` and piece ``p``, ``x`` of the sentence ``ids``
    ``[1, n]`` with token ``i`` replaced by ``p``, row ``i``; a word's vector the mean of its pieces'."""
    import torch

    from .models.encoder import embed_ids
    flat = sorted({p for word in pieces for p in word})
    column = {p: k for k, p in enumerate(flat)}
    n = ids.shape[1]
    pairs = torch.tensor([(i, p) for i in positions for p in flat], device=ids.device)     # position-major
    per_pass = max(1, FLOATS_PER_PASS // (n * width))                                       # sentences a pass
    rows = []
    for start in range(0, len(pairs), per_pass):
        chunk = pairs[start:start + per_pass]
        rows_of = torch.arange(len(chunk), device=ids.device)
        batch = ids.expand(len(chunk), n).clone()
        batch[rows_of, chunk[:, 0]] = chunk[:, 1]
        x = embed_ids(encoder, batch, mask.expand(len(chunk), n),
                      None if segments is None else segments.expand(len(chunk), n))
        rows.append(x[rows_of, chunk[:, 0]].float())
    vectors = torch.cat(rows).reshape(len(positions), len(flat), -1)                     # [positions, P, K]
    mean = torch.zeros(len(pieces), len(flat), device=vectors.device)
    for w, word in enumerate(pieces):
        for p in word:
            mean[w, column[p]] += 1.0 / len(word)
    return torch.einsum("wp,ipk->wik", mean, vectors)


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise WordinfoError(f"cannot read concept file {path}: {type(e).__name__}: give a UTF-8 text file of "
                            "words, one a line") from None
    return _words_of(text, str(path))


def _words_of(text: str, where: str) -> list[str]:
    words = []
    for number, line in enumerate(text.splitlines(), start=1):
        word = line.split("#", 1)[0].strip()
        if len(word.split()) > 1:
            raise WordinfoError(f"{where} line {number} holds {word!r}: one word a line")
        if word:
            words.append(word)
    return words


def _concept(name: str, source: str, words: list[str], what: str) -> Concept:
    if not words:
        raise WordinfoError(f"{what} is empty: give at least one word (one a line; '#' starts a comment)")
    return Concept(name, source, tuple(dict.fromkeys(words)))
