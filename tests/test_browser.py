"""End-to-end tests of the web UI in a real Chromium: ``python app.py`` as a subprocess, driven by Playwright.

The app runs with its default reader (the neural one once ``qa/models/reader`` exists,
else the heuristic fallback), exactly as a user would start it. Run with
``pytest -m browser tests/test_browser.py``; needs ``apt-get install chromium``.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterator

import pytest

pytestmark = pytest.mark.browser

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ANSWER_TIMEOUT_MS = 120_000
"""The first answer waits for the model to load (seconds on a quiet machine, longer on a busy one)."""

if not CHROMIUM.exists():
    pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright  # noqa: E402

LIGHTHOUSE = ("The Skerry Point lighthouse stands on a rock north of Vardholm. "
              "The Skerry Point lighthouse was built in 1874 by the engineer Margaret Olsen. "
              "Its light can be seen from 22 nautical miles away.\n")
EVIL = ("The Zorblat festival <script>window.__pwned=1</script> is held every spring "
        '<img src=x onerror="window.__pwned=1"> [x](javascript:window.__pwned=1) in the town of Quillby. '
        "Visitors bring lanterns.\n")
EVIL_NAME = "zorblat.txt"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen | None = None,
             log: Path | None = None) -> None:
    """Poll ``check`` until it holds; fail with the app's log if the app died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"app exited with {proc.returncode} before {what}:\n{log.read_text() if log else ''}")
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}:\n{log.read_text() if log else ''}")


def serves(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """The app on a free port over a private copy of the seed documents, index and feedback file."""
    root = tmp_path_factory.mktemp("app")
    shutil.copytree(PROJECT / "seeds", root / "docs")
    port, log = free_port(), root / "app.log"
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "app.py", "--docs", str(root / "docs"), "--index", str(root / "index"),
           "--port", str(port), "--feedback", str(root / "feedback.jsonl")]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=PROJECT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for(lambda: serves(url), 120, f"{url} to serve", proc, log)
        yield SimpleNamespace(url=url, root=root, feedback=root / "feedback.jsonl", log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shared_page(app: SimpleNamespace, browser: Browser) -> Iterator[Page]:
    """One fresh browser profile for the module; loading Gradio's page per test would double the run time."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    pg = context.new_page()
    pg.goto(app.url)
    pg.wait_for_selector("#qa-question textarea")
    yield pg
    context.close()


@pytest.fixture
def page(shared_page: Page) -> Page:
    """The app's page on the Chat tab with the conversation cleared (which also empties its localStorage).

    Clear only what is there, and wait until it is gone, so each test starts from a page at rest (when Clear was
    still queued, the first test timed out once in CI: see test_a_question_asked_right_after_clear_is_answered)."""
    shared_page.get_by_role("tab", name="Chat").click()
    shown = shared_page.locator("#qa-chat .qa-reply, #qa-chat .qa-pending")
    if shown.count():
        shared_page.click("#qa-clear")
        expect(shown).to_have_count(0)
    return shared_page


def ask(page: Page, question: str) -> Locator:
    """Type a question, press Ask, and return the reply bubble once it is there."""
    before = page.locator("#qa-chat .qa-reply").count()
    page.fill("#qa-question textarea", question)
    page.click("#qa-ask")
    reply = page.locator("#qa-chat .qa-reply").nth(before)
    reply.wait_for(timeout=ANSWER_TIMEOUT_MS)
    return reply


def upload(page: Page, path: Path) -> None:
    """Add a document through the Documents tab and wait for its confirmation line."""
    page.get_by_role("tab", name="Documents").click()
    page.set_input_files("#qa-upload input[type=file]", str(path))
    expect(page.locator("#qa-docs-status")).to_contain_text(f"✓ {path.name}", timeout=ANSWER_TIMEOUT_MS)
    page.get_by_role("tab", name="Chat").click()


def test_answer_shows_highlighted_quote_and_source(page: Page, tmp_path: Path) -> None:
    reply = ask(page, "When was Ahmad Massoud born?")
    page.screenshot(path=str(tmp_path / "answer.png"), full_page=True)
    expect(reply.locator("strong.qa-answer")).to_contain_text("10 July 1989")
    expect(reply.locator("blockquote mark")).to_contain_text("10 July 1989")
    expect(reply.locator(".qa-source")).to_contain_text("panjshir_resistance_ahmad_massoud.txt")
    expect(reply.locator(".qa-confidence")).to_contain_text("confidence")
    # no copy buttons (they copied our HTML, character references and all) and no share button (it needs the hub)
    expect(page.locator("#qa-chat").get_by_role("button", name=re.compile("copy|share", re.IGNORECASE))).to_have_count(0)
    # nor the "Conversation" label Gradio pins over the chat, where it hid the top line's first words
    expect(page.locator("#qa-chat").get_by_text("Conversation", exact=True)).to_have_count(0)
    alternatives = reply.locator("details.qa-alternatives")
    expect(alternatives.locator("summary")).to_contain_text("Other possible answers")
    expect(alternatives.locator("mark").first).to_be_hidden()  # folded until asked for
    alternatives.locator("summary").click()
    expect(alternatives.locator("mark").first).to_be_visible()


def test_unanswerable_question_says_so(page: Page) -> None:
    reply = ask(page, "What is the boiling point of water?")
    expect(reply.locator(".qa-noanswer")).to_have_text("No answer found")
    expect(reply).to_contain_text("closest passages")
    expect(reply.locator("mark")).to_have_count(0)


def test_a_follow_up_question_is_read_with_the_earlier_turn(page: Page) -> None:
    expect(ask(page, "Who is the Taliban spokesman?").locator("strong.qa-answer")).to_have_text("Mohammad Naeem")
    reply = ask(page, "Which news agency reported his remarks?")
    expect(reply.locator(".qa-reading")).to_have_text("Read as: Which news agency reported Mohammad Naeem's remarks?")
    expect(reply.locator("strong.qa-answer")).to_have_text("Sputnik")


def test_uploaded_document_is_indexed_and_answered(page: Page, tmp_path: Path) -> None:
    doc = tmp_path / "lighthouse.txt"
    doc.write_text(LIGHTHOUSE, encoding="utf-8")
    page.get_by_role("tab", name="Documents").click()
    page.locator("#qa-replace input[type=checkbox]").check()  # for this upload only: it stayed ticked for the next
    upload(page, doc)
    page.get_by_role("tab", name="Documents").click()
    expect(page.locator("#qa-replace input[type=checkbox]")).not_to_be_checked()
    page.get_by_role("tab", name="Chat").click()
    expect(page.locator("#qa-status")).not_to_contain_text("Ready · 1 document,")
    reply = ask(page, "In what year was the Skerry Point lighthouse built?")
    expect(reply.locator("blockquote mark")).to_contain_text("1874")
    expect(reply.locator(".qa-source")).to_contain_text("lighthouse.txt")


def test_an_unsupported_file_in_an_upload_is_refused_alone(page: Page, tmp_path: Path) -> None:
    """A .docx among the files chosen made Gradio refuse the whole upload with a toast: the good file was lost
    with it, and the status line still told of the upload before."""
    good, bad = tmp_path / "ferry notes.txt", tmp_path / "minutes.docx"
    good.write_text("The Quillby night ferry leaves the harbour at 23:15 on Fridays.\n", encoding="utf-8")
    bad.write_bytes(b"PK\x03\x04 not really a Word file")
    page.get_by_role("tab", name="Documents").click()
    page.set_input_files("#qa-upload input[type=file]", [str(good), str(bad)])
    status = page.locator("#qa-docs-status")
    expect(status).to_contain_text("✓ ferry notes.txt", timeout=ANSWER_TIMEOUT_MS)
    expect(status).to_contain_text("minutes.docx: unsupported type .docx")
    page.get_by_role("tab", name="Chat").click()
    expect(ask(page, "When does the Quillby night ferry leave on Fridays?")).to_contain_text("23:15")


def test_a_file_dropped_into_the_folder_is_found_by_a_rescan(page: Page, app: SimpleNamespace) -> None:
    """Added while the app runs: answered after "Rescan the documents folder"; deleted: gone after the next."""
    ferry = app.root / "docs" / "ferry.txt"
    ferry.write_text("The Quillby ferry to the island of Skarn leaves every morning at 7:40.\n", encoding="utf-8")
    try:
        page.get_by_role("tab", name="Documents").click()
        page.click("#qa-rescan")
        expect(page.locator("#qa-docs-status")).to_contain_text("1 added (ferry.txt)", timeout=ANSWER_TIMEOUT_MS)
        expect(page.locator("#qa-docs")).to_contain_text("ferry.txt")
        page.get_by_role("tab", name="Chat").click()
        expect(ask(page, "When does the ferry to Skarn leave?").locator("strong.qa-answer")).to_contain_text("7:40")
    finally:
        ferry.unlink()
    page.get_by_role("tab", name="Documents").click()
    page.click("#qa-rescan")
    expect(page.locator("#qa-docs-status")).to_contain_text("1 removed (ferry.txt)", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#qa-docs")).not_to_contain_text("ferry.txt")
    page.get_by_role("tab", name="Chat").click()


def test_document_html_and_markdown_stay_inert(page: Page, app: SimpleNamespace, tmp_path: Path) -> None:
    doc = tmp_path / EVIL_NAME
    doc.write_text(EVIL, encoding="utf-8")
    upload(page, doc)
    reply = ask(page, "Where is the Zorblat festival held?")
    expect(reply).to_contain_text("<script>window.__pwned=1</script>")  # shown as text, not run
    expect(reply).to_contain_text('<img src=x onerror="window.__pwned=1"> [x](javascript:window.__pwned=1)')
    page.screenshot(path=str(tmp_path / "inert.png"), full_page=True)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#qa-chat script").count() == 0
    assert page.locator("img[onerror]").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert (app.root / "docs" / EVIL_NAME).exists()


def feedback_rows(app: SimpleNamespace) -> list[dict]:
    return [json.loads(line) for line in app.feedback.read_text().splitlines()] if app.feedback.exists() else []


def test_feedback_is_recorded_and_history_survives_reload(page: Page, app: SimpleNamespace) -> None:
    question = "Which news agency reported the Taliban spokesman's remarks about Panjshir?"
    ask(page, question)
    seen = len(feedback_rows(app))
    page.locator("#qa-chat button[aria-label='Like']").last.click()
    wait_for(lambda: len(feedback_rows(app)) > seen, 20, "the thumbs-up row")
    up = feedback_rows(app)[-1]
    assert (up["question"], up["feedback"], up["needs_answer"]) == (question, "up", False)
    assert up["answers"] == ([up["our_answer"]] if up["our_answer"] is not None else [])
    page.locator("#qa-chat button[aria-label='Dislike']").last.click()
    page.fill("#qa-correction textarea", "Sputnik")
    page.click("#qa-save-correction")
    wait_for(lambda: len(feedback_rows(app)) >= seen + 3, 20, "the thumbs-down and correction rows")
    down, fixed = feedback_rows(app)[-2:]
    assert (down["feedback"], down["answers"], down["needs_answer"]) == ("down", [], True)
    assert (fixed["feedback"], fixed["answers"], fixed["id"]) == ("down", ["Sputnik"], up["id"])
    page.reload()
    expect(page.locator("#qa-chat .qa-reply")).to_have_count(1, timeout=20_000)
    expect(page.locator("#qa-chat")).to_contain_text(question)


def test_thumbs_stay_on_their_answers_through_the_next_question_and_a_reload(page: Page) -> None:
    """Every thumb vanished when the chat was redrawn: after the next question, and after a reload."""
    ask(page, "When was Ahmad Massoud born?")
    ask(page, "Where was Ahmad Massoud born?")
    chat = page.locator("#qa-chat")
    chat.locator("button[aria-label='Dislike']").first.click()  # the first answer's
    chat.locator("button[aria-label='Like']").last.click()  # the second's
    expect(chat.locator("button[aria-label='Disliked']")).to_have_count(1)
    expect(chat.locator("button[aria-label='Liked']")).to_have_count(1)
    ask(page, "Who is Amrullah Saleh?")
    expect(chat.locator("button[aria-label='Disliked']")).to_have_count(1)
    expect(chat.locator("button[aria-label='Liked']")).to_have_count(1)
    page.reload()
    expect(page.locator("#qa-status")).to_contain_text("Ready ·", timeout=60_000)
    expect(chat.locator(".qa-reply")).to_have_count(3)
    expect(chat.locator("button[aria-label='Disliked']")).to_have_count(1)
    expect(chat.locator("button[aria-label='Liked']")).to_have_count(1)
    labels = chat.locator("button[aria-label*='ike']").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    assert labels == ["Disliked", "Like", "Dislike", "Liked", "Dislike", "Like"]  # each on its own answer
    page.click("#qa-clear")
    expect(chat.locator("button[aria-label='Liked'], button[aria-label='Disliked']")).to_have_count(0)
    page.reload()
    expect(page.locator("#qa-status")).to_contain_text("Ready ·", timeout=60_000)
    expect(chat.locator(".qa-reply")).to_have_count(0)


def test_the_note_after_a_thumb_or_a_rescan_is_read_out_by_a_screen_reader(page: Page) -> None:
    """The thanks after a thumb and the line after an upload or a rescan were plain text: nothing told a screen
    reader of them."""
    note = page.locator("#qa-feedback-note")
    expect(note).to_have_attribute("role", "status")  # a live region before its text comes, or it is not read
    ask(page, "When was Ahmad Massoud born?")
    page.locator("#qa-chat button[aria-label='Like']").last.press("Enter")
    expect(note).to_contain_text("noted as a good answer")
    expect(note).to_have_attribute("role", "status")
    page.get_by_role("tab", name="Documents").click()
    status = page.locator("#qa-docs-status")
    expect(status).to_have_attribute("role", "status")
    page.locator("#qa-rescan").press("Enter")
    expect(status).to_contain_text("Rescanned the folder", timeout=ANSWER_TIMEOUT_MS)
    expect(status).to_have_attribute("role", "status")
    page.get_by_role("tab", name="Chat").click()


def test_a_cleared_conversation_can_be_brought_back_until_the_next_question(page: Page, app: SimpleNamespace) -> None:
    """A Clear clicked by mistake lost the whole conversation, in the browser's store too, with no way back."""
    ask(page, "When was Ahmad Massoud born?")
    ask(page, "Where was he born?")
    page.locator("#qa-chat button[aria-label='Like']").last.click()
    expect(page.locator("#qa-feedback-note")).to_contain_text("noted as a good answer")  # stored before Clear takes it
    restore = page.locator("#qa-restore")
    expect(restore).to_be_hidden()
    page.click("#qa-clear")
    expect(page.locator("#qa-chat .qa-reply")).to_have_count(0)
    restore.click()
    expect(page.locator("#qa-chat .qa-reply")).to_have_count(2)
    expect(restore).to_be_hidden()
    page.reload()  # back in the browser's store as well, thumbs and all
    expect(page.locator("#qa-status")).to_contain_text("Ready ·", timeout=60_000)
    expect(page.locator("#qa-chat .qa-reply")).to_have_count(2)
    expect(page.locator("#qa-chat")).to_contain_text("Piyu")
    expect(page.locator("#qa-chat button[aria-label='Liked']")).to_have_count(1)
    reply = ask(page, "Who is he the son of?")  # still a follow-up of the restored turns
    expect(reply).to_contain_text("Ahmad Shah Massoud")
    page.click("#qa-clear")
    expect(restore).to_be_visible()
    page.fill("#qa-question textarea", "   ?!  ")  # a question that is not asked leaves the way back open
    page.click("#qa-ask")
    expect(page.get_by_text("Not asked").first).to_be_visible(timeout=20_000)
    expect(restore).to_be_visible()
    ask(page, "When was Ahmad Massoud born?")  # one that is asked starts anew
    expect(restore).to_be_hidden()
    expect(page.locator("#qa-chat .qa-reply")).to_have_count(1)


def test_a_tab_whose_conversation_another_tab_changed_says_so(page: Page) -> None:
    """Two tabs each kept the conversation they loaded, and the next question in one stored it over the other's
    without a word (last writer wins)."""
    other = opened(page.context.new_page(), page.url)
    try:
        expect(other.locator("#qa-stale")).to_have_count(0)
        ask(page, "When was Ahmad Massoud born?")
        expect(other.locator("#qa-stale")).to_be_visible(timeout=20_000)
        expect(other.locator("#qa-stale")).to_contain_text("changed in another tab")
        expect(page.locator("#qa-stale")).to_have_count(0)  # not in the tab that changed it
        other.locator("#qa-stale button").click()
        expect(other.locator("#qa-status")).to_contain_text("Ready ·", timeout=60_000)
        expect(other.locator("#qa-chat .qa-reply")).to_have_count(1)  # reloaded: the other tab's conversation
        expect(other.locator("#qa-stale")).to_have_count(0)
    finally:
        other.close()


def test_a_question_that_cannot_be_asked_is_refused_and_kept_in_the_box(page: Page) -> None:
    """It used to become a turn of its own, and a too-long question was wiped from the box."""
    long_question = "Why " + "really " * 300 + "?"
    for question, says in (("   ?!  ", "Not asked: the question has no words in it"),
                           (long_question, "characters long; please keep it to 2,000 or fewer")):
        page.fill("#qa-question textarea", question)
        page.click("#qa-ask")
        expect(page.get_by_text(says).first).to_be_visible(timeout=20_000)
        expect(page.locator("#qa-question textarea")).to_have_value(question)
        expect(page.locator("#qa-chat .qa-reply")).to_have_count(0)
        expect(page.locator("#qa-chat")).not_to_contain_text("Sorry")
    box = page.locator("#qa-question textarea").bounding_box()
    assert box is not None and box["height"] < 200, box  # it scrolls: 2,110 characters had grown it to 14 lines


def test_gradio_client_api(app: SimpleNamespace) -> None:
    from gradio_client import Client

    client = Client(app.url, verbose=False)
    rendered, answer = client.predict("When was Ahmad Massoud born?", api_name="/ask")
    assert answer["question"] == "When was Ahmad Massoud born?"
    assert set(answer) >= {"text", "doc", "start", "end", "score", "quote", "sources"}
    assert 'class="qa-reply"' in rendered
    with pytest.raises(Exception, match="please type a question"):
        client.predict("  ", api_name="/ask")
    assert "Traceback" not in app.log.read_text()  # a refusal is the caller's answer, not a crash in the server log
    _, first = client.predict("Who is the Taliban spokesman?", api_name="/ask")
    _, follow = client.predict("Which news agency reported his remarks?", [first], api_name="/ask_follow_up")
    assert (follow["resolved"], follow["text"]) == ("Which news agency reported Mohammad Naeem's remarks?", "Sputnik")


def test_evaluation_tab_scores_an_uploaded_question_set(page: Page, tmp_path: Path) -> None:
    questions = tmp_path / "three.jsonl"
    rows = [{"question": "Which news agency reported the Taliban spokesman's remarks about Panjshir?",
             "answers": ["Sputnik"]},
            {"question": "When was Ahmad Massoud born?", "answers": ["10 July 1989"]},
            {"question": "What is the boiling point of water?", "answers": []}]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    page.get_by_role("tab", name="Evaluation").click()
    page.get_by_label("feedback file").check()
    page.set_input_files("#qa-eval-file input[type=file]", str(questions))
    expect(page.get_by_label("uploaded JSONL")).to_be_checked()  # the dropped file is the set that runs
    page.click("#qa-run-eval")
    table = page.locator("#qa-eval-table table")
    expect(table).to_contain_text("n_answerable", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#qa-eval-table")).to_contain_text("3 questions")
    expect(page.locator("#qa-eval-table")).to_contain_text("missed")  # "No question missed." or the misses listed
    for plot in ("#qa-plot-coverage img", "#qa-plot-confidence img"):
        expect(page.locator(plot)).to_be_visible()
        assert page.locator(plot).evaluate("img => img.complete && img.naturalWidth > 0")
    # named for a screen reader, which skipped them as decoration (alt="")
    expect(page.get_by_role("img", name=re.compile(r"^Plot: the accuracy of the answers"))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"^Plot: how the confidence of right answers"))).to_be_visible()


def test_the_documents_table_fits_a_phone(app: SimpleNamespace, browser: Browser) -> None:
    """At 390 px only the name column showed: passages, size and note were off to the right of the table; at 375 px
    the headers broke inside words."""
    context = browser.new_context(viewport={"width": 375, "height": 900})
    try:
        pg = context.new_page()
        pg.goto(app.url)
        expect(pg.locator("#qa-status")).to_contain_text("Ready ·", timeout=60_000)
        pg.get_by_role("tab", name="Documents").click()
        table = pg.locator("#qa-docs")
        expect(table.locator("td").first).to_contain_text(".txt")
        edge = table.bounding_box()
        heads = table.locator("th")
        assert edge is not None and heads.count() >= 4
        for i in range(heads.count()):
            box = heads.nth(i).bounding_box()
            assert box is not None and box["x"] + box["width"] <= edge["x"] + edge["width"] + 1, (i, box, edge)
        # and each header on one line: at 375 px "passages" and "size" broke inside the word ("passage s", "siz e")
        assert table.locator("th .header").evaluate_all(LINES_JS) == [1] * heads.count()
    finally:
        context.close()



def test_the_chat_grows_with_the_window(page: Page) -> None:
    """At 1920x1080 a fixed 520 px chat left a third of the screen empty; on a phone it keeps a usable height."""
    page.fill("#qa-question textarea", "")  # an earlier test's text left in the shared page made the box taller
    try:
        for width, height, least in ((1920, 1080, 750), (375, 700, 400)):
            page.set_viewport_size({"width": width, "height": height})
            chat = page.locator("#qa-chat").bounding_box()
            box = page.locator("#qa-question textarea").bounding_box()
            assert chat is not None and box is not None and chat["height"] >= least, (width, chat)
            if width > 1000:  # the question box stays in view below it
                assert box["y"] + box["height"] <= height, (width, box)
    finally:
        page.set_viewport_size({"width": 1200, "height": 1000})


LINES_JS = """(els) => els.map((el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
})"""
"""How many lines each element's text takes."""

CONTRAST_JS = """(el) => {
  const rgb = (s) => s.match(/[\\d.]+/g).map(Number);
  const chain = [];
  for (let e = el; e; e = e.parentElement) {
    const s = getComputedStyle(e);
    chain.push({opacity: Number(s.opacity), bg: rgb(s.backgroundColor)});
  }
  const solid = (c) => c.bg.length === 3 || c.bg[3] === 1;
  const top = chain.map((c) => c.opacity < 1).lastIndexOf(true);  // the outermost translucent element
  const alpha = chain.reduce((a, c) => a * c.opacity, 1);
  const under = (chain.slice(top + 1).find(solid) || {bg: [255, 255, 255]}).bg;
  const blend = (c) => c.slice(0, 3).map((v, k) => alpha * v + (1 - alpha) * under[k]);
  const own = chain.findIndex(solid);
  const bg = own >= 0 && own <= top ? blend(chain[own].bg) : (own >= 0 ? chain[own].bg : under).slice(0, 3);
  const lum = (c) => c.map((v) => v / 255).map((v) => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
                      .reduce((sum, v, k) => sum + v * [0.2126, 0.7152, 0.0722][k], 0);
  const [hi, lo] = [lum(blend(rgb(getComputedStyle(el).color))), lum(bg)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}"""
"""The WCAG contrast of an element's text on its background as drawn: Gradio draws chat messages at opacity 0.8,
so text and any background inside the translucent element are blended with what is under it."""

LONG_NAME = "Annual_Report_of_the_Eskerby_Regional_Tramway_Authority_2023_FINAL_APPROVED.txt"
TRAMWAY = ("In the financial year 2023, the Eskerby Regional Tramway Authority, which carries approximately 1.2 million "
           "passengers across fourteen districts, including several rural and island communities that were joined to "
           "the network only in the last decade after a long campaign by local councils, replaced a total of 312 "
           "kilometres of worn tram rails, a programme that was funded jointly by the national infrastructure bank, "
           "the regional development fund and the authority's own capital reserves, and that was completed three "
           "months ahead of schedule despite an unusually wet autumn.\n")


@contextlib.contextmanager
def page_in(browser: Browser, url: str, scheme: str, width: int, height: int) -> Iterator[Page]:
    """A fresh page of the app in the ``scheme`` colour scheme at ``width`` x ``height``, once it says Ready."""
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    try:
        pg = context.new_page()
        pg.goto(url)
        expect(pg.locator("#qa-status")).to_contain_text("Ready ·", timeout=60_000)
        yield pg
    finally:
        context.close()


def test_a_reply_is_readable_in_dark_and_light_and_fits_a_phone(app: SimpleNamespace, browser: Browser,
                                                                 tmp_path: Path) -> None:
    """In a dark browser the mark was near-white on light yellow (1.2:1) and passages grey on black; on a phone a
    long document name ran the reply out to 930 px; and a quote under the 700-character limit was cut in a word."""
    doc = tmp_path / LONG_NAME
    doc.write_text(TRAMWAY, encoding="utf-8")
    for scheme in ("dark", "light"):
        with page_in(browser, app.url, scheme, 375, 800) as pg:
            if scheme == "dark":
                assert pg.evaluate("document.body.classList.contains('dark')")  # Gradio follows the browser
                upload(pg, doc)
            reply = ask(pg, "How many kilometres of tram rails did the Eskerby Regional Tramway Authority replace?")
            expect(reply.locator("blockquote mark")).to_have_text("312")
            expect(reply.locator(".qa-source")).to_contain_text(LONG_NAME)
            expect(reply.locator("blockquote")).not_to_contain_text("…")  # the whole sentence fits the limit
            texts = reply.locator("mark, .qa-quote, .qa-source, .qa-confidence, .qa-snippet, strong")
            ratios = texts.evaluate_all(f"els => els.map((el) => [el.tagName + '.' + el.className, ({CONTRAST_JS})(el)])")
            assert len(ratios) >= 5 and min(r for _, r in ratios) >= 4.5, (scheme, ratios)
            assert reply.evaluate("r => r.scrollWidth") <= min(reply.evaluate("r => r.clientWidth"), 375), scheme


PAGE_TEXTS_JS = """(els) => els.filter((el) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && !el.closest(':disabled')
      && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
}).map((el) => {
  const s = getComputedStyle(el), size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
  const least = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;  // WCAG AA: large text needs 3:1
  return [el.textContent.trim().slice(0, 40), least, (%s)(el)];
})"""
"""Each visible text of the page, the contrast WCAG AA asks of it, and the contrast it has."""


def test_every_text_on_the_page_meets_wcag_aa_contrast_in_light_and_dark(app: SimpleNamespace,
                                                                          browser: Browser) -> None:
    """White on the orange "Ask" and "Run evaluation" was 2.8:1 (3.6:1 dark), the chosen tab's orange name 2.8:1,
    and the grey of the box's "Up to 2,000 characters.", its placeholder and the footer 1.9:1 on white."""
    for scheme in ("light", "dark"):
        with page_in(browser, app.url, scheme, 1200, 1000) as pg:
            # the page's title is its one h1: a screen reader's "next heading" found only an h2
            expect(pg.get_by_role("heading", level=1)).to_have_text("qa: answers quoted from your documents")
            for tab in ("Chat", "Evaluation"):
                pg.get_by_role("tab", name=tab).click()
                texts = pg.locator("body *").evaluate_all(PAGE_TEXTS_JS % CONTRAST_JS)
                poor = [(text, round(ratio, 2)) for text, least, ratio in texts if ratio < least]
                assert len(texts) > 5 and not poor, (scheme, tab, poor)
            pg.get_by_role("tab", name="Chat").click()
            box = pg.locator("#qa-question textarea")
            box.fill("")
            placeholder = box.evaluate("(el) => getComputedStyle(el, '::placeholder').color")
            background = box.evaluate("(el) => getComputedStyle(el).backgroundColor")
            assert contrast(placeholder, background) >= 4.5, (scheme, placeholder, background)


def test_a_focused_button_shows_a_ring_that_stands_out(app: SimpleNamespace, browser: Browser) -> None:
    """Tabbed to from the question box, "Ask" drew its focus ring in white on the white page: no sign of focus."""
    for scheme in ("light", "dark"):
        with page_in(browser, app.url, scheme, 1200, 1000) as pg:
            pg.focus("#qa-question textarea")
            pg.keyboard.press("Tab")
            ask_button = pg.locator("#qa-ask")
            expect(ask_button).to_be_focused()
            ask_button.evaluate("(el) => Promise.all(el.getAnimations().map((a) => a.finished))")  # colour eases in
            style, width, colour = ask_button.evaluate(
                "(el) => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }")
            page_colour = pg.evaluate("getComputedStyle(document.body).backgroundColor")
            assert style != "none" and float(width[:-2]) >= 2, (scheme, style, width)
            assert contrast(colour, page_colour) >= 3, (scheme, colour, page_colour)  # WCAG 1.4.11: 3:1


def contrast(one: str, other: str) -> float:
    """The WCAG contrast of two opaque CSS rgb() colours."""
    def lum(css: str) -> float:
        rgb = [int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3]]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(one), lum(other)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_a_document_is_removed_from_the_documents_tab(page: Page, app: SimpleNamespace, tmp_path: Path) -> None:
    """Uploaded from the keyboard, the focus was left on the page itself once the upload box was drawn anew."""
    doc = tmp_path / "remove_me.txt"
    doc.write_text("The Quillby ferry sails at noon every day.\n", encoding="utf-8")
    page.get_by_role("tab", name="Documents").click()
    with page.expect_file_chooser() as chooser:
        page.locator("#qa-upload button").press("Enter")
    chooser.value.set_files(str(doc))
    expect(page.locator("#qa-docs-status")).to_contain_text("✓ remove_me.txt", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#qa-upload button")).to_be_focused()
    expect(page.locator("#qa-docs")).to_contain_text("remove_me.txt")
    page.locator("#qa-remove-pick input").click()
    page.get_by_role("option", name="remove_me.txt").click()
    page.click("#qa-remove")
    expect(page.locator("#qa-docs-status")).to_contain_text("remove_me.txt: removed from the folder and the index",
                                                            timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#qa-docs")).not_to_contain_text("remove_me.txt")
    assert not (app.root / "docs" / "remove_me.txt").exists()
    assert [f.name.endswith(" remove_me.txt") for f in (app.root / "index" / ".removed").iterdir()] == [True]
    page.get_by_role("tab", name="Chat").click()


class SlowBot:
    """A real QA whose answers wait until the test lets them go: time to clear the chat or ask again while one is
    on its way, for exactly as long as the test needs (no fixed delay that a busy machine could outrun)."""

    def __init__(self, bot: object) -> None:
        self.bot = bot
        self.go, self.answered = threading.Event(), threading.Event()

    def ask(self, *args: object, **kwargs: object) -> object:
        assert self.go.wait(60), "the test never let the answer go"
        try:
            return self.bot.ask(*args, **kwargs)  # type: ignore[attr-defined]
        finally:
            self.answered.set()

    def __getattr__(self, name: str) -> object:
        return getattr(self.bot, name)


class TellingBot(SlowBot):
    """A real QA that answers at once and tells when it has answered."""

    def __init__(self, bot: object) -> None:
        super().__init__(bot)
        self.go.set()


@pytest.fixture(scope="module")
def seed_bot(tmp_path_factory: pytest.TempPathFactory, embedder: object) -> object:
    """One QA over a private copy of the seeds (the default reader) for the tests that serve the app in this
    process: they only ask, so loading the models and embedding the article once is enough."""
    import qa

    root = tmp_path_factory.mktemp("served")
    return qa.load(shutil.copytree(PROJECT / "seeds", root / "docs"), root / "index", embedder=embedder)


@contextlib.contextmanager
def served_demo(bot: object, tmp_path: Path, port: int, key: str = "qa-chat") -> Iterator[tuple[str, object]]:
    """The app in this process around ``bot`` (no second model load), at ``port``: the page's address and the app."""
    from qa import ui

    engine = ui.Engine(lambda: bot).start()  # type: ignore[arg-type, return-value]
    assert engine.wait(120)
    settings = ui.Settings(feedback=tmp_path / "feedback.jsonl", chat_key=key)
    demo = ui.build(engine, settings)
    demo.launch(server_name="127.0.0.1", server_port=port, **ui.launch_options(settings))  # as app.py launches it
    try:
        yield f"http://127.0.0.1:{port}/", demo
    finally:
        demo.close()


@contextlib.contextmanager
def served(bot: object, tmp_path: Path, port: int, key: str = "qa-chat") -> Iterator[str]:
    """``served_demo``'s address alone."""
    with served_demo(bot, tmp_path, port, key) as (url, _):
        yield url


def opened(pg: Page, url: str) -> Page:
    """The page loaded, its status ready and its stored conversation drawn: that redraw (the one load event off the
    queue) came back after a question asked at once on a busy machine and wiped its pending turn (once in CI)."""
    with pg.expect_response(lambda r: r.url.endswith("/gradio_api/run/predict"), timeout=60_000):
        pg.goto(url)
    expect(pg.locator("#qa-status")).to_contain_text("Ready ·", timeout=60_000)  # the page's load events ran
    return pg


def test_clearing_the_chat_drops_the_answer_on_its_way(browser: Browser, seed_bot: object, tmp_path: Path) -> None:
    """Clear during a pending answer emptied the chat, and then the answer landed in it (and in the stored turns)."""
    bot = SlowBot(seed_bot)
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    try:
        with served(bot, tmp_path, free_port()) as url:
            pg = opened(context.new_page(), url)
            pg.fill("#qa-question textarea", "When was Ahmad Massoud born?")
            pg.click("#qa-ask")
            expect(pg.locator("#qa-chat .qa-pending")).to_have_count(1, timeout=20_000)
            pg.click("#qa-clear")
            expect(pg.locator("#qa-chat .qa-pending")).to_have_count(0)
            bot.go.set()  # the answer comes only now, after the Clear
            assert bot.answered.wait(60)
            time.sleep(3)  # past the moment the answer would have landed
            expect(pg.locator("#qa-chat .qa-reply")).to_have_count(0)
            opened(pg, url)  # nor was it stored as a turn to come back
            expect(pg.locator("#qa-chat .qa-reply")).to_have_count(0)
            ask(pg, "Where was Ahmad Massoud born?")  # and the chat still answers
            expect(pg.locator("#qa-chat .qa-reply")).to_have_count(1)
    finally:
        context.close()


def test_what_the_server_keeps_for_a_page_goes_when_the_page_closes(browser: Browser, seed_bot: object,
                                                                    tmp_path: Path) -> None:
    """Each visit's clear count and thumbs were kept in the server for as long as it ran, one entry per page load."""
    bot = seed_bot
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    try:
        with served_demo(bot, tmp_path, free_port()) as (url, demo):
            sessions = demo.qa_sessions  # type: ignore[attr-defined]
            pg = opened(context.new_page(), url)
            ask(pg, "When was Ahmad Massoud born?")
            pg.locator("#qa-chat button[aria-label='Like']").last.click()
            pg.click("#qa-clear")
            other = opened(context.new_page(), url)
            other.click("#qa-clear")
            wait_for(lambda: len(sessions.clears) == 2 and len(sessions.rated) == 2, 20, "both pages' marks")
            pg.close()
            wait_for(lambda: len(sessions.clears) == 1 and len(sessions.rated) == 1, 60, "the closed page's marks to go")
            ask(other, "Where was Ahmad Massoud born?")  # the page still open goes on as before
            other.reload()
            wait_for(lambda: not sessions.clears and not sessions.rated, 60, "the reloaded page's old marks to go")
    finally:
        context.close()


def test_the_conversation_and_its_thumbs_survive_a_restart_of_the_app(browser: Browser, seed_bot: object,
                                                                      tmp_path: Path) -> None:
    """Gradio encrypts the browser's store with a key drawn afresh at each start: after a restart of the app the
    conversation and its thumbs were gone. Another folder's conversation is kept apart."""
    bot = seed_bot
    port = free_port()
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    try:
        with served(bot, tmp_path, port) as url:
            pg = opened(context.new_page(), url)
            ask(pg, "When was Ahmad Massoud born?")
            pg.locator("#qa-chat button[aria-label='Like']").last.click()
            expect(pg.locator("#qa-feedback-note")).to_contain_text("noted as a good answer")  # and stored
        with served(bot, tmp_path, port) as url:  # the app started again, at the same address
            opened(pg, url)
            expect(pg.locator("#qa-chat .qa-reply")).to_have_count(1)
            expect(pg.locator("#qa-chat")).to_contain_text("10 July 1989")
            expect(pg.locator("#qa-chat button[aria-label='Liked']")).to_have_count(1)
        with served(bot, tmp_path, port, key="qa-chat-other-1234abcd") as url:  # served over another folder
            expect(opened(pg, url).locator("#qa-chat .qa-reply")).to_have_count(0)
    finally:
        context.close()


def test_a_page_whose_server_stopped_says_so_and_keeps_the_question_asked(browser: Browser, seed_bot: object,
                                                                          tmp_path: Path) -> None:
    """The status line still said "Ready" after the server stopped, and a question asked then left the box (emptied as
    it was sent) and never reached the chat: it was lost."""
    bot = seed_bot
    port, question = free_port(), "When was Ahmad Massoud born?"
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    try:
        with served(bot, tmp_path, port) as url:
            pg = opened(context.new_page(), url)
            assert pg.evaluate("window.qaWatchServer()") is True
            expect(pg.locator("#qa-offline")).to_have_count(0)
        assert pg.evaluate("window.qaWatchServer()") is False  # as the page's own check every few seconds finds
        expect(pg.locator("#qa-offline")).to_contain_text("server has stopped")
        with served(bot, tmp_path, port):
            back_again(pg)
        pg.fill("#qa-question textarea", question)
        pg.click("#qa-ask")
        expect(pg.locator("#qa-offline")).to_contain_text("server has stopped", timeout=20_000)
        expect(pg.locator("#qa-question textarea")).to_have_value(question)
        with served(bot, tmp_path, port):
            back_again(pg)
            expect(pg.locator("#qa-question textarea")).to_have_value(question)  # through the page's reload
            ask(pg, question)
    finally:
        context.close()


def back_again(pg: Page) -> None:
    """Wait for the page to see its server again: it offers a reload, or Gradio has reloaded the page by itself."""
    pg.wait_for_function("() => { const bar = document.getElementById('qa-offline'); return !bar || bar.dataset.back; }",
                         timeout=30_000)
    if pg.locator("#qa-offline").count():
        expect(pg.locator("#qa-offline")).to_contain_text("runs again")
        pg.locator("#qa-offline button").click()
    expect(pg.locator("#qa-status")).to_contain_text("Ready ·", timeout=60_000)
    expect(pg.locator("#qa-offline")).to_have_count(0)


def test_a_question_asked_while_an_answer_is_on_its_way_is_asked_next(browser: Browser, seed_bot: object,
                                                                      tmp_path: Path) -> None:
    """It was dropped without a word, and the box it was typed in was wiped when the first answer came."""
    bot = SlowBot(seed_bot)
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    try:
        with served(bot, tmp_path, free_port()) as url:
            pg = opened(context.new_page(), url)
            pg.fill("#qa-question textarea", "When was Ahmad Massoud born?")
            pg.press("#qa-question textarea", "Enter")
            expect(pg.locator("#qa-chat .qa-pending")).to_have_count(1, timeout=20_000)
            pg.fill("#qa-question textarea", "Where was he born?")
            pg.press("#qa-question textarea", "Enter")
            expect(pg.locator("#qa-chat .qa-pending")).to_have_count(2, timeout=20_000)  # asked while the first waits
            expect(pg.locator("#qa-chat .qa-reply")).to_have_count(0)
            bot.go.set()  # the first answer comes only now
            expect(pg.locator("#qa-chat .qa-reply")).to_have_count(2, timeout=60_000)
            expect(pg.locator("#qa-chat .qa-pending")).to_have_count(0)
            replies = pg.locator("#qa-chat .qa-reply")
            expect(replies.nth(0)).to_contain_text("10 July 1989")
            expect(replies.nth(1)).to_contain_text("Piyu")  # read as a follow-up of the first answer
            expect(pg.locator("#qa-question textarea")).to_have_value("")
    finally:
        context.close()


def test_questions_sent_one_after_another_are_all_answered_in_order(browser: Browser, seed_bot: object,
                                                                     tmp_path: Path) -> None:
    """Sent while an answer was on its way, only the last of them was asked: the others were dropped unsaid."""
    bot = SlowBot(seed_bot)
    asked = [("When was Ahmad Massoud born?", "10 July 1989"), ("Where was he born?", "Piyu"),
             ("Which news agency reported the Taliban spokesman's remarks about Panjshir?", "Sputnik"),
             ("Who is the Taliban spokesman?", "Mohammad Naeem")]
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    try:
        with served(bot, tmp_path, free_port()) as url:
            pg = opened(context.new_page(), url)
            for question, _ in asked:  # each sent the moment the box is empty again
                pg.fill("#qa-question textarea", question)
                pg.press("#qa-question textarea", "Enter")
                expect(pg.locator("#qa-question textarea")).to_have_value("")
            expect(pg.locator("#qa-chat .qa-pending")).to_have_count(4)  # all shown while the first is answered
            expect(pg.locator("#qa-chat .qa-reply")).to_have_count(0)
            bot.go.set()  # the first answer comes only now
            expect(pg.locator("#qa-chat .qa-reply")).to_have_count(4, timeout=60_000)
            expect(pg.locator("#qa-chat .qa-pending")).to_have_count(0)
            replies = pg.locator("#qa-chat .qa-reply")
            for i, (_, answer) in enumerate(asked):
                expect(replies.nth(i)).to_contain_text(answer)
            expect(replies.nth(1)).to_contain_text("Read as")  # a follow-up of the answer before it
            expect(opened(pg, url).locator("#qa-chat .qa-reply")).to_have_count(4)  # reloaded: all four were kept
    finally:
        context.close()


@pytest.mark.parametrize("old_browser", [False, True], ids=["checkVisibility", "no-checkVisibility"])
def test_the_keyboard_focus_goes_back_to_the_question_box(browser: Browser, seed_bot: object, tmp_path: Path,
                                                          old_browser: bool) -> None:
    """A button that hid as it was pressed ("Bring back the cleared conversation", "Save correction", the chat's own
    Clear) left the focus on the page itself, so the next Tab began at the top; after "Ask" or an example question it
    stayed on the button, a Shift+Tab or more away from the box the next question is typed in. A browser without
    Element.checkVisibility (Safari before 17.4) must still ask and keep the focus."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    if old_browser:
        context.add_init_script("delete Element.prototype.checkVisibility;")
    try:
        with served(seed_bot, tmp_path, free_port()) as url:
            pg = opened(context.new_page(), url)
            box = pg.locator("#qa-question textarea")
            pg.get_by_role("button", name="What is the area of Panjshir in square kilometres?").press("Enter")
            expect(box).to_be_focused()
            expect(box).to_have_value("What is the area of Panjshir in square kilometres?")
            pg.locator("#qa-ask").press("Enter")
            expect(pg.locator("#qa-chat .qa-reply")).to_have_count(1, timeout=60_000)
            expect(box).to_be_focused()
            pg.locator("#qa-clear").press("Enter")
            pg.locator("#qa-restore").press("Enter")
            expect(pg.locator("#qa-restore")).to_be_hidden()
            expect(box).to_be_focused()
            pg.locator("#qa-chat button[aria-label='Dislike']").press("Enter")
            pg.locator("#qa-correction textarea").fill("1,500 square kilometres")
            pg.locator("#qa-save-correction").press("Enter")
            expect(pg.locator("#qa-correction")).to_be_hidden()
            expect(box).to_be_focused()
            pg.locator("#qa-chat button[aria-label='Clear']").press("Enter")
            expect(pg.locator("#qa-chat .qa-reply")).to_have_count(0)
            expect(box).to_be_focused()
    finally:
        context.close()


def test_a_question_asked_right_after_clear_is_answered(browser: Browser, seed_bot: object, tmp_path: Path) -> None:
    """Gradio starts queued events of different listeners in random order, so a question sent the instant after
    Clear could start first; Clear then counted as coming after it, and its answer was dropped as cleared."""
    bot = TellingBot(seed_bot)
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    try:
        with served(bot, tmp_path, free_port()) as url:
            pg = opened(context.new_page(), url)
            ask(pg, "Where was Ahmad Massoud born?")
            rounds = [("Which news agency reported the Taliban spokesman's remarks about Panjshir?", "Sputnik"),
                      ("When was Ahmad Massoud born?", "10 July 1989")]  # each reply lacks the other's answer
            only = """([answer]) => {  // the new answer alone: not dropped, and the cleared ones not back
                const replies = document.querySelectorAll('#qa-chat .qa-reply');
                return replies.length === 1 && !document.querySelector('#qa-chat .qa-pending')
                    && replies[0].textContent.includes(answer);
            }"""
            for question, answer in rounds * 4:  # clicked in one go, each round had an even chance of losing its answer
                pg.fill("#qa-question textarea", question)
                pg.evaluate("document.querySelector('#qa-clear').click(); document.querySelector('#qa-ask').click()")
                pg.wait_for_function(only, arg=[answer], timeout=30_000)

            def late(route: object) -> None:  # the Clear held back until the question has been answered
                bot.answered.wait(30)
                time.sleep(0.5)  # and the answer sent on its way to the page
                route.continue_()  # type: ignore[attr-defined]

            def clear_came_back(response: object) -> bool:
                return response.url.endswith("/gradio_api/run/predict")  # type: ignore[attr-defined]

            pg.route("**/gradio_api/run/predict", late)  # Clear's event, off the queue
            for question, answer in rounds:  # the server gets the question first, and must still read it as asked
                pg.fill("#qa-question textarea", question)
                bot.answered.clear()
                with pg.expect_response(clear_came_back, timeout=60_000):
                    pg.evaluate("document.querySelector('#qa-clear').click(); document.querySelector('#qa-ask').click()")
                    pg.wait_for_function(only, arg=[answer], timeout=30_000)
                time.sleep(1)  # the late Clear has come and gone (and the page has applied it)
                pg.wait_for_function(only, arg=[answer], timeout=5_000)  # and left the answer in place
    finally:
        context.close()
