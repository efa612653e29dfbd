"""A "who" question answered by a sentence that names its subject only as "he": the answer is the name."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import qa
from qa.coreference import antecedent, asked_verb, asks_passive, resolve_subjects, subject_pronoun
from qa.extract import Candidate
from qa.types import Answer

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("question,verb", [
    ("Who was born on 10 July 1989?", "born"),
    ("who joined Amrullah Saleh?", "join"),
    ("Who has officially entered politics?", "offici"),
    ("Who did he join after the surrender of Kabul?", None),  # asks for an object: "he" is not the answer
    ("Who was he married to?", None),
    ("Who is the son of Ahmad Shah Massoud?", None),
    ("Who was Guy's rival?", None),  # a name after the auxiliary: who someone is
    ("When was he born?", None),
])
def test_only_a_question_about_who_did_something_asks_for_a_subject(question: str, verb: str | None) -> None:
    assert asked_verb(question) == verb


def test_the_pronoun_must_stand_right_before_the_asked_verb() -> None:
    sentence = "In 2012, he commenced a degree at King's College, London where he obtained his bachelor's degree."
    assert subject_pronoun(sentence, "obtain") == sentence.index("he obtained")
    assert subject_pronoun(sentence, "commenc") == sentence.index("he commenced")
    assert subject_pronoun(sentence, "studi") is None
    assert subject_pronoun("The theory he described in detail is old.", "old") is None  # five words on


@pytest.mark.parametrize("question,passive", [
    ("Who was born on 10 July 1989?", True),
    ("Who was appointed CEO?", True),
    ("Who stopped Roussel?", False),
    ("Who was leading the army?", False),  # progressive, not passive
    ("Who has joined Saleh?", False),
])
def test_the_voice_of_a_subject_question(question: str, passive: bool) -> None:
    assert asks_passive(question) is passive


def test_the_pronoun_must_be_the_doer_in_the_voice_asked() -> None:
    """ "he was stopped by Alexius" says whom Alexius stopped: it does not answer "Who stopped ...?" with "he"."""
    sentence = "He tried to found a state, but he was stopped by Alexius, and later he stopped the raids."
    assert subject_pronoun(sentence, "stop") == sentence.index("he stopped")
    assert subject_pronoun(sentence, "stop", passive_voice=True) == sentence.index("he was stopped")
    assert subject_pronoun("In 2016 he has been named CEO.", "name", passive_voice=True) == 8
    assert subject_pronoun("In 2016 he has been named CEO.", "name") is None
    assert subject_pronoun("He was leading the army.", "lead") == 0  # progressive: active


@pytest.fixture(scope="module")
def memo(tmp_path_factory: pytest.TempPathFactory, embedder) -> qa.QA:  # type: ignore[no-untyped-def]
    docs = tmp_path_factory.mktemp("memo") / "docs"
    docs.mkdir()
    (docs / "memo.txt").write_text(
        "Amid heavy rain in 2021, Naeem assembled a small team in Kabul. After the fall of Kabul, he joined Saleh.\n\n"
        "After school in Iran, Massoud spent a year at Sandhurst. In 2012, he went to King's College, London where he "
        "obtained his degree.\n\nThe Taliban spokesman said so. On 5 May, he was named a successor.\n", encoding="utf-8")
    return qa.load(docs, docs.parent / "idx", embedder=embedder, reader="none")


@pytest.mark.parametrize("pronoun_before,name", [
    ("he joined", "Naeem"),  # not "Amid heavy", nor "Kabul" after a preposition
    ("he obtained", "Massoud"),  # "London where" is a place in a clause, not a subject
    ("he went", "Massoud"),
])
def test_the_antecedent_is_the_nearest_subject_like_name(memo: qa.QA, pronoun_before: str, name: str) -> None:
    snap = memo.store.snapshot
    text = snap.text("memo.txt")
    found = antecedent(snap, "memo.txt", text.index(pronoun_before))
    assert found is not None and text[found[0]:found[1]] == name


def test_a_group_named_after_the_is_passed_over_for_the_last_person_named(memo: qa.QA) -> None:
    snap = memo.store.snapshot
    text = snap.text("memo.txt")
    found = antecedent(snap, "memo.txt", text.index("he was named"))  # "The Taliban spokesman said so." before it
    assert found is not None and text[found[0]:found[1]] == "Massoud"


def test_no_name_in_reach_means_no_antecedent(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("It rained in Kabul. The roads closed. In May, he left. Nobody knew.\n", encoding="utf-8")
    bot = qa.load(docs, tmp_path / "idx", embedder=embedder, reader="none")
    snap = bot.store.snapshot
    text = snap.text("a.txt")
    assert antecedent(snap, "a.txt", text.index("he left")) is None  # "Kabul" follows "in"


@pytest.mark.parametrize("mode", ["bot", "heuristic"])
def test_who_was_born_is_answered_with_the_name_he_stands_for(
        mode: str, request: pytest.FixtureRequest, assert_verbatim: Callable[[qa.QA, Answer], None]) -> None:
    bot: qa.QA = request.getfixturevalue(mode)
    ans = bot.ask("Who was born on 10 July 1989?")
    assert ans.text == "Ahmad Massoud"
    assert ans.quote is not None and ans.quote.text.startswith("Ahmad Massoud is an Afghan politician")
    assert "He was born on 10 July 1989" in ans.quote.text  # the quote runs on to the sentence that says it
    assert "Piyu" not in [a.text for a in ans.alternatives]  # the reader's misreading of that sentence is gone
    assert_verbatim(bot, ans)


def test_a_name_in_the_same_sentence_before_the_pronoun_is_not_taken_after_a_preposition(bot: qa.QA) -> None:
    ans = bot.ask("Who joined First Vice President Amrullah Saleh in rejecting Taliban rule?")
    assert ans.text == "Massoud"  # "After the surrender of Kabul, he joined ...": before, "Kabul" at 0.74


def test_a_question_about_whom_he_joined_keeps_the_readers_answer(bot: qa.QA) -> None:
    ans = bot.ask("Who did Massoud join after the surrender of Kabul?")
    assert ans.text is not None and "Amrullah Saleh" in ans.text


def test_a_name_the_question_already_says_is_not_its_answer(memo: qa.QA) -> None:
    """ "Who named Massoud a successor?" is not answered "Massoud" (a passive "he was named" is no doer either)."""
    snap = memo.store.snapshot
    text = snap.text("memo.txt")
    span = Candidate("memo.txt", text.index("successor"), text.index("successor") + 9, 0.5)
    assert resolve_subjects("Who named Massoud a successor?", snap, [span]) == [span]
    joined = Candidate("memo.txt", text.index("Saleh"), text.index("Saleh") + 5, 0.5)
    [naeem] = resolve_subjects("Who joined Saleh?", snap, [joined])
    assert text[naeem.start:naeem.end] == "Naeem"
    assert resolve_subjects("Who joined Naeem's team?", snap, [joined]) == [joined]  # the name is the question's own


def test_a_passive_sentence_names_no_doer_and_the_question_names_no_answer(bot: qa.QA) -> None:
    """On the seed article: "On September 5, 2019, he was declared his father's successor" does not say
    who declared it, and the question's own "Ahmad Massoud" is not its answer."""
    ans = bot.ask("Who declared Ahmad Massoud his father's successor?")
    assert ans.text != "Ahmad Massoud" and "Ahmad Massoud" not in [a.text for a in ans.alternatives]
