"""Reading a folder of documents into one canonical text per document.

All offsets in the system index into ``Document.text``. For ``.txt`` that is
the file's decoded content unchanged; for Markdown and HTML the text a reader
sees (no ``**``, link targets or tags); for PDF the text layer of each page
joined by blank lines (``pages`` keeps where each page starts, so a passage can
cite "page 3").
"""
from __future__ import annotations

import bisect
import codecs
import hashlib
import io
import logging
import os
import re
import stat
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable, Sequence

from .errors import QAError

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm"}
"""Decoded as text; Markdown and HTML then rendered (``_RENDER``)."""
SUFFIXES = TEXT_SUFFIXES | {".pdf"}


class DocumentError(QAError, ValueError):
    """A document we cannot read; the message says why and what to do.

    ``reason`` alone is what a report that already names the file shows ("skipped a.txt: empty document");
    the message is "<name>: <reason>" when the error is about one file."""

    def __init__(self, reason: str, name: str | None = None) -> None:
        super().__init__(reason if name is None else f"{name}: {reason}")
        self.reason, self.name = reason, name


@dataclass(frozen=True)
class Document:
    name: str
    """Path relative to the docs folder, with forward slashes."""
    text: str
    sha256: str
    size: int
    pages: tuple[int, ...] = ()
    """Start offset of each PDF page in ``text``; empty for other formats."""
    encoding: str = "utf-8"
    """How the file's bytes were read (``LEGACY`` is a guess, reported when the file is indexed)."""
    declared: bool = False
    """Read in the charset the page itself names (no guess to report)."""

    def page_at(self, offset: int) -> int | None:
        """1-based page holding ``offset``, or None for documents without pages."""
        if not self.pages:
            return None
        return bisect.bisect_right(self.pages, offset)


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters mean the file is not text."""
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return bool(sample) and controls / len(sample) > 0.05


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
LEGACY = "cp1252"
"""Windows-1252 (Latin-1's superset): what a non-UTF-8 text file from Windows or an old Mac editor
usually is. Tried only after UTF-8 fails, and only for text that stays mostly ASCII, so a Cyrillic or CJK
file in its own legacy encoding is refused rather than turned into accented gibberish."""
LEGACY_MAX_NON_ASCII = 0.3


def encoding_note(doc: Document) -> str | None:
    """What to tell the user about how ``doc`` was decoded: only the Windows-1252 guess needs saying (not a
    page that declares it)."""
    if doc.encoding != LEGACY or doc.declared:
        return None
    return f"read {doc.name} as Windows-1252, not UTF-8; re-save it as UTF-8 if its accented letters look wrong"


def _bomless_utf16(data: bytes, sample: int = 4096) -> str | None:
    """"utf-16-le" or "utf-16-be" for UTF-16 text saved without a byte-order mark (some Windows tools), which
    was refused as binary for its NUL bytes: every other byte of the sample NUL, the rest not, and the whole
    decoding to text without control characters."""
    head = data[:sample]
    if len(data) % 2 or len(head) < 4:
        return None
    for codec, zeros, chars in (("utf-16-le", head[1::2], head[0::2]), ("utf-16-be", head[0::2], head[1::2])):
        if zeros.count(0) >= 0.9 * len(zeros) and chars.count(0) == 0:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                return None
            return codec if not any(ord(c) < 32 and c not in "\n\r\t\f" for c in text) else None
    return None


_DECLARED = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:+-]+)", re.IGNORECASE)
_AS_BROWSERS_READ = {"iso8859-1": LEGACY, "latin-1": LEGACY, "ascii": LEGACY}  # the WHATWG encoding labels' rule


def declared_charset(data: bytes) -> str | None:
    """The codec an HTML page names in a ``<meta charset>`` or ``http-equiv`` tag of its first 1,024 bytes (where
    browsers look), as Python calls it; None when it names none, or one Python does not know."""
    m = _DECLARED.search(data[:1024])
    if not m:
        return None
    try:
        codec = codecs.lookup(m.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    return _AS_BROWSERS_READ.get(codec, codec)


def decode_text(data: bytes, name: str, declared: str | None = None,
                shown: Callable[[str], str] = str) -> tuple[str, str]:
    """The text of a file and the encoding it was read with: a BOM's (UTF-8/16/32), else UTF-8, else the charset
    an HTML page ``declared``, else Windows-1252 where what is ``shown`` of it stays mostly ASCII (the store notes
    that guess), else DocumentError."""
    for bom, codec in _BOMS:  # before the binary check: UTF-16 text is full of NUL bytes
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise DocumentError(f"starts with a {codec.upper()} byte-order mark but is not {codec.upper()} "
                                    f"(offset {exc.start})", name) from None
    if codec := _bomless_utf16(data):
        return data.decode(codec), codec
    if looks_binary(data):
        raise DocumentError("binary content (NUL or control bytes), not a text document", name)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        bad = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    if declared and declared != "utf-8":  # a Cyrillic page in windows-1251 was read as Windows-1252: mojibake
        try:
            return data.decode(declared), declared
        except UnicodeDecodeError as exc:
            raise DocumentError(f"{bad}, nor the {declared} it declares (offset {exc.start}); re-save it as UTF-8 to "
                                "index it", name) from None
    try:
        text = data.decode(LEGACY)
    except UnicodeDecodeError:
        raise DocumentError(f"{bad}; re-save it as UTF-8 to index it", name) from None
    # the markup of a page is ASCII whatever its words are: judge the words
    letters = [c for c in shown(text) if not c.isspace()]
    if sum(not c.isascii() for c in letters) > LEGACY_MAX_NON_ASCII * max(len(letters), 1):
        raise DocumentError(f"{bad}, and mostly not Latin text; re-save it as UTF-8 to index it", name)
    return text, LEGACY


CELL_SEPARATOR = " | "
"""Between the cells of a table row, in the text of an HTML or Markdown table: no answer runs across it (in a
plain text file it may be notation: "the language {xx | x is any binary string}")."""


class _VisibleText(HTMLParser):
    """Collects the text a browser shows: no scripts, styles or head, nor navigation menus (``<nav>``, or
    ``role="navigation"``: "Home About Products Contact" on every page of a saved site answers nothing)."""

    HIDDEN = {"script", "style", "head", "title", "template", "noscript", "svg", "iframe"}
    BLOCK = {"p", "div", "li", "ul", "ol", "tr", "table", "section", "article", "header",
             "footer", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "main", "nav"}

    CELL_SEPARATOR = CELL_SEPARATOR

    CLOSED = {"div", "span", "section", "article", "aside", "nav", "header", "footer", "main", "table", "ul", "ol",
              "form", "details", "figure", "blockquote"}
    """Elements whose end tag is required, so one hidden by its attributes can be followed to its end (an unclosed
    hidden <p> would hide the rest of the page)."""
    _HIDING_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.in_row = False
        self.styled: list[list[Any]] = []  # [tag, depth] of each open element hidden by its attributes
        self.lists: list[int | None] = []  # per open list: the last item's number in an <ol>, None in a <ul>

    def _hides(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        """<div hidden> or style="display:none": a browser shows none of it, so it is no answer to quote; a menu."""
        found = dict(attrs)
        if tag not in self.CLOSED:
            return False
        menu = tag == "nav" or (found.get("role") or "").strip().lower() == "navigation"
        return menu or "hidden" in found or bool(self._HIDING_STYLE.search(found.get("style") or ""))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        hides = self._hides(tag, attrs)
        if self.styled and tag == self.styled[-1][0] and not hides:  # a nested one closes before the hidden one
            self.styled[-1][1] += 1
        if tag == "body":  # a <body> closes an unclosed <head> (its end tag is optional)
            self.hidden = 0
        elif tag in self.HIDDEN:
            self.hidden += 1
        elif hides:
            self.styled.append([tag, 1])
            self.hidden += 1
        elif tag in self.BLOCK:
            self.parts.append("\n\n")
            self._list_start(tag, dict(attrs))
        elif tag == "br":  # a line break, not a paragraph's end: "founded by<br>Clara Weiss" is one sentence
            self.parts.append("\n")
        self.in_row = tag == "tr" or self.in_row

    def handle_endtag(self, tag: str) -> None:
        """A table row reads as one line, "2019 | 6.2 million": its cells alone lose what they belong to."""
        if tag in ("td", "th") and self.in_row:
            self.parts.append(self.CELL_SEPARATOR)
        elif tag == "tr" and self.parts and self.parts[-1] == self.CELL_SEPARATOR:
            self.parts.pop()
        if self.styled and tag == self.styled[-1][0]:
            self.styled[-1][1] -= 1
            if self.styled[-1][1] == 0:
                self.styled.pop()
                self.hidden = max(0, self.hidden - 1)
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n\n")
        if tag in ("ol", "ul") and self.lists:
            self.lists.pop()
        self.in_row = self.in_row and tag not in ("tr", "table")

    def _list_start(self, tag: str, attrs: dict[str, str | None]) -> None:
        """An ordered list's items keep their numbers, as a browser shows them: "What is step 4 of the method?"
        found a Markdown recipe's steps unnumbered."""
        if tag in ("ol", "ul"):
            start = _whole_number(attrs.get("start"))
            self.lists.append((0 if start is None else start - 1) if tag == "ol" else None)
        elif tag == "li" and self.lists and self.lists[-1] is not None:
            value = _whole_number(attrs.get("value"))
            self.lists[-1] = self.lists[-1] + 1 if value is None else value
            if not self.hidden:
                self.parts.append(f"{self.lists[-1]}. ")

    def handle_data(self, data: str) -> None:
        between_cells = self.in_row and data.isspace() and self.parts[-1:] in ([self.CELL_SEPARATOR], ["\n\n"])
        if not self.hidden and not between_cells:  # the source's line breaks between cells
            self.parts.append(data)


def _whole_number(attribute: str | None) -> int | None:
    """An HTML attribute's whole number ("3", " -2 "), else None."""
    text = (attribute or "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


def html_to_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def markdown_to_text(markdown: str) -> str:
    """What a reader of the rendered Markdown sees: answers and quotes came out as "**330 metres*" or
    "`1889`" when the raw file was the text. markdown-it-py (CommonMark + tables) renders it; the HTML
    reader keeps the visible text."""
    from markdown_it import MarkdownIt

    return html_to_text(MarkdownIt("commonmark").enable("table").render(markdown))


_LINE_END_HYPHEN = re.compile(r"([^\W\d_]+(?:-[^\W\d_]+)*)-\n([^\W\d_A-Z][^\W\d_]*)")
_HYPHENATED = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")


def _join_hyphenated(pages: Sequence[str]) -> list[str]:
    """Rejoin words a PDF broke at a line end ("sur-\nrounded" -> "surrounded"), so they are found and
    answered whole. A compound broken at its own hyphen ("well-\nknown") keeps it when the document writes
    it with the hyphen elsewhere and never without; lacking that evidence, a line-end hyphen before a
    lower-case letter is far more often the typesetter's."""
    whole = "\n".join(pages)
    hyphenated = {w.lower() for w in _HYPHENATED.findall(whole)}
    joined = {w.lower() for w in re.findall(r"[^\W\d_]+", whole)}

    def mend(m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        keep = f"{left}-{right}".lower() in hyphenated and f"{left}{right}".lower() not in joined
        return f"{left}-{right}" if keep else left + right

    return [_LINE_END_HYPHEN.sub(mend, page) for page in pages]


# pypdf logs what it mends or gives up on ("EOF marker not found"); with no logging set up, Python prints that on
# stderr at every index update, beside our own "skipped broken.pdf: ..." line. An application that sets up logging
# still gets it.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


def pdf_text(data: bytes, name: str) -> tuple[str, tuple[int, ...]]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = _join_hyphenated([(page.extract_text() or "").strip() for page in reader.pages])
    except FileNotDecryptedError:  # one with an empty password pypdf opens itself
        raise DocumentError("the PDF is protected by a password; save a copy without one", name) from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types (AttributeError, LimitReachedError...) on damaged files
        raise DocumentError(f"unreadable PDF ({type(exc).__name__}: {exc})", name) from None
    starts: list[int] = []
    chunks: list[str] = []
    offset = 0
    for page in pages:
        starts.append(offset)
        chunks.append(page)
        offset += len(page) + 2
    text = "\n\n".join(chunks)
    if not text.strip():
        raise DocumentError("PDF has no text layer (scanned image?); run OCR first", name)
    return text, tuple(starts)


_RENDER = {".html": html_to_text, ".htm": html_to_text, ".md": markdown_to_text, ".markdown": markdown_to_text}


def has_cells(name: str) -> bool:
    """Whether ``CELL_SEPARATOR`` in the document's text stands between table cells (rendered HTML or Markdown)."""
    return Path(name).suffix.lower() in _RENDER


_LONE_CR = re.compile(r"\r(?!\n)")
"""A line end of old Mac files: read as "\n" (one character for one, so a plain text's offsets stay the file's),
since without it a file of "\r" line ends was one line, its headings glued to the sentences after them."""


def parse(data: bytes, name: str) -> Document:
    """Turn a file's bytes into a Document, or raise DocumentError saying why not."""
    suffix = Path(name).suffix.lower()
    pages: tuple[int, ...] = ()
    encoding, declared = "utf-8", None
    if suffix == ".pdf":
        text, pages = pdf_text(data, name)
    elif suffix in TEXT_SUFFIXES:
        render = _RENDER.get(suffix, str)
        declared = declared_charset(data) if render is html_to_text else None
        text, encoding = decode_text(data, name, declared, render)
        text = render(_LONE_CR.sub("\n", text))
    else:
        raise DocumentError(f"unsupported type {suffix or '(none)'}; use one of {sorted(SUFFIXES)}", name)
    if not text.strip():
        raise DocumentError("empty document (no text)", name)
    return Document(name=name, text=text, sha256=content_hash(data), size=len(data), pages=pages, encoding=encoding,
                    declared=declared is not None and encoding == declared)


def list_files(folder: Path, exclude: Path | None = None) -> tuple[list[tuple[str, Path]], list[Skipped]]:
    """Supported files under ``folder`` (hidden ones, symlink loops and the folder ``exclude``, an index kept
    inside the documents folder, left out)."""
    found: list[tuple[str, Path]] = []
    skipped: list[Skipped] = []
    left_out = exclude.resolve() if exclude is not None else None

    def unreadable(exc: OSError) -> None:
        """os.walk's silence on a folder it cannot list read as "no documents", and the index was emptied."""
        where = Path(exc.filename) if exc.filename else folder
        if where == folder:
            raise DocumentError(f"cannot read the documents folder {folder} ({exc.strerror or exc})")
        skipped.append(Skipped(where.relative_to(folder).as_posix(), f"cannot read this folder ({exc.strerror or exc})"))

    for root, dirs, files in os.walk(folder, onerror=unreadable, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and (left_out is None or (Path(root) / d).resolve() != left_out))
        for d in [d for d in dirs if _is_index(Path(root) / d)]:
            dirs.remove(d)  # another qa index: its six files listed as unsupported on every run told nothing
            skipped.append(Skipped((Path(root) / d).relative_to(folder).as_posix(), "a qa index folder, not documents"))
        for d in [d for d in dirs if (Path(root) / d).is_symlink()]:
            skipped.append(Skipped((Path(root) / d).relative_to(folder).as_posix(),
                                   "symlinked folder not followed (it could loop); link the files instead"))
        for fname in sorted(files):
            if fname.startswith("."):
                continue
            path = Path(root) / fname
            rel = path.relative_to(folder).as_posix()
            if _undecodable(rel):  # the index stores names as UTF-8 text: one such name failed the whole folder
                shown = os.fsencode(rel).decode("utf-8", "backslashreplace")  # "caf\xe9.txt"
                skipped.append(Skipped(shown, "the file name is not valid UTF-8; rename the file"))
                continue
            if path.suffix.lower() not in SUFFIXES:
                skipped.append(Skipped(rel, f"unsupported type {path.suffix or '(none)'}"))
                continue
            try:
                if path.is_symlink():
                    path.resolve(strict=True)
            except (OSError, RuntimeError) as exc:
                skipped.append(Skipped(rel, f"broken or looping symlink ({exc})"))
                continue
            found.append((rel, path))
    return _one_per_file(found, skipped)


def _is_index(path: Path) -> bool:
    """Whether ``path`` is a folder qa keeps an index in (CURRENT beside its versions), or one such version."""
    from . import index  # as the index names them; imported here, not above: documents stands below the index

    try:
        return index.is_state(path) or ((path / index.CURRENT).is_file() and index.looks_like_index(path))
    except OSError:  # a folder we may not look into ("lost+found"): listing it says why it is skipped
        return False


def _one_per_file(found: list[tuple[str, Path]],
                  skipped: list[Skipped]) -> tuple[list[tuple[str, Path]], list[Skipped]]:
    """A symlink to a file the folder already holds is skipped, naming that file: the link and its target were
    both indexed, so every answer from it came twice in the sources."""
    real: dict[Path, str] = {}
    for rel, path in sorted(found, key=lambda f: f[1].is_symlink()):  # real files first
        real.setdefault(path.resolve(), rel)
    kept = [(rel, path) for rel, path in found if real[path.resolve()] == rel]
    skipped += [Skipped(rel, f"the same file as {real[path.resolve()]} (a symlink to it)")
                for rel, path in found if real[path.resolve()] != rel]
    return kept, skipped


def _undecodable(name: str) -> bool:
    """Whether a name holds bytes the file system could not decode (Python keeps them as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_size(size: int, name: str, max_bytes: int) -> None:
    """DocumentError when ``size`` bytes is over the ``max_file_mb`` limit."""
    if size > max_bytes:
        raise DocumentError(f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit (max_file_mb)", name)


def read_file(path: Path, name: str, max_bytes: int) -> Document:
    """One file as a Document; regular files only, never more than ``max_bytes`` read."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise DocumentError("not a regular file (pipe, device or socket)", name)
        check_size(info.st_size, name, max_bytes)
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)  # the file may grow after stat()
        check_size(len(data), name, max_bytes)
    except FileNotFoundError:
        raise DocumentError("vanished while reading", name) from None
    except OSError as exc:
        raise DocumentError(f"cannot read ({exc.strerror or exc})", name) from None
    return parse(data, name)


def check_folder(folder: str | os.PathLike[str]) -> Path:
    """``folder`` as a Path, or DocumentError when it is not a folder (checked before an index is created for it)."""
    root = Path(folder)
    if not root.is_dir():
        raise DocumentError(f"documents folder {root} does not exist or is not a folder")
    return root


def read_folder(folder: str | os.PathLike[str], max_file_mb: float = 50.0,
                exclude: Path | None = None) -> tuple[list[Document], list[Skipped]]:
    """Every readable document in ``folder`` (but not in its subfolder ``exclude``) plus a reason for each one
    left out."""
    root = check_folder(folder)
    files, skipped = list_files(root, exclude)
    docs: list[Document] = []
    for name, path in files:
        try:
            docs.append(read_file(path, name, int(max_file_mb * 1e6)))
        except DocumentError as exc:  # the report names the file and says "skipped" itself
            skipped.append(Skipped(name, exc.reason))
    return docs, skipped
