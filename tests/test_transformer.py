"""The transformer path, end to end, on a tiny BERT that the test builds itself (no hub is reachable here)."""

import pytest

torch = pytest.importorskip("torch", reason="the [transformers] extra is not installed")
transformers = pytest.importorskip("transformers", reason="the [transformers] extra is not installed")
pytestmark = [pytest.mark.transformers, pytest.mark.slow]

TRAIN = [
    ("我的卡被多扣了两百块钱", "transaction_error"), ("退款一直没有到账", "transaction_error"),
    ("充值了话费没到账", "transaction_error"), ("重复扣款了请退回", "transaction_error"),
    ("请问怎么开通手机银行", "inquiry"), ("信用卡额度怎么提升", "inquiry"),
    ("营业厅几点关门", "inquiry"), ("怎么修改密码", "inquiry"),
    ("你们客服态度太差了", "complaint"), ("投诉你们的快递员", "complaint"),
    ("服务太烂了再也不用", "complaint"), ("等了一个小时没人理", "complaint"),
]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    """A 2-layer BERT with random weights and a character vocabulary, saved like a downloaded checkpoint."""
    folder = tmp_path_factory.mktemp("tiny-bert")
    chars = sorted({ch for text, _ in TRAIN for ch in text} | set("的了是我你"))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(str(folder / "vocab.txt"), do_lower_case=False)
    tokenizer.save_pretrained(folder)
    config = transformers.BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    torch.manual_seed(0)
    transformers.BertForSequenceClassification(config).save_pretrained(folder, safe_serialization=True)
    return folder


def test_train_evaluate_and_load_in_a_pipeline(tiny_bert, tmp_path):
    import csv

    from typer.testing import CliRunner

    from feedback_nlp.cli import app

    data = tmp_path / "train.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(TRAIN * 3)
    out = tmp_path / "model"
    runner = CliRunner()
    result = runner.invoke(app, ["train", "category", "--data", str(data), "--model", "transformer",
                                 "--base-model", str(tiny_bert), "--epochs", "20", "--max-length", "24",
                                 "--learning-rate", "3e-3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "hf" / "model.safetensors").exists() and (out / "MODEL_CARD.md").exists()
    result = runner.invoke(app, ["evaluate", str(out), "--data", str(data), "-o", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    import json

    report = json.loads((tmp_path / "report.json").read_text())
    assert report["overall"]["accuracy"] >= 0.75  # a tiny random model can learn 12 training sentences

    from feedback_nlp.models import load_model

    model = load_model(out)
    assert model.labels_ == ["complaint", "inquiry", "transaction_error"]
    proba = model.predict_proba(["退款没到账"])
    assert proba.shape == (1, 3) and abs(proba.sum() - 1) < 1e-5


def test_long_texts_keep_head_and_tail(tiny_bert):
    from feedback_nlp.models.transformer import TransformerTextClassifier

    model = TransformerTextClassifier(base_model=tiny_bert, max_length=16, epochs=1)
    model.fit([t for t, _ in TRAIN], [label for _, label in TRAIN])
    encoded = model.encode(["我" * 40 + "退款"])
    ids = encoded["input_ids"][0].tolist()
    assert len(ids) == 16
    tail = model._tokenizer.convert_ids_to_tokens(ids[-3:-1])
    assert tail == ["退", "款"]  # the end of the text survived truncation
