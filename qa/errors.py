"""The one base class of the errors qa raises for people, so that a caller can catch them all at once."""
from __future__ import annotations


class QAError(Exception):
    """Base of every error whose message is meant for the user (a setting, a document, a question, an index, the
    model or the reader): ``except qa.QAError as exc: print(exc)``. Each subclass also keeps its built-in base
    (ValueError for bad input, RuntimeError for a broken model or index), so ``except ValueError`` still works."""
