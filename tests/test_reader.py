"""Tests for the neural answer reader (qa.reader) and its trainer (qa.train_reader)."""
from __future__ import annotations

import json
import math
import re
import shutil
import statistics
from pathlib import Path

import pytest
import torch

from qa import reader as rd
from qa.extract import close_brackets
from qa.config import Config, ConfigError
from qa import train_reader as tr

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "squad2-train-10articles.json"
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
SHIPPED = rd.DEFAULT_DIR / rd.WEIGHTS_NAME
SEED_QUESTIONS = {
    "When was Ahmad Massoud born?": "10 July 1989",
    "Who is the Taliban spokesman?": "Mohammad Naeem",
    "Who leads the anti-Taliban forces in Panjshir?": "Ahmad Massoud",
}
PASSAGE = ("The Normans were the people who in the 10th and 11th centuries gave their name to "
           "Normandy, a region in France. They were descended from Norse raiders and pirates "
           "from Denmark, Iceland and Norway who, under their leader Rollo, swore fealty to "
           "King Charles III of West Francia.")

needs_shipped = pytest.mark.skipif(not SHIPPED.exists(), reason="shipped reader artifact not built")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """A few training steps on six questions, saved as an artifact: shared by several tests."""
    torch.set_num_threads(2)
    out = tmp_path_factory.mktemp("reader")
    args = tr.parse_args(["--data", str(DATA), "--out", str(out), "--limit", "6",
                          "--max-steps", "10", "--epochs", "20", "--batch-size", "3", "--lr", "3e-4",
                          "--max-length", "96", "--stride", "32", "--neg-ratio", "0.5",
                          "--drop-ratio", "0.5", "--swap-ratio", "0.5", "--cloze-ratio", "0.5"])
    model, tokenizer, result = tr.train(args)
    tr.save_artifact(model, out, {"max_length": 96, "stride": 32})
    return model, tokenizer, result, out


def assert_verbatim(preds: list[rd.SpanPrediction], contexts: list[str]) -> None:
    """Every span is a non-empty, trimmed slice of its context with sane scores."""
    assert preds
    for p in preds:
        span = contexts[p.context][p.start:p.end]
        assert 0 <= p.start < p.end <= len(contexts[p.context])
        assert span == span.strip() and span
        assert 0.0 <= p.score <= 1.0 and 0.0 <= p.no_answer <= 1.0
    keys = [(p.context, p.start, p.end) for p in preds]
    assert len(keys) == len(set(keys))
    assert [p.score for p in preds] == sorted((p.score for p in preds), reverse=True)


def test_tiny_training_loss_falls(tiny_run: tuple) -> None:
    _, _, result, _ = tiny_run
    assert result.steps == 10 and result.negatives > 0 and result.cloze == 3
    assert sum(result.negative_kinds.values()) == result.negatives and result.negative_kinds["bm25"] > 0
    assert statistics.fmean(result.losses[-3:]) < statistics.fmean(result.losses[:3])


def test_bf16_training_keeps_fp32_weights_and_learns(tmp_path: Path) -> None:
    """--bf16 autocasts the products only: the weights that get saved stay fp32, and the loss still falls."""
    args = tr.parse_args(["--data", str(DATA), "--out", str(tmp_path), "--limit", "4", "--max-steps", "8",
                          "--epochs", "20", "--batch-size", "2", "--lr", "3e-4", "--max-length", "64",
                          "--stride", "24", "--neg-ratio", "0", "--bf16"])
    model, _, result = tr.train(args)
    assert args.bf16 and all(p.dtype == torch.float32 for p in model.parameters())
    assert all(math.isfinite(x) for x in result.losses)
    assert statistics.fmean(result.losses[-3:]) < statistics.fmean(result.losses[:3])


def test_unanswerable_repeat_adds_copies_of_squads_own_unanswerable_questions_only(squad: tuple) -> None:
    examples = squad[0]
    own = [ex for ex in examples if ex.answer_text is None]
    assert own and len(own) < len(examples)
    assert tr.repeated_unanswerable(examples, 1) == []
    extra = tr.repeated_unanswerable(examples, 3)
    assert len(extra) == 2 * len(own) and all(ex.answer_text is None for ex in extra)
    assert sorted(ex.question for ex in extra) == sorted(ex.question for ex in own * 2)


def test_boundary_smoothing_targets_neighbouring_word_boundaries_only(tiny_run: tuple) -> None:
    """The smoothed share goes to whole-word starts/ends beside the label, never into a word or the question."""
    tokenizer = tiny_run[1]
    answer = "Norse raiders and pirates"
    ex = tr.Example("Who were they descended from?", PASSAGE, PASSAGE.index(answer), answer, 0)
    feature = tr.featurize(tokenizer, [ex], 256, 96, radius=2)[0]
    words = tokenizer.convert_ids_to_tokens(feature["input_ids"])
    start, end = feature["start_positions"], feature["end_positions"]
    assert tokenizer.decode(feature["input_ids"][start:end + 1]) == answer.lower()
    before, after = PASSAGE[:PASSAGE.index(answer)].split()[-2:], PASSAGE[PASSAGE.index(answer):].split()[1:3]
    assert [words[k] for k in feature["start_near"]] == [w.lower() for w in before + after]
    assert len(feature["end_near"]) == 4 and end not in feature["end_near"]
    assert all(not words[k + 1].startswith("##") for k in feature["end_near"])
    first_context = feature["token_type_ids"].index(1)
    assert min(feature["start_near"] + feature["end_near"]) >= first_context
    unanswerable = tr.featurize(tokenizer, [tr.Example("Who?", PASSAGE, None, None, 0)], 256, 96)[0]
    assert unanswerable["start_near"] == unanswerable["end_near"] == []


def test_boundary_smoothed_loss_is_the_models_own_loss_at_zero_and_spreads_eps(tiny_run: tuple) -> None:
    model, tokenizer = tiny_run[0], tiny_run[1]
    answer = "Norse raiders and pirates"
    examples = [tr.Example("Who were they descended from?", PASSAGE, PASSAGE.index(answer), answer, 0),
                tr.Example("Who is the king of Spain?", PASSAGE, None, None, 0)]
    batch = tr.collate(tr.featurize(tokenizer, examples, 96, 32), tokenizer.pad_token_id)
    targets = tr.smoothed_targets(batch["start_positions"], batch["start_near"], 96, 0.2)
    assert torch.allclose(targets.sum(-1), torch.ones(len(targets)))
    for row, label in enumerate(batch["start_positions"].tolist()):
        share = 0.8 if batch["start_near"][row] else 1.0
        assert targets[row, label] == pytest.approx(share)
        assert set(targets[row].nonzero().flatten().tolist()) == {label, *batch["start_near"][row]}
    with torch.no_grad():
        hard = model(**{k: v for k, v in batch.items() if not k.endswith("_near")}).loss
        assert tr.span_loss(model, batch, 0.0) == pytest.approx(hard.item())
        assert tr.span_loss(model, batch, 1e-9).item() == pytest.approx(hard.item(), rel=1e-5)
        assert tr.span_loss(model, batch, 0.2).item() != pytest.approx(hard.item(), rel=1e-3)


def test_layer_decay_gives_lower_layers_less_learning_rate_and_keeps_embedding_rows_undecayed() -> None:
    model = rd.load_base_qa_model(rd.base_model_path())
    optimizer, _ = tr.make_optimizer(model, 3e-4, 100, layer_decay=0.5)
    rate = {id(p): (g["initial_lr"], g["weight_decay"]) for g in optimizer.param_groups for p in g["params"]}
    named = dict(model.named_parameters())
    assert len(rate) == len(named)
    assert rate[id(named["qa_outputs.weight"])][0] == pytest.approx(3e-4)
    assert rate[id(named["bert.encoder.layer.5.output.dense.weight"])][0] == pytest.approx(1.5e-4)
    assert rate[id(named["bert.encoder.layer.0.attention.self.query.bias"])][0] == pytest.approx(3e-4 / 2 ** 6)
    assert rate[id(named[rd.WORD_EMBEDDINGS])] == (pytest.approx(3e-4 / 2 ** 7), 0.0)
    assert rate[id(named["bert.embeddings.LayerNorm.weight"])][1] == 0.01
    flat, _ = tr.make_optimizer(model, 3e-4, 100)
    assert {g["initial_lr"] for g in flat.param_groups} == {3e-4}


@pytest.fixture(scope="module")
def squad() -> tuple[list[tr.Example], list[str]]:
    return tr.load_squad(DATA)


def _sources(examples: list[tr.Example]) -> dict[str, tr.Example]:
    return {ex.question: ex for ex in examples if ex.answer_text}


def test_bm25_negatives_are_other_paragraphs_without_the_answer(squad: tuple) -> None:
    examples, paragraphs = squad
    negatives = tr.mine_negatives(examples[:300], paragraphs, 0.5, 13)
    sources = _sources(examples[:300])
    assert len(negatives) >= 100
    for neg in negatives:
        source = sources[neg.question]
        assert neg.answer_text is None and neg.answer_start is None
        assert neg.paragraph != source.paragraph and neg.context == paragraphs[neg.paragraph]
        assert source.answer_text.lower() not in neg.context.lower()


def test_drop_answer_negative_cuts_exactly_the_answer_sentence() -> None:
    text = PASSAGE + " Their descendants merged with the Frankish population."
    example = tr.Example("Who led the Norse?", text, text.index("Rollo"), "Rollo", 0)
    [neg] = tr.drop_answer_negatives([example], 1.0, 0)
    assert neg.question == example.question and neg.answer_text is None
    assert neg.context == ("The Normans were the people who in the 10th and 11th centuries gave their "
                           "name to Normandy, a region in France. Their descendants merged with the "
                           "Frankish population.")
    # With one sentence left there is no topic to keep: no negative.
    assert tr.drop_answer_negatives([tr.Example("Who led the Norse?", PASSAGE, PASSAGE.index("Rollo"),
                                                "Rollo", 0)], 1.0, 0) == []


def test_drop_answer_negatives_on_squad_lack_the_answer(squad: tuple) -> None:
    examples, _ = squad
    negatives = tr.drop_answer_negatives(examples[:300], 0.5, 13)
    sources = _sources(examples[:300])
    assert len(negatives) >= 60
    for neg in negatives:
        source = sources[neg.question]
        assert neg.answer_text is None and neg.paragraph == source.paragraph
        assert source.answer_text.lower() not in neg.context.lower()
        assert len(neg.context) < len(source.context)
        assert all(part in source.context for part in tr.SENTENCE_END.split(neg.context))


def test_swap_negative_replaces_one_name_with_one_the_paragraph_lacks() -> None:
    question = "Who swore fealty to King Charles III of West Francia?"
    example = tr.Example(question, PASSAGE, PASSAGE.index("Rollo"), "Rollo", 0)
    paragraphs = [PASSAGE, "Rouen and Paris were sacked by raiders."]
    [neg] = tr.swap_negatives([example], paragraphs, 1.0, 0)
    assert neg.context == PASSAGE and neg.answer_text is None
    old, new = question.split(), neg.question.split()
    changed = [(a, b) for a, b in zip(old, new) if a != b]
    assert len(old) == len(new) and len(changed) == 1
    assert changed[0][0] in ("King", "Charles", "West", "Francia?")
    assert changed[0][1].rstrip("?") in ("Rouen", "Paris")


def test_swap_negatives_on_squad_change_one_word_to_one_not_in_the_paragraph(squad: tuple) -> None:
    examples, paragraphs = squad
    negatives = tr.swap_negatives(examples[:300], paragraphs, 0.5, 13)
    by_context: dict[str, list[str]] = {}
    for ex in examples[:300]:
        by_context.setdefault(ex.context, []).append(ex.question)
    assert len(negatives) >= 50
    for neg in negatives:
        new = neg.question.split()
        matches = []
        for question in by_context[neg.context]:
            old = question.split()
            diff = [b for a, b in zip(old, new) if a != b]
            if len(old) == len(new) and len(diff) == 1:
                matches.append(diff[0])
        assert matches, neg.question
        word = re.sub(r"\W+$", "", matches[0])
        assert word.lower() not in neg.context.lower()


def test_cloze_questions_blank_one_span_of_a_sentence_that_is_the_exact_answer(squad: tuple) -> None:
    _, paragraphs = squad
    cloze = tr.cloze_examples(paragraphs, 400, 13)
    assert len(cloze) == 400 and len({ex.question for ex in cloze}) > 390
    for ex in cloze:
        assert ex.context == paragraphs[ex.paragraph]
        assert ex.context[ex.answer_start:ex.answer_start + len(ex.answer_text)] == ex.answer_text
        wh = "when" if re.fullmatch(r"1\d{3}|20\d{2}", ex.answer_text) else (
            "how many" if ex.answer_text[0].isdigit() else "what")
        assert f" {wh} " in f" {ex.question[:-1]} " and ex.question.endswith("?")
        assert set(re.findall(r"\w+", ex.question)) <= set(re.findall(r"\w+", ex.context)) | set(wh.split())
        assert len(ex.question.split()) < len(ex.context.split())
    assert tr.cloze_examples(paragraphs, 400, 13) == cloze
    assert tr.cloze_examples(paragraphs, 0, 13) == []


def test_a_question_longer_than_a_window_is_clipped_not_refused(tiny_run: tuple) -> None:
    _, tokenizer, _, out = tiny_run
    reader = rd.Reader.load(out, precision="fp32")
    limit = (96 - 3 - 32) // 2
    preamble = "Tell me more about it. " * 80
    question = preamble + "Who swore fealty to King Charles III?"
    clipped = rd.clip_question(tokenizer, question, reader.max_length, reader.stride)
    assert question.endswith(clipped) and clipped.endswith("III?")
    assert question[-len(clipped) - 1] == " "  # it starts on a whole word
    assert limit - 2 <= len(tokenizer(clipped, add_special_tokens=False)["input_ids"]) <= limit
    assert rd.clip_question(tokenizer, "Who led the Norse?", 256, 96) == "Who led the Norse?"
    assert_verbatim(reader.read(question, [PASSAGE, PASSAGE[:60]]), [PASSAGE, PASSAGE[:60]])


def test_a_long_question_keeps_the_words_that_ask(tiny_run: tuple) -> None:
    """Up to the last "?" when there is one, else the end: where chat messages put the question."""
    tokenizer = tiny_run[1]
    asked = "Who swore fealty to King Charles III?"
    clipped = rd.clip_question(tokenizer, asked + " Thanks a lot, friend." * 60, 256, 96)
    assert clipped.endswith(asked) and " Thanks" not in clipped
    tail = rd.clip_question(tokenizer, "words " * 200 + "and name the king", 256, 96)
    assert tail.endswith("and name the king") and len(tokenizer(tail, add_special_tokens=False)["input_ids"]) <= 64


def test_save_then_load_gives_same_logits(tiny_run: tuple) -> None:
    model, tokenizer, _, out = tiny_run
    reader = rd.Reader.load(out, precision="fp32")
    enc = reader.encode("Who led the Norse?", [PASSAGE])
    with torch.inference_mode():
        names = ("input_ids", "attention_mask", "token_type_ids")
        expected = model(**{n: enc[n] for n in names})
    start, end = reader.logits(enc)
    # fp16 storage rounds weights, so logits match to ~1e-3, not bit for bit.
    assert torch.allclose(start, expected.start_logits, atol=0.05)
    assert torch.allclose(end, expected.end_logits, atol=0.05)


def test_artifact_stores_only_the_word_embedding_rows_training_touched(tiny_run: tuple) -> None:
    from safetensors.torch import load_file

    model, tokenizer, _, out = tiny_run
    tensors = load_file(str(out / rd.WEIGHTS_NAME))
    assert rd.WORD_EMBEDDINGS not in tensors  # the 30k-row matrix comes from the base model
    rows = tensors[rd.DELTA_ROWS]
    vocab = model.get_input_embeddings().weight.shape[0]
    assert 0 < len(rows) < vocab // 10  # six questions touch a few hundred tokens at most
    base = rd.load_base_qa_model(rd.base_model_path()).get_input_embeddings().weight
    loaded = rd.Reader.load(out, precision="fp32").model.get_input_embeddings().weight
    untouched = torch.ones(vocab, dtype=torch.bool)
    untouched[rows] = False
    assert torch.equal(loaded[untouched], base[untouched])
    trained = model.get_input_embeddings().weight
    assert torch.allclose(loaded[rows], trained[rows], atol=1e-2)
    assert not torch.allclose(loaded[rows], base[rows])


def test_embedding_rows_that_do_not_fit_the_base_model_are_refused(
    tiny_run: tuple, tmp_path: Path
) -> None:
    from safetensors.torch import load_file, save_file

    bad = tmp_path / "bad"
    shutil.copytree(tiny_run[3], bad)
    tensors = load_file(str(bad / rd.WEIGHTS_NAME))
    tensors[rd.DELTA_ROWS] = tensors[rd.DELTA_ROWS] + 10**6  # beyond the vocabulary
    save_file(tensors, str(bad / rd.WEIGHTS_NAME))
    config = json.loads((bad / rd.CONFIG_NAME).read_text())
    config.pop("weights_sha256", None)
    (bad / rd.CONFIG_NAME).write_text(json.dumps(config))
    with pytest.raises(rd.ReaderError, match="train-reader"):
        rd.Reader.load(bad, precision="fp32")


def test_lora_training_saves_a_plain_artifact_with_the_adapter_folded_in(tmp_path: Path) -> None:
    args = tr.parse_args(["--data", str(DATA), "--out", str(tmp_path), "--limit", "4",
                          "--max-steps", "3", "--batch-size", "2", "--lr", "1e-3",
                          "--max-length", "96", "--stride", "32", "--lora", "4"])
    model, _, result = tr.train(args)
    assert not hasattr(model, "merge_and_unload")  # train() hands back the merged plain model
    assert 0 < result.trainable < 1_000_000  # the adapter + span head, not the 22M-value encoder
    tr.save_artifact(model, tmp_path, {"max_length": 96, "stride": 32})
    reader = rd.Reader.load(tmp_path, precision="fp32")
    enc = reader.encode("Who led the Norse?", [PASSAGE])
    with torch.inference_mode():
        expected = model(**{n: enc[n] for n in ("input_ids", "attention_mask", "token_type_ids")})
    assert torch.allclose(reader.logits(enc)[0], expected.start_logits, atol=0.05)


def test_spans_are_verbatim_with_long_context(tiny_run: tuple) -> None:
    reader = rd.Reader.load(tiny_run[3], precision="fp32")
    long_context = " ".join([PASSAGE] * 8)  # far beyond 96 tokens: needs overflow windows
    contexts = [PASSAGE, long_context, "  Rollo.  "]
    preds = reader.read("Who was the leader of the Norse?", contexts, top_n=10)
    assert len(preds) <= 10
    assert_verbatim(preds, contexts)
    assert len(reader.encode("q", [long_context])["input_ids"]) > 1


def test_spans_grow_to_whole_words_and_hyphenated_names() -> None:
    text = "Reprinted by News-in-24 on 16 August; well-known (Kabul)."
    s, e = rd._whole_words(text, text.index("News"), text.index("News") + 4)
    assert text[s:e] == "News-in-24"
    s, e = rd._whole_words(text, text.index("in-24"), text.index("in-24") + 2)
    assert text[s:e] == "News-in-24"
    s, e = rd._whole_words(text, text.index("Augu"), text.index("Augu") + 4)
    assert text[s:e] == "August"
    s, e = rd._whole_words(text, text.index("16"), text.index("August") + 6)
    assert text[s:e] == "16 August"  # already whole: unchanged, ';' not taken
    s, e = rd._whole_words(text, text.index("Kabul"), text.index("Kabul") + 5)
    assert text[s:e] == "Kabul"



@pytest.mark.parametrize("text,piece,want", [
    ("The class DTIME(f(n)) holds them.", "DTIME", "DTIME(f(n))"),
    ("It is in DTIME(n2) now.", "n2", "DTIME(n2)"),
    ("So T(n) = O(n2) here.", "n2", "O(n2)"),
    ("Call print() first.", "print", "print()"),
    ("Massoud (born 1989) spoke.", "Massoud", "Massoud"),  # a space: an aside, not arguments
    ("It runs in O(n log n) time.", "O", "O"),  # arguments with spaces are left alone
])
def test_spans_grow_to_the_notation_they_are_part_of(text: str, piece: str, want: str) -> None:
    """The reader answered "What is the expression used to identify ... DTIME(f(n))?" with "DTIME"."""
    at = text.index(piece)
    s, e = rd._whole_words(text, at, at + len(piece))
    assert text[s:e] == want


def test_spans_grow_to_whole_numbers() -> None:
    """The reader's word pieces split "173,000" at the comma; "000" was offered as an alternative answer."""
    text = "As of 2021, the population was about 173,000, up 6.5 percent; Taliban, 1989, 2012."
    for piece, want in [("000", "173,000"), ("173", "173,000"), ("5 percent", "6.5 percent")]:
        at = text.index(piece)
        s, e = rd._whole_words(text, at, at + len(piece))
        assert text[s:e] == want
    for piece in ("2021", "1989", "2012"):  # a comma and space between numbers still separates them
        at = text.index(piece)
        assert rd._whole_words(text, at, at + 4) == (at, at + 4)


def test_spans_take_their_percent_sign_and_combining_accents_and_drop_stray_signs() -> None:
    """Found by a first-user review: "a 20" of "a 20% discount", "cafe" cut before the accent of a decomposed
    "café", "March>" of "<March>" and "= 30s" of "timeout = 30s"."""
    text = "Students get a 20% discount at the cafe\u0301 in <March> when timeout = 30s."
    at = text.index("20")
    assert text[slice(*rd._whole_words(text, at, at + 2))] == "20%"
    at = text.index("cafe")
    assert text[slice(*rd._whole_words(text, at, at + 4))] == "cafe\u0301"
    at = text.index("March")
    assert text[slice(*rd._strip_span(text, at, at + 6))] == "March"
    at = text.index("= 30s")
    assert text[slice(*rd._strip_span(text, at, at + 5))] == "30s"


def test_an_amount_keeps_its_currency_sign_and_no_ampersand() -> None:
    """The tokenizer reads "$" as a word piece of its own, so the reader started "$179" at "179"; and an HTML
    "&amp;" left spans such as "& £150"."""
    text = "It retails at £149 in the UK and $179 (US) in the US; tickets cost £95 for partners & £150 for others."
    at = text.index("179")
    assert text[slice(*rd._whole_words(text, at, at + 3))] == "$179"
    at = text.index("149")
    assert text[slice(*rd._whole_words(text, at, at + 3))] == "£149"
    assert text[slice(*rd._whole_words(text, text.index("US)"), text.index("US)") + 2))] == "US"
    at = text.index("& £150")
    assert text[slice(*rd._strip_span(text, at, at + 6))] == "£150"
    assert text[slice(*rd._strip_span(text, text.index("partners &"), text.index("partners &") + 10))] == "partners"

def test_spans_take_in_the_bracket_they_open() -> None:
    text = "written T(n) or DTIME(f(n)) [see 3] (often)"
    for phrase, want in [("T(n", "T(n)"), ("DTIME(f(n", "DTIME(f(n))"), ("[see 3", "[see 3]"), ("T(n)", "T(n)"),
                         ("written", "written")]:
        start = text.index(phrase)
        s, e = close_brackets(text, start, start + len(phrase))
        assert text[s:e] == want
    s, e = close_brackets(text, text.index("often"), text.index("often") + 5)
    assert text[s:e] == "often"  # the ")" after it closes a bracket the span did not open


def test_spans_do_not_end_on_a_function_word() -> None:
    text = "Panjshir, the only province (the last one) of the U.S. and the world"
    for phrase, want in [("Panjshir, the", "Panjshir"), ("province (the", "province"),
                         ("U.S. and the", "U.S."), ("the only province", "the only province"), ("the", "the")]:
        start = text.index(phrase)
        s, e = rd._drop_dangling(text, start, start + len(phrase))
        assert text[s:e] == want
    title = "It launched at The Beat Goes On... in 2005."  # a title's last word is no dangling "on"
    s, e = rd._drop_dangling(title, *rd._strip_span(title, title.index("The"), title.index(" in")))
    assert title[s:e] == "The Beat Goes On"


def test_strip_span_keeps_exact_offsets() -> None:
    text = 'He said "Rollo," then (in 911) left the U.S. today.\xa0Done'
    start = text.index('"')
    s, e = rd._strip_span(text, start, start + len('"Rollo,"'))
    assert text[s:e] == "Rollo"
    s, e = rd._strip_span(text, text.index("(in"), text.index("left") - 1)
    assert text[s:e] == "(in 911)"
    s, e = rd._strip_span(text, text.index("U.S."), text.index("U.S.") + 4)
    assert text[s:e] == "U.S."
    for raw, want in [("78.2%.", "78.2%"), ("Washington D.C.", "Washington D.C."), ("5.5.", "5.5"), ("Ph.D.", "Ph.D.")]:
        s, e = rd._strip_span(raw, 0, len(raw))  # a number's decimal point is no abbreviation's
        assert raw[s:e] == want
    s, e = rd._strip_span(text, text.index("\xa0"), len(text))
    assert text[s:e] == "Done"
    marked = "It is **330 metres** tall, | 6.2 million | and `1889`."  # Markdown kept in a .txt file
    for raw, want in [("**330 metres*", "330 metres"), ("| 6.2 million |", "6.2 million"), ("`1889`", "1889")]:
        s, e = rd._strip_span(marked, marked.index(raw), marked.index(raw) + len(raw))
        assert marked[s:e] == want
    tagged = "The admin password is <b>swordfish</b> for now."  # HTML tags kept in a .txt file
    s, e = rd._strip_span(tagged, tagged.index("swordfish"), tagged.index("swordfish") + len("swordfish<"))
    assert tagged[s:e] == "swordfish"


def test_missing_artifact_names_rebuild_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(rd.ReaderError, match="python -m qa train-reader"):
        rd.Reader.load(tmp_path / "nowhere")
    monkeypatch.setattr(rd, "DEFAULT_DIR", tmp_path / "shipped")  # the shipped one gone: rebuild it
    with pytest.raises(rd.ReaderError, match="reader artifact not found .*rebuild the reader artifact with"):
        rd.Reader.load()


@pytest.mark.parametrize("name, says", [
    ("{tmp}/nowhere", "there is no such folder, nor a Hugging Face model of that name in the local cache"),
    ("someone/qa-model-not-here", "there is no such folder, nor a Hugging Face model of that name in the local cache"),
    ("{tmp}", "the folder holds neither a qa reader nor a Hugging Face extractive-QA model"),
])
def test_a_reader_named_wrongly_is_told_what_it_is_not(tmp_path: Path, name: str, says: str) -> None:
    """A mistyped --reader path was told "reader artifact not found in it; rebuild the reader artifact"."""
    with pytest.raises(rd.ReaderError, match=re.escape(says)) as caught:
        rd.Reader.load(name.format(tmp=tmp_path))
    assert "none for the heuristic extractor" in str(caught.value)


def test_corrupt_artifact_names_rebuild_command(tiny_run: tuple, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny_run[3], broken)
    weights = broken / rd.WEIGHTS_NAME
    weights.write_bytes(weights.read_bytes()[: 1000])
    with pytest.raises(rd.ReaderError, match="python -m qa train-reader"):
        rd.Reader.load(broken)
    config = json.loads((broken / rd.CONFIG_NAME).read_text())
    config.pop("weights_sha256")  # without the hash, safetensors itself must catch it
    (broken / rd.CONFIG_NAME).write_text(json.dumps(config))
    with pytest.raises(rd.ReaderError, match="python -m qa train-reader"):
        rd.Reader.load(broken)
    (broken / rd.CONFIG_NAME).write_text("{not json")
    with pytest.raises(rd.ReaderError, match="python -m qa train-reader"):
        rd.Reader.load(broken)


def test_user_hf_qa_model_directory(tmp_path: Path) -> None:
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    tokenizer = AutoTokenizer.from_pretrained(rd.base_model_path())
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=37, max_position_embeddings=128)
    BertForQuestionAnswering(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    reader = rd.Reader.load(tmp_path, precision="int8")
    assert reader.max_length == 128
    contexts = [PASSAGE, " ".join([PASSAGE] * 4)]
    assert_verbatim(reader.read("Who was the Norse leader?", contexts), contexts)


@needs_shipped
@pytest.mark.parametrize("precision", ["int8", "bf16"])
def test_shipped_reader_in_low_precision_agrees_with_fp32_on_seed_article(precision: str) -> None:
    """Same top answer in int8 or bf16 as in fp32; the right answer is among fp32's top 5.

    Compared as text: a name the article repeats may win in a different paragraph. bf16 runs
    (emulated, slowly) on CPUs without it, so this checks its answers on any machine.
    """
    text = SEEDS[0].read_text(encoding="utf-8")
    contexts = [p.strip() for p in text.split("\n\n") if p.strip()]
    fp32, low = rd.Reader.load(precision="fp32"), rd.Reader.load(precision=precision)
    assert low.precision == precision and fp32.precision == "fp32"
    for question, expected in SEED_QUESTIONS.items():
        preds32, preds_low = fp32.read(question, contexts), low.read(question, contexts)
        top32, top_low = preds32[0], preds_low[0]
        assert (contexts[top32.context][top32.start:top32.end]
                == contexts[top_low.context][top_low.start:top_low.end]), question
        spans = [contexts[p.context][p.start:p.end] for p in preds32]
        assert any(expected in span for span in spans), (question, spans)


@needs_shipped
def test_the_best_few_spans_are_the_head_of_all_spans() -> None:
    """A window stops mapping pairs to characters once it has offered ``top_n`` different spans and the rest
    score lower: the best 1, 5 or 20 must still be exactly the head of the full list (scores included)."""
    text = SEEDS[0].read_text(encoding="utf-8")
    contexts = [p.strip() for p in text.split("\n\n") if p.strip()]
    reader = rd.Reader.load(precision="fp32")
    for question in [*SEED_QUESTIONS, "What does Massoud say about the Taliban?", "Who?"]:
        every = reader.read(question, contexts[:4], top_n=10_000)
        assert len(every) > 20, question  # all of them: far more than any limit below
        for n in (1, 5, 20):
            assert reader.read(question, contexts[:4], top_n=n) == every[:n], (question, n)


@needs_shipped
def test_no_span_runs_from_one_paragraph_into_the_next() -> None:
    """A lead-in line is read with the paragraph it introduces; the answer still never crosses the blank line.

    Before the rule, "Who reprinted the call?" over this passage was answered "News-in-24: \\n\\n“CALL OF
    AUGUST 16, by Ahmad Massoud" at confidence 0.98."""
    text = SEEDS[0].read_text(encoding="utf-8")
    start = text.index("Below is the text of the call")
    context = text[start:text.index("\n\n", text.index("CALL OF AUGUST 16"))]
    assert "\n\n" in context  # the lead-in and the call's first paragraph
    preds = rd.Reader.load(precision="fp32").read("Who reprinted the call?", [context], top_n=20)
    spans = [context[p.start:p.end] for p in preds]
    assert spans and not any(re.search(r"\n[^\S\n]*\n", span) for span in spans), spans


@needs_shipped
def test_no_span_runs_from_one_table_cell_into_the_next() -> None:
    """A Markdown or HTML table row is read as "K2 Pro | $69 | 3000 W"; "How much does the K2 Pro cost?" was
    answered "$69 | 3000", half price and half power."""
    from qa.documents import markdown_to_text

    context = markdown_to_text("| Model | Price | Power |\n|---|---|---|\n| K2 | $49 | 2200 W |\n"
                               "| K2 Pro | $69 | 3000 W |\n")
    assert "K2 Pro | $69 | 3000 W" in context
    reader = rd.Reader.load(precision="fp32")
    for question in ("How much does the K2 Pro cost?", "What is the power of the K2 Pro?", "Which models are there?"):
        spans = [context[p.start:p.end] for p in reader.read(question, [context], top_n=20, cells=[True])]
        assert spans and not any(" | " in span for span in spans), (question, spans)
    # in a plain text file " | " may be notation, and an answer holds it
    notation = "For instance, the language {xx | x is any binary string} can be solved in linear time."
    spans = [notation[p.start:p.end] for p in reader.read("What can be solved in linear time?", [notation], top_n=20)]
    assert any(" | " in span for span in spans), spans


@needs_shipped
def test_bf16_reader_stores_linear_weights_in_bf16_and_gives_autocasts_logits() -> None:
    """Casting the weights once at load must change speed only: the logits equal autocast over fp32 weights."""
    bf16, fp32 = rd.Reader.load(precision="bf16"), rd.Reader.load(precision="fp32")
    linears = [m for m in bf16.model.modules() if isinstance(m, torch.nn.Linear)]
    assert linears and all(m.weight.dtype == torch.bfloat16 for m in linears)
    assert all(p.dtype == torch.float32 for n, p in bf16.model.named_parameters() if "LayerNorm" in n or "embeddings" in n)
    encoding = bf16.encode("Who was the Norse leader?", [PASSAGE, PASSAGE[:80]])
    fp32.precision = "bf16"  # the same reader, weights left in fp32: autocast casts them per forward
    for ours, theirs in zip(bf16.logits(encoding), fp32.logits(encoding)):
        assert torch.equal(ours, theirs)


def test_auto_precision_is_bf16_only_where_the_cpu_does_it_natively(monkeypatch: pytest.MonkeyPatch) -> None:
    """Emulated bf16 is several times slower than fp32, so "auto" must not pick it without hardware support."""
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    assert rd.resolve_precision("auto") == "fp32"
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    assert rd.resolve_precision("auto") == "bf16"
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported")
    assert rd.resolve_precision("auto") == "fp32"  # a torch without the probe: play safe
    assert [rd.resolve_precision(p) for p in ("fp32", "bf16", "int8")] == ["fp32", "bf16", "int8"]
    with pytest.raises(rd.ReaderError, match="precision must be one of"):
        rd.resolve_precision("fp16")
    with pytest.raises(ConfigError, match="precision must be one of auto, fp32, bf16, int8"):
        Config(precision="fp16")


def test_model_card_states_data_counts_scores_and_rebuild_command(tmp_path: Path) -> None:
    config = {
        "weights_bytes": 30_600_000, "weights_sha256": "ab" * 32, "base_model": "base",
        "hyperparameters": {"epochs": 3.0, "drop_ratio": 0.15},
        "training": {"questions": 4719, "negatives": 1981, "windows": 7659, "steps": 1437,
                     "seconds": 3101.4, "torch_threads": 2, "final_loss": 0.84,
                     "negative_kinds": {"bm25": 1087, "drop": 495, "swap": 399}},
        "command": "python -m qa train-reader --drop-ratio 0.15",
        "dev": {"fp32": {"f1": 0.549, "em": 0.43, "no_answer_accuracy": 0.3093,
                         "answerable_abstain_rate": 0.2014, "latency_ms_3x200": 126.9,
                         "load_seconds": 0.17}},
    }
    tr.write_model_card(tmp_path, config)
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "ab" * 32 in card and "    python -m qa train-reader --drop-ratio 0.15" in card
    assert "4719 questions + 1981 unanswerable pairs" in card
    assert "1087: the question with the best other BM25 paragraph" in card
    assert "495: the question with its paragraph minus the answer's sentence" in card
    assert "399: a name or year" in card and "| fp32 | 0.549 | 0.430 |" in card
    assert "CC BY-SA 4.0" in card and "made-up cloze questions (a name" not in card
    config["training"]["cloze_questions"] = 1416
    tr.write_model_card(tmp_path, config)
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "399: a name or year of the question swapped for one its paragraph lacks) + 1416 made-up cloze" in card


@needs_shipped
def test_the_shipped_model_card_is_the_one_its_config_makes(tmp_path: Path) -> None:
    """The card beside the artifact is regenerated, never hand-edited: it cannot drift from the config."""
    config = json.loads((rd.DEFAULT_DIR / rd.CONFIG_NAME).read_text())
    tr.write_model_card(tmp_path, config)
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == (rd.DEFAULT_DIR / "README.md").read_text(encoding="utf-8")


def test_ensemble_benchmark_averages_logits_and_refuses_mixed_windows(tiny_run: tuple) -> None:
    """``benchmarks/reader_ensemble.py``: a reader averaged with itself reads as it does alone; one with
    other windows cannot be averaged; two different readers give the mean of their logits."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("qa_reader_ensemble", ROOT / "benchmarks" / "reader_ensemble.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    tiny = rd.Reader.load(tiny_run[3], precision="fp32")
    question = "Who led the Norse?"
    assert bench.EnsembleReader([tiny, tiny]).read(question, [PASSAGE], top_n=5) == tiny.read(question, [PASSAGE], top_n=5)
    other = rd.Reader.load(tiny_run[3], precision="int8")
    encoding = tiny.encode(question, [PASSAGE])
    mean_start = (tiny.logits(encoding)[0] + other.logits(encoding)[0]) / 2
    assert torch.allclose(bench.EnsembleReader([tiny, other]).logits(encoding)[0], mean_start)
    with pytest.raises(SystemExit, match="different windows"):
        bench.EnsembleReader([tiny, rd.Reader(tiny.model, tiny.tokenizer, 128, 32)])
