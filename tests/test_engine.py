"""The engine on real data: documents, splitting, the persisted index and its incremental updates."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.config import Config
from qa.documents import DocumentError, Document, encoding_note, html_to_text, parse, read_folder
from qa import documents as documents_module
from qa import store as store_module
from qa.splitter import is_lead_in, lead_contexts, sentence_spans, split_document
from qa.store import Store
from qa.types import Passage

ROOT = Path(__file__).resolve().parent.parent


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with a Helvetica text layer, one page per string."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode('latin-1')}\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {len(objects)} 0 R "
                       "/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def store_for(docs: Path, index: Path, embedder, **settings) -> Store:  # type: ignore[no-untyped-def]
    return Store(docs, index, Config(**settings), embedder)


def check_offsets(store: Store) -> None:
    for p in store.passages:
        assert store.text(p.doc)[p.start:p.end] == p.text
    for s in store.sentences:
        assert store.text(s.doc)[s.start:s.end] == s.text


# -- documents and splitting ------------------------------------------------------------------

def test_txt_text_is_the_file_unchanged(seed_dir: Path) -> None:
    docs, skipped = read_folder(seed_dir)
    assert not skipped and len(docs) == 1
    assert docs[0].text == next(seed_dir.glob("*.txt")).read_bytes().decode("utf-8")


def test_every_passage_and_sentence_is_exact_and_within_the_token_limit(seed_dir, squad_dir, embedder) -> None:
    docs = read_folder(seed_dir)[0] + read_folder(squad_dir)[0]
    for doc in docs:
        passages, sentences = split_document(doc, embedder.tokenizer, embedder.max_tokens)
        assert passages and sentences
        for span in [*passages, *sentences]:
            assert doc.text[span.start:span.end] == span.text
        for p in passages:
            assert len(embedder.tokenizer(p.text)["input_ids"]) <= embedder.max_tokens
        covered = {i for p in passages for i in range(p.start, p.end)}
        assert all(i in covered for i, ch in enumerate(doc.text) if not ch.isspace())


def test_a_passage_of_symbols_alone_is_not_indexed(embedder) -> None:  # type: ignore[no-untyped-def]
    """A folder of code notes indexed hundreds of passages such as "{" and "::", which no question can find or quote."""
    text = "Config\n\n{\n\n  \"k\": 5\n\n}\n\n::\n\n" + "The default k is five. " * 60 + "\n\n---\n\n* * *\n"
    passages, sentences = split_document(Document("notes.md", text, "sha", len(text)), embedder.tokenizer, 24, 1, 0)
    shown = [p.text for p in passages]
    assert "Config" in shown[0] and any('"k": 5' in t for t in shown) and "{" not in shown and "::" not in shown
    assert all(any(ch.isalnum() for ch in t) for t in shown) and "* * *" not in [s.text for s in sentences]
    assert all(passages[s.passage].start <= s.start and s.end <= passages[s.passage].end for s in sentences)


def test_long_paragraphs_are_cut_into_overlapping_windows(squad_dir, embedder) -> None:
    doc = read_folder(squad_dir)[0][0]
    passages, _ = split_document(doc, embedder.tokenizer, 64, target_tokens=40, overlap_sentences=1)
    overlaps = sum(1 for a, b in zip(passages, passages[1:]) if b.start < a.end)
    assert overlaps > 0


def test_sentences_keep_abbreviations_numbers_quotes_and_headings() -> None:
    text = ("# Results\nThe U.S. Army met Dr. Smith on 10.5 km of road.  Population was 173,000 in 2021. "
            "“Is all lost?” he asked. Non.\n\nA new paragraph starts here")
    got = [text[u.start:u.end] for u in sentence_spans(text)]
    assert got == ["# Results", "The U.S. Army met Dr. Smith on 10.5 km of road.", "Population was 173,000 in 2021.",
                   "“Is all lost?” he asked.", "Non.", "A new paragraph starts here"]


@pytest.mark.parametrize("text,expected", [
    ("The cells were cycled at 45 °C. The loss was 5%. It held 4.2 V. Then J. Smith left.",
     ["The cells were cycled at 45 °C.", "The loss was 5%.", "It held 4.2 V.", "Then J. Smith left."]),
    ("1. Purpose\n\nThis policy applies. It ends.\n\n2.3. Sick pay\n\nIt is paid. Section 3.\n",
     ["1. Purpose", "This policy applies.", "It ends.", "2.3. Sick pay", "It is paid.", "Section 3."]),
    ("  12.3. Leave\nIt is 2.3. Not a section.", ["12.3. Leave", "It is 2.3.", "Not a section."]),  # mid-line
    ("x" * 100 + " 3. Next one.", ["x" * 100 + " 3.", "Next one."]),  # far from its line's start
])
def test_units_end_sentences_and_section_numbers_do_not(text: str, expected: list[str]) -> None:
    """A user's abstract quoted three sentences for one answer ("... at 45 °C. The capacity loss ..."), and
    "1. Purpose" was split into "1." and "Purpose"."""
    assert [text[u.start:u.end] for u in sentence_spans(text)] == expected


def test_the_section_number_check_reads_a_short_stretch_not_the_whole_document(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """It searched from the document's start at every full stop: splitting took time growing with the square of
    the file's size (0.5 MB: 13.8 s; a 30 MB file, by extrapolation, over 12 hours). benchmarks/split_speed.py
    prints how the time grows."""
    from qa import splitter

    reads: list[int] = []
    pattern = splitter._SECTION_NUMBER

    class Counting:
        def search(self, text: str, pos: int, endpos: int) -> re.Match[str] | None:
            reads.append(endpos - pos)
            return pattern.search(text, pos, endpos)

    monkeypatch.setattr(splitter, "_SECTION_NUMBER", Counting())
    text = "It is fine. " * 2000
    assert len(sentence_spans(text)) == 2000
    assert reads and max(reads) <= 64


def plain_line_blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``splitter._line_blocks`` as first written: the block so far read whole at every line break."""
    from qa import splitter

    lines = text[start:end].split("\n")
    widest = max(len(line.strip()) for line in lines)
    wrapped = len(lines) > 1 and splitter.WRAP_WIDTHS[0] <= widest <= splitter.WRAP_WIDTHS[1]
    blocks, cur = [], start
    for m in re.finditer(r"\n", text[start:end]):
        pos = start + m.start()
        line, nxt = text[cur:pos].strip(), text[pos + 1:end].lstrip()[:1]
        runs_on = (wrapped and len(line) >= widest - splitter.WRAP_SLACK) or nxt.islower() \
            or bool(splitter._RUNS_ON.search(line))
        heading = bool(line) and len(line) <= 60 and not line.endswith((",", ";", ":", "-")) \
            and line[-1:] not in ".!?" and not runs_on
        if heading or line.startswith("#") or splitter._LIST_START.match(text, pos + 1, end):
            blocks.append((cur, pos))
            cur = pos + 1
    blocks.append((cur, end))
    return blocks


@pytest.mark.parametrize("text", [
    "One sentence.\nAnother one.\n" * 80 + "Opening hours\nWe open at nine.\n- Monday\n- Tuesday\nThe end",
    "# Title\nA line that was founded by\nsomeone.\n  Indented heading\n" + "x" * 1500 + "\nShort\nLast",
    "Wrapped text that goes on for quite a while here\nand wraps again at about the same\nwidth here.",
    "\n\n  \nStrange\n\n#\n" + "word " * 400 + "\n# Tail",
])
def test_line_blocks_read_a_line_break_at_a_time_and_cut_where_they_did(text: str) -> None:
    """Reading the block so far at every line break made a 5 MB file of single lines without blank ones take hours to
    split (a review's upload); only the start of a block longer than any heading is read now."""
    from qa.splitter import _line_blocks

    assert _line_blocks(text, 0, len(text)) == plain_line_blocks(text, 0, len(text))


def test_a_heading_never_closes_a_passage(embedder) -> None:  # type: ignore[no-untyped-def]
    """A numbered section heading ended the passage before its section ("... One cartridge. 2. Technical
    specifications"), so the section's passage lacked the words a question about it uses."""
    body = " ".join(f"Item {i} is listed here with a few more words." for i in range(12))
    doc = Document("m.txt", f"{body}\n\n2. Technical specifications\n\nThe pump pressure is 15 bar.", "x", 60)
    passages, _ = split_document(doc, embedder.tokenizer, 256, target_tokens=120)
    assert passages[-1].text.startswith("2. Technical specifications") and "15 bar" in passages[-1].text
    assert not any(p.text.endswith("specifications") for p in passages)


def test_a_paragraphs_closing_lead_in_opens_the_passage_it_introduces(embedder) -> None:  # type: ignore[no-untyped-def]
    """"... a definition like the following:" closed its paragraph's passage, and the definition it introduces
    was read without it (the benchmark's complexity-theory article has four such paragraphs)."""
    text = ("Complexity classes are sets of problems. A typical class has a definition like the following:\n\n"
            "DTIME(f(n)) is the set of decision problems solvable in time f(n).\n\nAnother paragraph ends here.")
    passages, _ = split_document(Document("c.txt", text, "x", 60), embedder.tokenizer, 256, target_tokens=0)
    assert [p.text for p in passages] == [
        "Complexity classes are sets of problems.",
        "A typical class has a definition like the following:\n\nDTIME(f(n)) is the set of decision problems "
        "solvable in time f(n).",
        "Another paragraph ends here."]


def test_headings_and_lead_in_lines_stay_with_the_paragraph_they_introduce(seed_dir, embedder) -> None:
    doc = read_folder(seed_dir)[0][0]
    passages, _ = split_document(doc, embedder.tokenizer, embedder.max_tokens, target_tokens=0)
    call = [p for p in passages if "CALL OF AUGUST 16" in p.text]
    assert len(call) == 1
    assert call[0].text.startswith("Below is the text of the call")  # "...:" line, then the heading
    assert "the national hero" in call[0].text and "our blood" in call[0].text  # then the call itself
    assert not any(p.text.startswith("At the same time") and "CALL" in p.text for p in passages)
    plain = Document("p.txt", "First paragraph ends here.\n\nSecond paragraph ends too.", "x", 60)
    assert len(split_document(plain, embedder.tokenizer, 256, target_tokens=0)[0]) == 2


@pytest.mark.parametrize("text,expected", [
    ("Annual Safety Report 2023\nThe Orion Chemical plant in Rotterdam recorded three minor\nincidents in 2023, down "
     "from seven in 2022. No employee was\nseriously injured. The plant manager is Sofia Lindqvist.",  # a PDF's lines
     ["Annual Safety Report 2023", "The Orion Chemical plant in Rotterdam recorded three minor\nincidents in 2023, "
      "down from seven in 2022.", "No employee was\nseriously injured.", "The plant manager is Sofia Lindqvist."]),
    ("The Ashbury line opened in 1874 to carry slate\nfrom the quarries. It was extended to the coast in\n1890 and "
     "to freight in 1962 after the quarries\nshut.",  # textwrap.fill(..., 50)
     ["The Ashbury line opened in 1874 to carry slate\nfrom the quarries.",
      "It was extended to the coast in\n1890 and to freight in 1962 after the quarries\nshut."]),
    ("The orchestra was founded by\nClara Weiss in 1911.", ["The orchestra was founded by\nClara Weiss in 1911."]),
    ("Region | Support phone\nUS | 1-800-555-0199\nUK | 0800 555 0123",  # short lines: a table, not wrapped text
     ["Region | Support phone", "US | 1-800-555-0199", "UK | 0800 555 0123"]),
    ("Panjshir Valley; photo / Rough Guides\nPanjshir is one of the thirty-four provinces of Afghanistan, located in "
     "the northeastern part of the country.",  # a caption over a long line
     ["Panjshir Valley; photo / Rough Guides", "Panjshir is one of the thirty-four provinces of Afghanistan, located "
      "in the northeastern part of the country."]),
])
def test_hard_wrapped_lines_are_one_sentence_and_headings_stay_apart(text: str, expected: list[str]) -> None:
    """Every short line without a closing mark read as a heading: a 50-column file became "It was", "The", ..."""
    assert [text[u.start:u.end] for u in sentence_spans(text)] == expected


def test_a_line_break_in_html_is_not_a_paragraph_break() -> None:
    assert html_to_text("<p>The orchestra was founded by<br>Clara Weiss in 1911.</p>") == \
        "The orchestra was founded by\nClara Weiss in 1911."


def test_a_faq_question_heading_is_passed_with_its_answer(embedder) -> None:  # type: ignore[no-untyped-def]
    """Alone, "How much does it cost?" was the best match for "How much does the router cost in the UK?" and held
    no answer, so the answer's paragraph fell out of the sources and the question was declined."""
    text = ("General\n\nHow much does it cost?\n\nThe price is $179 in the United States and £149 in the United "
            "Kingdom.\n\nIs it loud? Not at all. It is silent.\n\nIt ships in a box.")
    passages, _ = split_document(Document("faq.md", text, "x", len(text)), embedder.tokenizer, 256, target_tokens=0)
    assert [p.text for p in passages] == [
        "General\n\nHow much does it cost?\n\nThe price is $179 in the United States and £149 in the United Kingdom.",
        "Is it loud? Not at all. It is silent.", "It ships in a box."]  # a question inside a paragraph: no heading


def test_lead_in_lines() -> None:
    assert is_lead_in("Below is the text of the call:")
    assert is_lead_in("“CALL OF AUGUST 16, by Ahmad Massoud")
    assert is_lead_in("Panjshir Valley; photo / Rough Guides")
    assert not is_lead_in("Kabul is already moaning.")
    assert not is_lead_in("“Is all lost?”")
    assert not is_lead_in("word " * 40)  # a long line without a full stop is text, not a heading


def test_an_overlong_sentence_is_cut_not_truncated(embedder) -> None:
    text = " ".join(f"word{i}" for i in range(3000))
    doc = Document("long.txt", text, "x", len(text))
    passages, _ = split_document(doc, embedder.tokenizer, embedder.max_tokens)
    assert len(passages) > 5
    assert all(len(embedder.tokenizer(p.text)["input_ids"]) <= embedder.max_tokens for p in passages)
    assert passages[-1].text.endswith("word2999")


def test_html_keeps_visible_text_only() -> None:
    html = "<html><head><title>T</title><style>p{}</style></head><body><h1>Title</h1><script>evil()</script><p>Hello &amp; bye</p></body></html>"
    assert html_to_text(html) == "Title\n\nHello & bye"


def test_a_word_a_pdf_broke_at_a_line_end_is_read_whole() -> None:
    lines = ["It is sur-", "rounded by Baghlan, a well-", "known town, and Take-", "Off in 19-", "89."]
    doc = parse(make_pdf([") Tj 0 -14 Td (".join(lines)]), "h.pdf")
    assert doc.text == "It is surrounded by Baghlan, a wellknown town, and Take-\nOff in 19-\n89."


def test_a_compound_the_pdf_writes_with_its_hyphen_elsewhere_keeps_it() -> None:
    """"well-\nknown" is the compound "well-known" when another page says so; "some-\nthing" stays one
    word even though "some-thing" is written once, because "something" is written too."""
    pages = ["A well-known town, some-thing odd.", "It is a well-) Tj 0 -14 Td (known road to some-) Tj 0 -14 Td "
             "(thing and sur-) Tj 0 -14 Td (rounded by something."]
    doc = parse(make_pdf(pages), "h.pdf")
    assert doc.text.split("\n\n")[1] == "It is a well-known road to something and surrounded by something."


def test_markdown_is_read_as_a_reader_sees_it_and_table_rows_as_lines() -> None:
    md = ("# The Tower\n\nThe [Eiffel Tower](https://example.org/t) is **330 metres** tall, by *Gustave*.\n\n"
          "| Year | Visitors |\n|---|---|\n| 2019 | 6.2 million |\n\n- Done in `1889`.\n")
    doc = parse(md.encode(), "t.md")
    assert doc.text == ("The Tower\n\nThe Eiffel Tower is 330 metres tall, by Gustave.\n\n"
                        "Year | Visitors\n\n2019 | 6.2 million\n\nDone in 1889.")
    assert parse(md.encode(), "t.txt").text == md  # plain text stays as it is
    row = "<table><tr><td><b>a</b> <i>b</i></td>\n<td>c</td></tr></table>"
    assert html_to_text(row) == "a b | c"


def test_an_ordered_list_keeps_its_numbers_as_a_browser_shows_them() -> None:
    """A recipe's "1. Heat the oven" was read as "Heat the oven": "What is step 4?" had no step 4 to find."""
    md = "## Method\n\n1. Heat the oven.\n2. Beat the butter.\n   - until pale\n3. Add the eggs.\n\n- Serves 8.\n"
    assert parse(md.encode(), "r.md").text == ("Method\n\n1. Heat the oven.\n\n2. Beat the butter.\n\nuntil pale\n\n"
                                               "3. Add the eggs.\n\nServes 8.")
    html = '<ol start="4"><li>four</li><li value="9">nine</li><li>ten</li></ol><ul><li>x</li></ul><p>end</p>'
    assert html_to_text(html) == "4. four\n\n9. nine\n\n10. ten\n\nx\n\nend"


def test_a_file_read_differently_by_a_new_version_is_embedded_again(tmp_path, tmp_index, embedder, monkeypatch) -> None:
    """Same bytes, new reading (Markdown rendered, not raw): reusing the saved offsets cut answers from the wrong place."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "t.md").write_text("The tower is **330 metres** tall.\n\nIt opened in *1889*.\n", encoding="utf-8")
    (docs / "plain.txt").write_text("Bazarak is a town.\n", encoding="utf-8")
    monkeypatch.setitem(documents_module._RENDER, ".md", lambda text: text)  # the raw reading of before
    store_for(docs, tmp_index, embedder)
    monkeypatch.undo()
    again = store_for(docs, tmp_index, embedder)
    assert again.report.changed == ["t.md"] and again.report.unchanged == ["plain.txt"]
    assert any("read differently" in m for m in again.report.messages)
    check_offsets(again)
    assert store_for(docs, tmp_index, embedder).report.embedded_passages == 0


def test_pdf_text_layer_with_page_numbers(tmp_path: Path, embedder) -> None:
    doc = parse(make_pdf(["Kabul is the capital of Afghanistan.", "Bazarak is the capital of Panjshir."]), "two.pdf")
    assert "Bazarak" in doc.text and doc.pages[0] == 0 and len(doc.pages) == 2
    passages, _ = split_document(doc, embedder.tokenizer, embedder.max_tokens, target_tokens=1)
    pages = {p.text.split()[0]: p.page for p in passages}
    assert pages["Kabul"] == 1 and pages["Bazarak"] == 2


@pytest.mark.parametrize("name,data,reason", [
    ("cyrillic.txt", "Привет из Кабула. Это не латинский текст.".encode("cp1251"), "mostly not Latin text"),
    ("bad-bom.txt", b"\xff\xfeK\x00a", "byte-order mark but is not UTF-16"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
    ("empty.md", b"   \n", "empty"),
])
def test_unreadable_files_are_skipped_with_a_reason(seed_dir: Path, name: str, data: bytes, reason: str) -> None:
    (seed_dir / name).write_bytes(data)
    docs, skipped = read_folder(seed_dir)
    assert len(docs) == 1
    assert [s.name for s in skipped] == [name] and reason in skipped[0].reason
    with pytest.raises(DocumentError, match=reason):
        parse(data, name)


@pytest.mark.parametrize("data, encoding", [
    ("Le café crème de Bazarak – “quoted”.".encode("cp1252"), "cp1252"),  # a Windows editor's text
    ("Le café crème de Bazarak – “quoted”.".encode("utf-16"), "utf-16"),  # Notepad's "Unicode": NUL bytes, not binary
    ("Le café crème de Bazarak – “quoted”.".encode("utf-16-le"), "utf-16-le"),  # no byte-order mark: was "binary"
    ("Le café crème de Bazarak – “quoted”.".encode("utf-16-be"), "utf-16-be"),
    ("\ufeffLe café crème de Bazarak – “quoted”.".encode("utf-8"), "utf-8-sig"),  # the BOM is not part of the text
    ("Le café crème de Bazarak – “quoted”.".encode("utf-8"), "utf-8"),
])
def test_text_in_other_encodings_is_read_as_what_it_says(data: bytes, encoding: str) -> None:
    doc = parse(data, "cafe.txt")
    assert (doc.text, doc.encoding) == ("Le café crème de Bazarak – “quoted”.", encoding)


RUSSIAN = "Москва является столицей России."


@pytest.mark.parametrize("head, encoding, text", [
    ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">', "cp1251", RUSSIAN),
    ("<meta charset='koi8-r'>", "koi8-r", RUSSIAN),
    ('<meta charset="iso-8859-1">', "cp1252", "Le café crème de Bazarak."),  # as browsers read Latin-1 pages
])
def test_a_page_is_read_in_the_charset_it_declares(head: str, encoding: str, text: str) -> None:
    """A windows-1251 page was read as Windows-1252 and indexed as "Ìîñêâà ÿâëÿåòñÿ ..." (its ASCII markup
    passed the "mostly Latin" check), and a correctly declared Latin-1 page got "re-save it as UTF-8"."""
    doc = parse(f"<html><head>{head}</head><body><p>{text}</p></body></html>".encode(encoding), "page.html")
    assert (doc.text.strip(), doc.encoding, encoding_note(doc)) == (text, encoding, None)


def test_an_undeclared_page_in_another_script_is_refused_for_its_words_not_its_markup() -> None:
    page = f"<html><body><p class='para'>{RUSSIAN}</p></body></html>"
    with pytest.raises(DocumentError, match="mostly not Latin text"):
        parse(page.encode("cp1251"), "page.html")
    with pytest.raises(DocumentError, match="nor the cp1251 it declares"):  # a charset that does not fit the bytes
        parse(b"<meta charset=windows-1251><p>\x98</p>", "bad.html")  # 0x98 is no windows-1251 character


# -- the persisted index --------------------------------------------------------------------

def test_second_load_embeds_nothing_and_edits_are_incremental(squad_dir, seed_dir, tmp_index, embedder) -> None:
    shutil.copy(next(seed_dir.glob("*.txt")), squad_dir / "seed.txt")
    first = store_for(squad_dir, tmp_index, embedder)
    assert sorted(first.report.added) == ["Computational_complexity_theory.txt", "Normans.txt", "seed.txt"]
    assert first.report.embedded_passages == len(first.passages) > 20
    check_offsets(first)

    again = store_for(squad_dir, tmp_index, embedder)
    assert again.report.embedded_passages == 0 and len(again.report.unchanged) == 3
    assert [p.text for p in again.passages] == [p.text for p in first.passages]

    with open(squad_dir / "Normans.txt", "a", encoding="utf-8") as fh:
        fh.write("\n\nThe Normans also built many castles in Wales during the eleventh century.")
    edited = again.refresh()
    normans = [p for p in again.passages if p.doc == "Normans.txt"]
    assert edited.changed == ["Normans.txt"] and edited.embedded_passages == len(normans)
    assert "castles in Wales" in normans[-1].text
    check_offsets(again)

    (squad_dir / "extra.md").write_text("Bazarak is a town.\n", encoding="utf-8")
    (squad_dir / "seed.txt").unlink()
    changed = again.refresh()
    assert changed.added == ["extra.md"] and changed.removed == ["seed.txt"] and changed.embedded_passages == 1
    assert {p.doc for p in again.passages} == {"Computational_complexity_theory.txt", "Normans.txt", "extra.md"}
    check_offsets(again)


def test_a_refresh_tells_what_changed_since_this_store_not_since_the_saved_index(seed_dir, tmp_index, embedder) -> None:
    """The web UI's Rescan, after ``qa index`` in another process had saved a new file, said "0 added" and then
    answered from the file."""
    running = store_for(seed_dir, tmp_index, embedder)
    (seed_dir / "lighthouse.txt").write_text("The lighthouse was built in 1874.\n", encoding="utf-8")
    with open(next(seed_dir.glob("panjshir*.txt")), "a", encoding="utf-8") as fh:
        fh.write("\n\nBazarak lies on the Panjshir River.\n")
    other = store_for(seed_dir, tmp_index, embedder)  # "qa index" in another process
    assert other.report.added == ["lighthouse.txt"] and len(other.report.changed) == 1
    seen = running.refresh()
    assert seen.added == ["lighthouse.txt"] and seen.changed == other.report.changed and not seen.removed
    assert seen.embedded_passages == 0 and seen.unchanged == []  # nothing left to embed, nothing as it was
    (seed_dir / "lighthouse.txt").unlink()
    assert other.refresh().removed == ["lighthouse.txt"]
    assert running.refresh().removed == ["lighthouse.txt"]
    assert running.refresh().removed == [] and running.report.unchanged == other.report.unchanged


def test_stored_vectors_match_a_fresh_encode(seed_dir, tmp_index, embedder) -> None:
    store_for(seed_dir, tmp_index, embedder)
    reloaded = store_for(seed_dir, tmp_index, embedder)
    leads = lead_contexts(reloaded.passages, reloaded.sentences)
    assert sum(map(bool, leads)) >= 2  # "He was born ...", "He has endorsed ..."
    fresh = embedder.model.encode([f"{c} {p.text}" if c else p.text for c, p in zip(leads, reloaded.passages)],
                                  normalize_embeddings=True)
    assert abs(reloaded.passage_vecs - fresh).max() < 1e-4


def test_an_index_just_built_holds_the_vectors_a_load_gives(seed_dir, tmp_index, embedder) -> None:
    """Sentence vectors are stored in fp16 but were kept in fp32 by the process that built them: confidences
    then differed between that process and every later one (17 of 120 benchmark answers, in the 4th digit)."""
    built = store_for(seed_dir, tmp_index, embedder)
    loaded = store_for(seed_dir, tmp_index, embedder)
    assert loaded.report.embedded_passages == 0
    assert np.array_equal(built.sentence_vecs, loaded.sentence_vecs)
    (seed_dir / "more.txt").write_text("Bazarak is a town in the Panjshir Valley. It lies on a river.\n", encoding="utf-8")
    assert built.refresh().added == ["more.txt"]  # new vectors beside ones read back from disk
    assert np.array_equal(built.sentence_vecs, store_for(seed_dir, tmp_index, embedder).sentence_vecs)


def test_a_passage_opening_with_a_pronoun_gets_the_sentence_before_it_as_context(embedder) -> None:
    text = ("Ahmad Massoud is an Afghan politician.\n\nHe was born in 1989 in Takhar.\n\n"
            "The valley is green.\n\n\u201cIt is a fortress,\u201d they say.")
    passages, sentences = split_document(Document("a.txt", text, "x", len(text)), embedder.tokenizer, 256, target_tokens=0)
    other, other_sentences = split_document(Document("b.txt", "He left.", "y", 8), embedder.tokenizer, 256, target_tokens=0)
    leads = lead_contexts(passages + other, sentences + other_sentences)
    assert leads == ["", "Ahmad Massoud is an Afghan politician.", "", "The valley is green.", ""]  # never across documents


def test_a_lead_context_that_would_be_truncated_is_left_out(embedder) -> None:
    passages = [Passage("a.txt", 0, 9, "He left."), Passage("a.txt", 10, 20, "She stayed.")]
    fits = store_module._fitting(["Massoud spoke.", "word " * 300], passages, embedder)
    assert fits == ["Massoud spoke. ", ""]


def test_a_splitter_or_model_change_rebuilds(seed_dir, tmp_index, embedder) -> None:
    store_for(seed_dir, tmp_index, embedder)
    other = store_for(seed_dir, tmp_index, embedder, target_tokens=40)
    assert other.report.embedded_passages == len(other.passages)
    assert any("splitter changed" in m for m in other.report.messages)
    renamed = store_for(seed_dir, tmp_index, embedder, model="all-MiniLM-L6-v2", target_tokens=40)
    assert any("model changed" in m for m in renamed.report.messages)


def test_model_weights_replaced_in_place_rebuild_the_index(seed_dir, tmp_path, tmp_index) -> None:
    """A fine-tune saved over its own folder keeps the model's name; its vectors must not meet the old ones."""
    from qa.embedding import Embedder, resolve_model, weights_digest

    model = Path(shutil.copytree(resolve_model("all-MiniLM-L6-v2"), tmp_path / "model"))
    assert weights_digest(str(model)) == weights_digest("all-MiniLM-L6-v2") is not None
    assert weights_digest("someone/hub-model") is None
    own = Embedder.load(str(model))
    assert store_for(seed_dir, tmp_index, own, model=str(model)).report.embedded_passages > 0
    weights = model / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte of the weights, far from the header
    weights.write_bytes(bytes(data))
    again = store_for(seed_dir, tmp_index, own, model=str(model))
    assert any("model changed" in m for m in again.report.messages), again.report.messages
    pooling = model / "1_Pooling" / "config.json"  # the same weights, pooled another way: other vectors
    pooling.write_text(pooling.read_text().replace('"pooling_mode_cls_token": false', '"pooling_mode_cls_token": true')
                       .replace('"pooling_mode_mean_tokens": true', '"pooling_mode_mean_tokens": false'))
    pooled = Embedder.load(str(model))
    assert store_for(seed_dir, tmp_index, pooled, model=str(model)).report.embedded_passages > 0
    assert store_for(seed_dir, tmp_index, pooled, model=str(model)).report.embedded_passages == 0


@pytest.mark.parametrize("damage", ["truncate_faiss", "edit_manifest", "delete_vectors", "manifest_not_an_object"])
def test_a_damaged_index_is_rebuilt_with_a_message(seed_dir, tmp_index, embedder, damage: str) -> None:
    store_for(seed_dir, tmp_index, embedder)
    version = tmp_index / (tmp_index / "CURRENT").read_text().split()[0]
    if damage == "truncate_faiss":
        data = (version / "passages.faiss").read_bytes()
        (version / "passages.faiss").write_bytes(data[: len(data) // 2])
    elif damage == "edit_manifest":
        manifest = json.loads((version / "manifest.json").read_text())
        manifest["splitter"]["target_tokens"] = 1
        (version / "manifest.json").write_text(json.dumps(manifest))
    elif damage == "manifest_not_an_object":  # valid JSON, with the pointer's checksum brought in line
        (version / "manifest.json").write_bytes(b"[1, 2]")
        (tmp_index / "CURRENT").write_text(f"{version.name} {hashlib.sha256(b'[1, 2]').hexdigest()}\n")
    else:
        (version / "sentences.npy").unlink()
    store = store_for(seed_dir, tmp_index, embedder)
    assert any("damaged" in m for m in store.report.messages), store.report.messages
    assert store.report.embedded_passages == len(store.passages) > 0
    check_offsets(store)
    assert store_for(seed_dir, tmp_index, embedder).report.embedded_passages == 0


def test_a_foreign_index_folder_is_left_alone(seed_dir, tmp_index, embedder) -> None:
    tmp_index.mkdir(parents=True, exist_ok=True)
    (tmp_index / "index.pkl").write_bytes(b"someone else's")
    store = store_for(seed_dir, tmp_index, embedder)
    assert any("no qa index" in m for m in store.report.messages)
    assert (tmp_index / "index.pkl").read_bytes() == b"someone else's"
    assert store.passages


def test_folders_beside_the_index_that_only_look_like_its_states_are_kept(seed_dir, tmp_index, embedder) -> None:
    drafts = tmp_index / "v-drafts" / "a.txt"  # a user's own folder, and one named like ours holding a file of theirs
    alike = tmp_index / "v-20240101000000-abcdef12"
    drafts.parent.mkdir(parents=True)
    alike.mkdir()
    drafts.write_text("The plan is by Ola Berg.")
    (alike / "passages.jsonl").write_text("{}")
    (alike / "notes.txt").write_text("mine")
    first = store_for(seed_dir, tmp_index, embedder)
    store_for(seed_dir, tmp_index, embedder, target_tokens=80)  # a second save removes the first state
    states = sorted(p.name for p in tmp_index.glob("v-2*") if p != alike)
    assert len(states) == 1 and first.report.embedded_passages > 0
    assert drafts.read_text() == "The plan is by Ola Berg." and (alike / "notes.txt").read_text() == "mine"


def test_what_a_killed_save_left_is_removed_at_the_next_load(seed_dir, tmp_index, embedder) -> None:
    """A half-written state of a save killed with -9 stayed until the documents next changed."""
    store_for(seed_dir, tmp_index, embedder)
    live = sorted(p.name for p in tmp_index.glob("v-*"))
    stray = tmp_index / ".v-20240101000000-abcdef12.tmp"
    stray.mkdir()
    (stray / "passages.jsonl").write_text("{}")
    again = store_for(seed_dir, tmp_index, embedder)
    assert again.report.embedded_passages == 0 and not stray.exists()
    assert sorted(p.name for p in tmp_index.glob("v-*")) == live


def test_an_index_in_the_documents_folder_is_refused_or_left_out_of_it(seed_dir, tmp_path, embedder) -> None:
    from qa.index import IndexFolderError

    docs = tmp_path / "docs"
    shutil.copytree(seed_dir, docs)
    with pytest.raises(IndexFolderError, match="documents folder itself"):
        store_for(docs, docs, embedder)
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(IndexFolderError, match="is a file"):
        store_for(docs, tmp_path / "a_file", embedder)
    for name in ("CURRENT", ".lock"):
        (tmp_path / name / name).mkdir(parents=True)
        with pytest.raises(IndexFolderError, match=f"{name} is a folder, where the index keeps a file"):
            store_for(docs, tmp_path / name, embedder)
    store_for(docs, docs / "index", embedder)
    again = store_for(docs, docs / "index", embedder)
    assert not again.report.skipped and again.report.unchanged == [p.name for p in seed_dir.iterdir()]


def test_an_empty_folder_says_so(tmp_path, tmp_index, embedder) -> None:
    import qa

    (tmp_path / "empty").mkdir()
    bot = qa.load(tmp_path / "empty", tmp_index, embedder=embedder, reader="none")
    assert any("no readable documents" in m for m in bot.report.messages)
    assert bot.ask("Anything?").message == "no documents are indexed yet"


def test_another_docs_folder_gets_its_own_index_and_never_replaces_the_shipped_one(tmp_path: Path) -> None:
    from qa.config import PROJECT_ROOT
    from qa.pipeline import default_index_dir

    assert default_index_dir("seeds") == PROJECT_ROOT / "embeddings"
    assert default_index_dir(PROJECT_ROOT / "seeds") == PROJECT_ROOT / "embeddings"
    a, b = tmp_path / "a" / "docs", tmp_path / "b" / "docs"
    assert default_index_dir(a) != default_index_dir(b)  # same folder name, different folders
    assert default_index_dir(a) == default_index_dir(a)
    assert default_index_dir(a).parent == PROJECT_ROOT / "embeddings" / "other"
    assert "other" in (PROJECT_ROOT / ".gitignore").read_text()
    from qa.config import Config

    assert default_index_dir("seeds", Config()) == PROJECT_ROOT / "embeddings"
    assert default_index_dir("seeds", Config(threshold=0.9, k=9)) == PROJECT_ROOT / "embeddings"  # no index change
    own = default_index_dir("seeds", Config(max_tokens=128))  # an experiment must not rebuild the shipped index
    assert own.parent == PROJECT_ROOT / "embeddings" / "other" and own != default_index_dir("seeds", Config(model="x"))
    assert default_index_dir(a, Config()) == default_index_dir(a) != default_index_dir(a, Config(overlap_sentences=0))


@pytest.mark.parametrize("html,expected", [
    ('<p>Shown.</p><div style="display:none"><div>Secret one.</div> Secret two.</div><p>Also shown.</p>',
     "Shown.\n\nAlso shown."),
    ("A<div hidden>hidden text</div>B", "A\n\nB"),
    ('<section style="visibility: hidden">gone</section><span>here</span>', "here"),
    ('<p style="display:none">An unclosed paragraph<p>Next', "An unclosed paragraph\n\nNext"),  # no end to follow
    ('<div style="display:none"><div hidden>x</div><div>y</div></div><p>After</p>', "After"),  # nested hidden
    ('<nav><ul><li><a href="/">Home</a></li><li>Contact</li></ul><nav>Sub</nav></nav><p>Call us on 555.</p>',
     "Call us on 555."),
    ('<div role="Navigation"><div>Products</div></div><main>The shop opens at 9.</main>', "The shop opens at 9."),
    ('<header><h1>Ferry times</h1><nav>Home</nav></header><p>Boats leave hourly.</p>', "Ferry times\n\nBoats leave hourly."),
])
def test_html_hidden_by_its_attributes_is_not_read(html: str, expected: str) -> None:
    """A browser shows none of it, so it was quoted as "visible text" that no reader of the page ever saw."""
    assert html_to_text(html) == expected


def test_an_index_that_lost_its_current_pointer_uses_its_sound_state_again(seed_dir, tmp_index, embedder) -> None:
    """A crash between a first build's rename and its CURRENT (or a CURRENT deleted by hand) threw the whole
    build away; the newest state whose every file checks out is made current again, with nothing embedded."""
    first = store_for(seed_dir, tmp_index, embedder)
    pointer = (tmp_index / "CURRENT").read_text()
    (tmp_index / "CURRENT").unlink()
    (tmp_index / "v-19990101000000-0000dead").mkdir()  # an older state, emptied: not the newest, never chosen
    store = store_for(seed_dir, tmp_index, embedder)
    assert store.report.messages == [f"the index in {tmp_index} had lost its CURRENT pointer; its last saved state "
                                     "checks out and is used again"]
    assert store.report.embedded_passages == 0 and store.report.unchanged == first.report.added
    assert (tmp_index / "CURRENT").read_text() == pointer and store.passages == first.passages
    assert not (tmp_index / "v-19990101000000-0000dead").exists()  # tidied as any older state is


def test_an_index_that_lost_its_current_pointer_and_a_sound_state_is_rebuilt_and_its_old_state_removed(
        seed_dir, tmp_index, embedder) -> None:  # type: ignore[no-untyped-def]
    """It said "found v-..., left as is" and then removed that folder; a user's own folder is the one left."""
    store_for(seed_dir, tmp_index, embedder)
    old = tmp_index / (tmp_index / "CURRENT").read_text().split()[0]
    (tmp_index / "CURRENT").unlink()
    with open(old / "sentences.npy", "r+b") as fh:  # damaged too: nothing to use again
        fh.truncate(100)
    store = store_for(seed_dir, tmp_index, embedder)
    assert store.report.messages == [f"the index in {tmp_index} has lost its CURRENT pointer; rebuilding it"]
    assert not old.exists() and len(store.passages) > 0
    (tmp_index / "notes").mkdir()
    (tmp_index / "CURRENT").unlink()
    store = store_for(seed_dir, tmp_index, embedder)
    assert store.report.messages == [f"no qa index in {tmp_index} (found notes, left as is); building one"]
    assert (tmp_index / "notes").is_dir()


# -- the embedding model without sentence-transformers ---------------------------------------------------------------

def bare_sentence_transformer(path: str):  # type: ignore[no-untyped-def]
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu")


def test_the_packaged_model_runs_without_sentence_transformers_with_its_very_vectors(embedder, seed_dir) -> None:
    """Importing sentence-transformers took 4.5 s of an 8 s start; the packaged model, a Transformer with mean
    pooling, runs through transformers alone and must give SentenceTransformer's vectors, token vectors included."""
    import torch

    from qa.embedding import resolve_model

    assert embedder.plain
    st = bare_sentence_transformer(resolve_model("all-MiniLM-L6-v2"))
    text = (seed_dir / "panjshir_resistance_ahmad_massoud.txt").read_text(encoding="utf-8")
    texts = [text[i:i + 700] for i in range(0, 7000, 350)] + ["", "a", text[:5000], "  spaced  out  "]
    ours = embedder.model.encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(ours, st.encode(texts, normalize_embeddings=True), atol=1e-6)
    for q in ("When was Ahmad Massoud born?", "What is the Panjshir valley known for?"):
        np.testing.assert_allclose(embedder.encode_query(q), st.encode([q], normalize_embeddings=True), atol=1e-6)
    enc = embedder.tokenizer(texts, padding=True, truncation=True, max_length=embedder.max_tokens, return_tensors="pt")
    with torch.inference_mode():
        mine, theirs = embedder.model.forward(dict(enc)), st.forward(dict(enc))
    for key in ("token_embeddings", "sentence_embedding"):
        assert torch.allclose(mine[key], theirs[key], atol=1e-6)
    assert (embedder.max_tokens, embedder.dim, embedder.tokenizer.model_max_length) == \
           (st.max_seq_length, st.get_embedding_dimension(), st.tokenizer.model_max_length)


def test_loading_the_engine_does_not_import_sentence_transformers_and_cli_index_prints_what_it_did(
        seed_dir, tmp_path, tmp_index) -> None:
    """Two fresh processes at once (one test, so that their model loads overlap on a 2-core machine): the engine
    loaded and asked without sentence-transformers and its imports, and ``qa index`` saying what it did."""
    code = ("import sys, qa; bot = qa.load(sys.argv[1], sys.argv[2], reader='none'); "
            "assert bot.ask('When was Ahmad Massoud born?').text; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('sentence_transformers', 'sklearn', 'pandas')))")
    engine = subprocess.Popen([sys.executable, "-c", code, str(seed_dir), str(tmp_path / "idx")], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        cmd = [sys.executable, "-m", "qa", "index", "--docs", str(seed_dir), "--index", str(tmp_index)]
        first = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert first.returncode == 0, first.stderr
        assert "1 added, 0 changed, 0 removed, 0 unchanged" in first.stdout
        assert (tmp_index / "CURRENT").exists()
        out, err = engine.communicate(timeout=600)
    finally:
        if engine.poll() is None:
            engine.kill()
            engine.communicate()
    assert engine.returncode == 0, err
    assert out.strip() == "[]"


@pytest.mark.parametrize("change", ["cls pooling", "prompts", "lower case", "dense layer", "extra arguments"])
def test_any_other_sentence_transformers_layout_is_left_to_sentence_transformers(tmp_path, change: str) -> None:
    """Only a layout whose vectors are known to match runs without sentence-transformers."""
    from qa.embedding import Embedder, plain_layout, resolve_model

    model = Path(shutil.copytree(resolve_model("all-MiniLM-L6-v2"), tmp_path / "model"))
    assert plain_layout(model) == (256, True)

    def edit(name: str, **changes: object) -> None:
        path = model / name
        path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))

    if change == "cls pooling":
        edit("1_Pooling/config.json", pooling_mode_cls_token=True, pooling_mode_mean_tokens=False)
    elif change == "prompts":
        edit("config_sentence_transformers.json", prompts={"query": "query: "}, default_prompt_name="query")
    elif change == "lower case":
        edit("sentence_bert_config.json", do_lower_case=True)
    elif change == "extra arguments":
        edit("sentence_bert_config.json", model_args={"trust_remote_code": True})
    else:
        modules = json.loads((model / "modules.json").read_text())
        modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
        (model / "modules.json").write_text(json.dumps(modules))
    assert plain_layout(model) is None
    if change == "cls pooling":  # still loads, through sentence-transformers, with its vectors
        own = Embedder.load(str(model))
        assert not own.plain
        q = "When was Ahmad Massoud born?"
        np.testing.assert_allclose(own.encode_query(q), bare_sentence_transformer(str(model)).encode(
            [q], normalize_embeddings=True), atol=1e-6)


def test_a_renamed_or_copied_document_is_not_embedded_again(seed_dir, tmp_index, embedder) -> None:
    """A rename was a removal and an addition, and its text was embedded again from scratch."""
    first = store_for(seed_dir, tmp_index, embedder)
    name = "panjshir_resistance_ahmad_massoud.txt"
    (seed_dir / name).rename(seed_dir / "renamed article.txt")
    moved = store_for(seed_dir, tmp_index, embedder)
    assert moved.report.embedded_passages == 0
    assert moved.report.added == ["renamed article.txt"] and moved.report.removed == [name]
    assert moved.report.messages == [f"renamed article.txt: renamed from {name}; its passages are used again, "
                                     "not embedded"]
    assert {p.doc for p in moved.passages} == {"renamed article.txt"} and len(moved.passages) == len(first.passages)
    np.testing.assert_array_equal(moved.passage_vecs, first.passage_vecs)
    check_offsets(moved)
    shutil.copy(seed_dir / "renamed article.txt", seed_dir / "copy.txt")
    copied = store_for(seed_dir, tmp_index, embedder)
    assert copied.report.added == ["copy.txt"] and copied.report.embedded_passages == 0 and not copied.report.messages
    check_offsets(copied)
    fresh = store_for(seed_dir, tmp_index.parent / "fresh", embedder)  # the same index as a build from scratch
    assert [(p.doc, p.start, p.end) for p in fresh.passages] == [(p.doc, p.start, p.end) for p in copied.passages]
    np.testing.assert_allclose(fresh.passage_vecs, copied.passage_vecs, atol=1e-5)


def test_a_model_transformers_alone_cannot_load_goes_to_sentence_transformers(monkeypatch) -> None:
    from qa import embedding

    def refuse(self, *args: object) -> None:
        raise ValueError("needs trust_remote_code")

    monkeypatch.setattr(embedding.PlainEncoder, "__init__", refuse)
    own = embedding.Embedder.load()
    assert not own.plain and own.dim == 384


@pytest.mark.parametrize("name", ["/nope/model", "./models/nope", "~/no-such-model-here", "C:\\models\\nope"])
def test_a_model_path_that_is_not_there_is_named_as_missing(name: str) -> None:
    """"/nope" was read as a hub id: "Repo id must use alphanumeric chars ..." and a warning about revisions."""
    from qa.embedding import Embedder, ModelError, looks_like_path

    assert looks_like_path(name) and not looks_like_path("sentence-transformers/all-MiniLM-L6-v2")
    with pytest.raises(ModelError, match=r"there is no such folder\. Name a local sentence-transformers folder"):
        Embedder.load(name)


def test_qa_index_tells_a_rebuilds_reason_once(seed_dir, tmp_index, capsys) -> None:  # type: ignore[no-untyped-def]
    """The reason was logged before the rebuild and printed again in the summary: every notice came twice."""
    from qa import cli

    args = ["index", "--docs", str(seed_dir), "--index", str(tmp_index)]
    assert cli.main(args) == 0
    state = tmp_index / (tmp_index / "CURRENT").read_text().split()[0]
    (state / "sentences.npy").unlink()
    capsys.readouterr()
    assert cli.main(args) == 0
    out, err = capsys.readouterr()
    assert (out + err).count("damaged") == 1 and "damaged" in err, (out, err)  # on stderr, before the rebuild
    assert "documents: 1 added" in out
