"""The Workspace (``wordinfo.summary.views``): a DuckDB connection that reads the runs' views and can write nothing,
whatever the query; an empty query is one line."""

from __future__ import annotations

import pytest

from helpers.errors import one_line_error
from wordinfo.summary import Workspace


def _files(root):
    return {p: p.stat().st_mtime_ns for p in root.rglob("*")}


@pytest.mark.parametrize("sql", [
    "COPY (SELECT 1) TO '{tmp}/x.csv'",
    "COPY (SELECT * FROM tokens) TO '{run}/parts/part-000000000-000000009.parquet' (FORMAT parquet)",
    "ATTACH '{tmp}/new.duckdb' AS other",
    "EXPORT DATABASE '{tmp}/export'",
    "INSTALL httpfs",
    "SELECT * FROM read_csv('{run}/manifest.json')",
    "SELECT * FROM read_parquet('{run}/parts/*.parquet')",
    "SET enable_external_access = true",
    "SET temp_directory = '{tmp}/spill'",
])
def test_a_query_cannot_write_read_other_files_or_unlock(corpus_runs, tmp_path, sql):
    run = corpus_runs[0].path
    before, here = _files(run), _files(tmp_path)
    with Workspace([run]) as ws:
        msg = one_line_error(ws.query, sql.format(tmp=tmp_path, run=run))
        assert msg.startswith("query refused: analysis only reads") and "--format csv" in msg
        assert ws.query("SELECT count(DISTINCT sentence) AS n FROM words")["n"][0] == 24   # still reads its views
    assert _files(run) == before and _files(tmp_path) == here, "nothing written"


def test_tables_in_memory_are_allowed_and_empty_queries_are_one_line(corpus_runs):
    with Workspace([corpus_runs[0].path]) as ws:
        ws.query("CREATE TABLE mine AS SELECT word, kept FROM words WHERE layer = 1")
        assert len(ws.query("SELECT * FROM mine")) == len(ws.query("SELECT * FROM words WHERE layer = 1"))
        assert "empty query" in one_line_error(ws.query, "  \n ")
