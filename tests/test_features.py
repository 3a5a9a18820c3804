"""The hashed featurizer and the stacked sentiment model built on it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from feedback_nlp import errors
from feedback_nlp.features import HashedFeaturizer
from feedback_nlp.models import LinearTextClassifier, load_model
from feedback_nlp.models.stacked import StackedSentimentModel

TEXTS = ["我不太满意这个服务", "退款还没到账", "", "谢谢，服务很好"]
TOKENS = [["我", "不", "太", "满意", "这个", "服务"], ["退款", "还", "没", "到账"], [], ["谢谢", "服务", "很", "好"]]


def test_a_batch_equals_its_rows_one_by_one():
    featurizer = HashedFeaturizer()
    batch = featurizer.counts(TEXTS, TOKENS)
    for i, (text, tokens) in enumerate(zip(TEXTS, TOKENS, strict=True)):
        assert (batch[i] != featurizer.counts([text], [tokens])).nnz == 0
    assert batch[2].nnz == 0 and batch.shape == (4, 2**20)


def test_hashes_do_not_depend_on_the_process():
    # Python's hash() is salted per process; the features must not be, or a saved model would read garbage.
    code = ("from feedback_nlp.features import HashedFeaturizer; m = HashedFeaturizer().counts(['退款没到账'], "
            "[['退款', '没', '到账']]); print(sorted(m.indices.tolist()))")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": str(seed), "PATH": ""}).stdout for seed in (1, 2)}
    assert len(runs) == 1


def test_named_features_match_the_columns_and_mark_negation():
    featurizer = HashedFeaturizer()
    names = featurizer.named_features(TEXTS[0], TOKENS[0])
    assert set(names) == set(featurizer.counts(TEXTS[:1], TOKENS[:1]).indices.tolist())
    values = set(names.values())
    assert {"c:满意", "w:满意", "b:太|满意", "neg:太"} <= values
    assert "lex:negated_like" in values or "lex:neg" in values  # 满意 after 不太 reads as negative


REVIEWS = (["质量很好，很满意", "非常喜欢，推荐", "东西不错，好评", "太差了，退货", "质量很差，失望", "垃圾，别买"] * 5,
           ["positive", "positive", "positive", "negative", "negative", "negative"] * 5)
SERVICE = (["请问怎么开通", "我的宽带断了", "账单日是几号", "你们太坑了", "服务真差", "谢谢你们，很满意"] * 5,
           ["neutral", "neutral", "neutral", "negative", "negative", "positive"] * 5)


def test_stacked_sentiment_fits_saves_and_loads(tmp_path):
    model = StackedSentimentModel().fit(SERVICE[0], SERVICE[1], review_texts=REVIEWS[0], review_labels=REVIEWS[1])
    assert model.labels_ == ["negative", "neutral", "positive"]
    assert model.service.extra_coef_.shape == (2, 3)  # r and |r| beside the text
    probe = ["服务太差了", "请问营业厅在哪"]
    before = model.predict_proba(probe)
    model.save(tmp_path / "sentiment", {"neutral_band": [-0.3, 0.3]})
    loaded = load_model(tmp_path / "sentiment")
    assert isinstance(loaded, StackedSentimentModel) and loaded.info["neutral_band"] == [-0.3, 0.3]
    assert np.allclose(loaded.predict_proba(probe), before, atol=1e-5)
    assert loaded.predict(probe)[1] == "neutral"


def test_a_stacked_level_without_its_stacked_input_fails_clearly():
    service = LinearTextClassifier(calibrate=False)
    service.fit(SERVICE[0], SERVICE[1], extra=np.ones((len(SERVICE[0]), 2)))
    with pytest.raises(errors.ModelError, match="stacked feature"):
        service.predict_proba(["请问怎么开通"])
