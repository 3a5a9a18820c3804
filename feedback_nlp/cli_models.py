"""`feedback-nlp train` and `feedback-nlp evaluate`: one-command retraining and evaluation for researchers."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import errors
from .cli import app, fail, out


class Task(str, Enum):
    category = "category"
    sentiment = "sentiment"
    emotion = "emotion"


class Kind(str, Enum):
    linear = "linear"
    transformer = "transformer"


@app.command()
def train(
    task: Annotated[Task, typer.Argument(help="What the labels are: category, sentiment or emotion.")],
    data: Annotated[Path, typer.Option(help="Labelled file (.csv .tsv .jsonl .json .parquet); texts or transcripts.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory to write the model and its MODEL_CARD.md.")],
    text_col: Annotated[str, typer.Option(help="Column holding the text (or use a `turns` field for transcripts).")] = "text",
    label_col: Annotated[str, typer.Option(help="Column holding the label; its distinct values become the label set.")] = "label",
    model: Annotated[Kind, typer.Option(help="linear: TF-IDF n-grams + logistic regression (fast); transformer: fine-tune --base-model.")] = Kind.linear,
    base_model: Annotated[Path | None, typer.Option(help="With --model transformer: a local checkpoint directory (e.g. a Chinese BERT).")] = None,
    epochs: Annotated[int, typer.Option(help="Transformer: training epochs.")] = 3,
    max_length: Annotated[int, typer.Option(help="Transformer: tokens per text; longer texts keep head and tail.")] = 256,
    learning_rate: Annotated[float, typer.Option(help="Transformer: AdamW learning rate (5e-5 suits a pretrained model).")] = 5e-5,
    c: Annotated[float, typer.Option("--C", help="Linear: inverse regularisation strength.")] = 4.0,
) -> None:
    """Train a classifier on your own labelled data. The label set is learned from the file, so a taxonomy with
    表扬 or with 咨询 split in two just works; point a pipeline file's `model =` at the output directory to use it."""
    from .training import train_from_file

    params = ({"epochs": epochs, "max_length": max_length, "learning_rate": learning_rate}
              if model == Kind.transformer else {"C": c})
    try:
        estimator, labelled = train_from_file(
            task.value, data, output, text_col, label_col, model.value, base_model, params
        )
    except errors.FeedbackNLPError as exc:
        fail(exc)
        return
    out.print(f"Trained a {model.value} {task.value} model on {len(labelled.labels):,} examples "
              f"({labelled.skipped:,} rows skipped: no text or no label).")
    out.print(f"Labels: {', '.join(estimator.labels_)}")
    out.print(f"Saved to {output} (see {output / 'MODEL_CARD.md'})")


def _evaluate_once(model_dir: Path, labelled, task: str):
    from .evaluation import classification_report
    from .models import load_model
    from .training import predict_with

    model = load_model(model_dir)
    predicted, proba = predict_with(model, labelled)
    labels = sorted(set(model.labels_) | set(labelled.labels))
    return model, predicted, classification_report(labelled.labels, predicted, labels, proba, model.labels_)


@app.command()
def evaluate(
    model_dir: Annotated[Path, typer.Argument(help="A saved model directory (models/category, or one you trained).")],
    data: Annotated[Path, typer.Option(help="Labelled file to evaluate on.")],
    text_col: Annotated[str, typer.Option(help="Column holding the text.")] = "text",
    label_col: Annotated[str, typer.Option(help="Column holding the gold label.")] = "label",
    group_col: Annotated[str | None, typer.Option(help="Also report per value of this column (e.g. source).")] = None,
    cv: Annotated[int | None, typer.Option("--cv", min=2, help="K-fold cross-validation: retrain the model's recipe on K-1 folds, test on the rest.")] = None,
    compare: Annotated[Path | None, typer.Option(help="A second model directory: paired bootstrap CI on the macro-F1 difference.")] = None,
    report: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report as PATH.json and PATH.md.")] = None,
) -> None:
    """Accuracy, macro-F1, per-class precision/recall/F1, confusion matrix and expected calibration error."""
    from .evaluation import paired_bootstrap, report_markdown
    from .models import read_model_meta
    from .training import load_labelled

    try:
        task = read_model_meta(model_dir).get("task", "category")
        labelled = load_labelled(data, text_col, label_col, group_col=group_col, task=task)
        model, predicted, result = _evaluate_once(model_dir, labelled, task)
        results: dict = {"model": str(model_dir), "data": str(data), "task": task, "overall": result}
        markdown = report_markdown(f"{model_dir} on {data.name}", result)
        if group_col:
            results["per_group"] = _per_group(labelled, predicted, model.labels_)
            markdown += "\n" + _group_table(results["per_group"])
        if cv:
            results["cross_validation"] = _cross_validate(model, labelled, cv)
            markdown += f"\n## {cv}-fold cross-validation\n\n" + report_markdown("pooled out-of-fold", results["cross_validation"]).split("\n", 2)[2]
        if compare:
            _, other_predicted, other = _evaluate_once(compare, labelled, task)
            boot = paired_bootstrap(labelled.labels, predicted, other_predicted)
            results["compare"] = {"other_model": str(compare), "other": other, "macro_f1_difference": boot}
            markdown += (f"\n## Compared with {compare}\n\nmacro-F1 {result['macro_f1']:.4f} vs {other['macro_f1']:.4f}: "
                         f"difference {boot['difference']:+.4f}, 95% CI [{boot['ci_low']:+.4f}, {boot['ci_high']:+.4f}] "
                         f"(paired bootstrap, {boot['n_resamples']} resamples)\n")
    except errors.FeedbackNLPError as exc:
        fail(exc)
        return
    out.print(markdown, markup=False, highlight=False)
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.with_suffix(".json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
        report.with_suffix(".md").write_text(markdown, encoding="utf-8")


def _per_group(labelled, predicted, labels) -> dict:
    from .evaluation import classification_report

    groups: dict = {}
    for group in sorted(set(labelled.groups)):
        rows = [i for i, g in enumerate(labelled.groups) if g == group]
        groups[group] = classification_report([labelled.labels[i] for i in rows], [predicted[i] for i in rows])
    return groups


def _group_table(per_group: dict) -> str:
    lines = ["## Per group", "", "| group | n | accuracy | macro-F1 |", "|---|---|---|---|"]
    for group, r in per_group.items():
        lines.append(f"| {group} | {r['n']} | {r['accuracy']:.4f} | {r['macro_f1']:.4f} |")
    return "\n".join(lines) + "\n"


def _cross_validate(model, labelled, k: int) -> dict:
    """Retrain a fresh model with the same kind and hyperparameters on each K-1 folds; pool the predictions."""
    from .evaluation import classification_report, stratified_folds
    from .training import fit_estimator, make_estimator, predict_with

    params = dict(getattr(model, "info", {}).get("hyperparameters", {}))
    if model.kind == "linear":
        params = {"C": model.C, "class_weight": model.class_weight, "min_df": model.min_df}
    predicted = [""] * len(labelled.labels)
    for fold in stratified_folds(labelled.labels, k):
        test_rows = set(fold.tolist())
        train_part = labelled.subset(i for i in range(len(labelled.labels)) if i not in test_rows)
        test_part = labelled.subset(fold.tolist())
        estimator = make_estimator(model.kind, getattr(model, "base_model", None), **params)
        fit_estimator(estimator, train_part)
        fold_predicted, _ = predict_with(estimator, test_part)
        for row, label in zip(fold.tolist(), fold_predicted, strict=True):
            predicted[row] = label
    return classification_report(labelled.labels, predicted)
