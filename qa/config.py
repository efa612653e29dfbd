"""Settings in one place, read from ``qa.json``.

Lookup order: an explicit path, ``$QA_CONFIG``, ``./qa.json``, then the
``qa.json`` beside the package (the project root). A file of the user's own
sets what it names; every other setting comes from the project's ``qa.json``
(the calibrated thresholds), then the built-in defaults. ``qa eval --calibrate``
writes the threshold back to the file that was read.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import QAError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PRECISIONS = ("auto", "fp32", "bf16", "int8")


class ConfigError(QAError, ValueError):
    """A config file that cannot be used; the message says which key."""


_INT_MINIMA = {"max_tokens": 32, "target_tokens": 0, "overlap_sentences": 0, "batch_size": 1, "k": 1,
               "candidates": 1, "rrf_k": 0, "reader_passages": 1, "max_question_chars": 1}
"""Whole-number settings and their least value (``max_tokens`` may also be None: the model's own limit)."""
_FLOAT_RANGES = {"dense_weight": (0.0, 1e6), "bm25_weight": (0.0, 1e6), "sentence_weight": (0.0, 1e6),
                 "threshold": (0.0, 1.0), "heuristic_threshold": (0.0, 1.0), "max_file_mb": (1e-6, 1e6)}


@dataclass(frozen=True)
class Config:
    model: str = DEFAULT_MODEL
    """Sentence-transformers model: name or path. The default loads offline."""
    max_tokens: int | None = None
    """Passage limit in word pieces (incl. [CLS]/[SEP]); None = the model's own limit."""
    target_tokens: int = 0
    """Short paragraphs are merged up to this size (0 = a passage never spans two paragraphs:
    best retrieval on the shared benchmark, see benchmarks/retrieval.py)."""
    overlap_sentences: int = 1
    """Sentences repeated between windows cut out of one long paragraph."""
    batch_size: int = 32
    k: int = 5
    candidates: int = 50
    """How many passages each retriever proposes before fusion."""
    rrf_k: int = 2
    """Reciprocal-rank-fusion constant; small values trust each retriever's top ranks (tuned on the benchmark)."""
    dense_weight: float = 0.5
    bm25_weight: float = 1.5
    sentence_weight: float = 1.0
    """Weight of the list that ranks passages by their best sentence (index-time sentence vectors)."""
    reader: str = "default"
    """"default" = the shipped reader, "none" = heuristic extractor, or a path/name of a HF QA model."""
    reader_passages: int = 2
    """How many of the best passages the reader reads (more cost time and, measured, lost F1)."""
    precision: str = "auto"
    """The reader's arithmetic: "auto" (bf16 where the CPU does it natively, else fp32), "fp32", "bf16", or
    "int8" (dynamic quantisation: faster than fp32, but it lost 4 F1 points on the dev articles)."""
    threshold: float = 0.3
    """Answers scoring below this are withheld (``text=None``)."""
    heuristic_threshold: float = 0.3
    """The same for the heuristic extractor (``reader: "none"``), whose scores mean something else."""
    max_question_chars: int = 2000
    max_file_mb: float = 50.0

    def __post_init__(self) -> None:
        """Every setting checked on the way in: "threshold": "0.3" or 1.5 would otherwise fail, or
        withhold every answer, far from the file that caused it."""
        if self.precision not in PRECISIONS:  # checked here: a typo must not quietly cost the reader
            raise ConfigError(f"setting precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}")
        for name in ("model", "reader"):  # precision is one of PRECISIONS, checked above
            if not isinstance(getattr(self, name), str) or (name == "model" and not self.model.strip()):
                raise ConfigError(f"setting {name} must be a non-empty text, not {getattr(self, name)!r}")
        for name, low in _INT_MINIMA.items():
            value = getattr(self, name)
            if value is None and name == "max_tokens":
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"setting {name} must be a whole number of at least {low}, not {value!r}")
        for name, (low, high) in _FLOAT_RANGES.items():
            value = getattr(self, name)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if not ok or not low <= value <= high:
                raise ConfigError(f"setting {name} must be a number from {low:g} to {high:g}, not {value!r}")
        if not self.dense_weight + self.bm25_weight + self.sentence_weight > 0:  # every ask divided by zero
            raise ConfigError("settings dense_weight, bm25_weight and sentence_weight cannot all be 0: retrieval "
                              "would weigh nothing")

    @property
    def uses_reader(self) -> bool:
        return self.reader.lower() not in ("none", "heuristic", "")

    @property
    def threshold_key(self) -> str:
        """Which threshold setting applies to the configured extractor (``--calibrate`` writes that one)."""
        return "threshold" if self.uses_reader else "heuristic_threshold"

    @property
    def answer_threshold(self) -> float:
        """The abstention threshold of the configured extractor."""
        return self.threshold if self.uses_reader else self.heuristic_threshold

    def splitter_settings(self) -> dict[str, Any]:
        """The settings that change passages; a change forces a rebuild."""
        return {
            "max_tokens": self.max_tokens,
            "target_tokens": self.target_tokens,
            "overlap_sentences": self.overlap_sentences,
        }


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Which file settings come from (it may not exist yet)."""
    if explicit:
        return Path(explicit)
    if os.environ.get("QA_CONFIG"):
        return Path(os.environ["QA_CONFIG"])
    local = Path.cwd() / "qa.json"
    return local if local.exists() else PROJECT_ROOT / "qa.json"


def load_config(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Config:
    """Read settings; unknown keys are an error so typos do not pass silently, and so is a file named
    explicitly that does not exist (a mistyped --config would otherwise run on the built-in defaults)."""
    file = config_path(path)
    if path and not file.exists():
        raise ConfigError(f"config file {file} does not exist")
    if not path and os.environ.get("QA_CONFIG") and not file.exists():  # a typo there ran on the built-in defaults
        raise ConfigError(f"config file {file} (named by $QA_CONFIG) does not exist")
    project = PROJECT_ROOT / "qa.json"
    # a user's file that sets only "k" kept the built-in threshold 0.3, not the shipped reader's calibrated one
    data = _read(project) if project.exists() and not _same_file(project, file) else {}
    if file.exists():
        data.update(_read(file))
    _check_known(overrides, "passed as keyword arguments")
    data.update({k: v for k, v in overrides.items() if v is not None})
    return Config(**data)


def _read(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))  # Notepad writes a byte-order mark
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read config {file}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config {file} must hold a JSON object")
    _check_known(data, f"in {file}")
    return data


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _check_known(settings: dict[str, Any], where: str) -> None:
    """ConfigError naming the settings that do not exist (``qa.load(..., tresh=0.2)`` raised a bare TypeError)."""
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigError(f"unknown setting(s) {unknown} {where}; known: {sorted(known)}")


def save_config(cfg: Config, path: str | os.PathLike[str] | None = None, only: tuple[str, ...] = ()) -> Path:
    """Write settings back, keeping keys already in the file; ``only`` limits what changes."""
    file = config_path(path)
    current: dict[str, Any] = {}
    if file.exists():
        current = json.loads(file.read_text(encoding="utf-8-sig"))
    new = asdict(cfg)
    current.update({k: new[k] for k in (only or tuple(new))})
    tmp = file.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, file)
    return file


def with_overrides(cfg: Config, **overrides: Any) -> Config:
    _check_known(overrides, "passed as keyword arguments")
    return replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
