"""Fast tests of the web UI's rendering, feedback and upload checks (no browser, no Gradio import)."""
from __future__ import annotations

import html
import json
import threading
import time
from dataclasses import replace
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Sequence

import pytest

from qa import ui
from qa.documents import DocumentError
from qa.evaluation import QuestionSetError
from qa.pipeline import clean_question
from qa.store import UpdateReport, safe_upload_name
from qa.types import Answer, Hit, Quote

PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "[x](javascript:window.__pwned=1)",
    "![y](javascript:alert(1))",
    "<https://evil.example>",
    "www.evil.example",
    "**bold** _em_ `code` ~~s~~ $x^2$ | a | b |",
    "&lt;script&gt;",
]
OUR_TAGS = {"div", "p", "strong", "span", "blockquote", "mark", "code", "details", "summary", "ol", "li", "br", "em"}


class TagCollector(HTMLParser):
    """Every tag and attribute in a rendered reply, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs |= {name for name, _ in attrs}

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(markup: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(markup)
    collector.close()
    return collector


def evil_answer() -> Answer:
    """An answer whose document name, quote, answer and passages all carry payloads."""
    doc = '<img src=x onerror="window.__pwned=1">.txt'
    payload = " ".join(PAYLOADS)
    text = f"The festival {payload} is held in Quillby every spring. [z](javascript:x)"
    start = text.index("Quillby")
    quote = Quote(doc, 0, len(text), text)
    hits = (Hit(doc, 0, len(text), text, score=0.9), Hit("other <b>.md", 500, 520, payload, score=0.4, page=2))
    return Answer("Where is the festival held?", "Quillby", doc, start, start + len("Quillby"), 0.81, quote, hits)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_inert_leaves_no_markup_and_shows_the_same_characters(payload: str) -> None:
    out = ui.inert(payload)
    assert not set(out) & set("<>[]()*_`~$|\\\"'")
    assert html.unescape(out) == payload
    assert parse(out).tags == []


def test_inert_keeps_the_joiners_words_and_emoji_need() -> None:
    for text in ("می\u200cخواهم", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "co\u00adoperate"):
        assert html.unescape(ui.inert(text)) == text


def test_inert_removes_blank_lines_and_invisible_controls() -> None:
    out = ui.inert("a\n\n\nb\u202eevil\u200b\x07 c")
    assert html.unescape(out) == "a bevil c"
    assert "\n" not in out


def test_reply_with_payloads_renders_only_our_tags() -> None:
    reply = ui.render_answer(evil_answer())
    found = parse(reply)
    assert set(found.tags) <= OUR_TAGS
    assert found.attrs <= {"class"}
    assert "javascript:" not in reply and "<script" not in reply and "<img" not in reply
    shown = "".join(found.text)
    assert "<script>window.__pwned=1</script>" in shown
    assert "[x](javascript:window.__pwned=1)" in shown
    assert '<img src=x onerror="window.__pwned=1">.txt' in shown


def test_answer_span_is_the_marked_text() -> None:
    ans = evil_answer()
    reply = ui.render_answer(ans)
    assert reply.count("<mark>") == 1
    marked = reply.split("<mark>")[1].split("</mark>")[0]
    assert html.unescape(marked) == "Quillby"
    assert f"characters {ans.start}–{ans.end}" in reply
    assert "confidence 0.81" in reply
    assert "<strong class=\"qa-answer\">Quillby</strong>" in reply


def test_other_passages_fold_away_without_the_answers_own_passage() -> None:
    reply = ui.render_answer(evil_answer())
    assert "<details" in reply and "Other top passages (1)" in reply
    assert "page 2" in reply and "score 0.400" in reply


def test_alternatives_fold_away_each_marked_in_its_own_sentence_and_inert() -> None:
    ans = evil_answer()
    text = ans.quote.text
    alts = tuple(Answer("", span, ans.doc, text.index(span), text.index(span) + len(span), score,
                        Quote(ans.doc, 0, len(text), text)) for span, score in (("held in Quillby", 0.4), ("spring", 0.12)))
    reply = ui.render_answer(replace(ans, alternatives=(*alts, Answer("", None))))
    found = parse(reply)
    assert set(found.tags) <= OUR_TAGS and found.attrs <= {"class"} and "<script" not in reply
    assert "Other possible answers (2)" in reply
    assert [html.unescape(m.split("</mark>")[0]) for m in reply.split("<mark>")[1:]] == ["Quillby", "held in Quillby", "spring"]
    assert "confidence 0.40" in reply and "confidence 0.12" in reply
    assert f"characters {alts[1].start}–{alts[1].end}" in reply
    assert reply.index("qa-alternatives") > reply.index("qa-source")  # below the answer and where it is from
    assert "Other possible answers" not in ui.render_answer(ans)  # none to show: no empty fold


REPORT = ("In the financial year 2023, the Northern Regional Water Authority, which serves approximately 1.2 million "
          "customers across fourteen districts, including several rural and island communities that were connected to "
          "the mains network only in the last decade after a long campaign by local councils, replaced a total of 312 "
          "kilometres of ageing cast-iron water mains, a programme that was funded jointly by the national "
          "infrastructure bank, the regional development fund and the authority's own capital reserves, and that was "
          "completed three months ahead of schedule despite an unusually wet autumn which delayed excavation work in "
          "several low-lying areas near the estuary.")


def marked(text: str, span: str, limit: int, doc_start: int = 100) -> str:
    """``highlight`` of the first ``span`` in ``text`` as the reader sees it (entities turned back into characters)."""
    at = doc_start + text.index(span)
    return html.unescape(ui.highlight(Quote("d.txt", doc_start, doc_start + len(text), text), at, at + len(span), limit))


def test_a_quote_that_fits_is_shown_whole() -> None:
    """A 669-character sentence under the 700 limit was cut "… near the estuar …": each side had only half the room."""
    assert len(REPORT) < ui.QUOTE_CHARS
    assert marked(REPORT, "312", ui.QUOTE_CHARS) == REPORT.replace("312", "<mark>312</mark>")


def test_a_long_quote_is_cut_at_words_and_one_sides_spare_room_goes_to_the_other() -> None:
    # 24 characters of room: the 7 before take 7, and the 17 left go after the span (half would be 12)
    assert marked("Short: ANSWER and then a long tail of words", "ANSWER", 30) == \
        "Short: <mark>ANSWER</mark> and then a long …"
    assert marked("A long head of many words that goes on before the ANSWER end.", "ANSWER", 20) == \
        "… the <mark>ANSWER</mark> end."
    assert marked("one two three four ANSWER five six seven eight", "ANSWER", 16) == "… four <mark>ANSWER</mark> five …"
    assert marked("one two three four ANSWER five six seven eight", "ANSWER", 18) == "… four <mark>ANSWER</mark> five …"
    three = marked(REPORT, "three months", ui.SNIPPET_CHARS)  # an alternative's snippet began "… ded jointly"
    assert three.startswith("… that was funded jointly by") and three.endswith("near the estuary.")


def test_the_answer_span_is_never_cut() -> None:
    assert marked("aaa bbb LONGANSWERTEXT ccc", "LONGANSWERTEXT", 5) == "… <mark>LONGANSWERTEXT</mark> …"
    assert marked("glued 312km of mains", "312", 4) == "… <mark>312</mark>…"  # no half word either side


def test_text_without_spaces_is_cut_inside_a_word_with_a_joined_ellipsis() -> None:
    """Chinese has no spaces: going back to one would leave nothing, so the cut falls inside the run."""
    text = "字" * 100 + "答案" + "字" * 100
    assert marked(text, "答案", 102) == "…" + "字" * 50 + "<mark>答案</mark>" + "字" * 50 + "…"


def test_shorten_cuts_after_a_whole_word() -> None:
    assert ui.shorten("alpha  beta\n gamma", 100) == "alpha beta gamma"
    assert ui.shorten("alpha beta gamma delta", 12) == "alpha beta …"
    assert ui.shorten("alpha betagamma", 12) == "alpha …"
    assert ui.shorten("see " + "x" * 100, 80) == "see " + "x" * 76 + "…"  # a long URL: cut inside it, not before
    snippet = ui.render_hits([Hit("d.txt", 0, len(REPORT), REPORT, 0.5)])
    assert html.unescape(snippet).split('qa-snippet">')[1].split("</span>")[0].endswith(" by local councils, …")


def test_pdf_answers_cite_their_page() -> None:
    quote = Quote("report.pdf", 10, 40, "The plant opened in 1998 in Oslo.", page=3)
    ans = Answer("When?", "1998", "report.pdf", 30, 34, 0.7, quote, ())
    assert "page 3" in ui.render_answer(ans)


def test_abstention_says_so_and_shows_closest_passages_not_a_guess() -> None:
    hits = tuple(Hit("a.txt", i * 10, i * 10 + 9, f"passage {i}", score=0.5 - i / 10) for i in range(5))
    guess = Answer("", "a wrong guess", "a.txt", 0, 5, 0.1)
    ans = Answer("What is the boiling point of water?", None, score=0.12, sources=hits, alternatives=(guess,),
                 message="the documents do not seem to answer this")
    reply = ui.render_answer(ans)
    assert "No answer found" in reply and "will not guess" in reply
    assert "<mark>" not in reply and "a wrong guess" not in reply
    assert [f"passage {i}" in reply for i in range(5)] == [True, True, True, False, False]


def test_abstention_without_documents() -> None:
    reply = ui.render_answer(Answer("q", None, message="no documents are indexed yet"))
    assert "no documents are indexed yet" in reply and "<ol" not in reply


class EchoBot:
    """Answers like QA.ask does for bad input (same clean_question), else a fixed answer."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer

    def ask(self, question: str, k: int | None = None, history: Sequence[Answer] = ()) -> Answer:
        clean_question(question, 2000)
        self.history = list(history)
        return self.answer


def test_question_errors_become_a_friendly_message() -> None:
    bot = EchoBot(evil_answer())
    for question, expected in [("   ", "please type a question"), ("x" * 2001, "please keep it to 2,000 or fewer")]:
        turn = ui.ask_turn(bot, question)
        assert turn["answer"] is None and expected in turn["error"]
        reply = ui.render_turn(turn)[1]["content"]
        assert "Sorry, I can" in reply and "Traceback" not in reply


def test_the_chat_refuses_a_question_it_would_not_ask_before_making_a_turn_of_it() -> None:
    """An empty message made a turn of its own, and a too-long one was wiped from the box it had to be shortened in;
    the chat now shows this as a warning and keeps the box (``build.submit``)."""
    h = ui.Handlers(ui.Engine(lambda: EchoBot(evil_answer())), ui.Settings(feedback=Path("unused.jsonl")))
    assert h.refusal("   ") == "Not asked: please type a question."
    assert h.refusal("x" * 2001) == "Not asked: the question is 2,001 characters long; please keep it to 2,000 or fewer."
    assert h.refusal(" ?! ") == "Not asked: the question has no words in it."
    # the box holds 20,000: a 50,000-character paste arrives cut to that, and was called "20,000 characters long"
    assert h.refusal("x" * 20_000) == ("Not asked: the question is at least 20,000 characters long (all the box "
                                       "holds); please keep it to 2,000 or fewer.")
    assert h.refusal("x" * 2000) is None and h.refusal("When was he born?") is None


def test_a_turn_hands_the_earlier_answers_to_ask_and_shows_how_a_follow_up_was_read() -> None:
    first = Answer("Who is the Taliban spokesman?", "Mohammad Naeem", score=0.5)
    earlier = [json.loads(json.dumps(ui.new_turn(first.question, first))),
               {"id": "x", "question": "?", "answer": None, "error": "empty"},  # no answer: skipped
               {"id": "y", "question": "q", "answer": {"quote": {"bad": 1}}}]  # damaged in the browser: skipped
    bot = EchoBot(replace(evil_answer(), resolved="Where is Mohammad Naeem's <b>festival</b> held?"))
    turn = ui.ask_turn(bot, "Where is his festival held?", earlier=earlier)
    assert [(a.question, a.text) for a in bot.history] == [(first.question, first.text)]
    reply = ui.render_turn(json.loads(json.dumps(turn)))[1]["content"]
    shown = parse(reply)
    assert "Read as: Where is Mohammad Naeem's <b>festival</b> held?" in "".join(shown.text)
    assert set(shown.tags) <= OUR_TAGS and "b" not in shown.tags
    assert "Read as" not in ui.render_answer(evil_answer())


def test_turns_survive_json_and_rerender_identically() -> None:
    ans = evil_answer()
    turn = json.loads(json.dumps(ui.new_turn(ans.question, ans)))
    user, reply = ui.render_turn(turn)
    assert user == {"role": "user", "content": ui.inert(ans.question)}
    assert reply == {"role": "assistant", "content": ui.render_answer(ans)}


def test_tampered_browser_state_is_dropped_or_shown_as_an_error() -> None:
    turns = ui.clean_turns([{"id": "a", "question": "<b>q</b>", "answer": {"text": 5, "quote": {"bad": 1}}},
                            "junk", {"no": "id"}, {"id": "b", "question": "q2", "answer": None, "error": None}])
    assert [t["id"] for t in turns] == ["a", "b"]
    messages = ui.render_history(turns)
    assert len(messages) == 4
    assert "could not be shown" in messages[1]["content"]
    assert "<b>" not in messages[0]["content"]
    assert ui.clean_turns("not a list") == []
    assert len(ui.clean_turns([{"id": str(i)} for i in range(ui.MAX_TURNS + 5)])) == ui.MAX_TURNS


NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
FEEDBACK_KEYS = {"id", "question", "answers", "feedback", "needs_answer", "our_answer", "doc", "start", "end", "score",
                 "time"}


def test_feedback_rows_in_the_evaluator_format() -> None:
    turn = json.loads(json.dumps(ui.new_turn("Where?", evil_answer())))
    up = ui.feedback_row(turn, liked=True, now=NOW)
    assert set(up) == FEEDBACK_KEYS
    assert (up["answers"], up["feedback"], up["needs_answer"]) == (["Quillby"], "up", False)
    assert (up["our_answer"], up["doc"], up["time"]) == ("Quillby", evil_answer().doc, "2026-01-02T03:04:05+00:00")
    assert (up["start"], up["end"]) == (evil_answer().start, evil_answer().end)
    fixed = ui.feedback_row(turn, liked=False, correction="  in   Quillby town ", now=NOW)
    assert (fixed["answers"], fixed["feedback"], fixed["needs_answer"]) == (["in Quillby town"], "down", False)
    bare = ui.feedback_row(turn, liked=False, now=NOW)
    assert (bare["answers"], bare["needs_answer"]) == ([], True)


def test_a_rated_follow_up_is_recorded_as_it_was_read() -> None:
    ans = replace(evil_answer(), question="Where is it held?", resolved="Where is the festival held?")
    row = ui.feedback_row(json.loads(json.dumps(ui.new_turn("Where is it held?", ans))), liked=True, now=NOW)
    assert (row["question"], row["asked"], row["answers"]) == ("Where is the festival held?", "Where is it held?", ["Quillby"])


def test_thumbs_up_on_an_abstention_records_an_unanswerable_question() -> None:
    turn = ui.new_turn("Boiling point?", Answer("Boiling point?", None, message="no answer"))
    row = ui.feedback_row(turn, liked=True, now=NOW)
    assert (row["answers"], row["our_answer"], row["needs_answer"]) == ([], None, False)


def test_feedback_file_loads_as_a_question_set(tmp_path: Path) -> None:
    from qa.evaluation import load_questions

    log = ui.FeedbackLog(tmp_path / "fb" / "feedback.jsonl")
    first = json.loads(json.dumps(ui.new_turn("Where?", evil_answer())))
    second = ui.new_turn("Who?", evil_answer())
    log.append(ui.feedback_row(first, liked=False, now=NOW))
    log.append(ui.feedback_row(first, liked=False, correction="Quillby", now=NOW))
    log.append(ui.feedback_row(second, liked=False, now=NOW))
    rows = [json.loads(line) for line in log.path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3 and all(set(r) == FEEDBACK_KEYS for r in rows)
    usable = load_questions(log.path)
    assert [(r["question"], r["answers"]) for r in usable] == [("Where?", ["Quillby"])]
    for later in (False, None):  # a thumbs-down without the answer, or the thumbs-up un-clicked, cancels an up
        log.append(ui.feedback_row(second, liked=True, now=NOW))
        assert [r["question"] for r in load_questions(log.path)] == ["Where?", "Who?"]
        log.append(ui.feedback_row(second, liked=later, now=NOW))
        assert [r["question"] for r in load_questions(log.path)] == ["Where?"], later
    assert json.loads(log.path.read_text(encoding="utf-8").splitlines()[-1])["feedback"] == "withdrawn"
    waiting = ui.FeedbackLog(tmp_path / "waiting.jsonl")
    waiting.append(ui.feedback_row(second, liked=False, now=NOW))  # only a thumbs-down, no right answer yet
    with pytest.raises(QuestionSetError, match="no questions with answers yet \\(1 still waiting for the right answer"):
        load_questions(waiting.path)


def test_handlers_rate_and_correct_turns_without_gradio(tmp_path: Path) -> None:
    """The app's like/correction events as plain methods: what is logged, what the user is told."""
    h = ui.Handlers(ui.Engine(lambda: EchoBot(evil_answer())).start(), ui.Settings(feedback=tmp_path / "fb.jsonl"))
    answered = json.loads(json.dumps(ui.new_turn("Where?", evil_answer())))
    refused = ui.new_turn("   ", error="please type a question")
    turns = [answered, refused]
    assert h.like(turns, True, [7, 1]) == ("", None, None, None)  # no such message: nothing happens
    assert h.like(turns, "junk", [0, 1]) == ("", None, None, None)
    assert h.like(turns, True, [3, 1])[:2] == ("Nothing to rate: that question was not answered.", False)
    kept = {answered["id"]: "Like", "gone": "Like"}  # a turn no longer shown is forgotten
    assert h.like(turns, None, 1, kept) == ("Rating withdrawn.", False, None, {})
    said = f"Thanks, noted as a good answer (in {ui.inert(str(tmp_path / 'fb.jsonl'))}, which the Evaluation tab runs as a question set)."
    assert h.like(turns, True, 1, "junk") == (said, False, None, {answered["id"]: "Like"})  # and where it went
    assert ui.FeedbackLog(ui.PROJECT_ROOT / "feedback" / "feedback.jsonl").shown == "feedback/feedback.jsonl"
    note, show, pending, kept = h.like(turns, False, [1, 1], kept)
    assert show is True and pending == answered and "the right answer to “Where?”, type it below" in html.unescape(note)
    assert kept == {answered["id"]: "Dislike"}
    assert h.correct("   ", pending) == ("Type the right answer first (or ignore the box).", False)
    assert h.correct("in Quillby", pending)[1] is True
    rows = [json.loads(line) for line in (tmp_path / "fb.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["feedback"], r["answers"]) for r in rows] == [("withdrawn", []), ("up", ["Quillby"]), ("down", []),
                                                             ("down", ["in Quillby"])]
    assert h.question_set("uploaded JSONL", None) == "Upload a JSONL question file first."
    assert [(r["question"], r["answers"]) for r in h.question_set("feedback file", None)] == [("Where?", ["in Quillby"])]
    assert len(h.question_set("example questions", None)) >= 60
    elsewhere = ui.Handlers(h.engine, ui.Settings(feedback=tmp_path / "fb.jsonl", questions=None))
    assert "--questions" in elsewhere.question_set("example questions", None)


def test_thumbs_are_kept_per_turn_for_the_turns_still_shown() -> None:
    """The chat forgot every thumb when it was redrawn for the next question or a reload."""
    first, second = ui.new_turn("Where?", evil_answer()), ui.new_turn("Who?", error="no")
    stored = {first["id"]: "Dislike", second["id"]: "Meh", "old": "Like"}  # "Meh": not ours; "old": cleared away
    assert ui.thumbs([first, second], stored) == ["Dislike", None]
    assert ui.thumbs([first, second], stored, pending=True) == ["Dislike", None, None]
    assert ui.thumbs([first], stored, pending=2) == ["Dislike", None, None]  # one per question still waiting
    assert ui.thumbs([first], ["junk"]) == [None] and ui.thumbs([], None) == []


def test_each_folder_has_its_own_chat_store_under_a_key_that_outlives_a_restart(tmp_path: Path) -> None:
    """Gradio's random key per start lost the conversation at every restart of the app."""
    assert ui.chat_key_for(ui.PROJECT_ROOT / "seeds") == "qa-chat"
    mine, other = tmp_path / "mine", tmp_path / "other"
    assert ui.chat_key_for(mine).startswith("qa-chat-mine-") and ui.chat_key_for(mine) != ui.chat_key_for(other)
    assert ui.chat_secret("qa-chat") == ui.chat_secret("qa-chat") != ui.chat_secret(ui.chat_key_for(mine))
    assert ui.prepare(ui.parser().parse_args(["--docs", str(tmp_path)])).chat_key == ui.chat_key_for(tmp_path)


def test_a_rating_that_cannot_be_saved_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--feedback naming a folder: the note said "Error", the thumb stayed selected and nothing was saved."""
    assert ui.main(["--docs", str(tmp_path), "--feedback", str(tmp_path)]) == 2
    assert "is a folder; name a file" in capsys.readouterr().err
    blocked = tmp_path / "fb.jsonl"
    blocked.mkdir()  # a folder where the file should be, made after the app started
    h = ui.Handlers(ui.Engine(lambda: EchoBot(evil_answer())).start(), ui.Settings(feedback=blocked))
    turns = [json.loads(json.dumps(ui.new_turn("Where?", evil_answer())))]
    note, show, pending, kept = h.like(turns, False, [1, 1])
    assert note.startswith(f"Not saved: the feedback file {blocked} cannot be written") and not show and pending is None
    assert kept is None  # the thumb is not kept either: it would claim a rating that was never recorded
    assert h.correct("in Quillby", turns[0])[0].startswith("Not saved")


def test_the_seed_questions_belong_to_seeds_only_and_a_folder_can_bring_its_own(tmp_path: Path) -> None:
    """Example questions about Panjshir under a user's own documents would be nonsense."""
    assert ui.own_questions(ui.PROJECT_ROOT / "seeds", None) == ui.SEED_QUESTIONS
    assert ui.own_questions(tmp_path, None) is None
    own = tmp_path / "mine.jsonl"
    own.write_text('{"question": "Where is Quillby?", "answers": ["north"]}\n', encoding="utf-8")
    assert ui.own_questions(tmp_path, str(own)) == own.resolve()
    assert ui.seed_examples(own) == ["Where is Quillby?"]
    own.write_text('{"question": ""}\n', encoding="utf-8")
    with pytest.raises(QuestionSetError, match="the question is empty"):
        ui.own_questions(tmp_path, str(own))
    own.write_text("", encoding="utf-8")
    with pytest.raises(QuestionSetError, match="no questions"):
        ui.own_questions(tmp_path, str(own))
    with pytest.raises(QuestionSetError, match="cannot read"):
        ui.own_questions(tmp_path, str(tmp_path / "missing.jsonl"))


def test_each_documents_folder_has_its_own_feedback_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Feedback rows are a question set about their documents: two folders' rows must not mix, and the file
    is the project's, wherever the app was started from."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a" / "docs").mkdir(parents=True)
    (tmp_path / "b" / "docs").mkdir(parents=True)
    seeds = ui.prepare(ui.parser().parse_args(["--docs", str(ui.PROJECT_ROOT / "seeds")]))
    mine = ui.prepare(ui.parser().parse_args(["--docs", str(tmp_path / "a" / "docs")]))
    other = ui.prepare(ui.parser().parse_args(["--docs", str(tmp_path / "b" / "docs")]))
    named = ui.prepare(ui.parser().parse_args(["--docs", "a/docs", "--feedback", "fb.jsonl"]))
    assert not isinstance(seeds, str) and not isinstance(mine, str) and not isinstance(other, str)
    assert not isinstance(named, str)
    assert seeds.feedback == ui.PROJECT_ROOT / "feedback" / "feedback.jsonl"
    assert mine.feedback.parent == other.feedback.parent == ui.PROJECT_ROOT / "feedback"
    assert mine.feedback.name.startswith("docs-") and mine.feedback != other.feedback
    assert ui.prepare(ui.parser().parse_args(["--docs", "a/docs"])).feedback == mine.feedback  # same folder, same file
    assert named.feedback == tmp_path / "fb.jsonl"


def test_the_app_refuses_bad_flags_before_serving(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ui.main(["--docs", str(tmp_path / "typo")]) == 2
    assert ui.main(["--docs", str(tmp_path), "--questions", str(tmp_path / "missing.jsonl")]) == 2
    assert ui.main(["--docs", str(tmp_path), "--k", "0"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "missing.jsonl" in err and "--k must be at least 1" in err
    for mb in ("60", "0"):  # the config's max_file_mb is 50: a 60 MB upload would pass the page and fail the index
        assert ui.main(["--docs", str(tmp_path), "--max-upload-mb", mb]) == 2
        assert "--max-upload-mb must be above 0 and at most the config's max_file_mb (50)" in capsys.readouterr().err
    assert ui.main(["--docs", str(tmp_path), "--config", str(tmp_path / "typo.json")]) == 2
    assert "config file" in capsys.readouterr().err


def test_feedback_appends_from_threads_never_interleave(tmp_path: Path) -> None:
    log = ui.FeedbackLog(tmp_path / "f.jsonl")
    row = ui.feedback_row(ui.new_turn("q" * 5000, evil_answer()), liked=True)
    threads = [threading.Thread(target=lambda: [log.append(row) for _ in range(20)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [json.loads(line)["question"] for line in log.path.read_text().splitlines()] == ["q" * 5000] * 80


@pytest.mark.parametrize("value, expected", [(True, True), ("Like", True), (False, False), ("Dislike", False),
                                             (None, None), ("", None)])
def test_like_payloads(value: object, expected: bool | None) -> None:
    assert ui.liked_value(value) is expected


def test_a_like_payload_of_another_kind_is_no_rating() -> None:
    with pytest.raises(ValueError, match="not a thumbs up or down"):
        ui.liked_value("Spam")  # a custom feedback option: neither up, down nor withdrawn


@pytest.mark.parametrize("name", ["../../x.txt", "..\\..\\x.txt", "/etc/passwd.txt", "sub/x.txt", "..", ".env.txt",
                                  "x.txt\u202e", "evil.exe", "noext", " x.txt"])
def test_unsafe_or_unsupported_upload_names_are_rejected(name: str) -> None:
    with pytest.raises(DocumentError):
        ui.check_upload(name, 10, 1000)


def test_a_name_with_an_edge_space_is_told_so_not_called_a_path() -> None:
    with pytest.raises(DocumentError, match="may not be empty or start or end with a space"):
        ui.check_upload(" spaced.txt", 10, 1000)


def test_upload_size_limits() -> None:
    ui.check_upload("ok.pdf", 1000, 1000)
    with pytest.raises(DocumentError, match="over the"):
        ui.check_upload("big.txt", 1001, 1000)
    with pytest.raises(DocumentError, match="empty"):
        ui.check_upload("empty.md", 0, 1000)
    settings = ui.Settings(feedback=Path("fb.jsonl"), max_upload_mb=20)
    assert settings.max_upload_bytes == 20_000_000 and settings.browser_upload_bytes == 20 * 2**20
    assert ui.Settings(feedback=Path("fb.jsonl"), max_upload_mb=0.5).browser_upload_bytes == 2**20


class RecordingBot:
    """Counts what reaches ``add_file`` so a rejected upload can be shown never to get there."""

    def __init__(self) -> None:
        self.added: list[str] = []

    def add_file(self, name: str, data: bytes, replace: bool = False) -> UpdateReport:
        unchanged = [name] if name in self.added else []
        self.added.append(name)
        notes = [] if unchanged or data.isascii() else [f"read {name} as Windows-1252, not UTF-8"]
        return UpdateReport(added=[] if unchanged else [name], unchanged=unchanged, embedded_passages=3,
                            seconds=0.25, messages=notes)


def test_rejected_upload_never_reaches_the_engine_and_says_why() -> None:
    bot = RecordingBot()
    line = ui.add_upload(bot, "../../x.txt", b"hello", 1000)
    assert line.startswith("✗") and "path separators" in html.unescape(line)
    assert bot.added == []
    assert ui.add_upload(bot, "notes.txt", b"hello", 1000) == "✓ notes&#46;txt: added, 3 passages embedded in 0.2 s"
    assert bot.added == ["notes.txt"]
    assert ui.add_upload(bot, "notes.txt", b"hello", 1000) == "✓ notes&#46;txt: already indexed with the same content"
    line = html.unescape(ui.add_upload(bot, "cafe.txt", "café".encode("cp1252"), 1000))
    assert line == "✓ cafe.txt: added, 3 passages embedded in 0.2 s\n- note: read cafe.txt as Windows-1252, not UTF-8"


def test_engine_upload_names_stay_inside_the_docs_folder(tmp_path: Path) -> None:
    assert safe_upload_name(tmp_path, "../../x.txt") == (tmp_path / "x.txt").resolve()


def test_a_rescan_names_what_changed_in_the_folder_inertly() -> None:
    report = UpdateReport(added=["new <b>.txt"], removed=[f"old{i}.md" for i in range(7)], unchanged=["a.txt"],
                          embedded_passages=3, seconds=0.42, messages=["index was damaged; rebuilt"])
    line = ui.rescan_line(report)
    assert set(parse(line).tags) == set() and "<b>" not in line
    shown = html.unescape(line)
    assert shown.startswith("Rescanned the folder: 1 added (new <b>.txt), 0 changed, 7 removed (old0.md, old1.md, ")
    assert "old4.md …), 1 unchanged; 3 passages embedded in 0.4 s" in shown and "old5.md" not in shown
    assert shown.endswith("- note: index was damaged; rebuilt")


def test_documents_rows_list_name_passages_and_size() -> None:
    sizes = {"a.txt": SimpleNamespace(size=512, encoding="cp1252"), "b.pdf": SimpleNamespace(size=3 * 1024 ** 2)}
    entries = {"b.pdf": {"passages": [3, 10]}, "a.txt": {"passages": [0, 3]}}
    store = SimpleNamespace(doc_entries=entries, documents=sizes)
    assert ui.documents_rows(SimpleNamespace(store=store)) == [["a.txt", 3, "512 B", ui.LEGACY_NOTE],
                                                                ["b.pdf", 7, "3.0 MB", ""]]


def test_examples_come_from_the_seed_questions() -> None:
    rows = [json.loads(line) for line in ui.SEED_QUESTIONS.read_text().splitlines() if line.strip()]
    examples = ui.seed_examples()
    assert len(examples) == 7
    answers = {r["question"]: r["answers"] for r in rows}
    assert all(answers[q] for q in examples[:6]) and answers[examples[6]] == []
    # Gradio cut "Which news agency reported the Taliban spokesman's remarks a..." before it was clicked
    assert all(len(q) <= ui.EXAMPLE_CHARS for q in examples)


def test_examples_prefer_questions_shown_whole_but_take_long_ones_rather_than_none(tmp_path: Path) -> None:
    long_one, long_two = "Which " + "very " * 12 + "long question is this?", "And " + "so " * 25 + "on?"
    own = tmp_path / "mine.jsonl"
    rows = [(long_one, ["a"]), ("Where is Quillby?", ["north"]), (long_two, ["b"]), ("Where is Quillby?", ["north"]),
            ("Who?", []), (long_one + " Really?", [])]
    own.write_text("".join(json.dumps({"question": q, "answers": a}) + "\n" for q, a in rows), encoding="utf-8")
    assert ui.seed_examples(own, answerable=2, unanswerable=1) == [long_one, "Where is Quillby?", "Who?"]
    assert ui.seed_examples(own, answerable=3, unanswerable=2) == [long_one, "Where is Quillby?", long_two, "Who?",
                                                                    long_one + " Really?"]


def test_a_question_is_answered_at_once_while_an_upload_is_embedded(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    """An upload of 20 MB embeds for minutes; the chat answers meanwhile from the documents as they were."""
    import shutil

    import qa

    docs = Path(shutil.copytree(ui.PROJECT_ROOT / "seeds", tmp_path / "docs"))
    bot = qa.load(docs=docs, index=tmp_path / "index", embedder=embedder, reader="none")
    h = ui.Handlers(ui.Engine(lambda: bot).start(), ui.Settings(feedback=tmp_path / "fb.jsonl"))
    embedding, release = threading.Event(), threading.Event()
    refresh = bot.store.refresh

    def slow_refresh() -> UpdateReport:
        embedding.set()
        release.wait(60)
        return refresh()

    bot.store.refresh = slow_refresh  # type: ignore[method-assign]
    new = tmp_path / "up" / "capital.txt"
    new.parent.mkdir()
    new.write_text("The festival of Quillby is held in Bazarak every spring.", encoding="utf-8")
    done: list[tuple] = []
    upload = threading.Thread(target=lambda: done.append(h.upload([str(new)], lambda *a, **k: None)))
    upload.start()
    try:
        assert embedding.wait(60)
        rendered, turns = h.submit("When was Ahmad Massoud born?", [])
        assert turns[-1]["answer"]["text"] == "10 July 1989" and not done  # answered while the upload waits
        assert h.submit("Where is the festival of Quillby held?", [])[1][-1]["answer"]["text"] is None
    finally:
        release.set()
        upload.join(60)
    assert done and "✓ capital.txt: added" in html.unescape(done[0][1])
    assert h.submit("Where is the festival of Quillby held?", [])[1][-1]["answer"]["text"] == "Bazarak"

def test_an_upload_reports_progress_inside_a_big_file(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    """A 1.5 MB upload (8,088 passages) sat at "0/1 files ... 0.0%" for 108 s: progress was only between files."""
    import qa

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("The lighthouse stands on a rock.\n", encoding="utf-8")
    bot = qa.load(docs=tmp_path / "docs", index=tmp_path / "index", embedder=embedder, reader="none")
    h = ui.Handlers(ui.Engine(lambda: bot).start(), ui.Settings(feedback=tmp_path / "fb.jsonl"))
    big = tmp_path / "up" / "big.txt"
    big.parent.mkdir()
    big.write_text("".join(f"Paragraph {i} says that ship {i} sailed on day {i}.\n\n" for i in range(100)), encoding="utf-8")
    calls: list[tuple[Any, str]] = []
    h.upload([str(big)], lambda value, desc="", unit="": calls.append((value, desc)))
    inside = [(value, desc) for value, desc in calls if "passages" in desc]
    assert len(inside) >= 3 and inside[-1] == ((1.0, 1), "indexing big.txt: 100 of 100 passages")
    assert all(0 < value[0] < 1 for value, _ in inside[:-1]) and "of 100 passages" in inside[0][1]
    assert bot.store.embedder.hook is None  # reporting ends with the upload


def test_engine_reports_load_failures_to_the_user() -> None:
    def broken() -> object:
        raise FileNotFoundError("no such index")

    engine = ui.Engine(broken).start()
    assert engine.wait(5)
    with pytest.raises(ui.EngineError, match="no such index"):
        engine.get()
    assert ui.Engine(lambda: "bot").start().get(5) == "bot"


def test_while_the_index_is_built_the_status_line_says_how_far_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """A first build of a 10 MB folder showed "Loading the model and the index…" for 15 minutes, and a question
    asked then waited 900 s to be told "the model is still loading"."""
    monkeypatch.setattr(ui, "STATUS_SECONDS", 0.05)
    release = threading.Event()

    def build() -> object:
        engine.note(1737, 3342)
        release.wait(10)
        return SimpleNamespace(store=SimpleNamespace(documents={"a.txt": 0}, passages=[0] * 3342,
                                                     report=SimpleNamespace(messages=[])), extractor=None,
                               cfg=SimpleNamespace(answer_threshold=0.2))

    engine = ui.Engine(build)
    engine.start()
    h = ui.Handlers(engine, ui.Settings(feedback=Path("unused.jsonl")))
    lines = h.watch_status()
    assert next(lines) == ui.inert("Building the index: 1,737 of 3,342 passages embedded (51%); answers start when "
                                   "it is done…")
    with pytest.raises(ui.EngineError, match=r"still being built \(1,737 of 3,342 passages embedded\)"):
        engine.get(0.1)
    release.set()
    assert list(lines)[-1].startswith(ui.inert("Ready · 1 document, 3,342 passages"))


def test_the_web_uis_load_reports_the_builds_progress(tmp_path: Path) -> None:
    """The engine's load tells the status line each step of a real first build, to the last passage."""
    import shutil

    docs = Path(shutil.copytree(ui.PROJECT_ROOT / "seeds", tmp_path / "seeds"))
    steps: list[tuple[int, int]] = []
    bot = ui.load_bot(str(docs), str(tmp_path / "idx"), "none", None, progress=lambda *step: steps.append(step))
    total = len(bot.store.passages)
    assert steps and steps[-1] == (total, total) and all(t == total for _, t in steps)
    assert [d for d, _ in steps] == sorted(d for d, _ in steps) and bot.store.embedder.hook is None


def test_missing_default_reader_falls_back_to_the_heuristic(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    import qa
    from qa.embedding import Embedder
    from qa.reader import ReaderError

    calls: list[str] = []

    def fake_load(**kwargs: object) -> str:
        calls.append(str(kwargs["reader"]))
        if kwargs["reader"] != "none":
            raise ReaderError("reader artifact not found")
        return "heuristic bot"

    monkeypatch.setattr(Embedder, "load", classmethod(lambda cls, name: "embedder"))
    monkeypatch.setattr(qa, "load", fake_load)
    assert ui.load_bot("seeds", "embeddings", None, None) == "heuristic bot"
    assert calls == ["None", "none"]
    assert "warning: the neural reader is not available" in capsys.readouterr().err
    with pytest.raises(ReaderError):
        ui.load_bot("seeds", "embeddings", "/models/my-reader", None)


def test_the_status_names_the_extractor_and_the_readers_precision() -> None:
    from qa.extract import HeuristicExtractor

    neural = SimpleNamespace(extractor=SimpleNamespace(reader=SimpleNamespace(precision="bf16")))
    assert ui.reader_label(neural) == "neural reader (bf16)"  # type: ignore[arg-type]
    assert ui.reader_label(SimpleNamespace(extractor=HeuristicExtractor(2))) == "heuristic extractor"  # type: ignore[arg-type]


def test_a_vanished_documents_folder_or_a_bad_question_file_gets_a_reason_not_an_error(tmp_path: Path,
                                                                                     embedder) -> None:  # type: ignore[no-untyped-def]
    """What Gradio would show as a bare "Error" badge: each becomes a line saying what went wrong."""
    import shutil

    import qa

    docs = Path(shutil.copytree(ui.PROJECT_ROOT / "seeds", tmp_path / "docs"))
    bot = qa.load(docs=docs, index=tmp_path / "index", embedder=embedder, reader="none")
    h = ui.Handlers(ui.Engine(lambda: bot).start(), ui.Settings(feedback=tmp_path / "fb.jsonl"))
    upload = tmp_path / "gradio-tmp-5f3a" / "mine.jsonl"
    upload.parent.mkdir()
    for content, says in [('{"question": "?!", "answers": []}\n', "question q1: the question has no words"),
                          ('{"question": "x"\n', "mine.jsonl:1: not JSON")]:
        upload.write_text(content, encoding="utf-8")
        table, coverage, _ = h.evaluate("uploaded JSONL", str(upload))
        shown = html.unescape(table)
        assert says in shown and "gradio-tmp-5f3a" not in shown and coverage is None, shown
    new = tmp_path / "up" / "new.txt"
    new.parent.mkdir()
    new.write_text("Bazarak is the capital of Panjshir.", encoding="utf-8")
    shutil.rmtree(docs)  # renamed or unmounted while the app runs
    _, lines, _ = h.rescan()
    assert "✗ rescan failed, the index is unchanged" in html.unescape(lines)
    _, lines, _ = h.upload([str(new), str(tmp_path / "gone.txt")], lambda *a, **k: None)
    shown = [line for line in html.unescape(lines).splitlines() if line]
    assert shown[0].startswith("✗ 'new.txt' could not be saved in ") and shown[1].startswith("✗ gone.txt: the upload could not")
    assert bot.ask("When was Ahmad Massoud born?").text == "10 July 1989"  # the index still answers


def test_a_question_shows_at_once_with_a_note_until_its_answer_comes() -> None:
    earlier = [json.loads(json.dumps(ui.new_turn("Where?", evil_answer())))]
    loading = ui.Handlers(ui.Engine(lambda: time.sleep(60)), ui.Settings(feedback=Path("unused.jsonl")))
    shown = loading.pending("<b>When?</b>", earlier)
    assert shown[:2] == ui.render_history(earlier) and shown[2] == {"role": "user", "content": ui.inert("<b>When?</b>")}
    assert shown[3]["role"] == "assistant" and "Loading the index first" in shown[3]["content"]
    assert "qa-reply" not in shown[3]["content"]  # not yet a reply: the browser tests wait for one
    ready = ui.Handlers(ui.Engine(lambda: EchoBot(evil_answer())).start(), ui.Settings(feedback=Path("unused.jsonl")))
    assert ready.engine.wait(10) and "Looking in the documents" in ready.pending("When?", [])[1]["content"]


def test_the_evaluation_tab_lists_the_worst_misses_inert(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    """Under the metrics, the misses with the stage that lost them, as report.md has them; a question set is
    a file from anyone, so its text is shown, never parsed."""
    import qa

    bot = qa.load(docs=ui.PROJECT_ROOT / "seeds", index=tmp_path / "index", embedder=embedder, reader="none")
    h = ui.Handlers(ui.Engine(lambda: bot).start(), ui.Settings(feedback=tmp_path / "fb.jsonl"))
    upload = tmp_path / "set.jsonl"
    upload.write_text('{"question": "When was Ahmad Massoud born?", "answers": ["10 July 1989"]}\n'
                      '{"question": "Who leads <b>Panjshir</b>?", "answers": ["<img src=x>"]}\n', encoding="utf-8")
    table, coverage, _ = h.evaluate("uploaded JSONL", str(upload))
    assert coverage is not None and "2 questions in" in table
    assert "**1 missed**" in table and "<b>" not in table and "<img" not in table
    assert "Who leads <b>Panjshir</b>?" in html.unescape(table) and "<img src=x>" in html.unescape(table)
    assert "When was Ahmad Massoud born" not in table.split("missed**")[1]  # answered right: not a miss



def test_a_document_is_removed_or_replaced_from_the_documents_tab_and_its_file_kept(tmp_path: Path,
                                                                                      embedder) -> None:  # type: ignore[no-untyped-def]
    """Replacing a document from the UI saved it as "ferry (2).txt", the old one still answering, and nothing
    removed one: the folder had to be edited on disk."""
    import qa

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ferry.txt").write_text("The ferry captain is Iain Gillies.\n", encoding="utf-8")
    (docs / "light.txt").write_text("The lighthouse keeper is Mary Ross.\n", encoding="utf-8")
    bot = qa.load(docs=docs, index=tmp_path / "index", embedder=embedder, reader="none")
    h = ui.Handlers(ui.Engine(lambda: bot).start(), ui.Settings(feedback=tmp_path / "fb.jsonl"))
    new = tmp_path / "up" / "ferry.txt"
    new.parent.mkdir()
    new.write_text("The ferry captain is Fiona Campbell.\n", encoding="utf-8")
    rows, said, _ = h.upload([str(new)], lambda *a, **k: None, replace=True)
    assert "replaced the previous ferry.txt, which was moved to" in html.unescape(said)
    assert [r[0] for r in rows] == ["ferry.txt", "light.txt"] and "Fiona" in (docs / "ferry.txt").read_text()
    aside = list((tmp_path / "index" / ".removed").iterdir())
    assert len(aside) == 1 and aside[0].name.endswith(" ferry.txt") and "Iain" in aside[0].read_text()
    assert bot.ask("Who is the ferry captain?", threshold=0.0).text == "Fiona Campbell"
    rows, said, _ = h.upload([str(new)], lambda *a, **k: None)  # the same content again: nothing to replace
    assert "already indexed" in said and len(list((tmp_path / "index" / ".removed").iterdir())) == 1

    rows, said, _ = h.remove("light.txt")
    assert [r[0] for r in rows] == ["ferry.txt"] and not (docs / "light.txt").exists()
    assert "light.txt: removed from the folder and the index" in html.unescape(said)
    assert any("Mary Ross" in f.read_text() for f in (tmp_path / "index" / ".removed").iterdir())
    assert h.document_names() == ["ferry.txt"] and "Mary" not in " ".join(p.text for p in bot.store.passages)
    assert "is not an indexed document" in html.unescape(h.remove("light.txt")[1])
    assert h.remove(None)[1].startswith("Choose a document to remove first.")
    assert bot.refresh().removed == []  # the set-aside files are not read back as documents


def test_opening_the_documents_tab_shows_the_folder_as_it_is_now(tmp_path: Path) -> None:
    """Another browser tab's upload left this tab's table and counts stale until a reload."""
    demo = ui.build(ui.Engine(lambda: EchoBot(evil_answer())), ui.Settings(feedback=tmp_path / "fb.jsonl"))
    config = demo.config
    props = {c["id"]: c.get("props", {}) for c in config["components"]}
    table = next(i for i, p in props.items() if p.get("elem_id") == "qa-docs")
    tab = next(i for i, p in props.items() if p.get("label") == "Documents")
    assert any((tab, "select") in [tuple(t) for t in d["targets"]] and table in d["outputs"]
               for d in config["dependencies"])


def test_a_damaged_index_rebuilt_at_load_is_told_on_the_status_line(tmp_path: Path) -> None:
    """The rebuild's reason was written to the server's log only: the page just said Ready."""
    import shutil

    docs = Path(shutil.copytree(ui.PROJECT_ROOT / "seeds", tmp_path / "seeds"))
    index = tmp_path / "idx"
    assert "note" not in ui.status_line(ui.load_bot(str(docs), str(index), "none", None))
    state = index / (index / "CURRENT").read_text().split()[0]
    data = (state / "passages.jsonl").read_bytes()
    (state / "passages.jsonl").write_bytes(data[: len(data) // 2])
    line = ui.status_line(ui.load_bot(str(docs), str(index), "none", None))
    assert line.startswith("Ready · 1 document") and " · note: " in line and "damaged" in line, line


def test_a_document_edited_on_disk_is_read_again_before_the_next_question(tmp_path: Path) -> None:
    """The chat quoted a file as it had been before it was edited, with no notice, until a manual Rescan."""
    import shutil

    docs = Path(shutil.copytree(ui.PROJECT_ROOT / "seeds", tmp_path / "seeds"))
    bot = ui.load_bot(str(docs), str(tmp_path / "idx"), "none", None)
    question = "How many villages does Panjshir province contain?"
    first = ui.ask_turn(bot, question)
    assert first["answer"]["text"] == "512" and "note" not in first
    assert bot.refresh_if_changed() is None  # nothing changed: no file is read again
    name = next(docs.iterdir()).name
    (docs / name).write_text((docs / name).read_text(encoding="utf-8").replace("512 villages", "640 villages"),
                             encoding="utf-8")
    (docs / "notes.txt").write_text("The valley road was paved in 2008.\n", encoding="utf-8")
    h = ui.Handlers(ui.Engine(lambda: bot).start(), ui.Settings(feedback=tmp_path / "fb.jsonl"))
    assert h.engine.wait(60)
    assert "reading it again first, then looking" in html.unescape(h.pending(question, [])[-1]["content"])
    turn = ui.ask_turn(bot, question)
    assert turn["answer"]["text"] == "640"
    assert turn["note"] == (f"The documents folder changed, so it was read again first: 1 added (notes.txt), "
                            f"1 changed ({name}), 0 removed.")
    reply = ui.render_turn(turn)[1]["content"]
    assert reply.startswith('<div class="qa-reply"><p class="qa-note">The documents folder changed')
    assert "note" not in ui.ask_turn(bot, question)  # read once
    assert h.pending(question, [])[-1]["content"] == '<p class="qa-pending">Looking in the documents…</p>'


def test_a_feedback_file_that_cannot_be_written_stops_the_start(tmp_path: Path) -> None:
    """The app started and said "feedback goes to ..."; only a user's first thumbs click found it could not be saved.
    (``prepare`` is what ``main`` refuses with, exit 2, before serving.)"""
    (tmp_path / "afile").write_text("x")
    refused = ui.prepare(ui.parser().parse_args(["--docs", str(tmp_path), "--feedback", str(tmp_path / "afile" / "f")]))
    assert isinstance(refused, str) and refused.startswith("the feedback file") and "cannot be written" in refused
    fresh = tmp_path / "new" / "fb.jsonl"  # a writable one is not created by the check (an empty set is an error)
    assert ui.prepare(ui.parser().parse_args(["--docs", str(tmp_path), "--feedback", str(fresh)])).feedback == fresh
    assert not fresh.exists() and not list(fresh.parent.iterdir())


def test_an_address_other_machines_can_reach_is_warned_about() -> None:
    """``--host 0.0.0.0`` started as quietly as the default, though anyone on the network could then upload and remove
    documents (there is no login)."""
    assert ui.exposure("127.0.0.1") is None and ui.exposure("localhost") is None and ui.exposure("::1") is None
    for host in ("0.0.0.0", "::", "192.168.1.20", "myhost.example"):
        assert f"--host {host} lets other machines reach this app" in (ui.exposure(host) or "")
