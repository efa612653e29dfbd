"""The evaluator: SQuAD metrics by hand, calibration, JSON keys, report files, comparison."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dataclasses import replace

import qa
from qa import metrics as m
from qa.evaluation import (JSON_KEYS, Outcome, QuestionSetError, calibrate, compare, compute, load_questions,
                           question_rows, table)

ROOT = Path(__file__).resolve().parent.parent


def outcome(answers: list[str], candidate: str | None, score: float, sources: tuple[str, ...] = (),
            quote: str | None = None, qid: str = "q") -> Outcome:
    return Outcome(qid, f"question {qid}", tuple(answers), candidate, score, "d.txt", 0, 1,
                   quote if quote is not None else candidate, sources, 10.0)


@pytest.mark.parametrize("text,expected", [
    ("The Norman conquest!", "norman conquest"),
    ("  A  an THE apple ", "apple"),
    ("King's College, London", "kings college london"),
    ("“quoted”", "“quoted”"),           # SQuAD only strips ASCII punctuation
    ("theory", "theory"),               # articles only as whole words
])
def test_squad_normalisation(text: str, expected: str) -> None:
    assert m.normalize_answer(text) == expected


def test_f1_and_exact_by_hand() -> None:
    assert m.exact("the 10th century", "10th Century.") == 1.0
    # gold: [10th, and, 11th, centuries]; pred: [in, 10th, and, 11th, centuries] -> p=4/5, r=1 -> 8/9
    assert m.f1("10th and 11th centuries", "in the 10th and 11th centuries") == pytest.approx(8 / 9)
    assert m.f1("Denmark", "Norway") == 0.0
    assert m.f1("a", "the") == 1.0        # both normalise to nothing: SQuAD counts that as a match
    assert m.best(m.f1, ["France", "in France"], "France") == 1.0
    assert m.best(m.f1, [], None) == 1.0 and m.best(m.f1, [], "x") == 0.0 and m.best(m.f1, ["x"], None) == 0.0


def test_metric_table_by_hand() -> None:
    outs = [
        outcome(["Paris"], "Paris", 0.9, ("Paris is big", "x")),                     # right, rank 1
        outcome(["1066"], "in 1066 AD", 0.6, ("nothing", "year 1066 here")),          # partial, rank 2
        outcome(["Rollo"], "Rollo", 0.2, ("Rollo led",)),                             # below threshold
        outcome([], "something", 0.1),                                                # unanswerable, abstained
        outcome([], "wrong", 0.8),                                                    # unanswerable, answered
    ]
    got = compute(outs, threshold=0.5)
    assert got["em"] == pytest.approx(1 / 3)
    assert got["f1"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert got["recall_at_1"] == pytest.approx(2 / 3) and got["recall_at_k"] == 1.0
    assert got["mrr"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert got["false_abstain"] == pytest.approx(1 / 3) and got["abstain"] == 0.5
    assert got["quote_hit"] == pytest.approx(2 / 3)
    assert (got["n_answerable"], got["n_unanswerable"]) == (3, 2)
    assert set(got) == set(JSON_KEYS)


def test_a_metric_with_no_question_behind_it_is_not_a_zero() -> None:
    only_answerable = compute([outcome(["Paris"], "Paris", 0.9)], threshold=0.5)
    assert only_answerable["abstain"] is None and only_answerable["f1"] == 1.0
    assert "| abstain | n/a |" in table(only_answerable)
    only_unanswerable = compute([outcome([], "x", 0.1)], threshold=0.5)
    assert only_unanswerable["abstain"] == 1.0
    assert all(only_unanswerable[k] is None for k in ("em", "f1", "quote_hit", "recall_at_1", "false_abstain"))
    assert "| previous | current |" in compare(only_unanswerable, only_answerable)


def test_a_report_with_nothing_missed_says_so() -> None:
    from qa.evaluation import EvalResult
    from qa.report import misses

    right = [outcome(["Paris"], "Paris", 0.9), outcome([], "x", 0.1)]
    result = EvalResult(compute(right, 0.5), right, 0.5, 5)
    assert misses(result, store=None) == "## Worst misses\n\nNo question missed.\n"  # type: ignore[arg-type]


def test_calibration_on_a_tiny_synthetic_set() -> None:
    outs = [outcome(["a b"], "a b", 0.9), outcome(["c"], "c", 0.7), outcome([], "x", 0.4),
            outcome([], "y", 0.3), outcome(["d"], "wrong", 0.2)]
    threshold, best = calibrate(outs, max_false_abstain=1.0)
    assert 0.4 < threshold <= 0.7          # answers the two right ones, abstains on the rest
    assert best == pytest.approx(4 / 5)
    assert compute(outs, threshold)["abstain"] == 1.0
    capped, capped_f1 = calibrate(outs, max_false_abstain=0.0)   # may not abstain on any answerable one
    assert capped <= 0.2 and compute(outs, capped)["false_abstain"] == 0.0
    assert capped_f1 == pytest.approx(2 / 5)


def test_compare_lists_flips() -> None:
    before = {"em": 0.5, "questions": [{"id": "1", "question": "Q1", "f1": 1.0, "prediction": "a"},
                                       {"id": "2", "question": "Q2", "f1": 0.0, "prediction": "b"}]}
    after = {"em": 0.5, "questions": [{"id": "1", "question": "Q1", "f1": 0.0, "prediction": "z"},
                                      {"id": "2", "question": "Q2", "f1": 1.0, "prediction": "c"}]}
    text = compare(after, before)
    assert "right → wrong (1):\n- Q1" in text and "wrong → right (1):\n- Q2" in text


@pytest.mark.parametrize("second, says", [
    ('{"question": 5}', 'no "question" text'),
    ('{"Question": "Who?", "Answers": []}', r'no "question" text \(the keys are lower case'),
    ('["Who?", ["x"]]', r'a row is a JSON object \{...\}, not \["Who\?"'),
    ('{"question": "Who?", "answers": ["x", 5]}', "each answer is a text in quotes, not 5"),  # a number: its text
    ('{"question": "Who?", "answers": "x"}', r'"answers" is a list, even of one: write "answers": \["x"\]'),
    ('{"question": "Who?", "answers": null}', r'"answers" is a list, not null \(write \[\] for'),
    ('{"question": "Who?", "answers": [{"text": "x", "answer_start": 3}]}', 'each answer is a text: write "x", not SQuAD'),
    ('{"question": " \\t ", "answers": []}', "the question is empty"),  # found before any question is asked
    ('{"question": "Who?", "answer": ["x"]}', 'no "answers" list'),  # a typo must not make it unanswerable
    ('{"question": "Who?", "answers": ["x", "The "]}', "the answer 'The ' is empty once normalised"),  # no prediction matches it
    ('{"id": null, "question": "Who?", "answers": []}', "an id is a text or a whole number, not None"),  # was "None"
    ('{"id": "", "question": "Who?", "answers": []}', "an id is a text or a whole number, not ''"),
])
def test_bad_question_files_name_the_line(tmp_path: Path, second: str, says: str) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"question": "ok", "answers": []}\n' + second + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match=f":2: {says}"):
        load_questions(bad)


def test_a_squad_file_or_a_json_list_is_read_and_a_csv_is_told_the_format(tmp_path: Path) -> None:
    """A SQuAD .json (the benchmarks' own source) was refused line by line as "not JSON", and a CSV got one
    "not JSON (Expecting value)" per line without saying what format was wanted."""
    squad = {"version": "v2.0", "data": [{"title": "Club", "paragraphs": [{"context": "Founded in 1952.", "qas": [
        {"id": "a1", "question": "When was it founded?", "is_impossible": False,
         "answers": [{"text": "1952", "answer_start": 11}, {"text": "1952", "answer_start": 11}]},
        {"id": "a2", "question": "Who founded it?", "is_impossible": True, "answers": [],
         "plausible_answers": [{"text": "Founded", "answer_start": 0}]}]}]}]}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(squad, indent=2), encoding="utf-8")
    assert load_questions(path) == [{"id": "a1", "question": "When was it founded?", "answers": ["1952"]},
                                    {"id": "a2", "question": "Who founded it?", "answers": []}]
    path.write_text(json.dumps([{"question": "When?", "answers": ["1952"]}, {"question": "Who?"}], indent=1))
    with pytest.raises(QuestionSetError, match=r'dev.json: item 2: no "answers" list'):
        load_questions(path)
    csv = tmp_path / "q.csv"
    csv.write_text("question,answers\nWhen was it founded?,1952\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match=r"q.csv:2: not JSON .*qa eval reads JSON Lines: one"):
        load_questions(csv)


def test_every_line_that_is_not_json_is_named_at_once(tmp_path: Path) -> None:
    """Only the first was named: fixing line 3 revealed line 5, then line 8 (a browser review)."""
    good = '{"question": "ok", "answers": []}'
    bad = tmp_path / "q.jsonl"
    bad.write_text("\n".join([good, good, "{oops", good, "nope", good, good, "{", good]) + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match=r"q.jsonl:3: not JSON .*; .*q.jsonl:5: not JSON .*; .*q.jsonl:8: not JSON"):
        load_questions(bad)
    bad.write_text("\n".join(["{"] * 8) + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match=r"q.jsonl:5: not JSON \([^)]*\); and 3 more such lines\. qa eval reads JSON Lines"):
        load_questions(bad)


def test_ids_given_to_rows_without_one_never_take_a_given_id(tmp_path: Path) -> None:
    """The row on line 3 without an id was "q3", then replaced by line 4's "q3": two questions became one."""
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": 2, "question": "A?", "answers": ["x"]}\n{"id": 3, "question": "B?", "answers": []}\n'
                    '{"question": "C?", "answers": []}\n{"id": "q3", "question": "D?", "answers": ["y"]}\n', "utf-8")
    rows = load_questions(path)
    assert [r["question"] for r in rows] == ["A?", "B?", "C?", "D?"]
    assert len({str(r["id"]) for r in rows}) == 4
    path.write_text('{"id": 2, "question": "A?", "answers": ["x"]}\n{"id": 2, "question": "B?", "answers": []}\n', "utf-8")
    with pytest.raises(QuestionSetError, match=r"q.jsonl:2: id 2 is taken by .*q.jsonl:1"):
        load_questions(path)  # before, the first was silently dropped


def test_rows_given_in_memory_are_checked_as_a_file_is() -> None:
    """``qa.evaluate([...])`` raised KeyError: 'id' for rows without one, and KeyError: 'answers' for a typo."""
    rows = [{"question": "When was Ahmad Massoud born?", "answers": ["10 July 1989"]}]
    assert question_rows(rows) == [rows[0] | {"id": "q1"}] and "id" not in rows[0]  # the caller's rows unchanged
    with pytest.raises(QuestionSetError, match='row 2: no "answers" list'):
        question_rows(rows + [{"question": "Who?", "answer": ["x"]}])


def test_evaluate_takes_rows_without_ids(bot: qa.QA) -> None:
    result = qa.evaluate([{"question": "When was Ahmad Massoud born?", "answers": ["10 July 1989"]}], bot=bot)
    assert result.metrics["f1"] == 1.0 and result.outcomes[0].id == "q1"
    with pytest.raises(ValueError, match="threshold must be a number from 0 to 1"):
        qa.evaluate([{"question": "Who?", "answers": []}], bot=bot, threshold=5)


def test_a_question_file_may_start_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "Who?", "answers": ["x"]}\n', encoding="utf-8-sig")
    assert load_questions(path)[0]["answers"] == ["x"]


@pytest.mark.parametrize("extra, says, code", [
    (["--compare", "{missing}"], "cannot read it", 1),  # a file that cannot be used: 1
    (["--compare", "{list}"], "not the output of qa eval --json", 1),
    (["--report", "{list}"], "is a file; name a folder", 1),
    (["--k", "0"], "k must be a whole number", 2),  # an argument refused: 2, as for `ask`
    (["--threshold", "1.5"], "threshold must be a number from 0 to 1", 2),
    (["--threshold", "nan"], "threshold must be a number from 0 to 1", 2),
    (["--max-false-abstain", "5"], "must be a share from 0 to 1", 2),
    (["--compare", "{foreign}"], "not the output of qa eval --json", 1),
    (["--compare", "{other_set}"], "shares no question with this question set", 1),
    (["--report", "{list}/sub"], "cannot be written", 1),  # found after the run, it lost every answer
    (["--calibrate", "--threshold", "0.2"], "leave out --threshold", 2),
    (["--calibrate", "--config", "{config}"], "needs answerable and unanswerable questions", 2),
    (["--report", "{seeds}/report"], "inside the documents folder", 2),  # its report.md was indexed next run
    (["--report", "{earlier}"], "already holds a report (written", 2),  # replaced without a word
])
def test_eval_arguments_that_would_fail_after_the_run_fail_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, extra: list[str],
        says: str, code: int) -> None:
    from qa import cli

    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "When was Ahmad Massoud born?", "answers": ["10 July 1989"]}\n', "utf-8")
    (tmp_path / "list.json").write_text("[1, 2, 3]")
    (tmp_path / "earlier").mkdir()
    (tmp_path / "earlier" / "answers.jsonl").write_text("{}\n")
    (tmp_path / "foreign.json").write_text('{"foo": 1}')
    (tmp_path / "other.json").write_text(json.dumps({"f1": 1.0, "questions": [{"id": "q1", "question": "Who?",
                                                                               "f1": 1.0, "prediction": "x"}]}))
    names = {"missing": tmp_path / "missing.json", "list": tmp_path / "list.json", "config": tmp_path / "new.json",
             "foreign": tmp_path / "foreign.json", "other_set": tmp_path / "other.json", "seeds": ROOT / "seeds",
             "earlier": tmp_path / "earlier"}
    monkeypatch.setattr(cli, "_load", lambda args: pytest.fail("the engine was loaded before the arguments were checked"))
    assert cli.main(["eval", str(questions), *(a.format(**names) for a in extra)]) == code
    assert says in capsys.readouterr().err
    assert not (tmp_path / "new.json").exists() and not (ROOT / "seeds" / "report").exists()


def test_a_question_asked_twice_is_noted_before_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture) -> None:
    """A row pasted twice counted twice in every metric without a word; a follow-up in the same words is no repeat."""
    from qa import cli

    rows = [{"question": "When was it founded?", "answers": ["1952"]}, {"question": "Who founded it?", "answers": []},
            {"question": "when was it  founded?", "answers": ["1952"]},
            {"question": "Who founded it?", "answers": [], "after": "q1"}]
    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    monkeypatch.setattr(cli, "_load", lambda args: pytest.fail("the engine was loaded before the arguments were checked"))
    assert cli.main(["eval", str(questions), "--k", "0"]) == 2  # refused before the run: the note still came first
    err = capsys.readouterr().err
    assert "qa: note: 1 question asked again in the same words (q3 repeats q1); each is asked and counted" in err


def test_the_independent_scorer_matches_questions_by_id_not_by_their_words(tmp_path: Path) -> None:
    """Two turns of a conversation set may both read "When was he born?"; one answerable, one not."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("qa_independent_score", ROOT / "benchmarks" / "independent_score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "When was he born?", "answers": ["1989"]}\n\n'
                    '{"question": "When was he born?", "answers": []}\n', encoding="utf-8")
    run = {"questions": [{"id": "a", "prediction": "1989"}, {"id": "q3", "prediction": None}]}
    assert module.score(module.question_rows(str(path)), run) == {"em": 1.0, "f1": 1.0, "abstain": 1.0}
    assert [r["id"] for r in load_questions(path)] == ["a", "q3"]  # the ids qa eval gives the rows


def test_calibrate_into_a_new_config_leaves_none_when_the_run_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa import cli

    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "Who?", "answers": ["x"]}\n{"question": "Why?", "answers": []}\n', "utf-8")
    seen: list[str] = []

    def failing_load(args: object) -> None:
        seen.append((tmp_path / "new.json").read_text())  # the run reads the new file: built-in settings
        raise ValueError("the engine failed")

    monkeypatch.setattr(cli, "_load", failing_load)
    assert cli.main(["eval", str(questions), "--calibrate", "--config", str(tmp_path / "new.json")]) == 1
    assert seen == ["{}\n"] and not (tmp_path / "new.json").exists()


def test_a_config_file_named_but_missing_is_an_error(tmp_path: Path) -> None:
    from qa.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "typo.json")


def test_a_question_ask_would_refuse_stops_the_run_before_any_is_asked() -> None:
    """Found halfway, a 3,000-character question would throw away every answer before it."""
    from types import SimpleNamespace

    from qa.evaluation import run

    asked: list[str] = []
    bot = SimpleNamespace(cfg=SimpleNamespace(max_question_chars=2000, answer_threshold=0.3),
                          ask=lambda question, **kw: asked.append(question))
    rows = [{"id": "q1", "question": "Who?", "answers": []}, {"id": "q2", "question": "x" * 3000, "answers": []}]
    with pytest.raises(QuestionSetError, match="question q2: the question is 3,000 characters long"):
        run(bot, rows)  # type: ignore[arg-type]
    with pytest.raises(QuestionSetError, match="question q1: the question has no words"):
        run(bot, [{"id": "q1", "question": "🙂 ?", "answers": []}])  # type: ignore[arg-type]
    assert asked == []


def test_a_follow_up_must_name_an_earlier_question(tmp_path: Path) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": "a", "question": "Who?", "answers": []}\n{"question": "When was he born?", "answers": [], "after": "b"}\n'
                   '{"id": "b", "question": "Who leads?", "answers": []}\n', encoding="utf-8")
    with pytest.raises(QuestionSetError, match=r':2: "after" must name the id of an earlier question'):
        load_questions(bad)


def test_a_follow_up_sees_its_chain_of_earlier_turns_as_the_chat_showed_them() -> None:
    from qa.evaluation import conversation
    from qa.types import Answer

    asked = {"a": (Answer("Who leads?", "Ahmad Massoud", score=0.5), None),
             "b": (Answer("When was he born?", "1989", score=0.05), "a"),  # below the threshold: an abstention
             "c": (Answer("Where?", "Piyu", score=0.9), "b"), "d": (Answer("Why?", "x", score=0.9), "c")}
    turns = conversation({"question": "And then?", "after": "d"}, asked, threshold=0.1)
    assert [(t.question, t.text) for t in turns] == [("When was he born?", None), ("Where?", "Piyu"), ("Why?", "x")]
    assert conversation({"question": "Alone?"}, asked, threshold=0.1) == []
    assert [t.text for t in conversation({"question": "q", "after": "b"}, asked, threshold=0.01)] == ["Ahmad Massoud", "1989"]


def test_follow_up_rows_are_asked_with_their_conversation(seed_dir: Path, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    import qa
    from qa.evaluation import evaluate, question_row

    bot = qa.load(seed_dir, tmp_path / "idx", embedder=embedder)
    rows = load_questions(ROOT / "tests" / "data" / "follow_up_questions.jsonl")
    chat = evaluate(rows, bot=bot)
    alone = evaluate([{k: v for k, v in r.items() if k != "after"} for r in rows], bot=bot)
    by_id = {o.id: o for o in chat.outcomes}
    for row in rows:
        resolved = by_id[row["id"]].extra.get("resolved")
        assert (resolved is not None) == ("after" in row), row  # every follow-up here says he/his/it/its
        assert "resolved" not in next(o for o in alone.outcomes if o.id == row["id"]).extra
    assert by_id["fu-02"].extra["resolved"] == "Which news agency reported Mohammad Naeem's remarks?"
    assert by_id["fu-14"].extra["resolved"] == "What was Panjshir's population in 2021?"  # through three turns
    assert question_row(by_id["fu-02"], chat.threshold)["resolved"] == by_id["fu-02"].extra["resolved"]
    assert question_row(by_id["fu-02"], chat.threshold)["after"] == rows[1]["after"] == "fu-01"  # the set's own field
    assert chat.metrics["f1"] >= alone.metrics["f1"]
    assert chat.metrics["abstain"] == 1.0  # "When was he born?" of two people whose birth the article does not give


def test_eval_cli_json_and_report(tmp_path: Path, seed_dir: Path) -> None:
    questions = tmp_path / "q.jsonl"
    seed = load_questions(ROOT / "tests" / "data" / "seed_questions.jsonl")
    rows = [r for r in seed if r["answers"]][:11] + [r for r in seed if not r["answers"]][:1]  # every metric defined
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    cmd = [sys.executable, "-m", "qa", "eval", str(questions), "--docs", str(seed_dir), "--index",
           str(tmp_path / "idx"), "--json", "--report", str(tmp_path / "report")]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(JSON_KEYS) <= set(data) and len(data["questions"]) == 12
    for key in JSON_KEYS[:8]:
        assert 0.0 <= data[key] <= 1.0
    for name in ("report.md", "results.json", "accuracy_vs_coverage.png", "confidence.png"):
        assert (tmp_path / "report" / name).stat().st_size > 0
    assert "failed stage" in (tmp_path / "report" / "report.md").read_text() or data["f1"] == 1.0
    recheck_quote_hit_and_recall(data, seed_dir, tmp_path / "report" / "answers.jsonl")
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert again.returncode == 2 and "already holds a report" in again.stderr and "--overwrite" in again.stderr
    assert json.loads((tmp_path / "report" / "results.json").read_text())["f1"] == data["f1"]  # left as it was
    (tmp_path / "report" / "report.md").write_text("old")
    replaced = subprocess.run(cmd + ["--overwrite"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert replaced.returncode == 0, replaced.stderr
    assert (tmp_path / "report" / "report.md").read_text() != "old"


def recheck_quote_hit_and_recall(data: dict, docs: Path, answers: Path) -> None:
    """Quote hit and recall@k re-computed from the saved rows and the documents alone match the run's own."""
    saved = [json.loads(line) for line in answers.read_text(encoding="utf-8").splitlines()]
    assert saved == data["questions"]
    answerable = [q for q in saved if q["answers"]]
    for q in saved:
        if q["prediction"] is not None:
            text = (docs / q["doc"]).read_text(encoding="utf-8")
            assert text[q["start"]:q["end"]] == q["prediction"] and q["prediction"] in q["quote"] in text
        else:
            assert q["doc"] is q["start"] is q["end"] is q["quote"] is None
        assert q["sources"] and all(end > start for _, start, end in q["sources"])
    hit = [q["prediction"] is not None and m.contains_answer(q["quote"], q["answers"]) for q in answerable]
    assert sum(hit) / len(answerable) == pytest.approx(data["quote_hit"])
    in_top = [any(m.contains_answer((docs / d).read_text(encoding="utf-8")[s:e], q["answers"]) for d, s, e in q["sources"])
              for q in answerable]
    assert sum(in_top) / len(answerable) == pytest.approx(data["recall_at_k"])


def test_compare_matches_questions_by_their_words_not_their_line() -> None:
    """One question inserted at the top of an id-less set paired every later question with another's answer."""
    rows = [{"id": f"q{i}", "question": f"Q{i}", "f1": 1.0, "prediction": "a", "answers": ["a"]} for i in (1, 2, 3)]
    before = {"f1": 1.0, "n_answerable": 3, "questions": rows}
    after = {"f1": 0.75, "n_answerable": 4, "questions": [{"id": "q1", "question": "New", "f1": 0.0, "prediction": None,
                                                           "answers": ["n"]}]
             + [r | {"id": f"q{i + 2}"} for i, r in enumerate(rows)]}
    text = compare(after, before)
    assert "right → wrong (0)" in text and "wrong → right (0)" in text
    assert "3 questions in both runs, 1 only in this one" in text
    assert "| n_answerable | 3 | 4 | +1 |" in text  # a count changes by whole questions


def test_each_extractor_has_its_own_threshold_and_calibrate_writes_that_one(tmp_path: Path, seed_dir: Path,
                                                                             capsys: pytest.CaptureFixture) -> None:
    from qa import cli
    from qa.config import load_config

    config = tmp_path / "qa.json"
    config.write_text(json.dumps({"threshold": 0.25, "heuristic_threshold": 0.75}))
    assert load_config(config).answer_threshold == 0.25
    assert load_config(config, reader="none").answer_threshold == 0.75
    questions = tmp_path / "q.jsonl"
    rows = load_questions(ROOT / "tests" / "data" / "seed_questions.jsonl")
    rows = [r for r in rows if r["answers"]][:10] + [r for r in rows if not r["answers"]][:2]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert cli.main(["eval", str(questions), "--docs", str(seed_dir), "--index", str(tmp_path / "idx"),
                     "--reader", "none", "--calibrate", "--config", str(config), "--json"]) == 0
    saved = json.loads(config.read_text())
    said = capsys.readouterr().err
    assert f"calibrated heuristic_threshold 0.7500 -> {saved['heuristic_threshold']:.4f}" in said  # the old value, to undo
    assert '"heuristic_threshold": 0.75 there again' in said
    assert saved["threshold"] == 0.25 and saved["heuristic_threshold"] != 0.75


def test_the_report_shows_the_gold_answer_where_the_sources_hold_it(bot: qa.QA) -> None:
    """"Kabul" was shown at its first place in the article ("Kabul is already moaning."), not in the sentence the
    question is about; a gold answer in other case was "not found"."""
    from qa.report import gold_location

    question = "From which city would power be de-concentrated under Massoud's proposal?"
    outcome = qa.evaluate([{"question": question, "answers": ["Kabul"]}], bot=bot).outcomes[0]
    assert "de-concentration of power from Kabul" in gold_location(bot.store, ["Kabul"], outcome.places)
    assert "Kabul is already moaning." in gold_location(bot.store, ["Kabul"])  # no sources: the first place
    assert "Swiss model" in gold_location(bot.store, ["SWISS"], outcome.places)
    assert gold_location(bot.store, ["Geneva"], outcome.places) == "not found in the documents"


def test_rows_end_at_newlines_only_and_a_line_not_utf8_is_named(tmp_path: Path) -> None:
    """str.splitlines broke a row at a U+2028 inside a string (the UI's own feedback file had one), and a
    Windows-1252 file was refused with a byte position instead of its line."""
    path = tmp_path / "q.jsonl"
    rows = [{"question": "Who is Anna\u2028Kowalska?", "answers": ["x\u0085y"]}, {"question": "Q\u2029?", "answers": []}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in rows), encoding="utf-8")
    assert [r["question"] for r in load_questions(path)] == [r["question"] for r in rows]
    path.write_bytes(b'{"question": "ok", "answers": []}\n{"question": "caf\xe9?", "answers": []}\n')
    with pytest.raises(QuestionSetError, match=r"q.jsonl:2: not UTF-8 \(byte 0xe9 at column 18\)"):
        load_questions(path)


def test_an_answer_is_found_as_whole_words_as_the_scoring_counts_it() -> None:
    text = "Can I order spare lids? Yes: the lid costs $12. Made in Porto, Portugal since 1,000 days."
    found = lambda gold: (lambda s: s and text[s[0]:s[1]])(m.find_answer(text, gold))  # noqa: E731
    assert found("lid") == "lid" and found("LIDS") == "lids"  # not "lid" inside "lids"
    assert found("Porto Portugal") == "Porto, Portugal" and found("the $12") == "12" and found("1,000") == "1,000"
    assert found("Lisbon") is None and found("Porto Spain") is None
    assert all(m.contains_answer(text, [g]) == (m.find_answer(text, g) is not None)
               for g in ("lid", "lids", "Porto Portugal", "ported", "12", "$12", "Lisbon"))


def test_a_gold_answer_in_no_document_is_not_blamed_on_retrieval(bot: qa.QA) -> None:
    """A typo in the set, or a document edited since ("1987" -> "1988"), was reported as a retrieval miss."""
    from qa.report import GOLD_MISSING, failed_stage

    result = qa.evaluate([{"question": "When was Ahmad Massoud born?", "answers": ["11 July 1998"]},
                          {"question": "Which town is the provincial capital?", "answers": ["Kabul"]}], bot=bot)
    typo, elsewhere = result.outcomes
    assert failed_stage(typo, result.threshold, bot.store) == GOLD_MISSING
    assert failed_stage(typo, result.threshold) in ("span", "retrieval", "sentence choice")  # without the documents
    assert failed_stage(elsewhere, result.threshold, bot.store) != GOLD_MISSING  # "Kabul" is in the article


def test_abstention_is_blamed_only_for_withholding_a_right_candidate(bot: qa.QA) -> None:
    """A wrong candidate the threshold withheld was reported as lost to abstention, which sent users to lower
    the threshold for an answer that would still have been wrong."""
    from qa.report import failed_stage

    result = qa.evaluate([{"question": "When was Ahmad Massoud born?", "answers": ["10 July 1989"]},
                          {"question": "When was Ahmad Massoud born?", "answers": ["Piyu"]}], bot=bot, threshold=1.0)
    right, wrong = result.outcomes
    assert right.prediction(1.0) is None and right.f1(0.0) == 1.0 and wrong.candidate == right.candidate
    assert failed_stage(right, 1.0, bot.store) == "abstention"
    assert failed_stage(wrong, 1.0, bot.store) == "span"  # "Piyu" is in the quoted sentence, not in the span


def test_a_run_off_a_terminal_logs_how_far_it_is(bot: qa.QA, monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """Without a progress bar (a log file, CI) a 2,000-question run said nothing until it ended; it now says how
    far it is every PROGRESS_SECONDS, as an index build does (0 here: every question)."""
    import logging

    from qa import embedding

    monkeypatch.setattr(embedding, "PROGRESS_SECONDS", 0.0)
    rows = [{"question": q, "answers": []} for q in ("Who is Ahmad Massoud?", "Where is Piyu?", "What is Bazarak?")]
    with caplog.at_level(logging.INFO, logger="qa"):
        qa.evaluate(rows, bot=bot, progress=False)
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("evaluating")]
    assert said == ["evaluating: 1 of 3 questions (33%)", "evaluating: 2 of 3 questions (66%)"]


def test_a_saved_run_records_its_settings_and_compare_says_what_differs(bot: qa.QA) -> None:
    """--compare of a k=1 run at another threshold, or after a document was edited, printed deltas as if
    only the code had changed."""
    rows = [{"question": "When was Ahmad Massoud born?", "answers": ["10 July 1989"]}]
    one = qa.evaluate(rows, bot=bot, k=1, threshold=0.5).to_json()
    two = qa.evaluate(rows, bot=bot).to_json()
    assert (one["k"], one["threshold"]) == (1, 0.5) and (two["k"], two["threshold"]) == (bot.cfg.k, bot.cfg.answer_threshold)
    assert one["documents"] == {name: d.sha256 for name, d in bot.store.documents.items()}
    assert "the previous run used k 1" in compare(two, one) and "threshold 0.5" in compare(two, one)
    edited = dict(two, documents={**two["documents"], "new.txt": "ab"})
    assert "documents differ between the runs: added 1 (new.txt)" in compare(edited, two)
    assert "note:" not in compare(two, two) and "1 question in both runs" in compare(two, two)


def test_evaluate_takes_k_from_the_config_as_the_cli_does(seed_copy: Path, embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "k3.json"
    config.write_text('{"k": 3}', encoding="utf-8")
    bot = qa.load(seed_copy, seed_copy.parent / "idx", embedder=embedder, config=config)
    result = qa.evaluate([{"question": "When was Ahmad Massoud born?", "answers": ["10 July 1989"]}], bot=bot)
    assert result.k == 3 and len(result.outcomes[0].sources) == 3


def test_a_calibration_no_threshold_can_meet_says_so_and_saves_nothing(tmp_path: Path) -> None:
    """It saved threshold 0 and printed "F1 over all questions -1.000"."""
    from qa.evaluation import CalibrationError, EvalResult
    from qa.report import write

    outs = [outcome(["a"], None, 0.0), outcome(["b"], "b", 0.9), outcome([], "x", 0.4), outcome(["c"], "c", 0.3)]
    with pytest.raises(CalibrationError, match="1 of 3 get no candidate answer at all"):
        calibrate(outs, max_false_abstain=0.1)
    assert calibrate(outs, max_false_abstain=0.5) == (0.0, 0.5)  # a tie goes to the lower threshold
    result = EvalResult(compute(outs, 0.5), outs, 0.5, 5)
    store = type("S", (), {"documents": {}})()
    page = write(result, store, tmp_path / "rep", max_false_abstain=0.1).read_text()  # type: ignore[arg-type]
    assert "no best threshold on this set: no threshold wrongly abstains on at most 10%" in page and "-1.000" not in page
    assert "- ours: None, withheld 'c' (confidence 0.30)" in page  # "None" alone hid what abstaining cost
    saved = json.loads((tmp_path / "rep" / "results.json").read_text())["questions"]
    assert [(q["prediction"], q["candidate"]) for q in saved] == [(None, None), ("b", "b"), (None, "x"), (None, "c")]


def test_eval_over_a_folder_with_nothing_readable_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """It asked every question, scored 0 everywhere, blamed retrieval and exited 0."""
    from qa import cli

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "empty.txt").write_text("", encoding="utf-8")
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "Who?", "answers": ["x"]}\n', encoding="utf-8")
    assert cli.main(["eval", str(questions), "--docs", str(tmp_path / "docs"), "--index", str(tmp_path / "idx")]) == 1
    assert "nothing to evaluate: no readable documents are indexed in" in capsys.readouterr().err


class Terminated(Exception):
    """What a SIGTERM the evaluator left unhandled raises here, rather than ending pytest."""


def _stop(how: str) -> None:
    if how == "ctrl-c":
        raise KeyboardInterrupt
    os.kill(os.getpid(), signal.SIGTERM)  # `timeout`, a cancelled CI job: it ended the run and lost every answer


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_ctrl_c_during_a_run_keeps_the_questions_asked_so_far(seed_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture, how: str) -> None:
    """An hour-long run stopped near its end lost every answer: now those asked are scored and reported."""
    from qa import cli
    from qa.pipeline import QA

    def terminated(signum: int, frame: object) -> None:
        raise Terminated

    before = signal.signal(signal.SIGTERM, terminated)

    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps({"question": q, "answers": a}) + "\n" for q, a in [
        ("When was Ahmad Massoud born?", ["10 July 1989"]), ("Where did he study?", []), ("Who is Naeem?", [])]))
    real_ask, calls = QA.ask, []

    def ask(self: QA, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            _stop(how)
        return real_ask(self, *args, **kwargs)

    monkeypatch.setattr(QA, "ask", ask)
    try:
        code = cli.main(["eval", str(questions), "--docs", str(seed_dir), "--index", str(tmp_path / "idx"), "--json",
                         "--report", str(tmp_path / "rep"), "--calibrate", "--config", str(tmp_path / "new.json")])
    finally:
        assert signal.signal(signal.SIGTERM, before) is terminated  # the run put back the handler it found
    out = capsys.readouterr()
    assert code == 130 and "stopped after 1 of 3 questions; the metrics and report below cover those only, and " \
                           "--calibrate saved nothing" in out.err
    data = json.loads(out.out)
    assert data["stopped_of"] == 3 and [q["prediction"] for q in data["questions"]] == ["10 July 1989"]
    assert "Stopped after 1 of 3 questions" in (tmp_path / "rep" / "report.md").read_text()
    assert not (tmp_path / "new.json").exists()


def test_report_md_shows_questions_and_quotes_verbatim_not_as_markup(bot: qa.QA) -> None:
    """Markdown read "What is 2*3*4?" as italics, "<b>" and "|" in a quote as markup, and a line break in a
    quote ended its list item."""
    from qa.evaluation import EvalResult
    from qa.report import misses

    asked = replace(outcome(["10 July 1989"], "March_2019", 0.9, quote="Since *March 2019* | <b>x</b>\n# not a heading"),
                    question="What is 2*3*4, [a](b) or `c`?")
    page = misses(EvalResult(compute([asked], 0.5), [asked], 0.5, 5), bot.store)
    assert "### What is 2\\*3\\*4, \\[a\\](b) or \\`c\\`?\n" in page
    assert "- quote: Since \\*March 2019\\* \\| \\<b\\>x\\</b\\> \\# not a heading\n" in page
    assert "- ours: 'March\\_2019' (confidence 0.90)" in page and "- gold: '10 July 1989'\n" in page
    assert "- gold is at: panjshir\\_resistance\\_ahmad\\_massoud.txt \\[" in page
    assert "read as" not in page
    follow_up = replace(asked, question="When was he born?", extra={"resolved": "When was Ahmad Massoud born?"})
    page = misses(EvalResult(compute([follow_up], 0.5), [follow_up], 0.5, 5), bot.store)  # as it was read, too
    assert "### When was he born?\n- id: q\n- read as: When was Ahmad Massoud born?\n- gold:" in page


def test_each_miss_names_its_row_and_the_report_says_when_only_the_worst_are_listed(bot: qa.QA) -> None:
    """The same question asked twice (or 2,000 questions) gave misses that could not be traced to their line, and
    a report of 25 misses out of 40 did not say the rest were left out."""
    from qa.evaluation import EvalResult
    from qa.report import misses

    asked = qa.evaluate([{"question": "When was Ahmad Massoud born?", "answers": ["1990"]}] * 2, bot=bot).outcomes
    page = misses(EvalResult(compute(asked, 0.5), asked, 0.5, 5), bot.store)
    assert "- id: q1\n" in page and "- id: q2\n" in page and "worst are below" not in page
    page = misses(EvalResult(compute(asked, 0.5), asked, 0.5, 5), bot.store, limit=1)
    assert "2 questions missed (" in page and "). The 1 worst are below; answers.jsonl has every question." in page
