"""How splitting time grows with a document's size, in one run: the seed article repeated, and made-up words.

Splitting once searched from the document's start at every full stop, and read a paragraph's lines from its start at
every line break, so a file four times larger took sixteen times longer (0.5 MB: 13.8 s; a 5 MB file of single lines
without blank ones: hours). Linear growth prints a ratio near 4 for four times the text.
Run: python benchmarks/split_speed.py [MB]
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Config, load_config  # noqa: E402
from qa.documents import Document  # noqa: E402
from qa.embedding import Embedder  # noqa: E402
from qa.splitter import split_document  # noqa: E402


def made_up(chars: int, seed: int = 0) -> str:
    """Words of 2 to 9 letters, one in 14 ending a sentence, no line breaks: the case that was slowest."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 9))) for _ in range(5000)]
    out, size = [], 0
    while size < chars:
        word = rng.choice(vocab) + ("." if rng.random() < 0.07 else "")
        out.append(word)
        size += len(word) + 1
    return " ".join(out)


def seconds(text: str, embedder: Embedder, cfg: Config) -> float:
    """Splitting as the index does it (``store._embed_docs``), without the embedding."""
    doc = Document(name="big.txt", text=text, sha256="0", size=len(text))
    t0 = time.perf_counter()
    split_document(doc, embedder.tokenizer, cfg.max_tokens or embedder.max_tokens, cfg.target_tokens,
                   cfg.overlap_sentences)
    return time.perf_counter() - t0


def main() -> None:
    mb = float(sys.argv[1]) if len(sys.argv) > 1 else 0.25
    cfg = load_config()
    embedder = Embedder.load(cfg.model)
    seed = (ROOT / "seeds").glob("*.txt").__next__().read_text(encoding="utf-8") + "\n\n"
    lines = seed.replace("\n\n", "\n").replace(". ", ".\n")  # one sentence per line, no blank line anywhere
    for name, make in [("seed article repeated", lambda n: seed * max(1, round(n / len(seed)))),
                       ("made-up words, one line", made_up),
                       ("a sentence per line, no blank lines", lambda n: lines * max(1, round(n / len(lines))))]:
        small, large = make(int(mb * 1e6)), make(int(4 * mb * 1e6))
        seconds(small[:20000], embedder, cfg)  # warm up
        s, s4 = seconds(small, embedder, cfg), seconds(large, embedder, cfg)
        print(f"{name}: {len(small) / 1e6:.2f} MB in {s:.2f} s, {len(large) / 1e6:.2f} MB in {s4:.2f} s: "
              f"{s4 / s:.1f}x the time for 4x the text (linear: 4; target <= 5)")


if __name__ == "__main__":
    main()
