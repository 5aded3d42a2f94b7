"""The benchmark's cases (``wordinfo.bench.cases``): its SST-2 sentences."""

from __future__ import annotations

from wordinfo.bench.cases import sst2_sentences


def test_sst2_reader(tmp_path):
    f = tmp_path / "t.tsv"
    f.write_text("1\ta fine film\n0\tbad\n")
    assert sst2_sentences(f) == ["a fine film", "bad"]
    assert sst2_sentences(f, 1) == ["a fine film"]
