"""Keeping the persisted index in step with the documents folder.

Unchanged documents (same sha256) keep their vectors and cost no model time;
added and changed ones are split and embedded; removed ones are dropped. A
different model or splitter setting, or a damaged index, means a rebuild with
a message saying why, never a traceback.
"""
from __future__ import annotations

import bisect
import contextlib
import os
import re
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from . import index as persist
from .index import log
from .config import Config, ConfigError
from .documents import Document, DocumentError, Skipped, check_folder, encoding_note, list_files, read_folder
from .embedding import Embedder, weights_digest
from .splitter import RULES_VERSION, lead_contexts, split_document
from .types import Passage, Sentence


@dataclass
class UpdateReport:
    """What one sync did, for the CLI, the UI and the tests."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    passages: int = 0
    embedded_passages: int = 0
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)
    saved_as: str | None = None  # add_file: the name the upload was saved under
    logged: list[str] = field(default_factory=list)  # messages also written to the log as they happened

    @property
    def has_news(self) -> bool:
        """Anything worth telling a user who did not ask for the index: documents in or out, files skipped, notes."""
        return bool(self.added or self.changed or self.removed or self.skipped or self.messages)

    def summary(self, logged: bool = True) -> str:
        """The report in a few lines; ``logged=False`` leaves out the notes the log has already shown (the CLI shows
        the log as it happens: a rebuild's reason came before the rebuild, then again in the summary)."""
        lines = [f"documents: {len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
                 f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped",
                 f"passages: {self.passages} ({self.embedded_passages} embedded) in {self.seconds:.2f}s"]
        lines += [f"note: {m}" for m in self.messages if logged or m not in self.logged]
        return "\n".join(lines + skipped_lines(self.skipped))


def _as_seen_from(earlier: dict[str, dict], report: UpdateReport, entries: dict[str, dict]) -> UpdateReport:
    """``report`` with its documents added, changed and removed since the ``earlier`` entries, not since the saved
    index: a rescan after ``qa index`` had saved a new file said "0 added" and then answered from it. A document
    the sync read again under new rules stays changed."""
    before, after = ({name: entry["sha256"] for name, entry in e.items()} for e in (earlier, entries))
    added = sorted(after.keys() - before.keys())
    edited = {name for name in after.keys() & before.keys() if after[name] != before[name]}
    changed = sorted((edited | set(report.changed)) - set(added))
    return replace(report, added=added, changed=changed, removed=sorted(before.keys() - after.keys()),
                   unchanged=sorted(after.keys() - set(added) - set(changed)))


SKIPPED_ALIKE = 3
"""From this many files skipped for the same reason on, one line names them (a folder of images said 40 lines)."""


def skipped_lines(skipped: list[Skipped], shown: int = 5) -> list[str]:
    """One line per skipped file, or per reason that several share ("skipped 6 files: unsupported type .npy
    (idx/a.npy, ...)"): ``ask`` repeats them on every call while the files stay."""
    by_reason: dict[str, list[str]] = {}
    for s in skipped:
        by_reason.setdefault(s.reason, []).append(s.name)
    lines = []
    for reason, names in by_reason.items():
        if len(names) < SKIPPED_ALIKE:
            lines += [f"skipped {name}: {reason}" for name in names]
        else:
            more = ", …" if len(names) > shown else ""
            lines.append(f"skipped {len(names)} files: {reason} ({', '.join(names[:shown])}{more})")
    return lines


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


def _header(cfg: Config, embedder: Embedder) -> dict[str, Any]:
    if cfg.max_tokens is not None and cfg.max_tokens > embedder.max_tokens:  # the model would cut passages silently
        raise ConfigError(f"setting max_tokens {cfg.max_tokens} is over the model's limit of {embedder.max_tokens} "
                          "word pieces; leave it out to use that limit")
    splitter = dict(cfg.splitter_settings(), max_tokens=cfg.max_tokens or embedder.max_tokens,
                    rules=RULES_VERSION)
    return {"model": {"name": cfg.model, "dim": embedder.dim, "weights": weights_digest(embedder.name)},
            "splitter": splitter}


def _previous(index_dir: Path, header: dict[str, Any], report: UpdateReport,
              locked: bool = False) -> persist.IndexData | None:
    """The saved state if it is sound and made with the same model and splitter."""
    old = _saved(index_dir, report, locked)
    if old is None:
        return None
    for key in ("model", "splitter"):
        if old.manifest.get(key) != header[key]:
            report.messages.append(f"{key} changed ({old.manifest.get(key)} -> {header[key]}); rebuilding the index")
            return None
    return old


def _saved(index_dir: Path, report: UpdateReport, locked: bool) -> persist.IndexData | None:
    """The state CURRENT names; ``locked`` (under the index's lock), when CURRENT is lost or damaged or names a
    damaged state, the newest other state that checks out is made current again: states are whole once saved,
    and a garbled pointer file cost a full re-embed."""
    try:
        old = persist.load(index_dir)
    except (persist.IndexCorrupt, OSError, ValueError, KeyError, RuntimeError) as exc:
        old = persist.adopt(index_dir, skip=_named_state(index_dir)) if locked else None
        then = "rebuilding it" if old is None else "its last saved state that checks out is used instead"
        report.messages.append(f"index in {index_dir} is damaged ({exc}); {then}")
        return old
    if old is not None:
        return old
    found = [p for p in index_dir.iterdir() if not p.name.startswith(".")] if index_dir.exists() else []
    foreign = sorted(p.name for p in found if not persist.is_state(p))
    if foreign:
        report.messages.append(f"no qa index in {index_dir} (found {', '.join(foreign[:5])}, left as is); building one")
        return None
    old = persist.adopt(index_dir) if found and locked else None
    if found and old is None:  # our own earlier states, none sound: replaced by the new one
        report.messages.append(f"the index in {index_dir} has lost its CURRENT pointer; rebuilding it")
    elif old is not None:
        report.messages.append(f"the index in {index_dir} had lost its CURRENT pointer; its last saved state "
                               "checks out and is used again")
    return old


def _named_state(index_dir: Path) -> str | None:
    """The state CURRENT names, when CURRENT itself can be read (so that state is the damaged one)."""
    try:
        found = persist.current_version(index_dir)
    except (persist.IndexCorrupt, OSError):
        return None
    return found[0].name if found else None


Records = tuple[list[Passage], list[Sentence], np.ndarray, np.ndarray]
"""One document's passages, sentences and their vectors, passage numbers local to the document."""

GROUP_PASSAGES = 512
"""Passages embedded between chances to save: whole documents, a few seconds' work on 2 cores."""


def _embedded(docs: list[Document], cfg: Config, embedder: Embedder) -> Iterator[dict[str, Records]]:
    """Split every document, then embed them a group of whole documents at a time, yielding each group's records
    (one progress bar over all of them)."""
    limit = cfg.max_tokens or embedder.max_tokens
    split = {d.name: split_document(d, embedder.tokenizer, limit, cfg.target_tokens, cfg.overlap_sentences) for d in docs}
    groups: list[list[str]] = [[]]
    size = 0
    for name, (passages, _) in split.items():
        if size >= GROUP_PASSAGES:
            groups.append([])
            size = 0
        groups[-1].append(name)
        size += len(passages)
    with embedder.counting(sum(len(ps) for ps, _ in split.values())) as advance:
        for group in groups:
            yield _embed_group({name: split[name] for name in group}, cfg, embedder, advance)


def _embed_group(split: dict[str, tuple[list[Passage], list[Sentence]]], cfg: Config, embedder: Embedder,
                 advance: Callable[[int], None]) -> dict[str, Records]:
    """Embed split documents in one batched pass."""
    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    for passages, sentences in split.values():
        leads = _fitting(lead_contexts(passages, sentences), passages, embedder)
        for number, (p, lead) in enumerate(zip(passages, leads)):
            texts.append(lead + p.text)
            spans.append([(len(lead) + s.start - p.start, len(lead) + s.end - p.start) for s in sentences if s.passage == number])
    p_vecs, s_vecs = embedder.encode_passages(texts, spans, batch_size=cfg.batch_size, advance=advance) if texts else (
        np.zeros((0, embedder.dim), np.float32), [])
    out, row = {}, 0
    for name, (passages, sentences) in split.items():
        n = len(passages)
        sent = np.concatenate(s_vecs[row:row + n]) if n else np.zeros((0, embedder.dim), np.float32)
        out[name] = (passages, sentences, p_vecs[row:row + n], sent)
        row += n
    return out


def _fitting(contexts: list[str], passages: list[Passage], embedder: Embedder) -> list[str]:
    """Each lead context plus a space, or "" where passage and context together would be truncated."""
    wanted = [i for i, c in enumerate(contexts) if c]
    out = [""] * len(contexts)
    if wanted:
        joined = [f"{contexts[i]} {passages[i].text}" for i in wanted]
        ids = embedder.tokenizer(joined, truncation=False, verbose=False)["input_ids"]
        for i, t in zip(wanted, ids):
            out[i] = contexts[i] + " " if len(t) <= embedder.max_tokens else ""
    return out


def _still_read_alike(old: persist.IndexData, name: str, doc: Document) -> bool:
    """Whether the saved passages of an unchanged file still lie at their offsets in the text read now.

    Reading a format differently (Markdown rendered instead of raw) keeps the file's sha256; reusing the
    old offsets then gave answers like "'s company." cut from the wrong place."""
    lo, hi = old.documents[name]["passages"]
    return all(doc.text[p.start:p.end] == p.text for p in old.passages[lo:hi])


def _reuse(old: persist.IndexData, name: str) -> Records:
    """One unchanged document's records from the old state, with local passage numbers."""
    entry = old.documents[name]
    plo, phi = entry["passages"]
    slo, shi = entry["sentences"]
    sentences = [Sentence(s.doc, s.start, s.end, s.text, s.passage - plo) for s in old.sentences[slo:shi]]
    return old.passages[plo:phi], sentences, old.passage_vecs[plo:phi], old.sentence_vecs[slo:shi]


RENAMES_SAID = 5
"""Renamed documents named one per line; more are counted."""


def _same_text(old: persist.IndexData, added: list[Document], report: UpdateReport) -> dict[str, Records]:
    """The records of added documents whose text an old document had (a file renamed or copied), under their own
    names: a renamed file was embedded again from scratch, which for a long PDF takes minutes."""
    by_hash: dict[str, list[str]] = {}
    for name, entry in old.documents.items():
        by_hash.setdefault(entry["sha256"], []).append(name)
    out, renames = {}, []
    for doc in added:
        source = next((n for n in by_hash.get(doc.sha256, ()) if _still_read_alike(old, n, doc)), None)
        if source is not None:
            ps, ss, pv, sv = _reuse(old, source)
            out[doc.name] = ([replace(p, doc=doc.name) for p in ps], [replace(x, doc=doc.name) for x in ss], pv, sv)
            renames += [(source, doc.name)] if source in report.removed else []
    report.messages += [f"{new}: renamed from {was}; its passages are used again, not embedded"
                        for was, new in renames[:RENAMES_SAID]]
    if len(renames) > RENAMES_SAID:
        report.messages.append(f"{plural(len(renames) - RENAMES_SAID, 'more document')} renamed, their passages used "
                               "again")
    return out


def _assemble(parts: dict[str, Records],
              docs: dict[str, Document], header: dict[str, Any], dim: int) -> persist.IndexData:
    passages: list[Passage] = []
    sentences: list[Sentence] = []
    p_vecs, s_vecs, entries = [], [], {}
    for name in sorted(parts):
        ps, ss, pv, sv = parts[name]
        entries[name] = {"sha256": docs[name].sha256, "size": docs[name].size,
                         "passages": [len(passages), len(passages) + len(ps)],
                         "sentences": [len(sentences), len(sentences) + len(ss)]}
        sentences += [Sentence(s.doc, s.start, s.end, s.text, s.passage + len(passages)) for s in ss]
        passages += ps
        p_vecs.append(pv)
        s_vecs.append(sv)
    stack = (lambda arrs: np.concatenate(arrs).astype(np.float32) if arrs else np.zeros((0, dim), np.float32))
    return persist.IndexData(dict(header), passages, sentences, stack(p_vecs), persist.as_stored(stack(s_vecs)),
                             entries)


def sync(docs_dir: Path, index_dir: Path, cfg: Config, embedder: Embedder) -> tuple[persist.IndexData, dict[str, Document], UpdateReport]:
    """Bring the index in ``index_dir`` up to date with ``docs_dir``; save only if something changed."""
    started = time.perf_counter()
    report = UpdateReport()
    header = {**_header(cfg, embedder), "docs": str(docs_dir.resolve())}  # the folder it is built for
    check_folder(docs_dir)  # before the lock, which creates the index folder: a typo must leave nothing behind
    persist.check_index_dir(index_dir, docs_dir)
    try:  # with a saved state to answer from, waiting a quarter of an hour for another process's build is no use
        with persist.locked(index_dir, timeout=BUSY_WAIT if _has_saved(index_dir) else None) as unwritable:
            data, docs = _update(docs_dir, index_dir, cfg, embedder, header, report, unwritable)
    except persist.IndexBusy as busy:
        as_saved = _as_saved(docs_dir, index_dir, cfg, header, report, busy)
        if as_saved is None:  # none usable after all (damaged, another model): wait for the one being built
            with persist.locked(index_dir) as unwritable:
                as_saved = _update(docs_dir, index_dir, cfg, embedder, header, report, unwritable)
        data, docs = as_saved
    report.passages = len(data.passages)
    report.seconds = time.perf_counter() - started
    return data, docs, report


def _check_same_folder(old: persist.IndexData | None, docs_dir: Path, index_dir: Path, report: UpdateReport) -> None:
    """IndexFolderError before an update that would remove most of an index built for another folder
    (``--index`` of one folder named with another's ``--docs``): one call wiped a build of a quarter of an hour.
    A moved folder keeps its names, and so its index."""
    built_for = old.manifest.get("docs") if old else None
    if not old or built_for is None or built_for == str(docs_dir.resolve()) or len(report.removed) * 2 <= len(old.documents):
        return
    raise persist.IndexFolderError(
        f"{index_dir} holds the index of {built_for} ({plural(len(old.documents), 'document')}); {docs_dir} has "
        f"{len(report.unchanged)} of them unchanged, so updating it would remove {len(report.removed)}. Name another "
        f"--index for {docs_dir}, or delete {index_dir} to rebuild it for this folder")


BUSY_WAIT = 5.0
"""Seconds to wait for another process's update before answering from the saved state as it is."""


def _has_saved(index_dir: Path) -> bool:
    try:
        return persist.current_version(index_dir) is not None
    except (persist.IndexCorrupt, OSError):
        return False


def _as_saved(docs_dir: Path, index_dir: Path, cfg: Config, header: dict[str, Any], report: UpdateReport,
              busy: Exception) -> tuple[persist.IndexData, dict[str, Document]] | None:
    """The saved state, read without the lock (states are never changed once saved), less the documents that
    changed since: another process holds the lock to update it. None when there is no usable state."""
    old = None
    for _ in range(3):  # the other process may switch to its new state and tidy the old one while we read
        old = _previous(index_dir, header, UpdateReport())
        if old is not None:
            break
    if old is None:
        return None
    found, report.skipped = read_folder(docs_dir, cfg.max_file_mb, exclude=index_dir)
    docs = {d.name: d for d in found if d.name in old.documents and old.documents[d.name]["sha256"] == d.sha256
            and _still_read_alike(old, d.name, d)}
    report.unchanged = sorted(docs)
    names = {d.name for d in found}
    pending = sorted(names - set(docs)) + sorted(set(old.documents) - names)
    left = f"; {plural(len(pending), 'document')} added, changed or removed since ({', '.join(pending[:5])}" \
           f"{', …' if len(pending) > 5 else ''}) are not searched as they are now" if pending else ""
    report.messages.append(f"{busy}: answering from its last saved state{left}; rescan or ask again once it is done")
    return _assemble({name: _reuse(old, name) for name in docs}, docs, header, header["model"]["dim"]), docs


def _update(docs_dir: Path, index_dir: Path, cfg: Config, embedder: Embedder, header: dict[str, Any],
            report: UpdateReport, unwritable: str) -> tuple[persist.IndexData, dict[str, Document]]:
    """``sync`` under the index's lock: the documents read, compared with the saved state, and what changed
    embedded and saved."""
    # Read under the lock: a read made while another process saves could overwrite its newer state.
    found, report.skipped = read_folder(docs_dir, cfg.max_file_mb, exclude=index_dir)
    docs = {d.name: d for d in found}
    if not docs:
        report.messages.append(f"no readable documents in {docs_dir}: add .txt, .md, .html or .pdf files")
    said = len(report.messages)
    old = _previous(index_dir, header, report, locked=True)
    for line in report.messages[said:]:  # said now, not after the rebuild: a large folder's takes minutes
        log.warning("%s", line)
        report.logged.append(line)
    known = old.documents if old else {}
    for name, doc in docs.items():
        entry = known.get(name)  # known only when there is an old state
        same = bool(entry and entry["sha256"] == doc.sha256)
        if same and not _still_read_alike(old, name, doc):
            same = False
            report.messages.append(f"{name}: unchanged, but read differently by this version; embedding it again")
        (report.unchanged if same else report.changed if entry else report.added).append(name)
    if old is not None and old.manifest.get("unfinished") and report.added:
        report.messages.append(f"resuming a build that stopped early: {plural(len(known), 'document')} saved by it "
                               "are kept")
    away = not docs and bool(known)  # an unmounted or emptied folder must not wipe a good index
    report.removed = [] if away else sorted(set(known) - set(docs))
    report.messages += list(filter(None, (encoding_note(docs[n]) for n in report.added + report.changed)))
    if away:
        report.messages.append(f"the saved index of {plural(len(known), 'document')} is kept for when they are back "
                               f"(remove {index_dir} to start afresh)")
        data = _assemble({}, {}, header, embedder.dim)
    elif old is not None and not (report.added or report.changed or report.removed):
        data = old
        if not unwritable:
            persist.tidy(index_dir)
    elif unwritable:  # a read-only install: usable while up to date, never half-updated in memory only
        why = f"{plural(len(report.added + report.changed + report.removed), 'document')} added, changed or removed" \
            if old is not None else "it has no usable saved state"
        raise persist.IndexFolderError(f"the index {index_dir} cannot be written ({unwritable}) and is out of "
                                       f"date ({why}); name a writable --index")
    else:
        _check_same_folder(old, docs_dir, index_dir, report)
        parts = {name: _reuse(old, name) for name in report.unchanged} if old else {}
        parts.update(_same_text(old, [docs[n] for n in report.added], report) if old else {})
        todo = [n for n in report.added + report.changed if n not in parts]
        _embed_and_save(parts, [docs[n] for n in todo], docs, index_dir, cfg, embedder, header)
        report.embedded_passages = sum(len(parts[n][0]) for n in todo)
        data = _assemble(parts, docs, header, embedder.dim)
        persist.save(index_dir, data)
    return data, docs


CHECKPOINT_SECONDS = 60.0
"""A longer build saves what it has embedded this often: a 15-minute build stopped at minute 14 had kept nothing."""


def _embed_and_save(parts: dict[str, Records], todo: list[Document], docs: dict[str, Document], index_dir: Path,
                    cfg: Config, embedder: Embedder, header: dict[str, Any]) -> None:
    """Add ``todo``'s records to ``parts``, saving the documents done so far every ``CHECKPOINT_SECONDS``, so a
    stopped build resumes where its last save left it; the caller saves the whole."""
    last, kept = time.monotonic(), 0
    try:
        for done in _embedded(todo, cfg, embedder):
            parts.update(done)
            kept_now = sum(d.name in parts for d in todo)
            if time.monotonic() - last >= CHECKPOINT_SECONDS and kept_now < len(todo):
                persist.save(index_dir, _assemble(parts, docs, {**header, "unfinished": len(todo) - kept_now},
                                                  embedder.dim))
                last, kept = time.monotonic(), kept_now
    except KeyboardInterrupt:  # a bare blank line left the user to guess what a stopped build kept
        if kept:
            log.warning("stopped: the index in %s keeps the %s embedded by its last save; the next run embeds the "
                        "other %s", index_dir, plural(kept, "document"), plural(len(todo) - kept, "document"))
        else:
            log.warning("stopped before saving: the index in %s is as it was; the next run embeds the %s again",
                        index_dir, plural(len(todo), "document"))
        raise


_BAD_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
"""Control characters (NUL, newlines) and lone surrogates have no place in a file name."""


def safe_upload_name(docs_dir: Path, filename: str) -> Path:
    """Where an uploaded file may go: its bare name inside ``docs_dir``, nowhere else."""
    base = os.path.basename(filename.replace("\\", "/")).strip()
    why = ("it is empty" if not base else
           "it starts with a dot, and the folder scan skips hidden files" if base.startswith(".") else
           "it holds a control character (a newline, a tab, NUL) or a byte that is not UTF-8" if _BAD_NAME_CHARS.search(base) else
           f"it is {len(base.encode('utf-8'))} bytes long in UTF-8, over 200" if len(base.encode("utf-8")) > 200 else
           None)
    if why:
        raise DocumentError(f"{filename!r}: not an acceptable file name ({why}); rename the file")
    # The folder resolved, the name not: an upload named as a symlink ("link.txt" -> "base.txt") is about the link,
    # and replacing it had set aside and overwritten base.txt. A bare name with no leading dot cannot leave the folder.
    return docs_dir.resolve() / base


REMOVED = ".removed"
"""Where ``remove_file`` and a replacing upload put the files they take out of the documents folder, in the index
folder (whose other contents the documents scan skips)."""


def numbered(target: Path, taken: Callable[[Path], bool]) -> Path:
    """``target``, or "name (2).ext" and up: the first that is not ``taken``."""
    n, path = 1, target
    while taken(path):
        n += 1
        path = target.with_name(f"{target.stem} ({n}){target.suffix}")
    return path


def free_upload_name(target: Path, data: bytes) -> Path:
    """``target``, or "name (2).ext" and up when a different file already has its name.

    An upload that happens to share a name with a document (two "report.pdf"s) must not replace it: the
    folder is the user's, and the old file would be gone. The same bytes again are the same document."""
    return numbered(target, lambda path: path.exists() and not (
        path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data))


class Snapshot:
    """One consistent state of the index. Never changed once built: a question in flight keeps reading
    the snapshot it started with while an upload builds the next one."""

    def __init__(self, data: persist.IndexData, docs: dict[str, Document]) -> None:
        self.documents = docs
        self.passages = data.passages
        self.sentences = data.sentences
        self.passage_vecs = data.passage_vecs
        self.sentence_vecs = data.sentence_vecs
        self.doc_entries = data.documents
        starts: dict[str, list[int]] = {}
        offsets: dict[str, int] = {}
        for i, s in enumerate(self.sentences):
            offsets.setdefault(s.doc, i)
            starts.setdefault(s.doc, []).append(s.start)
        self._sentence_starts = starts
        self._sentence_offset = offsets
        self._idf: dict[str, float] | None = None
        self._terms: list[frozenset[str]] | None = None

    @property
    def texts(self) -> list[str]:
        """Every document's text: what checks of a question against the whole folder read."""
        return [d.text for d in self.documents.values()]

    def sentences_in(self, doc: str, start: int, end: int) -> range:
        """Indices of the sentences lying inside [start, end) of ``doc``."""
        starts = self._sentence_starts.get(doc, [])
        base = self._sentence_offset.get(doc, 0)
        lo = bisect.bisect_left(starts, start)
        hi = bisect.bisect_left(starts, end)
        return range(base + lo, base + hi)

    def sentences_around(self, doc: str, start: int, end: int) -> range:
        """Indices of the sentences that overlap [start, end) of ``doc``."""
        starts = self._sentence_starts.get(doc, [])
        base = self._sentence_offset.get(doc, 0)
        lo = max(0, bisect.bisect_right(starts, start) - 1)
        if lo < len(starts) and self.sentences[base + lo].end <= start:
            lo += 1
        return range(base + lo, base + max(lo, bisect.bisect_left(starts, end)))

    def text(self, doc: str) -> str:
        return self.documents[doc].text

    def sentence_terms(self, i: int) -> frozenset[str]:
        """The BM25 terms of sentence ``i``: stemmed once per snapshot, not once per question that reads it."""
        if self._terms is None:
            from .retrieval import terms

            self._terms = [frozenset(terms(s.text)) for s in self.sentences]
        return self._terms[i]

    def term_idf(self) -> dict[str, float]:
        """Inverse sentence frequency of each BM25 term, computed once per snapshot on first use."""
        if self._idf is None:
            import math

            df: dict[str, int] = {}
            for i in range(len(self.sentences)):
                for t in self.sentence_terms(i):
                    df[t] = df.get(t, 0) + 1
            n = max(1, len(self.sentences))
            self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        return self._idf


class Store:
    """The loaded, up-to-date index over a documents folder; ``snapshot`` is its current state."""

    def __init__(self, docs_dir: str | os.PathLike[str], index_dir: str | os.PathLike[str], cfg: Config,
                 embedder: Embedder) -> None:
        self.docs_dir = Path(docs_dir)
        self.index_dir = Path(index_dir)
        self.cfg = cfg
        self.embedder = embedder
        seen = self.folder_state()  # before the read: a file saved during it is seen as changed next time
        data, docs, self.report = sync(self.docs_dir, self.index_dir, cfg, embedder)  # told against the saved index
        self.snapshot = Snapshot(data, docs)
        self.seen = seen

    def refresh(self) -> UpdateReport:
        """Re-read the folder and apply what changed (the UI calls this after an upload), told against what this
        store answered from: another process (``qa index``) may have brought the saved index up to date already."""
        earlier = self.doc_entries  # the snapshot's own: a sync makes a new one and leaves it as it was
        seen = self.folder_state()
        data, docs, report = sync(self.docs_dir, self.index_dir, self.cfg, self.embedder)
        self.snapshot = Snapshot(data, docs)
        self.report = _as_seen_from(earlier, report, self.doc_entries)
        self.seen = seen
        return self.report

    def folder_state(self) -> tuple[tuple[str, int, int], ...] | None:
        """Each file's name, size and modification time as a listing gives them (no file is read: about 10 ms
        for 500 files), to tell whether the folder changed since it was read; None when it cannot be listed."""
        try:
            files, _ = list_files(check_folder(self.docs_dir), exclude=self.index_dir)
            return tuple((name, (st := path.stat()).st_size, st.st_mtime_ns) for name, path in files)
        except (OSError, DocumentError):
            return None

    def changed_on_disk(self) -> bool:
        """Whether files were added, edited, renamed or removed in the folder since this store last read it."""
        now = self.folder_state()
        return now is not None and now != self.seen

    # The current snapshot's contents, for callers that do not hold a snapshot themselves.
    documents = property(lambda self: self.snapshot.documents)
    passages = property(lambda self: self.snapshot.passages)
    sentences = property(lambda self: self.snapshot.sentences)
    passage_vecs = property(lambda self: self.snapshot.passage_vecs)
    sentence_vecs = property(lambda self: self.snapshot.sentence_vecs)
    doc_entries = property(lambda self: self.snapshot.doc_entries)

    def sentences_in(self, doc: str, start: int, end: int) -> range:
        return self.snapshot.sentences_in(doc, start, end)

    def text(self, doc: str) -> str:
        return self.snapshot.text(doc)

    def remove_file(self, name: str) -> tuple[UpdateReport, Path]:
        """Take an indexed document out of the folder and the index. The file is moved, not deleted, to
        ``<index>/.removed/`` (the path is returned), so a click in the web UI loses nothing."""
        if not isinstance(name, str) or name not in self.documents:
            raise DocumentError(f"{name!r} is not an indexed document of {self.docs_dir}")
        kept = self._set_aside(self.docs_dir / name, name)
        return self.refresh(), kept

    def _set_aside(self, path: Path, name: str) -> Path:
        """Move a document file to ``<index>/.removed/``, time-stamped; DocumentError when it cannot be moved."""
        folder = self.index_dir / REMOVED
        kept = numbered(folder / f"{time.strftime('%Y%m%d-%H%M%S')} {name.replace('/', ' - ')}", Path.exists)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            shutil.move(path, kept)
        except OSError as exc:
            raise DocumentError(f"{name!r} could not be moved out of {self.docs_dir}: {exc.strerror or exc}") from None
        return kept

    def add_file(self, filename: str, data: bytes, replace: bool = False) -> UpdateReport:
        """Save an upload into the docs folder (checked first, so a bad file is never kept) and index it.
        ``replace``: a different file of the same name is set aside in ``<index>/.removed/`` and the upload takes
        its name (otherwise the upload is saved as "name (2).ext")."""
        from .documents import check_size, parse

        if not isinstance(filename, str):
            raise DocumentError(f"the file name must be text, not {type(filename).__name__}")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DocumentError(f"{filename!r}: the file's content must be bytes, not {type(data).__name__} "
                                "(open the file in binary mode, 'rb')")
        data = bytes(data)
        if self.index_dir.is_dir() and not os.access(self.index_dir, os.W_OK):  # the file would stay, unindexed
            raise DocumentError(f"{filename!r}: the index {self.index_dir} cannot be written, so no upload can be "
                                "indexed; name a writable --index")
        target = safe_upload_name(self.docs_dir, filename)
        check_size(len(data), target.name, int(self.cfg.max_file_mb * 1e6))
        parse(data, target.name)  # raises DocumentError with the reason
        kept = free_upload_name(target, data)
        replaced = None
        if replace and kept != target:  # a different file has the name: set it aside, never overwrite it
            replaced = self._set_aside(target, target.relative_to(self.docs_dir).as_posix())
            kept = target
        tmp = kept.with_name(f".{kept.name}.upload")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, kept)
        except OSError as exc:  # a read-only or vanished documents folder: nothing was saved, the index is as it was
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise DocumentError(f"{filename!r} could not be saved in {self.docs_dir}: {exc.strerror or exc}") from None
        report = self.refresh()
        report.saved_as = kept.name
        if replaced is not None:
            report.messages.append(f"it replaced the previous {target.name}, which was moved to {replaced}")
        elif kept != target:
            report.messages.append(f"the folder already holds a different {target.name}, which was kept; "
                                   f"the upload was saved as {kept.name}")
        elif target.name != filename:  # a path or edge spaces dropped: say so, as for a name already taken
            report.messages.append(f"{filename!r} was saved as {kept.name}: an upload keeps only its file name")
        return report
