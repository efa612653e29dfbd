"""Would an ensemble of readers read better than one?  Gold-paragraph dev F1 of each reader and of their average.

The readers' start/end logits are averaged per window (all must share one window size), then spans are picked
as ``Reader.read`` picks them.  The answer decides whether distilling an ensemble into one reader is worth a
training run: it is only as good as its teacher.
Run: python benchmarks/reader_ensemble.py FOLDER [FOLDER ...]   (folders made by ``python -m qa train-reader``;
"default" is the shipped reader)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.reader import Reader  # noqa: E402
from qa.train_reader import evaluate, load_dev  # noqa: E402


class EnsembleReader(Reader):
    """The first reader's tokenizer and span picking over every reader's mean logits."""

    def __init__(self, readers: Sequence[Reader]) -> None:
        first = readers[0]
        if any((r.max_length, r.stride) != (first.max_length, first.stride) for r in readers):
            raise SystemExit("the readers use different windows; their logits cannot be averaged")
        super().__init__(first.model, first.tokenizer, first.max_length, first.stride, first.precision, first.folder)
        self.readers = list(readers)

    def logits(self, encoding: Any) -> tuple[torch.Tensor, torch.Tensor]:
        outs = [r.logits(encoding) for r in self.readers]
        return torch.stack([s for s, _ in outs]).mean(0), torch.stack([e for _, e in outs]).mean(0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("readers", nargs="+", help='reader folders ("default": the shipped reader)')
    ap.add_argument("--precision", default="auto", help="auto, fp32, bf16 or int8 (default: auto)")
    args = ap.parse_args()
    items = load_dev(ROOT / "benchmarks" / "squad2-dev")
    readers = [Reader.load(None if f == "default" else f, precision=args.precision) for f in args.readers]
    for folder, reader in zip(args.readers, readers):
        print(f"{folder}: {evaluate(reader, items)}", flush=True)
    if len(readers) > 1:
        print(f"ensemble of {len(readers)}: {evaluate(EnsembleReader(readers), items)}")


if __name__ == "__main__":
    main()
