"""Where Hugging Face models come from (``wordinfo.models.hub``): the name a result carries loads its model back."""

from __future__ import annotations

from wordinfo.models import hub


def test_the_bundled_models_shown_name_loads_it_back(monkeypatch, tiny_bert_dir):
    """An explanation of 'minilm' is named 'minilm (all-MiniLM-L6-v2)'; that name loads the bundled model again
    (here a tiny stand-in), so that a result's model can be found from the result (``Explanation.with_concept``)."""
    monkeypatch.setattr(hub, "bundled_model_path", lambda: str(tiny_bert_dir))
    for name in (hub.BUNDLED, hub.BUNDLED_NAME, None):
        model, tokenizer, shown = hub.load_pretrained(name)
        assert shown == hub.BUNDLED_NAME and model.config.hidden_size == 32 and tokenizer.is_fast
