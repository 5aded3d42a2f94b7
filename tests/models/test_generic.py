"""models/generic.py: any Hugging Face model (decoder-only, encoder-decoder, DeBERTa, ModernBERT) and models/hub.py.

Every model is a tiny random one built from its config (nothing is downloaded) with the
bundled MiniLM's tokenizer, saved with ``save_pretrained`` where a directory is needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import transformers
from scipy.stats import spearmanr
from typer.testing import CliRunner

import wordinfo
from wordinfo.cli import app
from wordinfo.models.checks import check_encoder
from wordinfo.models.generic import TransformersEncoder
from wordinfo.models.resolve import resolve

V = 30522
FAST = {"max_samples": 32, "max_steps": 10}
TEXT = "the film is a fine and rare thing"


def _config(family: str):
    small = {"vocab_size": V}
    return {
        "gpt2": lambda: transformers.GPT2Config(n_embd=32, n_layer=3, n_head=2, n_positions=128, **small),
        "llama": lambda: transformers.LlamaConfig(hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
                                                  num_key_value_heads=1, intermediate_size=64, **small),
        "qwen2": lambda: transformers.Qwen2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                                  num_key_value_heads=1, intermediate_size=64, **small),
        "mistral": lambda: transformers.MistralConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                                      num_key_value_heads=1, intermediate_size=64, **small),
        "t5": lambda: transformers.T5Config(d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2,
                                            decoder_start_token_id=0, **small),
        "bart": lambda: transformers.BartConfig(d_model=32, encoder_layers=2, decoder_layers=2,
                                                encoder_attention_heads=2, decoder_attention_heads=2,
                                                encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=128,
                                                **small),
        "deberta-v2": lambda: transformers.DebertaV2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                                           intermediate_size=64, **small),
        "modernbert": lambda: transformers.ModernBertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                                            intermediate_size=64, pad_token_id=0, **small),
    }[family]()


MODEL_CLASS = {"gpt2": transformers.GPT2LMHeadModel, "llama": transformers.LlamaForCausalLM,
               "qwen2": transformers.Qwen2ForCausalLM, "mistral": transformers.MistralForCausalLM,
               "t5": transformers.T5ForConditionalGeneration, "bart": transformers.BartForConditionalGeneration,
               "deberta-v2": transformers.DebertaV2Model, "modernbert": transformers.ModernBertModel}
FAMILIES = sorted(MODEL_CLASS)
CAUSAL = ("gpt2", "llama", "qwen2", "mistral")


def tiny(family: str):
    torch.manual_seed(0)
    return MODEL_CLASS[family](_config(family)).eval()


@pytest.fixture(scope="module")
def saved(tmp_path_factory, minilm_tokenizer):
    """``saved(family)``: a directory with the tiny model and the tokenizer."""
    made = {}

    def get(family):
        if family not in made:
            d = tmp_path_factory.mktemp(family)
            tiny(family).save_pretrained(d)
            minilm_tokenizer.save_pretrained(d)
            made[family] = d
        return made[family]
    return get


def _cli(*args):
    result = CliRunner().invoke(app, list(args))
    return result


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_passes_the_encoder_checks_on_both_paths(family, minilm_tokenizer):
    model = tiny(family)
    fast = TransformersEncoder(model, minilm_tokenizer, family)
    assert fast.path == "stack"            # its block list is found: copies leave at their layer
    check_encoder(fast)
    check_encoder(TransformersEncoder(model, minilm_tokenizer, family, path="generic"))


@pytest.mark.parametrize("family", FAMILIES)
def test_explain_json_from_a_directory_has_the_bert_shape(family, saved, tiny_bert, tmp_path):
    result = _cli("explain", TEXT, "--model", str(saved(family)), "--layers", "all", "--json", "--solver", "fast",
                  "--calibrate", str(_calibration(tmp_path)))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    model, tok = tiny_bert
    bert = json.loads(wordinfo.explain(TEXT, model, tok, calibration="none", solver="fast").to_json())
    assert set(out) == set(bert)
    assert set(out["layers"][0]) == set(bert["layers"][0])
    assert [row["layer"] for row in out["layers"]] == \
        list(range(1, resolve(str(saved(family))).num_layers + 1))


def _calibration(tmp_path):
    path = tmp_path / "calibration.txt"
    path.write_text("a fine film\nthe plot is thin\nnobody will remember it\nrare and good\n")
    return path


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_the_generic_path_agrees_with_the_stack_path(family, minilm_tokenizer):
    model = tiny(family)
    texts = [TEXT, "a long , dull and rather pointless film", "it is what it is"]
    answers = [wordinfo.explain(texts, TransformersEncoder(model, minilm_tokenizer, family, path=p), layers="all",
                                calibration="none", **FAST) for p in ("stack", "generic")]
    rho = [spearmanr(answers[0].sigma[i][li], answers[1].sigma[i][li]).statistic
           for i in range(len(texts)) for li in range(len(answers[0].layers))]
    assert np.median(rho) >= 0.95, rho


@pytest.mark.parametrize("family", CAUSAL)
def test_a_causal_position_leaves_every_later_word_at_the_bound(family, minilm_tokenizer):
    enc = TransformersEncoder(tiny(family), minilm_tokenizer, family)
    j = 3
    exp = wordinfo.explain(TEXT, enc, layers="all", target=f"token:{j}", calibration="none", **FAST)
    sigma = exp.sigma[0]
    np.testing.assert_allclose(sigma[:, j + 1:], exp.scale, rtol=1e-6)     # the words after J: at the bound
    assert np.all(sigma[:, j] < exp.scale)                                  # J itself is kept
    kept = exp.token_values("retained_bits")
    assert np.all(kept[:, j + 1:] == 0)


def test_causal_lm_logits_are_the_next_token_scores(minilm_tokenizer):
    model = tiny("gpt2")
    enc = TransformersEncoder(model, minilm_tokenizer, "gpt2")
    [target] = enc.targets(None, "logits")
    enc_ids = enc.tokenize([TEXT, "short one"])
    mask = enc_ids["attention_mask"].bool()
    x = enc.embed(enc_ids["input_ids"])
    out = enc.clean_outputs(x, mask, [target])[0]
    with torch.no_grad():
        full = model(input_ids=enc_ids["input_ids"], attention_mask=enc_ids["attention_mask"]).logits
    last = mask.sum(1) - 1
    torch.testing.assert_close(out, full[torch.arange(2), last], atol=1e-4, rtol=1e-4)


def test_a_model_without_a_head_has_no_logits_target(minilm_tokenizer):
    enc = TransformersEncoder(tiny("deberta-v2"), minilm_tokenizer, "deberta")
    with pytest.raises(wordinfo.WordinfoError, match="logits"):
        enc.targets(None, "logits")
    with pytest.raises(wordinfo.WordinfoError, match="whole number"):
        enc.targets("all", "token:x")


def test_past_the_end_position_is_one_line():
    result = _cli("explain", "a film", "--model", "minilm", "--target", "token:40", "--solver", "fast")
    assert result.exit_code == 2


def test_a_hub_name_offline_is_one_line(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = _cli("explain", TEXT, "--model", "gpt2")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "gpt2" in lines[0] and "cache" in lines[0] and "Traceback" not in result.output


def test_a_hub_name_loads_from_the_local_cache(saved, tmp_path):
    """A cache laid out as huggingface_hub does (models--ORG--NAME/snapshots/REV, refs/main), read by name."""
    source = saved("gpt2")
    repo = tmp_path / "hf" / "hub" / "models--tiny-org--tiny-gpt2"
    snapshot = repo / "snapshots" / "0123456789abcdef"
    snapshot.mkdir(parents=True)
    for f in source.iterdir():
        (snapshot / f.name).write_bytes(f.read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123456789abcdef")
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1",
           "WORDINFO_CACHE": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "wordinfo.cli", "explain", TEXT, "--model", "tiny-org/tiny-gpt2", "--json",
           "--solver", "fast", "--layers", "1"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["model"] == "tiny-org/tiny-gpt2" and [row["layer"] for row in out["layers"]] == [1]


# ---------------------------------------------------------------- from_layer: information between two layers

def test_from_layer_zero_is_todays_answer(tiny_bert):
    model, tok = tiny_bert
    a = wordinfo.explain(TEXT, model, tok, calibration="none", solver="fast")
    b = wordinfo.explain(TEXT, model, tok, calibration="none", solver="fast", from_layer=0)
    np.testing.assert_array_equal(a.sigma[0], b.sigma[0])
    assert a.settings == b.settings


def test_from_layer_explains_the_layers_above_only(tiny_bert):
    model, tok = tiny_bert
    exp = wordinfo.explain(TEXT, model, tok, calibration="none", solver="fast", from_layer=1)
    assert exp.layers == ["2"] and exp.settings["from_layer"] == 1
    with pytest.raises(wordinfo.WordinfoError, match="not above the input layer 1"):
        wordinfo.explain(TEXT, model, tok, calibration="none", solver="fast", from_layer=1, layers="1,2")
    with pytest.raises(wordinfo.WordinfoError, match="from-layer must be"):
        wordinfo.explain(TEXT, model, tok, calibration="none", solver="fast", from_layer=2)


def test_from_layer_through_identity_layers_is_the_closed_form(minilm_tokenizer):
    """Block 2 of a Llama made the identity (its attention and MLP outputs zeroed): from layer 1 to layer 2
    phi(x) = x, whose optimum is sigma_i = sigma_S sqrt(lambda / 2) for every word (docs/method.md)."""
    import math

    from wordinfo.models.encoder import embed_texts
    model = tiny("llama")
    with torch.no_grad():
        model.model.layers[1].self_attn.o_proj.weight.zero_()
        model.model.layers[1].mlp.down_proj.weight.zero_()
    enc = TransformersEncoder(model, minilm_tokenizer, "llama")
    exp = wordinfo.explain(TEXT, enc, layers="2", from_layer=1, calibration="none")
    _, mask, x = embed_texts(enc, [TEXT])                    # layer 1's output: the input x
    sigma_s = float(x[mask].pow(2).mean().sqrt())            # the per-sentence fallback for sigma_S
    expected = min(sigma_s * math.sqrt(0.1 / 2), exp.scale)
    np.testing.assert_allclose(exp.sigma[0], expected, rtol=0.01)


def test_cli_from_layer(saved, tmp_path):
    result = _cli("explain", TEXT, "--model", str(saved("gpt2")), "--from-layer", "1", "--json", "--solver", "fast",
                  "--calibrate", str(_calibration(tmp_path)))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [row["layer"] for row in out["layers"]] == [2, 3] and out["settings"]["from_layer"] == 1


# ---------------------------------------------------------------- encoder-decoders: decoder layers given a target text

@pytest.mark.parametrize("family", ["t5", "bart"])
def test_decoder_layers_given_a_target_text(family, minilm_tokenizer):
    enc = TransformersEncoder(tiny(family), minilm_tokenizer, family).set_decoder_text("le film est bien")
    targets = enc.targets("all", "decoder:2")
    assert [t.label for t in targets] == [str(v) for v in range(1, enc.decoder_layers + 1)]
    check_encoder(enc, targets=targets)
    exp = wordinfo.explain(TEXT, enc, target="decoder:2", calibration="none", **FAST)
    assert exp.target == "decoder:2" and len(exp.layers) == enc.decoder_layers
    assert np.all(exp.sigma[0] <= exp.scale * (1 + 1e-6))


def test_decoder_targets_need_the_text_and_an_encoder_decoder(minilm_tokenizer):
    with pytest.raises(wordinfo.WordinfoError, match="--decoder-text"):
        TransformersEncoder(tiny("t5"), minilm_tokenizer, "t5").targets("all", "decoder:1")
    with pytest.raises(wordinfo.WordinfoError, match="encoder-decoder"):
        TransformersEncoder(tiny("gpt2"), minilm_tokenizer, "gpt2").set_decoder_text("hello")
    with pytest.raises(wordinfo.WordinfoError, match="past the end"):
        TransformersEncoder(tiny("t5"), minilm_tokenizer, "t5").set_decoder_text("hi").targets("all", "decoder:9")


def test_cli_decoder_text(saved, tmp_path):
    result = _cli("explain", TEXT, "--model", str(saved("t5")), "--target", "decoder:1", "--decoder-text",
                  "le film", "--json", "--solver", "fast", "--calibrate", str(_calibration(tmp_path)))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["target"] == "decoder:1" and out["settings"]["decoder_text"] == "le film"


def test_bert_logits_from_a_layer_are_the_models_logits(minilm_tokenizer):
    """x replaces layer A's output: at the clean state the head gives the model's own logits."""
    from helpers.models import tiny_bert_classifier
    from wordinfo.models.encoder import embed_texts
    model = tiny_bert_classifier(layers=3)
    enc = resolve(model, minilm_tokenizer).start_at(2)
    _, mask, x = embed_texts(enc, [TEXT])
    out = enc.clean_outputs(x, mask, enc.targets(None, "logits"))[0]
    with torch.no_grad():
        ref = model(**minilm_tokenizer([TEXT], return_tensors="pt")).logits
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------- bfloat16 weights

@pytest.mark.parametrize("family", ["llama", "bert"])
def test_bfloat16_weights_halve_the_memory_and_keep_the_solver_in_float32(family, saved, tiny_bert_dir):
    """--dtype bfloat16 loads a model given by path with bfloat16 weights; x, the noise and sigma stay float32."""
    from wordinfo.job import prepare
    path = str(saved(family)) if family != "bert" else str(tiny_bert_dir)
    half = prepare(path, layers="1", dtype="bfloat16")
    full = prepare(path, layers="1", dtype="float32")
    assert half.encoder.weights_dtype == torch.bfloat16 and full.encoder.weights_dtype == torch.float32
    assert half.settings["weights"] == "bfloat16" and "weights" not in full.settings
    assert half.encoder.activation_bytes_per_token() == full.encoder.activation_bytes_per_token() / 2
    problem, _ = half.problem([TEXT])
    assert problem.x.dtype == torch.float32 and all(c.dtype == torch.float32 for c in problem.clean)
    a = full.explanation([TEXT], full.run([TEXT]))
    b = half.explanation([TEXT], half.run([TEXT]))
    assert b.sigma[0].dtype == np.float64 and np.isfinite(b.sigma[0]).all()
    # the same model rounded to 8 mantissa bits moves sigma by about its sampling error: measured median
    # |log ratio| 0.4% (tiny Llama; standard error 0.3%) and 2.3% (tiny BERT; standard error 2.4%)
    assert (b.sigma[0] < b.scale).any()
    assert np.median(np.abs(np.log(a.sigma[0][0] / b.sigma[0][0]))) < 3 * np.median(a.sigma_se[0])
