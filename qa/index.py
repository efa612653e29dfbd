"""The persisted index in ``embeddings/``: atomic, checksummed, locked.

Layout: each saved state is a complete folder ``v-<id>/`` (manifest, passages,
sentences, FAISS index, sentence vectors). ``CURRENT`` names the live folder
and the manifest's checksum; it is switched with one ``os.replace`` after the
new folder is fully written and synced, so a crash at any point leaves either
the previous or the new state, never a mix. Every data file's sha256 is in the
manifest, so truncated or edited files are detected on load.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import faiss
import numpy as np

from .errors import QAError
from .types import Passage, Sentence

log = logging.getLogger("qa")


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Whatever ``sys.stderr`` is when a line is written (a test's captured stream, say), as Python's last resort."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def show_log() -> None:
    """The library's notes and progress lines on standard error, for the CLI and the web UI: only warnings reached it
    (Python's last resort), so a build writing to a log file said nothing for a quarter of an hour."""
    if not any(isinstance(h, _Stderr) for h in log.handlers):
        log.addHandler(_Stderr())
    log.setLevel(logging.INFO)

FORMAT_VERSION = 1
CURRENT = "CURRENT"
LOCK = ".lock"
FILES = ("passages.jsonl", "sentences.jsonl", "passages.faiss", "sentences.npy")


class IndexCorrupt(QAError, RuntimeError):
    """The persisted index cannot be used; the message says why (it will be rebuilt)."""


class IndexFolderError(QAError, ValueError):
    """The index folder named cannot hold an index (a file, or the documents folder itself)."""


class IndexBusy(QAError, RuntimeError):
    """Another process held the index's lock for longer than we waited: it is updating the index, not damaged."""


# The names ``save`` gives its states (and their unfinished copies): only these are ever deleted.
_STATE_NAME = re.compile(r"\.?v-\d{14}-[0-9a-f]{8}(?:\.tmp)?")


def check_index_dir(index_dir: Path, docs_dir: Path) -> None:
    """IndexFolderError unless ``index_dir`` can hold an index beside ``docs_dir``'s documents."""
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexFolderError(f"index folder {index_dir} is a file; name a folder (it is created if missing)")
    for name in (CURRENT, LOCK):
        if (index_dir / name).is_dir():
            raise IndexFolderError(f"{index_dir / name} is a folder, where the index keeps a file; move it away")
    if index_dir.resolve() == docs_dir.resolve():
        raise IndexFolderError(f"the index cannot live in the documents folder itself ({docs_dir}); "
                               "name another folder, or leave --index out for the default")


@dataclass
class IndexData:
    """Everything one saved state holds, in memory."""

    manifest: dict[str, Any]
    passages: list[Passage]
    sentences: list[Sentence]
    passage_vecs: np.ndarray
    sentence_vecs: np.ndarray
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def locked(index_dir: Path, timeout: float | None = None, say_after: float = 1.0) -> Iterator[str]:
    """Exclusive lock so two processes never update the same index at once. A wait longer than ``say_after``
    seconds is logged once (on stderr unless the application sets up logging): a second ``qa`` started while the
    first builds a large index would otherwise sit silent for minutes. IndexBusy after ``timeout`` seconds
    (None: wait as long as the other process takes; a build of a large folder takes a quarter of an hour).

    Yields "" under the lock, or why an existing index folder cannot be written ("Permission denied"): such an
    index (a read-only install, another user's) is still read, and may only be used while it is up to date."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fh = open(index_dir / LOCK, "a+")
    except OSError as exc:
        if not index_dir.is_dir() or exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        yield exc.strerror or str(exc)
        return
    with fh:
        _take(fh, index_dir, timeout, say_after)
        try:
            yield ""
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _take(fh: Any, index_dir: Path, timeout: float | None, say_after: float) -> None:
    start = time.monotonic()
    said = False
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            waited = time.monotonic() - start
            if timeout is not None and waited > timeout:
                raise IndexBusy(f"another process is updating {index_dir} (waited {waited:.0f} s)") from None
            if waited > say_after and not said:
                said = True
                log.warning("waiting for another process that is updating %s%s", index_dir,
                            "" if timeout is None else f" (up to {timeout:.0f} s)")
            time.sleep(0.1)


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


SENTENCE_DTYPE = np.float16
"""Sentence vectors are stored at half precision (there are many; cosines need no more)."""


def as_stored(sentence_vecs: np.ndarray) -> np.ndarray:
    """Sentence vectors as a load will give them back: an index just built must answer exactly as the same
    index loaded later (fp32 vectors in memory had confidences differ from the loaded ones in the 4th digit)."""
    return sentence_vecs.astype(SENTENCE_DTYPE).astype(np.float32)


def save(index_dir: Path, data: IndexData) -> Path:
    """Write a new state beside the old one, then switch ``CURRENT`` to it. Call under ``locked``."""
    name = f"v-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = index_dir / f".{name}.tmp"
    tmp.mkdir(parents=True)
    flat = faiss.IndexFlatIP(data.passage_vecs.shape[1])
    if len(data.passage_vecs):
        flat.add(np.ascontiguousarray(data.passage_vecs, dtype=np.float32))
    _fsync_write(tmp / "passages.jsonl", _jsonl([
        {"doc": p.doc, "start": p.start, "end": p.end, "page": p.page, "text": p.text} for p in data.passages]))
    _fsync_write(tmp / "sentences.jsonl", _jsonl([
        {"doc": s.doc, "start": s.start, "end": s.end, "passage": s.passage} for s in data.sentences]))
    _fsync_write(tmp / "passages.faiss", faiss.serialize_index(flat).tobytes())
    with open(tmp / "sentences.npy", "wb") as fh:
        np.save(fh, data.sentence_vecs.astype(SENTENCE_DTYPE))
        fh.flush()
        os.fsync(fh.fileno())
    manifest = dict(data.manifest, format=FORMAT_VERSION, documents=data.documents,
                    files={f: sha256_file(tmp / f) for f in FILES})
    manifest_bytes = json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8")
    _fsync_write(tmp / "manifest.json", manifest_bytes)
    _fsync_dir(tmp)
    os.rename(tmp, index_dir / name)
    _point(index_dir, name, manifest_bytes)
    _cleanup(index_dir, keep=name)
    return index_dir / name


def _point(index_dir: Path, name: str, manifest_bytes: bytes) -> None:
    """Make the state ``name`` current, atomically: CURRENT names it and its manifest's sha256."""
    _fsync_write(index_dir / f".{CURRENT}.tmp", f"{name} {hashlib.sha256(manifest_bytes).hexdigest()}\n".encode())
    os.replace(index_dir / f".{CURRENT}.tmp", index_dir / CURRENT)
    _fsync_dir(index_dir)


def adopt(index_dir: Path, skip: str | None = None) -> IndexData | None:
    """With CURRENT gone or damaged, the newest state beside it (but ``skip``, a state known to be damaged) whose
    every file checks out against its manifest, made current again; None when there is none. A crash between a
    first build's rename and its CURRENT (or a CURRENT deleted or garbled by hand) threw the whole build away.
    States are complete once renamed into place. Call under ``locked``."""
    for folder in sorted((p for p in index_dir.iterdir() if is_state(p) and p.name != skip),
                         key=lambda p: p.name, reverse=True):
        try:
            manifest_bytes = (folder / "manifest.json").read_bytes()
            data = _checked(folder, manifest_bytes)
        except (IndexCorrupt, OSError, ValueError, KeyError):
            continue
        _point(index_dir, folder.name, manifest_bytes)
        return data
    return None


def tidy(index_dir: Path) -> None:
    """Remove what an interrupted write left beside the live state (a killed ``save``'s folder), when nothing
    changed: that cleanup came only with the next change to the documents. Call under ``locked``."""
    live = current_version(index_dir)
    if live is not None:
        _cleanup(index_dir, keep=live[0].name)


def _cleanup(index_dir: Path, keep: str) -> None:
    """Remove earlier states and leftovers of interrupted writes: folders named as ``save`` names them that hold
    nothing but its files, so a user's own "v-drafts" or "v-1.0" folder beside the index is never touched."""
    for child in index_dir.iterdir():
        if child.name != keep and is_state(child):
            shutil.rmtree(child, ignore_errors=True)


def is_state(path: Path) -> bool:
    """Whether ``path`` is a folder ``save`` made: named as it names them, holding nothing but its files."""
    if not _STATE_NAME.fullmatch(path.name) or path.is_symlink() or not path.is_dir():
        return False
    return all(f.name in (*FILES, "manifest.json") and f.is_file() and not f.is_symlink() for f in path.iterdir())


def looks_like_index(folder: Path) -> bool:
    """Whether a folder holding a CURRENT file is an index (its lock, or a state folder, beside it), damaged or
    not: a user's notes folder with a file called CURRENT in it was skipped whole as "a qa index folder"."""
    return (folder / LOCK).is_file() or any(_STATE_NAME.fullmatch(p.name) and p.is_dir() for p in folder.iterdir())


def current_version(index_dir: Path) -> tuple[Path, str] | None:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        return None
    try:
        name, digest = pointer.read_text(encoding="utf-8").split()
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"{pointer} is damaged ({exc})") from None
    return index_dir / name, digest


def load(index_dir: Path) -> IndexData | None:
    """The saved state, None when there is none; IndexCorrupt when it is damaged."""
    found = current_version(index_dir)
    if found is None:
        return None
    folder, digest = found
    try:
        manifest_bytes = (folder / "manifest.json").read_bytes()
    except OSError as exc:
        raise IndexCorrupt(f"manifest missing in {folder} ({exc.strerror})") from None
    if hashlib.sha256(manifest_bytes).hexdigest() != digest:
        raise IndexCorrupt(f"{folder / 'manifest.json'} was modified or truncated (checksum mismatch)")
    return _checked(folder, manifest_bytes)


def _checked(folder: Path, manifest_bytes: bytes) -> IndexData:
    """The state in ``folder`` if its manifest is ours and every file matches its checksum; IndexCorrupt if not."""
    try:
        manifest = json.loads(manifest_bytes)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"{folder / 'manifest.json'} is not JSON ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise IndexCorrupt(f"{folder / 'manifest.json'} is not a qa manifest")
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexCorrupt(f"index format {manifest.get('format')} is not {FORMAT_VERSION}")
    for fname, expected in manifest["files"].items():
        path = folder / fname
        if not path.exists() or sha256_file(path) != expected:
            raise IndexCorrupt(f"{path} is missing, truncated or edited (checksum mismatch)")
    return _read_state(folder, manifest)


def _read_state(folder: Path, manifest: dict[str, Any]) -> IndexData:
    passages = [Passage(r["doc"], r["start"], r["end"], r["text"], page=r["page"])
                for r in map(json.loads, (folder / "passages.jsonl").read_text(encoding="utf-8").splitlines())]
    by_doc_text = {(p.doc, p.start, p.end): p.text for p in passages}
    index = faiss.deserialize_index(np.frombuffer((folder / "passages.faiss").read_bytes(), dtype=np.uint8))
    passage_vecs = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), np.float32)
    sentences = []
    for r in map(json.loads, (folder / "sentences.jsonl").read_text(encoding="utf-8").splitlines()):
        owner = passages[r["passage"]]
        text = by_doc_text[(owner.doc, owner.start, owner.end)][r["start"] - owner.start:r["end"] - owner.start]
        sentences.append(Sentence(r["doc"], r["start"], r["end"], text, r["passage"]))
    sentence_vecs = np.load(folder / "sentences.npy").astype(np.float32)
    if len(passage_vecs) != len(passages) or len(sentence_vecs) != len(sentences):
        raise IndexCorrupt(f"{folder}: vector counts do not match passages/sentences")
    return IndexData(manifest, passages, sentences, np.asarray(passage_vecs, np.float32), sentence_vecs,
                     documents=manifest.get("documents", {}))
