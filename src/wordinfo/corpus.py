"""Reading sentences from files: the one corpus reader (TSV, JSONL or plain text, streamed), and where the data are.

Every front end reads through here: corpus runs (:func:`open_spec`, :func:`rows`), the
evaluation (:func:`read_texts`), training (:func:`read_labelled`), the calibration sample
(:func:`read_lines`) and the benchmark. Rows are read lazily, so a corpus of any size
costs the memory of one batch. A sentence's number is its position among the file's data
rows (blank lines are not rows), which is what a run's results and its resume logic key
on. A UTF-8 byte-order mark at the start of a file is dropped.

The project's data sit beside its checkout, in ``../shared/data`` (read-only, never
copied in): :func:`default_data_dir` finds them.

One job (reading sentences from files), kept in one file so that every reader shares the
same format sniffing, column rules and line numbers in its errors.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from .errors import WordinfoError

FORMATS = ("tsv", "jsonl", "txt")
TEXT_KEYS = ("text", "sentence", "sentence1", "content", "review")
# the two text columns of sentence-pair data sets (MRPC/STS-B/RTE, QQP, MNLI/SNLI, generic), taken as a pair when
# no text column is named
PAIR_KEYS = (("sentence1", "sentence2"), ("question1", "question2"), ("premise", "hypothesis"), ("text_a", "text_b"))
SNIFF_ROWS = 100


@dataclass(frozen=True)
class Row:
    sentence: int          # 0-based position among the data rows
    line: int              # 1-based line of the file
    text: str
    label: str | None
    pair: str | None = None   # a sentence pair's second text

    @property
    def item(self):
        """What is explained: the text, or the pair ``(text, pair)`` (wordinfo.pairs)."""
        return self.text if self.pair is None else (self.text, self.pair)


@dataclass
class DataSpec:
    """Where the sentences are and which columns hold the text and the label."""
    path: str
    format: str                       # tsv, jsonl or txt
    text: str | int | None            # column: 0-based number (TSV) or name (TSV with header, JSONL key)
    label: str | int | None
    header: bool = False
    pair: str | int | None = None     # the column of a sentence pair's second text (None: single texts)

    def describe(self) -> str:
        if self.format == "txt":
            return f"{self.path}: plain text, one sentence a line"
        col = "key" if self.format == "jsonl" else "column"
        label = f"{col} {self.label!r}" if self.label is not None else "none"
        pair = f", pair = {col} {self.pair!r}" if self.pair is not None else ""
        return f"{self.path}: {self.format}, text = {col} {self.text!r}{pair}, label = {label}"

    def to_dict(self) -> dict:
        return asdict(self)


def open_spec(path: str | Path, fmt: str = "auto", text: str | None = None, label: str | None = None,
              header: bool = False, pair: str | None = None) -> DataSpec:
    """Check the file and settle the format and columns (guessing them from the first rows when not given).

    ``pair`` names the column of a sentence pair's second text; with no ``text`` and no ``pair`` given, a
    file whose keys (JSONL) or header names hold one of :data:`PAIR_KEYS` is read as pairs."""
    p = Path(path)
    if not p.is_file():
        raise WordinfoError(f"data file {str(p)!r} not found: give a TSV, JSONL or text file of sentences")
    fmt = _format(p, fmt)
    text_col, label_col, pair_col = _column(text, "--text-col"), _column(label, "--label-col"), \
        _column(pair, "--pair-col")
    if fmt == "txt":
        if text_col is not None or label_col is not None or pair_col is not None:
            raise WordinfoError("a plain-text file has no columns: drop --text-col/--label-col/--pair-col or use "
                                "--format tsv")
        return DataSpec(str(p.resolve()), fmt, None, None, False)
    if fmt == "jsonl":
        keys = _first_json_keys(p)
        if text_col is None and pair_col is None:
            text_col, pair_col = _pair_columns(keys)
        if pair_col is not None and pair_col not in keys:
            raise WordinfoError(f"--pair-col {pair_col!r} is not a key of {p.name} (keys: {', '.join(sorted(keys))})")
        if text_col is None:
            text_col = next((k for k in TEXT_KEYS if k in keys), None)
            if text_col is None:
                raise WordinfoError(f"no text key found in {p.name} (keys: {', '.join(sorted(keys))}): "
                                    "name it with --text-col")
        if label is None:
            label_col = "label" if "label" in keys else None
        return DataSpec(str(p.resolve()), fmt, str(text_col), None if label_col is None else str(label_col), False,
                        None if pair_col is None else str(pair_col))
    names, sample = _tsv_sample(p, header)
    width = max((len(r) for r in sample), default=1)
    if header and text_col is None and pair_col is None:
        text_col, pair_col = _pair_columns(names)
    for name, col in (("--text-col", text_col), ("--label-col", label_col), ("--pair-col", pair_col)):
        if isinstance(col, str):
            if not header:
                raise WordinfoError(f"{name} {col!r} names a column but {p.name} is read without a header: "
                                    "pass --header, or give a 0-based column number")
            if col not in names:
                raise WordinfoError(f"{name} {col!r} is not a column of {p.name} (columns: {', '.join(names)})")
        elif isinstance(col, int) and not 0 <= col < width:
            raise WordinfoError(f"{name} {col} is out of range: {p.name} has columns 0..{width - 1}")
    if text_col is None:        # the column with the longest entries holds the text
        means = [sum(len(r[c]) for r in sample if c < len(r)) for c in range(width)]
        taken = None if pair_col is None else _index(pair_col, names)
        text_col = max((c for c in range(width) if c != taken), key=lambda c: means[c])
        if label is None and width == 2 and pair_col is None:
            label_col = 1 - text_col
    spec = DataSpec(str(p.resolve()), fmt, text_col, label_col, header, pair_col)
    if header:   # store names, which survive a reordering of columns
        spec.text = names[text_col] if isinstance(text_col, int) else text_col
        if isinstance(label_col, int):
            spec.label = names[label_col]
        if isinstance(pair_col, int):
            spec.pair = names[pair_col]
    return spec


def rows(spec: DataSpec, skip_empty: bool = False) -> Iterator[Row]:
    """The sentences of the file, in order, one at a time; an empty text is an error unless ``skip_empty``."""
    reader = {"tsv": _tsv_rows, "jsonl": _jsonl_rows, "txt": _txt_rows}[spec.format]
    n = 0
    for line, text, label, pair in reader(spec):
        if "\x00" in text or (pair is not None and "\x00" in pair):
            raise WordinfoError(f"line {line} of {Path(spec.path).name} holds a NUL byte, so it is not a text file: "
                                "give a UTF-8 .tsv, .jsonl or .txt file")
        empty = not text.strip() or (pair is not None and not pair.strip())
        if empty and skip_empty:
            continue
        if empty:
            raise WordinfoError(f"line {line} of {Path(spec.path).name} has an empty text: "
                                "remove the row or choose another --text-col" + ("/--pair-col" if spec.pair else ""))
        yield Row(n, line, text, label, pair)
        n += 1


def file_hash(path: str | Path) -> str:
    """blake2b of the file's bytes, read in chunks."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "blake2b:" + h.hexdigest()


# ---------------------------------------------------------------- readers

def _txt_rows(spec):
    with open(spec.path, encoding="utf-8-sig", errors="replace") as f:
        for line_no, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if line.strip():
                yield line_no, line.strip(), None, None


def _tsv_rows(spec):
    with open(spec.path, encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        names = None
        for fields in reader:
            line_no = reader.line_num
            if not fields or not any(v.strip() for v in fields):
                continue
            if spec.header and names is None:
                names = [v.strip() for v in fields]
                continue
            text_i = _index(spec.text, names)
            label_i = None if spec.label is None else _index(spec.label, names)
            pair_i = None if spec.pair is None else _index(spec.pair, names)
            need = max(text_i, -1 if label_i is None else label_i, -1 if pair_i is None else pair_i)
            if len(fields) <= need:
                raise WordinfoError(f"line {line_no} of {Path(spec.path).name} has {len(fields)} column(s), "
                                    f"column {need} is needed: fix the row or choose other columns")
            yield (line_no, fields[text_i].strip(), None if label_i is None else fields[label_i].strip(),
                   None if pair_i is None else fields[pair_i].strip())


def _jsonl_rows(spec):
    with open(spec.path, encoding="utf-8-sig", errors="replace") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise WordinfoError(f"line {line_no} of {Path(spec.path).name} is not JSON ({e.msg}): "
                                    "give one JSON object per line") from None
            for key, flag in ((spec.text, "--text-col"), (spec.pair, "--pair-col")):
                if key is not None and (not isinstance(obj, dict) or key not in obj):
                    raise WordinfoError(f"line {line_no} of {Path(spec.path).name} has no key {key!r}: "
                                        f"choose the key with {flag}")
                if key is not None and (obj[key] is None or isinstance(obj[key], (bool, list, dict))):
                    raise WordinfoError(f"line {line_no} of {Path(spec.path).name}: {key!r} is "
                                        f"{json.dumps(obj[key])[:20]}, not a text: give a string")
            label = obj.get(spec.label) if spec.label is not None else None
            yield (line_no, str(obj[spec.text]).strip(), None if label is None else str(label),
                   None if spec.pair is None else str(obj[spec.pair]).strip())


# ---------------------------------------------------------------- helpers

def _format(p: Path, fmt: str) -> str:
    fmt = (fmt or "auto").lower()
    if fmt == "auto":
        suffix = p.suffix.lower().lstrip(".")
        fmt = {"tsv": "tsv", "tab": "tsv", "jsonl": "jsonl", "ndjson": "jsonl", "txt": "txt", "text": "txt"}.get(suffix)
        if fmt is None:
            raise WordinfoError(f"cannot tell the format of {p.name} from its name: pass --format tsv, jsonl or txt")
    if fmt not in FORMATS:
        raise WordinfoError(f"unknown --format {fmt!r}: use tsv, jsonl or txt")
    return fmt


def _pair_columns(names) -> tuple:
    """The first of :data:`PAIR_KEYS` whose two names are both among ``names``, else ``(None, None)``."""
    return next(((a, b) for a, b in PAIR_KEYS if a in names and b in names), (None, None))


def _column(value, flag: str):
    if value is None:
        return None
    value = str(value).strip()
    if value.lower() == "none" and flag == "--label-col":
        return None
    if not value:
        raise WordinfoError(f"{flag} is empty: give a column number or name")
    return int(value) if value.isdigit() else value


def _index(col, names) -> int:
    return col if isinstance(col, int) else names.index(col)


def _tsv_sample(p: Path, header: bool):
    names, sample = [], []
    with open(p, encoding="utf-8-sig", errors="replace", newline="") as f:
        for fields in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if not fields or not any(v.strip() for v in fields):
                continue
            if header and not names:
                names = [v.strip() for v in fields]
                continue
            sample.append(fields)
            if len(sample) >= SNIFF_ROWS:
                break
    if not sample:
        raise WordinfoError(f"{p.name} has no data rows: give a file with one sentence per row")
    return names, sample


def _first_json_keys(p: Path) -> set:
    with open(p, encoding="utf-8-sig", errors="replace") as f:
        for line_no, line in enumerate(f, start=1):
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise WordinfoError(f"line {line_no} of {p.name} is not JSON ({e.msg}): "
                                        "give one JSON object per line") from None
                if not isinstance(obj, dict):
                    raise WordinfoError(f"line {line_no} of {p.name} is not a JSON object: give one object per line")
                return set(obj)
    raise WordinfoError(f"{p.name} has no data rows: give a file with one JSON object per line")


# ---------------------------------------------------------------- simple readers, built on rows()

def default_data_dir() -> Path:
    """``../shared/data`` seen from the working directory, else from the checkout this package lives in."""
    candidates = [Path.cwd() / ".." / "shared" / "data",
                  Path(__file__).resolve().parents[2] / ".." / "shared" / "data"]
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    raise WordinfoError("data directory ../shared/data not found: pass --data-dir, or --train and --test")


def read_texts(path: str | Path, n: int | None = None, minimum: int = 2, what: str = "the evaluation") -> list[str]:
    """The first ``n`` texts of a TSV (the text column found from the first rows), JSONL or
    plain-text file; a file whose name says no format is TSV if its first line has a tab."""
    p = Path(path)
    if not p.is_file():
        raise WordinfoError(f"data file {str(p)!r} not found: give a TSV (label, text) or one sentence a line")
    if n is not None and n < 1:
        raise WordinfoError(f"--n must be at least 1, got {n}")
    fmt = "auto" if p.suffix.lower().lstrip(".") in _SUFFIXES else _sniff(p)
    texts = []
    for row in rows(open_spec(p, fmt), skip_empty=True):
        texts.append(row.text)
        if n is not None and len(texts) >= n:
            break
    if len(texts) < minimum:
        raise WordinfoError(f"{p} holds {len(texts)} text(s): {what} needs at least {minimum}")
    return texts


def read_labelled(path: str | Path) -> tuple[list[str], list[int]]:
    """Texts and 0/1 labels of a two-column TSV, label first or last (found from the first rows)."""
    p = Path(path)
    if not p.is_file():
        raise WordinfoError(f"data file {str(p)!r} not found: pass --data-dir, or --train and --test")
    with open(p, encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        numbered = [(reader.line_num, fields) for fields in reader if any(v.strip() for v in fields)]
    bad = next((line for line, fields in numbered if len(fields) != 2), None)
    if bad is not None:
        raise WordinfoError(f"{p}, line {bad}: expected two tab-separated columns (label and text)")
    if not numbered:
        raise WordinfoError(f"{p} has no examples")
    label_col = 0 if all(fields[0].strip() in ("0", "1") for _, fields in numbered) else 1
    texts, labels = [], []
    for line, fields in numbered:
        label, text = fields[label_col].strip(), fields[1 - label_col].strip()
        if label not in ("0", "1"):
            raise WordinfoError(f"{p}, line {line}: label must be 0 or 1, got {label[:20]!r}")
        if not text:
            raise WordinfoError(f"{p}, line {line}: empty text")
        texts.append(text)
        labels.append(int(label))
    return texts, labels


def read_lines(path: str | Path, what: str = "calibration file", minimum: int = 2) -> list[str]:
    """One sentence per line (blank lines skipped)."""
    p = Path(path)
    if not p.is_file():
        raise WordinfoError(f"{what} {str(p)!r} not found: give a text file with one sentence per line")
    lines = [row.text for row in rows(DataSpec(str(p.resolve()), "txt", None, None, False))]
    if len(lines) < minimum:
        raise WordinfoError(f"the {what} needs at least {minimum} sentences (one per line)")
    return lines


_SUFFIXES = ("tsv", "tab", "jsonl", "ndjson", "txt", "text")


def _sniff(p: Path) -> str:
    with open(p, encoding="utf-8-sig", errors="replace") as f:
        first = next((line for line in f if line.strip()), "")
    return "tsv" if "\t" in first else "txt"
