"""'Who is <a name>?' is answered with what the documents call that person, never with another name."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import qa
from qa.types import Answer
from qa.describe import _descriptions
from qa.question import Bearing, described


HISTORY = ("A Short History of Northwind Tools\n\n"
           "Northwind Tools was founded in 1987 in Leeds by two engineers, Margaret Holloway and Dev Chatterjee. "
           "They had met while working at British Telecom, where Holloway designed test equipment.\n\n"
           "Dev Chatterjee left the company in 2002 to start a charity that teaches electronics in schools. "
           "Margaret Holloway remained chief executive until her retirement in 2015, when she was succeeded by "
           "Tomasz Nowak, the former head of engineering.\n")


@pytest.mark.parametrize("question,name", [
    ("Who is Margaret Holloway?", "Margaret Holloway"), ("who was Naeem", "Naeem"),
    ("Who were Wang Jiawei and Nyima Gyaincain?", "Wang Jiawei and Nyima Gyaincain"),
    ("Who is Conrad of Montferrat?", "Conrad of Montferrat"), ("Who was O'Brien?", "O'Brien"),
    ("Who was Guy's rival?", None), ("Who was Guy's Rival?", None),  # a possessive asks for someone else
    ("Who is the chief executive?", None), ("Who was King of France?", None), ("Who is President Biden?", None), ("Who is Beyoncé married to?", None), ("Who is he?", None),
])
def test_which_questions_ask_who_someone_is(question: str, name: str | None) -> None:
    assert described(question) == name


@pytest.mark.parametrize("question,span,objects", [
    ("Who is Margaret Holloway?", "Tomasz Nowak", True),
    ("Who is Stephen Cook?", "Leonid Levin", True),
    ("Who is Stephen Cook?", "US researcher", False),
    ("Who is Amrullah Saleh?", "First Vice President", False),  # a title, capitalised
    ("Who is Midna?", "small imp-like creature", False),
    ("Who were Wang Jiawei and Nyima Gyaincain?", "Mainland Chinese scholars", False),
    ("Who is the chief executive?", "Margaret Holloway", False),  # asks for a name
    ("Who was King of France?", "Philip I", False),
])
def test_who_someone_is_is_not_answered_with_another_name(question: str, span: str, objects: bool) -> None:
    found = Bearing.of(question).objection("A sentence.", span)
    expected = f'the question asks for a description, but the closest answer, "{span}", is only a name or a label'
    assert found == (expected if objects else "")


def test_who_someone_is_is_not_answered_with_a_span_that_names_them() -> None:
    """The reader answered "Who is Daniel Okafor?" with "chief executive is Daniel Okafor, who joined the company
    in 2003 as a finance manager"."""
    span = "chief executive is Daniel Okafor, who joined the company"
    assert Bearing.of("Who is Daniel Okafor?").objection("A sentence.", span) == \
        f'the question asks who Daniel Okafor is, but the closest answer, "{span}", names them itself'
    assert Bearing.of("Who is Daniel?").objection("A sentence.", "Daniella's tutor") == ""  # a whole name only


@pytest.mark.parametrize("text,name,expected", [
    ("Sputnik says the Taliban spokesman Mohammad Naeem told Afghan media.", "Mohammad Naeem", ["Taliban spokesman"]),
    ("After that, he joined First Vice President Amrullah Saleh in rejecting it.", "Amrullah Saleh",
     ["First Vice President"]),
    ("Ahmad Massoud is an Afghan politician, the son of anti-Soviet military leader Ahmad Shah Massoud.",
     "Ahmad Massoud", ["an Afghan politician"]),
    ("Ahmad Massoud is an Afghan politician, the son of anti-Soviet military leader Ahmad Shah Massoud.",
     "Ahmad Shah Massoud", ["anti-Soviet military leader"]),
    ("She was succeeded by Tomasz Nowak, the former head of engineering.", "Tomasz Nowak",
     ["the former head of engineering"]),
    ("Margaret Holloway remained chief executive until her retirement in 2015.", "Margaret Holloway",
     ["chief executive"]),  # a bare role after the verb ends where a clause begins
    ("Robert Guiscard, an other Norman adventurer previously elevated to the dignity of count of Apulia as the "
     "result of his military successes, ultimately drove the Byzantines out.", "Robert Guiscard",
     ["an other Norman adventurer"]),  # a long description is cut before its clause
    ("The current chief executive is Daniel Okafor, who joined in 2003.", "Daniel Okafor",
     ["current chief executive"]),  # the role said before the name it is
    ("Orchestra\nPrincipal conductor: Luis Ortega\nLeader: Mei Tanaka", "Luis Ortega", ["Principal conductor"]),
    ("- Principal conductor: Luis Ortega", "Luis Ortega", ["Principal conductor"]),  # a list's label
    ("In 2003: Daniel Okafor joined.", "Daniel Okafor", []),  # a label of function words is no role
    ("The field began when Stephen Cook and, working independently, Leonid Levin proved it.", "Leonid Levin", []),
    ("Ahmad Massoud was born on 10 July 1989.", "Ahmad Massoud", []),  # "born" says no role
    ("It was written by the author and Jane Smith.", "Jane Smith", []),  # "author and" is no role of hers
])
def test_descriptions_are_read_off_the_sentence_that_names_the_person(text: str, name: str,
                                                                        expected: list[str]) -> None:
    start = text.index(name)
    assert [text[s:e] for s, e in _descriptions(text, start, start + len(name))] == expected


@pytest.mark.parametrize("reader", ["default", "none"])
def test_who_someone_is_is_answered_with_their_description(reader: str, tmp_path: Path, embedder,  # type: ignore[no-untyped-def]
                                                           assert_verbatim: Callable[[qa.QA, Answer], None]) -> None:
    """The reader answered "Who is Margaret Holloway?" with "Tomasz Nowak", her successor, at 0.60."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "history.txt").write_text(HISTORY, encoding="utf-8")
    bot = qa.load(docs, tmp_path / "idx", embedder=embedder, reader=reader)
    for question, expected in (("Who is Margaret Holloway?", "chief executive"),
                               ("Who was Tomasz Nowak?", "the former head of engineering")):
        ans = bot.ask(question, threshold=0.0)
        assert ans.text == expected, (question, ans.text, ans.message)
        assert_verbatim(bot, ans)
        assert all(a.score < ans.score / 5 for a in ans.alternatives if a.text in ("Tomasz Nowak", "Margaret Holloway"))


def test_who_someone_in_the_seed_article_is(bot: qa.QA, assert_verbatim: Callable[[qa.QA, Answer], None]) -> None:
    """Before, "Who is Naeem?" was answered "Panjshir"."""
    for question, expected in (("Who is Mohammad Naeem?", "Taliban spokesman"), ("Who is Naeem?", "Taliban spokesman"),
                               ("Who is Amrullah Saleh?", "First Vice President"),
                               ("Who was Ahmad Shah Massoud?", "anti-Soviet military leader")):
        ans = bot.ask(question)
        assert ans.text == expected, (question, ans.text, ans.message)
        assert_verbatim(bot, ans)
