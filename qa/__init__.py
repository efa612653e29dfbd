"""qa: extractive question answering over a folder of documents.

    import qa
    bot = qa.load(docs="seeds", index="embeddings")
    ans = bot.ask("When was Ahmad Massoud born?")
"""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from .config import Config, load_config  # noqa: E402
from .documents import DocumentError  # noqa: E402
from .evaluation import EvalResult, evaluate  # noqa: E402
from .pipeline import QA, QuestionError, load  # noqa: E402
from .types import Answer, Hit, Passage, Quote, Sentence  # noqa: E402

__all__ = ["QA", "Answer", "Config", "DocumentError", "EvalResult", "evaluate", "Hit", "Passage", "Quote", "QuestionError", "Sentence", "load", "load_config"]
