"""The answer scorer (qa.scorer) and its fitting (qa.train_scorer): ranking the reader's spans, confidence."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import qa
from qa import reader as rd
from qa import train_reader as tr
from qa import train_scorer as ts
from qa.scorer import (CONFIDENCE_FEATURES, SCORER_NAME, SPAN_FEATURES, AnswerScorer, Evidence, ScorerError,
                       gather)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "squad2-train-10articles.json"
COL = {name: i for i, name in enumerate(SPAN_FEATURES)}


def evidence(rows: list[dict[str, float]], top: float = 0.5, known: float = 1.0) -> Evidence:
    """Evidence over made-up spans: each row names the features that are not 0."""
    feats = np.zeros((len(rows), len(SPAN_FEATURES)))
    for r, row in enumerate(rows):
        for name, value in row.items():
            feats[r, COL[name]] = value
    return Evidence(tuple(("d", 10 * r, 10 * r + 5) for r in range(len(rows))), feats, np.array([top, known]))


def test_hand_set_scorer_is_the_original_rule() -> None:
    """Span probability x0.15 per passage rank, x0.5 for a type misfit."""
    spans = [(0.5, 0.1, 0, 1), (0.9, 0.2, 1, 1), (0.6, 0.1, 2, 1), (0.3, 0.1, 0, 0), (0.2, 0.1, 0, 1)]
    rows = [{"log_span": math.log(p), "log_no_answer": math.log(na), "passage_rank": ctx, "type_fit": fit}
            for p, na, ctx, fit in spans]
    scored = AnswerScorer.hand_set().score(evidence(rows))
    rule = [p * 0.15 ** ctx * 0.5 ** (1 - fit) for p, _, ctx, fit in spans]
    assert [s.start // 10 for s in scored] == sorted(range(len(spans)), key=lambda i: -rule[i])
    by_span = {s.start // 10: s.confidence for s in scored}
    assert by_span[0] == pytest.approx(0.5 / 0.6)  # span / (span + no answer)
    assert by_span[3] == pytest.approx(0.3 * 0.3 / (0.3 * 0.3 + 0.1))  # a misfit counts at 0.3 of its probability


def test_scorer_file_round_trips_and_a_missing_one_means_the_hand_set_rule(tmp_path: Path) -> None:
    scorer = AnswerScorer(np.arange(len(SPAN_FEATURES), dtype=float), np.ones(len(CONFIDENCE_FEATURES)), -0.5,
                          {"held_out": ["X"]})
    scorer.save(tmp_path)
    back = AnswerScorer.load(tmp_path)
    assert np.array_equal(back.rank_weights, scorer.rank_weights) and back.confidence_bias == -0.5
    assert back.info == {"held_out": ["X"]}
    hand = AnswerScorer.load(tmp_path / "elsewhere")
    assert np.array_equal(hand.rank_weights, AnswerScorer.hand_set().rank_weights)


@pytest.mark.parametrize("content", ["{not json", '{"format": "other"}', '{"format": "qa-scorer-v1"}',
                                     '{"format": "qa-scorer-v1", "rank_weights": {}, "confidence_weights": {}, "confidence_bias": 0}'])
def test_a_corrupt_scorer_names_the_command_that_rebuilds_it(tmp_path: Path, content: str) -> None:
    (tmp_path / SCORER_NAME).write_text(content)
    with pytest.raises(ScorerError, match="python -m qa train-scorer"):
        AnswerScorer.load(tmp_path)


def test_a_scorer_fit_by_an_older_version_says_which_weight_it_lacks(tmp_path: Path) -> None:
    data = AnswerScorer.hand_set().to_json()
    del data["rank_weights"]["name_missing"], data["confidence_weights"]["name_missing"]
    (tmp_path / SCORER_NAME).write_text(json.dumps(data))
    with pytest.raises(ScorerError, match="no weight for name_missing: fit by an older version.*train-scorer"):
        AnswerScorer.load(tmp_path)


def test_loading_a_reader_with_a_corrupt_scorer_fails_with_the_rebuild_command(tmp_path: Path) -> None:
    folder = tmp_path / "reader"
    folder.mkdir()
    for name in (rd.CONFIG_NAME, rd.WEIGHTS_NAME):
        (folder / name).symlink_to(rd.DEFAULT_DIR / name)
    (folder / SCORER_NAME).write_text('{"format": "qa-scorer-v1", "rank_weights": [1, 2]}')
    with pytest.raises(rd.ReaderError, match="train-scorer"):
        qa.pipeline.make_extractor(qa.config.load_config(reader=str(folder)))


def test_non_finite_weights_are_refused(tmp_path: Path) -> None:
    data = AnswerScorer.hand_set().to_json()
    data["confidence_bias"] = float("nan")
    (tmp_path / SCORER_NAME).write_text(json.dumps(data))
    with pytest.raises(ScorerError, match="non-finite"):
        AnswerScorer.load(tmp_path)


def synthetic_groups(n: int, seed: int) -> list[ts.Group]:
    """Questions whose right span is the one whose sentence matches the question; span probability is noise."""
    rng = np.random.default_rng(seed)
    groups = []
    for q in range(n):
        spans = 6
        rows = [{"log_span": rng.normal(-2, 1), "sentence_similarity": rng.uniform(0.1, 0.5)} for _ in range(spans)]
        right = int(rng.integers(spans)) if q % 3 else None  # every third question has no answer
        if right is not None:
            rows[right]["sentence_similarity"] = rng.uniform(0.6, 0.9)
        f1 = np.array([1.0 if i == right else 0.0 for i in range(spans)])
        groups.append((evidence(rows, top=0.7 if right is not None else 0.3), f1, right is not None))
    return groups


def test_fitted_rank_model_learns_the_evidence_that_picks_the_right_span() -> None:
    train, test = synthetic_groups(120, 0), synthetic_groups(60, 1)
    rank = ts.fit_rank(train, l2=1.0)
    assert rank[COL["sentence_similarity"]] > 0 and abs(rank[COL["sentence_similarity"]]) > abs(rank[COL["log_span"]])
    conf, bias = ts.fit_confidence(*ts.span_rows(train, rank), l2=1.0)
    fitted = ts.summary(test, AnswerScorer(rank, conf, bias))
    hand = ts.summary(test, AnswerScorer.hand_set())
    assert fitted["top1_f1"] >= 0.95 > hand["top1_f1"]
    assert fitted["abstain_at_fa_0.10"] >= 0.9  # the top passage's similarity tells answerable from not


def test_confidence_is_fit_on_every_span_not_just_the_best_ranked() -> None:
    """ask() shows alternatives with their confidence, so the model must learn from every span."""
    groups = synthetic_groups(30, 2)
    rank = ts.fit_rank(groups, l2=1.0)
    x, y = ts.span_rows(groups, rank)
    assert x.shape == (sum(len(f1) for _, f1, _ in groups), len(CONFIDENCE_FEATURES)) and len(y) == len(x)
    assert np.array_equal(y, np.concatenate([f1 for _, f1, _ in groups]))
    assert ts.span_rows([], rank)[0].shape == (0, len(CONFIDENCE_FEATURES))


def test_gather_features_describe_real_spans(embedder: qa.embedding.Embedder, seed_dir: Path, tmp_index: Path) -> None:
    bot = qa.load(docs=seed_dir, index=tmp_index, embedder=embedder, reader="default")
    snap, retriever = bot._state
    focus, qvec, ranked = bot.retrieve("When was Ahmad Massoud born?", 5, snap, retriever)
    ev = bot.extractor.evidence(focus, qvec, snap, ranked)
    same_snap, same = bot.evidence("When was Ahmad Massoud born?")  # the public way in, used by train-scorer
    assert same_snap is snap and same.spans == ev.spans and np.allclose(same.span_features, ev.span_features)
    assert len(ev.spans) == ev.span_features.shape[0] > 3 and np.isfinite(ev.span_features).all()
    f = {name: ev.span_features[:, i] for i, name in enumerate(SPAN_FEATURES)}
    assert set(f["passage_rank"]) <= {0.0, 1.0} and ((0 <= f["sentence_coverage"]) & (f["sentence_coverage"] <= 1)).all()
    date = next(i for i, (d, s, e) in enumerate(ev.spans) if snap.text(d)[s:e] == "10 July 1989")
    assert f["type_fit"][date] == 1 and f["echoes_question"][date] == 0
    assert f["sentence_coverage"][date] > 0.5  # "Massoud ... born" is in its sentence
    assert f["name_missing"][date] == 1  # "He was born on ...": its sentence never says "Ahmad Massoud"
    assert f["name_missing"].min() == 0 and set(f["name_missing"]) <= {0.0, 0.5, 1.0}  # two name words
    from qa.retrieval import terms
    assert all(snap.sentence_terms(i) == frozenset(terms(s.text)) for i, s in enumerate(snap.sentences))
    assert 0 < ev.question_features[0] <= 1 and ev.question_features[1] == pytest.approx(1.0)
    again = gather(focus, qvec, snap, ranked, [snap.passages[r.passage] for r in ranked[:2]], [])
    assert again.span_features.shape == (0, len(SPAN_FEATURES)) and bot.extractor.scorer.score(again) == []
    with pytest.raises(TypeError, match="reader extractor"):
        qa.load(docs=seed_dir, index=tmp_index, embedder=embedder, reader="none").evidence("When?")


def test_gather_drops_spans_that_run_over_a_sentence_end(embedder: qa.embedding.Embedder, seed_dir: Path,
                                                         tmp_index: Path) -> None:
    """The answer sits inside its quoted sentence: "... North-East Afghanistan. After finishing ..." is never offered."""
    from qa.reader import SpanPrediction

    bot = qa.load(docs=seed_dir, index=tmp_index, embedder=embedder, reader="none")
    snap, retriever = bot._state
    focus, qvec, ranked = bot.retrieve("Where was Ahmad Massoud born?", 5, snap, retriever)
    passage = next(snap.passages[r.passage] for r in ranked if "Piyu" in snap.passages[r.passage].text)
    ranked = [r for r in ranked if snap.passages[r.passage] == passage]
    at = passage.text.index
    inside = SpanPrediction(0, at("Piyu"), at("Piyu") + 4, 0.5, 0.1)
    across = SpanPrediction(0, at("Afghanistan.\xa0 After"), at("After finishing") + 15, 0.4, 0.1)
    assert len(snap.sentences_around(passage.doc, passage.start + across.start, passage.start + across.end)) == 2
    ev = gather(focus, qvec, snap, ranked, [passage], [inside, across])
    assert ev.spans == ((passage.doc, passage.start + inside.start, passage.start + inside.end),)
    assert ev.span_features.shape == (1, len(SPAN_FEATURES))


def test_the_shipped_reader_has_a_scorer_fit_on_articles_it_never_trained_on() -> None:
    scorer = AnswerScorer.load(rd.DEFAULT_DIR)
    config = json.loads((rd.DEFAULT_DIR / rd.CONFIG_NAME).read_text())
    held_out = scorer.info["held_out"]
    assert held_out and not config["hyperparameters"].get("hold_out")
    assert scorer.info["fitted"]["top1_f1"] > scorer.info["hand_set"]["top1_f1"]
    titles = {a["title"] for a in json.loads(DATA.read_text())["data"]}
    assert set(held_out) <= titles


def test_train_scorer_end_to_end_on_a_tiny_held_out_reader(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    reader_dir = tmp_path / "reader"
    assert tr.main(["--data", str(DATA), "--out", str(reader_dir), "--hold-out", "Solar_energy", "--limit", "6",
                    "--max-steps", "4", "--batch-size", "3", "--max-length", "96", "--stride", "32",
                    "--no-dev-eval"]) == 0
    solar = {p["context"] for a in json.loads(DATA.read_text())["data"] if a["title"] == "Solar_energy"
             for p in a["paragraphs"]}
    kept, paragraphs = tr.load_squad(DATA, hold_out=["Solar_energy"])
    assert len(kept) == len(tr.load_squad(DATA)[0]) - 249 and not solar & set(paragraphs)
    assert ts.held_out_titles(reader_dir) == ["Solar_energy"]
    assert ts.main(["--reader", str(reader_dir), "--data", str(DATA), "--out", str(reader_dir), "--limit", "12"]) == 0
    scorer = AnswerScorer.load(reader_dir)
    assert scorer.info["held_out"] == ["Solar_energy"] and scorer.info["questions"] == 12
    assert np.isfinite(scorer.rank_weights).all() and np.isfinite(scorer.confidence_weights).all()
    with pytest.raises(ValueError, match="same article"):  # two readers holding out one article count it twice
        ts.main(["--reader", str(reader_dir), str(reader_dir), "--data", str(DATA), "--out", str(tmp_path)])
    capsys.readouterr()
    assert tr.main(["--data", str(DATA), "--out", str(reader_dir), "--limit", "3", "--max-steps", "1",
                    "--batch-size", "3", "--max-length", "96", "--stride", "32", "--no-dev-eval"]) == 0
    assert "was fit for an earlier reader" in capsys.readouterr().out  # retraining leaves a stale scorer: say so


def test_train_scorer_refuses_a_reader_that_saw_every_article(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--hold-out"):
        ts.held_out_titles(rd.DEFAULT_DIR)
    with pytest.raises(ValueError, match="no article"):
        tr.load_squad(DATA, hold_out=["Atlantis"])
