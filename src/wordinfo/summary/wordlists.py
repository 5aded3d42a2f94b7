"""The word lists that sort words into categories, and the optional part-of-speech tagger.

A word's category (see :data:`CATEGORIES`; the rule itself is the ``words`` view in
:mod:`wordinfo.summary.sql`) comes from: special tokens ([CLS], [SEP]); punctuation
(no letter or digit); sentiment-bearing words, the entries of the VADER lexicon shipped
in the ``vaderSentiment`` package (positive or negative by the sign of their valence);
and stop words, the bundled list ``wordinfo/data/stopwords.txt``.
"""

from __future__ import annotations

from importlib import resources

from ..errors import WordinfoError

CATEGORIES = ("special", "punctuation", "stop word", "positive", "negative", "other")


def stop_words() -> set[str]:
    text = resources.files("wordinfo.data").joinpath("stopwords.txt").read_text(encoding="utf-8")
    return {w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")}


def lexicon() -> dict[str, float]:
    """The VADER sentiment lexicon: word -> mean valence (-4..4)."""
    try:
        text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8",
                                                                                        errors="replace")
    except (ModuleNotFoundError, FileNotFoundError):
        raise WordinfoError("the sentiment lexicon is missing: pip install vaderSentiment") from None
    out = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            try:
                out[parts[0].strip().lower()] = float(parts[1])
            except ValueError:
                continue
    return out


def pos_tagger():
    """(name, tag(words) -> universal tags) from spaCy or NLTK when one is installed with its model; else None."""
    try:
        import spacy
        from spacy.tokens import Doc
        for model in ("en_core_web_sm", "en_core_web_md", "en_core_web_lg", "en_core_web_trf"):
            try:
                nlp = spacy.load(model, disable=["parser", "ner", "lemmatizer"])
            except OSError:
                continue

            def tag(words, nlp=nlp):
                doc = nlp(Doc(nlp.vocab, words=list(words)))
                return [t.pos_ for t in doc]
            return f"spacy {model}", tag
    except ImportError:
        pass
    try:
        import nltk
        for res in ("taggers/averaged_perceptron_tagger_eng", "taggers/averaged_perceptron_tagger"):
            try:
                nltk.data.find(res)
                break
            except LookupError:
                continue
        else:
            return None
        try:
            nltk.data.find("taggers/universal_tagset")
            universal = True
        except LookupError:
            universal = False

        def tag(words):
            return [t for _, t in nltk.pos_tag(list(words), tagset="universal" if universal else None)]
        return "nltk", tag
    except ImportError:
        return None
