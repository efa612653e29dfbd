"""The evaluation report: a Markdown page with the misses explained, and two plots."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from . import metrics as m
from .evaluation import CalibrationError, EvalResult, Outcome, calibrate, question_row, table

if TYPE_CHECKING:
    from .store import Store


def failed_stage(o: Outcome, threshold: float, store: "Store | None" = None) -> str | None:
    """Which stage lost the answer: retrieval, sentence choice, span, or abstention (None = right).

    Abstention is blamed only for withholding a right candidate: one the threshold rightly withheld ("Leeds"
    for "How much does it cost?") was lost earlier, and "abstention" sent users to lower a threshold for it.
    Given the ``store``, a gold answer that no document holds (a typo in the set, a document edited since it
    was written) is ``GOLD_MISSING``, not blamed on retrieval."""
    pred = o.prediction(threshold)
    if not o.answerable:
        return None if pred is None else "abstention"
    if o.f1(threshold) >= 1.0:
        return None
    if o.rank() is None and store is not None and gold_location(store, o.answers) == NOT_FOUND:
        return GOLD_MISSING
    if pred is None and o.f1(0.0) >= 1.0:
        return "abstention"
    if o.rank() is None:
        return "retrieval"
    if not m.contains_answer(o.quote, o.answers):
        return "sentence choice"
    return "span"


def gold_location(store: "Store", answers: Sequence[str], places: Sequence[tuple[str, int, int]] = ()) -> str:
    """Where a gold answer really is: in the best-ranked source that holds it, else its first place in any
    document. Matched as the scoring matches (``metrics.find_answer``): case, punctuation and articles aside
    ("Swiss" in "a Swiss model", not in an earlier "swiss"), whole words ("lid" is not in "lids").
    Document, character range and its sentence; ``NOT_FOUND`` when no document holds it."""
    spans = [*places, *((name, 0, len(doc.text)) for name, doc in store.documents.items())]
    for name, start, end in spans:
        doc = store.documents.get(name)
        for gold in answers if doc else ():
            found = m.find_answer(doc.text, gold, start, end)  # type: ignore[union-attr]
            if found:
                idx = store.snapshot.sentences_around(name, *found)
                sentence = store.sentences[idx[0]].text if idx else ""
                return f"{name} [{found[0]}:{found[1]}]: “{sentence}”"
    return NOT_FOUND


NOT_FOUND = "not found in the documents"
GOLD_MISSING = "gold answer in no document"


def worst_misses(result: EvalResult) -> list[Outcome]:
    """The questions some stage lost, worst first (lowest F1, then the most confident): report.md and the web
    UI's Evaluation tab list them in this order."""
    wrong = [o for o in result.outcomes if failed_stage(o, result.threshold)]
    return sorted(wrong, key=lambda o: (o.f1(result.threshold), -o.score))


_MARKUP = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|~$!"})


def md(text: str) -> str:
    """Text from a question set or a document as Markdown shows it verbatim, on one line: "What is 2*3*4?" lost
    its stars to italics, a "|" or "<b>" in a quote was read as markup, and a line break ended the list item."""
    return " ".join(text.split()).translate(_MARKUP)


def misses(result: EvalResult, store: "Store", limit: int = 25) -> str:
    """The ``limit`` worst misses, each with its row's id (a question asked twice, or a set of 2,000, could not be
    traced back to its line), and a count of the rest."""
    rows = []
    wrong = worst_misses(result)
    stage_of = {id(o): failed_stage(o, result.threshold, store) or "" for o in wrong}
    for o in wrong[:limit]:
        pred = o.prediction(result.threshold)
        gold = md(", ".join(map(repr, o.answers))) or "(unanswerable)"
        read_as = f"- read as: {md(str(o.extra['resolved']))}\n" if o.extra.get("resolved") else ""
        rows.append(
            f"### {md(o.question)}\n- id: {md(o.id)}\n{read_as}- gold: {gold}\n"
            f"- ours: {md(repr(pred) + withheld(o, pred))} (confidence {o.score:.2f})\n- quote: {md(o.quote or '—')}\n"
            f"- gold is at: {md(gold_location(store, o.answers, o.places)) if o.answers else '—'}\n"
            f"- failed stage: **{stage_of[id(o)]}**\n")
    stages: dict[str, int] = {}
    for o in wrong:
        stages[stage_of[id(o)]] = stages.get(stage_of[id(o)], 0) + 1
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(stages.items(), key=lambda kv: -kv[1]))
    if not wrong:
        return "## Worst misses\n\nNo question missed.\n"
    shown = f" The {limit} worst are below; answers.jsonl has every question." if len(wrong) > limit else ""
    return f"## Worst misses\n\n{len(wrong)} questions missed ({summary}).{shown}\n\n" + "\n".join(rows)


def withheld(o: Outcome, pred: str | None) -> str:
    """The candidate the threshold held back: "None" alone hid whether abstaining cost a right answer."""
    return f", withheld {o.candidate!r}" if pred is None and o.candidate is not None else ""


def plot_coverage(outcomes: Sequence[Outcome], path: Path, threshold: float) -> None:
    """Accuracy (mean F1 of answered questions) against coverage as the threshold moves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = []
    for t in sorted({o.score for o in outcomes} | {0.0}):
        answered = [o for o in outcomes if o.prediction(t) is not None]
        if answered:
            points.append((len(answered) / len(outcomes), sum(o.f1(t) for o in answered) / len(answered), t))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([p[0] for p in points], [p[1] for p in points], marker=".", lw=1)
    here = [p for p in points if p[2] >= threshold][:1]
    if here:
        ax.scatter([here[0][0]], [here[0][1]], color="red", zorder=3, label=f"threshold {threshold:.2f}")
        ax.legend()
    ax.set_xlabel("coverage (share of questions answered)")
    ax.set_ylabel("accuracy (mean F1 of answered)")
    ax.set_title("Accuracy vs coverage")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confidence(outcomes: Sequence[Outcome], path: Path) -> None:
    """How confidence is spread for right and wrong top candidates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    right = [o.score for o in outcomes if o.f1(0.0) >= 0.5]
    wrong = [o.score for o in outcomes if o.f1(0.0) < 0.5]
    fig, ax = plt.subplots(figsize=(6, 4))
    bins = [i / 20 for i in range(21)]
    ax.hist([right, wrong], bins=bins, label=[f"right ({len(right)})", f"wrong or unanswerable ({len(wrong)})"],
            color=["tab:green", "tab:red"], alpha=0.8)
    ax.set_xlabel("confidence of the top candidate")
    ax.set_ylabel("questions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no "0.25 questions"
    ax.set_title("Confidence of right and wrong answers")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


WRITES = ("report.md", "results.json", "answers.jsonl", "accuracy_vs_coverage.png", "confidence.png")
"""The files ``write`` puts in its folder (the CLI refuses to replace them unasked)."""


def write(result: EvalResult, store: "Store", folder: str | Path, title: str = "qa evaluation",
          max_false_abstain: float = 0.10) -> Path:
    """report.md, results.json and the two PNG plots in ``folder``; the best threshold is found as
    ``--calibrate`` finds it, with the same ``max_false_abstain``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    plot_coverage(result.outcomes, out / "accuracy_vs_coverage.png", result.threshold)
    plot_confidence(result.outcomes, out / "confidence.png")
    try:
        best_t, best_f1 = calibrate(result.outcomes, max_false_abstain)
        best = f"best threshold on this set {best_t:.3f} (F1 over all questions {best_f1:.3f})"
    except CalibrationError as exc:
        best = f"no best threshold on this set: {exc}"
    (out / "results.json").write_text(json.dumps(result.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")
    (out / "answers.jsonl").write_text(
        "".join(json.dumps(question_row(o, result.threshold), ensure_ascii=False) + "\n" for o in result.outcomes),
        encoding="utf-8")
    stopped = "" if result.stopped_of is None else \
        f"**Stopped after {len(result.outcomes)} of {result.stopped_of} questions: this covers those only.**\n\n"
    page = (f"# {title}\n\n{stopped}threshold {result.threshold:.3f}, k = {result.k}; {best}\n\n"
            f"{table(result.metrics)}\n\n"
            "![accuracy vs coverage](accuracy_vs_coverage.png)\n\n![confidence](confidence.png)\n\n"
            f"{misses(result, store)}")
    (out / "report.md").write_text(page, encoding="utf-8")
    return out / "report.md"
