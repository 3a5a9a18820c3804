"""Retraining on a user's own labels, a custom taxonomy, evaluation reports, and the safe model format."""

import csv
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from feedback_nlp import errors
from feedback_nlp.cli import app
from feedback_nlp.models import LinearTextClassifier, load_model

runner = CliRunner()
# A taxonomy with 表扬 (praise) and 咨询 split into 事前咨询 / 使用咨询: the model must learn exactly these labels.
EXAMPLES = {
    "表扬": ["客服小王态度特别好，表扬一下", "感谢你们的耐心服务，非常满意", "点赞，处理得又快又好", "服务很专业，谢谢"],
    "事前咨询": ["办信用卡需要什么材料", "白金卡年费是多少", "开通境外支付要准备什么", "这个套餐怎么收费"],
    "使用咨询": ["手机银行怎么转账", "APP里在哪里查账单", "二维码支付怎么设置限额", "怎么修改交易密码"],
    "投诉": ["客服态度太差了，我要投诉", "等了一个小时没人接，什么服务", "你们网点的人太敷衍", "再也不用你们了，太烂"],
}


def write_training_file(path, copies=6):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "content", "tag"])
        i = 0
        for label, texts in EXAMPLES.items():
            for _ in range(copies):
                for text in texts:
                    i += 1
                    writer.writerow([i, text, label])


def test_train_custom_taxonomy_and_use_it_in_a_pipeline(tmp_path):
    data = tmp_path / "mine.csv"
    write_training_file(data)
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", "category", "--data", str(data), "--text-col", "content",
                                 "--label-col", "tag", "-o", str(out)])
    assert result.exit_code == 0, result.output
    model = load_model(out)
    assert model.labels_ == sorted(EXAMPLES)
    assert json.loads((out / "model.json").read_text())["training_data"]["n"] == 96
    card = (out / "MODEL_CARD.md").read_text()
    assert "表扬" in card and "mine.csv" in card

    pipeline = tmp_path / "mine.toml"
    pipeline.write_text(f'[pipeline]\ncomponents = ["normalize", "segment", "category"]\n'
                        f'[components.category]\nmodel = "{out.as_posix()}"\n', encoding="utf-8")
    import feedback_nlp

    doc = feedback_nlp.load(pipeline)("谢谢你们，服务特别好，表扬")
    assert doc.category == "表扬" and set(doc.category_scores) == set(EXAMPLES)


def test_evaluate_reports_cv_and_compare(tmp_path):
    data = tmp_path / "mine.csv"
    write_training_file(data)
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, c in ((first, "4"), (second, "0.01")):
        assert runner.invoke(app, ["train", "category", "--data", str(data), "--text-col", "content",
                                   "--label-col", "tag", "--C", c, "-o", str(folder)]).exit_code == 0
    report = tmp_path / "report"
    result = runner.invoke(app, ["evaluate", str(first), "--data", str(data), "--text-col", "content",
                                 "--label-col", "tag", "--cv", "3", "--compare", str(second), "-o", str(report)])
    assert result.exit_code == 0, result.output
    body = json.loads(report.with_suffix(".json").read_text())
    overall = body["overall"]
    assert set(overall) >= {"accuracy", "macro_f1", "per_class", "confusion_matrix", "ece"}
    assert np.array(overall["confusion_matrix"]).sum() == 96
    assert 0 <= body["cross_validation"]["macro_f1"] <= 1
    boot = body["compare"]["macro_f1_difference"]
    assert boot["ci_low"] <= boot["difference"] <= boot["ci_high"]
    assert "Confusion matrix" in report.with_suffix(".md").read_text()


def test_training_errors_are_clear(tmp_path):
    data = tmp_path / "one.csv"
    data.write_text("text,label\n退款,a\n投诉,a\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "category", "--data", str(data), "-o", str(tmp_path / "m")])
    assert result.exit_code == 2 and "at least two different labels" in result.output
    result = runner.invoke(app, ["train", "category", "--data", str(data), "--label-col", "nope", "-o", str(tmp_path / "m")])
    assert result.exit_code == 2 and "no rows with both a text and a 'nope' label" in result.output


def test_saved_model_is_arrays_and_json_and_round_trips(tmp_path):
    texts = ["退款没到账", "多扣了钱", "怎么开通", "在哪里办理"] * 20
    labels = ["money", "money", "ask", "ask"] * 20
    model = LinearTextClassifier().fit(texts, labels)
    model.save(tmp_path / "m", {"name": "t"})
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["model.json", "weights.safetensors"]
    loaded = load_model(tmp_path / "m")
    assert np.allclose(loaded.predict_proba(texts[:4]), model.predict_proba(texts[:4]), atol=1e-6)
    assert loaded.predict(["钱还没退"]) == ["money"]


def test_tampered_or_missing_models_fail_clearly(tmp_path):
    with pytest.raises(errors.ModelError, match="No model at"):
        load_model(tmp_path)
    (tmp_path / "model.json").write_text('{"kind": "pickle"}')
    with pytest.raises(errors.ModelError, match="unknown model kind"):
        load_model(tmp_path)


def test_calibration_is_reasonable():
    from feedback_nlp.evaluation import expected_calibration_error

    rng = np.random.default_rng(0)
    words = {"money": ["扣款", "退款", "到账", "多扣"], "ask": ["怎么", "办理", "开通", "请问"]}
    texts, labels = [], []
    for _ in range(600):
        label = str(rng.choice(["money", "ask"]))
        other = "ask" if label == "money" else "money"
        picks = [str(rng.choice(words[label if rng.random() < 0.7 else other])) for _ in range(2)]
        texts.append("".join(picks))
        labels.append(label)
    model = LinearTextClassifier().fit(texts[:400], labels[:400])
    proba = model.predict_proba(texts[400:])
    assert expected_calibration_error(labels[400:], proba, model.labels_) < 0.1


def test_fortran_ordered_arrays_survive_saving(tmp_path):
    from safetensors.numpy import load_file

    from feedback_nlp.models.linear import save_arrays

    matrix = np.asfortranarray(np.arange(12, dtype=float).reshape(3, 4))
    save_arrays({"m": matrix}, tmp_path / "a.safetensors")
    assert np.array_equal(load_file(str(tmp_path / "a.safetensors"))["m"], matrix)
