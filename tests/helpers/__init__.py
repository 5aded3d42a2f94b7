"""What the test files share: tiny models, a synthetic corpus, toy encoders, functions with known answers, and the
checks for the library's one-line errors. Imported as ``helpers`` (``tests/`` is on pytest's ``pythonpath``).

- ``models``: tiny random Hugging Face models and native checkpoints, built from configs;
- ``corpus``: a synthetic corpus with a script-injection sentence, as a TSV;
- ``baseline_toys``: toy encoders whose baseline scores are known in closed form;
- ``functions``: functions of word vectors with a closed-form answer, and the solver's unclamped output;
- ``errors``, ``cli``: the one-line-error checks, for the API and the command line;
- ``threads``: one torch thread for tiny tensors.
"""

import pytest

# their asserts report like a test's own (pytest rewrites only test modules and conftests unless told)
pytest.register_assert_rewrite("helpers.cli", "helpers.errors", "helpers.functions")
