"""'Which provinces border Panjshir to the north?' is answered with the names the text binds to the north."""
from __future__ import annotations

from collections.abc import Callable

import pytest

import qa
from qa.compass import asked_direction, bound_names, direction_candidates
from qa.types import Answer


@pytest.mark.parametrize("question,point", [
    ("Which provinces border Panjshir to the north?", "north"),
    ("Which neighbouring provinces lie south of Panjshir?", "south"),
    ("What is Panjshir's northern neighbour?", "north"),
    ("Which province lies on Panjshir's western side?", "west"),
    ("What lies north-east of the lake?", "north-east"), ("What lies North East of the lake?", "north-east"),
    ("What lies northeast of the lake?", "north-east"),
    ("Is it north or south of the lake?", None),  # two points: not one asked
    ("How long did Western Europe control Cyprus?", None), ("Who fled from southern Italy?", None),  # a place's name
    ("When was Ahmad Massoud born?", None),
])
def test_which_compass_point_a_question_asks_about(question: str, point: str | None) -> None:
    assert asked_direction(question) == point


@pytest.mark.parametrize("text,expected", [
    ("It is surrounded by Baghlan and Takhar in the north, Badakhshan and Nuristan in the east, Laghman and Kapisa "
     "in the south, and Parwan in the west.",
     [("north", "Baghlan and Takhar"), ("east", "Badakhshan and Nuristan"), ("south", "Laghman and Kapisa"),
      ("west", "Parwan")]),
    ("The county is bordered on the north by Lake Erie and to the south lies the State of New York.",
     [("north", "Lake Erie"), ("south", "State of New York")]),  # the sentence's full stop is not the name's
    ("North of the river lies Normandy, and to the east is Washington, D.C.",
     [("north", "Normandy"), ("east", "Washington, D.C.")]),
    ("Panjshir is one of the thirty-four provinces of Afghanistan, located in the northeastern part of the country.",
     []),
    ("He was born in Piyu in the province of Takhar in North-East Afghanistan.", []),
    ("In the north, Kabul's suburbs grew. In the south are the mountains.", []),  # no verb binds "Kabul"
])
def test_names_are_bound_to_the_compass_point_the_text_puts_them_at(text: str,
                                                                      expected: list[tuple[str, str]]) -> None:
    assert [(p, text[s:e]) for p, s, e in bound_names(text, 0, len(text))] == expected


@pytest.mark.parametrize("question,expected", [
    ("Which provinces border Panjshir to the north?", "Baghlan and Takhar"),
    ("Which provinces border Panjshir to the east?", "Badakhshan and Nuristan"),
    ("Which neighbouring provinces lie south of Panjshir?", "Laghman and Kapisa"),
    ("Which province lies on Panjshir's western side?", "Parwan"),
])
def test_neighbours_in_the_seed_article(question: str, expected: str, bot: qa.QA,
                                        assert_verbatim: Callable[[qa.QA, Answer], None]) -> None:
    """Before, the reader answered the north with "Parwan Province" (another sentence) and the east with "Parwan"."""
    ans = bot.ask(question)
    assert ans.text == expected, (ans.text, ans.message)
    assert_verbatim(bot, ans)
    assert "Parwan" not in {a.text for a in ans.alternatives} or expected == "Parwan"


def test_a_direction_of_a_place_no_passage_names_is_not_read_off_another_place(bot_over: Callable[..., qa.QA]) -> None:
    """The binding counts only in passages that name the question's places: Ostland's neighbours are not Westmark's."""
    bot = bot_over({"ostland.txt": "Ostland is a small county. It is bordered by Hollin in the north and by Brackwater "
                                   "in the south.\n",
                    "westmark.txt": "Westmark is a hill county known for its wool. Its main town is Fennick, and its "
                                    "rivers run to the sea.\n"})
    assert bot.ask("Which county borders Ostland to the south?").text == "Brackwater"
    snap, retriever = bot._state
    for place, expected in (("Ostland", ["Brackwater"]), ("Westmark", [])):
        focus, qvec, ranked = bot.retrieve(f"Which county borders {place} to the south?", 5, snap, retriever)
        found = direction_candidates(focus, "south", snap, ranked, [])
        assert [snap.text(c.doc)[c.start:c.end] for c in found] == expected
