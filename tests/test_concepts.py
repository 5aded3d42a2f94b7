"""Fine-grained information r_{i,c} (``wordinfo.concepts``, ``Explanation.with_concept``, ``explain(concept=)``):
it is the Gaussian's log-density difference, the concept words' vectors are the encoder's own input of the
sentence with the token replaced (position, segment and LayerNorm included), it survives save/load and the
command line, and bad concepts are one-line errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import wordinfo
from helpers.cli import assert_clean_error, invoke
from helpers.errors import one_line_error
from helpers.models import FAST, HF_TEXTS, NATIVE, save_with_tokenizer, tiny_bert_classifier
from wordinfo import concepts
from wordinfo.models.checkpoint import build
from wordinfo.models.generic import TransformersEncoder
from wordinfo.models.huggingface import HuggingFaceEncoder
from wordinfo.models.native import NativeEncoder

pytestmark = pytest.mark.usefixtures("fresh_cache")
WORDS = ["good", "great", "charm", "dull"]
TEXT = "an unbelievably good film"


def _replaced(encoder, text, position, token_id, pair=None):
    """The encoder's own ``x`` of ``text`` with the token at ``position`` replaced: row ``position``."""
    enc = encoder.tokenize([text if pair is None else (text, pair)])
    ids = enc["input_ids"].clone()
    ids[0, position] = token_id
    if pair is None:
        return encoder.embed_input(ids, enc["attention_mask"].bool())[0, position]
    return encoder.embed_input(ids, enc["attention_mask"].bool(), enc["token_type_ids"])[0, position]


def _ids(tokenizer, words):
    return [tokenizer.convert_tokens_to_ids(w) for w in words]


# ---------------------------------------------------------------- (a) the closed form of the Gaussian

def test_r_is_the_gaussians_log_density_difference(explained, bert, tokenizer):
    """r_{i,c} = log N(x_i; x_i, sigma_i^2 I) - mean_{x'} log N(x'; x_i, sigma_i^2 I), computed from the densities
    themselves (torch.distributions), equals concept_bits of the mean squared distance, for every layer and token."""
    exp = explained.with_concept(WORDS, bert, tokenizer)
    encoder = HuggingFaceEncoder(bert, tokenizer)
    enc = encoder.tokenize([HF_TEXTS[0]])
    x = encoder.embed_input(enc["input_ids"], enc["attention_mask"].bool())[0].double()          # [n, K]
    vectors = torch.as_tensor(concepts.concept_vectors(HF_TEXTS[0], WORDS, bert, tokenizer)).double()  # [W, n, K]
    r = exp.token_values("concept")
    assert r.shape == exp.sigma[0].shape and len(set(np.round(exp.sigma[0].ravel(), 6))) > 1
    for li in range(len(exp.layers)):
        for i in range(x.shape[0]):
            p = torch.distributions.Normal(x[i], float(exp.sigma[0][li, i]))
            nats = p.log_prob(x[i]).sum() - p.log_prob(vectors[:, i]).sum(-1).mean()
            assert r[li, i] == pytest.approx(float(nats) / math.log(2), rel=1e-6)
    np.testing.assert_allclose(exp.concept_sq_distance[0], (vectors - x).pow(2).sum(-1).mean(0).numpy(), rtol=1e-6)


def test_the_error_of_r_and_the_words_sums(explained, bert, tokenizer):
    """se(r) = 2 r se(log sigma); a word's r is its pieces' sum and its error their quadrature sum."""
    exp = explained.with_concept(WORDS, bert, tokenizer)
    r, se = exp.token_values("concept"), exp.token_errors("concept")
    np.testing.assert_allclose(se, 2 * r * exp.sigma_se[0], rtol=1e-12)
    w = exp.words().index("unbelievably")
    members = [t for t, word in enumerate(exp.word_maps[0].token_word) if word == w]
    assert len(members) > 1
    np.testing.assert_allclose(exp.word_values("concept")[:, w], r[:, members].sum(-1), rtol=1e-9)
    np.testing.assert_allclose(exp.word_errors("concept")[:, w], np.sqrt((se[:, members] ** 2).sum(-1)), rtol=1e-9)
    df = exp.to_dataframe()
    np.testing.assert_allclose(df["concept_bits"], r.ravel())


# ---------------------------------------------------------------- (b) the concept words' vectors

def test_bert_concept_vectors_are_the_embedding_block_of_the_replaced_sentence(bert, tokenizer):
    """Position embeddings and the LayerNorm matter: each word's vector at position i is the embedding block's
    output for the sentence with token i replaced, which differs from position to position."""
    encoder = HuggingFaceEncoder(bert, tokenizer)
    vectors = torch.as_tensor(concepts.concept_vectors(TEXT, WORDS, bert, tokenizer))
    n = encoder.tokenize([TEXT])["input_ids"].shape[1]
    assert vectors.shape == (len(WORDS), n, 32)
    for w, token_id in enumerate(_ids(tokenizer, WORDS)):
        for i in range(n):
            torch.testing.assert_close(vectors[w, i], _replaced(encoder, TEXT, i, token_id), rtol=1e-5, atol=1e-6)
        assert not torch.allclose(vectors[w, 1], vectors[w, 2], atol=1e-3)            # the position shows
        assert not torch.allclose(vectors[w, 1], bert.embeddings.word_embeddings.weight[token_id], atol=1e-3)


def test_a_sentence_pairs_second_text_gets_its_segment(bert, tokenizer):
    encoder = HuggingFaceEncoder(bert, tokenizer)
    pair = ("a good film", "a dull plot")
    vectors = torch.as_tensor(concepts.concept_vectors(pair, ["charm"], bert, tokenizer))
    enc = encoder.tokenize([pair])
    second = int(enc["token_type_ids"][0].tolist().index(1)) + 1       # a word of the second text
    torch.testing.assert_close(vectors[0, second], _replaced(encoder, pair[0], second, _ids(tokenizer, ["charm"])[0],
                                                             pair=pair[1]), rtol=1e-5, atol=1e-6)
    without_segment = _replaced(encoder, pair[0] + " " + pair[1], second, _ids(tokenizer, ["charm"])[0])
    assert not torch.allclose(vectors[0, second], without_segment, atol=1e-4)
    exp = wordinfo.explain(pair[0], bert, tokenizer, pair=pair[1], concept=["charm"], **FAST)
    x = encoder.embed_input(enc["input_ids"], enc["attention_mask"].bool(), enc["token_type_ids"])[0]
    np.testing.assert_allclose(exp.concept_sq_distance[0], (vectors[0] - x).pow(2).sum(-1).numpy(), rtol=1e-5)


@pytest.mark.parametrize("adapter", ["generic", "native"])
def test_token_embedding_adapters_place_the_word_embedding(adapter, tokenizer):
    """For the generic (GPT-2) and native (LSTM) adapters x is the token embeddings: a concept word's vector at any
    position is its embedding row, and the distances are the closed form over those rows."""
    import transformers
    torch.manual_seed(0)
    if adapter == "generic":
        model = transformers.GPT2LMHeadModel(transformers.GPT2Config(n_embd=32, n_layer=2, n_head=2, vocab_size=30522))
        encoder = TransformersEncoder(model.eval(), tokenizer, "gpt2")
    else:
        encoder = NativeEncoder(build("classifier", "lstm", NATIVE[("classifier", "lstm")]).eval(), tokenizer, "lstm")
    table = encoder.word_embeddings.detach()
    vectors = torch.as_tensor(concepts.concept_vectors(TEXT, WORDS, encoder))
    ids = encoder.tokenize([TEXT])["input_ids"][0]
    for w, token_id in enumerate(_ids(tokenizer, WORDS)):
        for i in range(len(ids)):
            torch.testing.assert_close(vectors[w, i], _replaced(encoder, TEXT, i, token_id))
            torch.testing.assert_close(vectors[w, i], table[token_id])
    rows = table[_ids(tokenizer, WORDS)]
    expected = ((rows[:, None] - table[ids][None]) ** 2).sum(-1).mean(0)
    np.testing.assert_allclose(wordinfo.concept_distances(TEXT, WORDS, encoder)[0], expected.numpy(), rtol=1e-5)


def test_a_word_of_several_pieces_is_the_mean_of_its_pieces_vectors(bert, tokenizer):
    pieces = tokenizer.tokenize("unbelievably")
    assert len(pieces) > 1
    mapped = concepts.concept_pieces(["good", "unbelievably"], tokenizer)
    assert mapped.pieces[1] == tuple(_ids(tokenizer, pieces)) and mapped.averaged == ("unbelievably",)
    encoder = HuggingFaceEncoder(bert, tokenizer)
    vectors = torch.as_tensor(concepts.concept_vectors(TEXT, ["good", "unbelievably"], bert, tokenizer))
    mean = torch.stack([_replaced(encoder, TEXT, 3, p) for p in _ids(tokenizer, pieces)]).mean(0)
    torch.testing.assert_close(vectors[1, 3], mean, rtol=1e-5, atol=1e-6)


def test_a_byte_level_tokenizer_gives_the_in_sentence_piece():
    """A word is tokenized as inside a sentence, after a space: GPT-2-style 'Ġgood', not 'good'."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(["a good film", "good films are good", "goodness"] * 20, vocab_size=300, min_frequency=1)
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer)
    assert tok.convert_tokens_to_ids("Ġgood") != tok.convert_tokens_to_ids("good")
    assert concepts.concept_pieces(["good"], tok).pieces == ((tok.convert_tokens_to_ids("Ġgood"),),)


# ---------------------------------------------------------------- (c) explain, save/load, attach later, CLI

def test_explain_with_a_concept_round_trips_through_a_file(bert, tokenizer, tmp_path):
    exp = wordinfo.explain([TEXT, "a dull film"], bert, tokenizer, concept="negative_adjectives", **FAST)
    assert exp.concept["name"] == "negative_adjectives" and "dull" in exp.concept["words"]
    back = wordinfo.Explanation.load(exp.save(tmp_path / "exp.json"))
    assert back.concept == exp.concept
    for i in range(2):
        np.testing.assert_allclose(back.token_values("concept", i), exp.token_values("concept", i), rtol=1e-12)
        np.testing.assert_allclose(back.word_errors("concept", i), exp.word_errors("concept", i), rtol=1e-12)
    one = exp[1]
    np.testing.assert_allclose(one.word_values("concept"), exp.word_values("concept", 1))
    layer = one.to_dict()["layers"][0]
    assert {"concept_bits", "concept_bits_se", "word_concept_bits", "word_concept_bits_se"} <= set(layer)
    # the same distances as computed afterwards, for the explanation loaded without its concept
    plain = wordinfo.Explanation.from_dict({**exp.to_dict(), "concept": None})
    assert plain.concept == {} and not plain.concept_sq_distance
    later = plain.with_concept("negative_adjectives", bert, tokenizer)
    for i in range(2):
        np.testing.assert_allclose(later.concept_sq_distance[i], exp.concept_sq_distance[i], rtol=1e-12)
    attached = plain.with_concept("negative_adjectives", distances=wordinfo.concept_distances(
        [TEXT, "a dull film"], "negative_adjectives", bert, tokenizer))
    np.testing.assert_allclose(attached.token_values("concept", 1), exp.token_values("concept", 1), rtol=1e-12)


def test_an_explanation_without_a_concept_says_to_pass_one(explained, tmp_path):
    old = wordinfo.Explanation.load(explained.save(tmp_path / "old.json"))       # a file without a concept
    assert "concept" not in json.loads((tmp_path / "old.json").read_text())
    for ask in (old.token_values, old.word_values, old.token_errors, old.word_errors):
        assert "concept=" in one_line_error(ask, "concept")
    msg = one_line_error(old.with_concept, WORDS, distances=[np.zeros(3)])
    assert "one value per token" in msg


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return save_with_tokenizer(tiny_bert_classifier(), tmp_path_factory.mktemp("tiny-clf"))


def test_cli_table_and_json(tiny_dir, tmp_path):
    table = invoke("explain", TEXT, "--model", tiny_dir, "--value", "concept", "--concept", "positive_adjectives",
                   "--solver", "fast")
    assert table.exit_code == 0, table.output
    assert "r_{i,c}" in table.stdout and "concept positive_adjectives: 51 words" in table.stdout
    assert table.stdout.count("±") >= 12                       # 6 words x 2 layers, each with its error
    words = tmp_path / "words.txt"
    words.write_text("# my concept\ngood\ngreat  # a comment\n\nunbelievably\n")
    out = invoke("explain", TEXT, "--model", tiny_dir, "--json", "--concept", words, "--solver", "fast")
    assert out.exit_code == 0, out.output
    d = json.loads(out.stdout)
    assert d["concept"] == {"name": "words", "source": str(words), "words": ["good", "great", "unbelievably"],
                            "averaged": ["unbelievably"], "left_out": []}
    sigma, dist = np.array(d["layers"][1]["sigma"]), np.array(d["concept_sq_distance"])
    np.testing.assert_allclose(d["layers"][1]["concept_bits"], dist / (2 * sigma ** 2) / math.log(2), rtol=1e-9)
    assert len(d["layers"][1]["word_concept_bits"]) == len(d["words"])


def test_a_concept_added_later_finds_the_model_by_the_explanations_name(tiny_dir):
    exp = wordinfo.explain(TEXT, str(tiny_dir), solver="fast")
    later = exp.with_concept("positive_nouns")                     # the model by exp.model, a directory here
    np.testing.assert_allclose(later.concept_sq_distance[0],
                               wordinfo.concept_distances(TEXT, "positive_nouns", str(tiny_dir))[0], rtol=1e-12)


@pytest.mark.parametrize("args, fragments", [
    (["--value", "concept"], ["--value concept", "--concept", "positive_adjectives"]),
    (["--concept", "positive_adjectivs"], ["positive_adjectivs", "negative_nouns"]),
    (["--concept", "positive_nouns", "--from-layer", "1"], ["from_layer=1", "--from-layer 0"]),
    (["--concept", "positive_nouns", "--from-layer", "all"], ["--concept"]),
])
def test_cli_errors_are_one_line(args, fragments, tiny_dir):
    assert_clean_error(invoke("explain", TEXT, "--model", tiny_dir, "--solver", "fast", *args), *fragments)


# ---------------------------------------------------------------- (d) bad concepts

def test_bad_concepts_are_one_line_errors(tmp_path, tokenizer, bert):
    assert "positive_adjectives" in one_line_error(concepts.read_concept, "happy_words")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\n\n")
    assert "empty" in one_line_error(concepts.read_concept, str(empty))
    assert "empty" in one_line_error(concepts.read_concept, [])
    assert "not found" in one_line_error(concepts.read_concept, str(tmp_path / "missing.txt"))
    assert "not found" in one_line_error(concepts.read_concept, tmp_path / "missing")
    two = tmp_path / "two.txt"
    two.write_text("good\nvery good\n")
    assert "line 2" in one_line_error(concepts.read_concept, two)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00good")
    assert "UTF-8" in one_line_error(concepts.read_concept, binary)
    assert "single words" in one_line_error(concepts.read_concept, ["good", 3])
    unknown = one_line_error(concepts.concept_pieces, ["🜁", "☃"], tokenizer)
    assert "vocabulary" in unknown and "words" in unknown
    partly = concepts.concept_pieces(["good", "☃", "good"], tokenizer)
    assert partly.words == ("good",) and partly.left_out == ("☃",)         # repeats count once
    assert "1 not in the vocabulary left out" in concepts.describe(partly.record())


def test_a_concept_above_the_input_is_refused(explained, bert, tokenizer):
    assert "--from-layer 0" in one_line_error(wordinfo.explain, TEXT, bert, tokenizer, from_layer=1,
                                              concept=WORDS, **FAST)
    above = type(explained)(**{**explained.__dict__, "settings": {**explained.settings, "from_layer": 2}})
    assert "from_layer=2" in one_line_error(above.with_concept, WORDS, bert, tokenizer)
    encoder = HuggingFaceEncoder(bert, tokenizer).start_at(1)
    assert "from_layer=1" in one_line_error(wordinfo.concept_distances, TEXT, WORDS, encoder)


def test_the_model_must_read_the_texts_as_the_explanation_did(explained, tokenizer):
    import transformers
    wider = transformers.BertModel(transformers.BertConfig(vocab_size=30522, hidden_size=16, num_hidden_layers=1,
                                                           num_attention_heads=2, intermediate_size=32)).eval()
    assert "explained with" in one_line_error(explained.with_concept, WORDS, wider, tokenizer)


# ---------------------------------------------------------------- the bundled lists

def test_bundled_lists_are_single_pieces_of_minilm_and_ship(tokenizer):
    names = concepts.bundled_concepts()
    assert names == ["negative_adjectives", "negative_nouns", "positive_adjectives", "positive_nouns"]
    seen: dict[str, str] = {}
    for name in names:
        c = concepts.read_concept(name)
        assert c.source == "bundled" and 25 <= len(c.words) <= 60, (name, len(c.words))
        assert all(w == w.lower() and len(tokenizer.tokenize(w)) == 1 for w in c.words), name
        assert concepts.concept_pieces(name, tokenizer).averaged == ()
        clash = [w for w in c.words if w in seen]
        assert not clash, (name, clash, [seen[w] for w in clash])
        seen.update(dict.fromkeys(c.words, name))
    package_data = (Path(__file__).parents[1] / "pyproject.toml").read_text().split("[tool.setuptools.package-data]")
    assert '"data/concepts/*.txt"' in package_data[1].split("[")[1], "the lists must ship with the package"
