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


def test_a_batch_too_large_for_int32_keys_counts_as_small_ones_do():
    # Up to 2,047 texts the (row, column) keys are sorted as int32; beyond, as int64.
    featurizer = HashedFeaturizer()
    texts, tokens = TEXTS * 520, TOKENS * 520  # 2,080 texts
    large = featurizer.counts(texts, tokens)
    small = featurizer.counts(TEXTS, TOKENS)
    assert large.indices.dtype == np.int32 and (large[-4:] != small).nnz == 0 and (large[:4] != small).nnz == 0


def test_counts_extended_by_added_tokens_equal_counts_of_the_whole_lists():
    # The added tokens' features reach back into the tokens before them: a pair with the last one, a negation
    # ("不" ends the first list, and its prefixed copy ends the copies), a lexicon word's window ("很" before "好"
    # in the extras, "没" two tokens before the extras of the second list).
    featurizer = HashedFeaturizer()
    extra = [["sent:neg", "不"], ["好"], ["很", "好", "不", "满意"], []]
    tokens = [t + ["不"] if i == 0 else t for i, t in enumerate(TOKENS)]
    whole = featurizer.counts(TEXTS, [t + ["last:" + w for w in t] + e for t, e in zip(tokens, extra, strict=True)])
    extended = featurizer.extended_counts(featurizer.counts(TEXTS, tokens), tokens, "last:", extra)
    for name in ("indptr", "indices", "data"):
        assert getattr(extended, name).dtype == getattr(whole, name).dtype
        assert np.array_equal(getattr(extended, name), getattr(whole, name)), name
    no_tokens = featurizer.extended_counts(featurizer.counts(TEXTS, [[]] * 4), [[]] * 4, "last:", extra)
    assert (no_tokens != featurizer.counts(TEXTS, extra)).nnz == 0


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


def test_a_bank_scores_each_model_as_it_would_alone():
    from feedback_nlp.models.bank import LinearBank

    reviews = LinearTextClassifier(calibrate=False).fit(*REVIEWS)
    service = LinearTextClassifier(calibrate=False).fit(*SERVICE)
    probe = ["服务太差了", "请问营业厅在哪", "", "质量很好，推荐"]
    counts = reviews.counts(probe)
    # The textbook form: keep the model's columns, tf-idf, unit rows, then the linear map.
    expected = [np.asarray(m._weighted(counts) @ m.coef_) + m.intercept_ for m in (reviews, service)]
    together = LinearBank([reviews, service]).decision(counts)
    alone = [reviews.bank.decision(counts)[0], service.bank.decision(counts)[0]]
    for want, got_together, got_alone in zip(expected, together, alone, strict=True):
        assert np.allclose(got_together, want, atol=1e-5) and np.allclose(got_alone, want, atol=1e-5)
    padded = LinearBank([reviews, *[service] * 4])  # 1 + 4 * 3 columns, padded to a 16-wide row
    assert padded.score_weights.shape[1] == 16
    for got in padded.decision(counts)[1:]:
        assert np.array_equal(got, together[1])
    assert np.array_equal(padded.decision(counts)[0], together[0])


def test_a_bank_keeps_one_column_of_a_binary_model_in_cache_line_rows():
    from feedback_nlp.models.bank import LinearBank, _cache_line_rows

    reviews = LinearTextClassifier(calibrate=False).fit(*REVIEWS)
    service = LinearTextClassifier(calibrate=False).fit(*SERVICE)
    bank = LinearBank([reviews, service])
    assert bank.mirrored == [True, False] and bank.score_weights.shape[1] == 1 + len(service.labels_)
    logits = bank.decision(reviews.counts(["服务太差了", "", "质量很好，推荐"]))[0]
    assert logits.shape == (3, 2) and np.array_equal(logits[:, 0], -logits[:, 1])
    for width, padded in ((15, 16), (16, 16), (4, 4), (17, 17), (29, 32)):
        table = _cache_line_rows(7, width)
        assert table.shape == (7, padded) and table.ctypes.data % 64 == 0 and not table.any()


def test_word_facts_stay_right_when_the_vocabulary_is_reset():
    from feedback_nlp.word_facts import WordFacts

    facts = WordFacts(limit=3)
    first = facts.lookup(["不", "满意", "服务"])
    again = facts.lookup(["退款", "不", "满意", "服务", "退款"])  # over the limit: starts afresh
    assert first.negation.tolist() == [True, False, False]
    assert again.negation.tolist() == [False, True, False, False, False]
    assert again.hash[0] == again.hash[4] and again.hash[1] == first.hash[0]
    assert again.polarity[2] == 1  # 满意 is a positive lexicon word


def test_word_facts_of_a_list_changed_since_its_last_lookup_are_its_new_words():
    from feedback_nlp.word_facts import WordFacts

    facts, words = WordFacts(), ["不", "满意"]
    assert facts.lookup(words).negation.tolist() == [True, False]
    words[0] = "很"
    assert facts.lookup(words).negation.tolist() == [False, False]
    assert facts.lookup(words, "last:").hash[0] == WordFacts().lookup(["last:很"]).hash[0]


def test_prefixed_word_facts_are_those_of_the_prefixed_words():
    from feedback_nlp.word_facts import WordFacts

    words = ["不", "满意", "服务", "不"]
    for limit in (1_000, 3):  # the second is full before the prefixed lookup, which starts afresh
        facts = WordFacts(limit=limit)
        plain = facts.lookup(words)
        prefixed = facts.lookup(words, "last:")
        expected = WordFacts().lookup(["last:" + w for w in words])
        for name, value in prefixed._asdict().items():
            assert np.array_equal(value, getattr(expected, name)), name
        assert not prefixed.negation.any() and plain.negation[0] and prefixed.hash[0] != plain.hash[0]


def test_the_remembered_character_ngrams_are_the_batch_own():
    featurizer = HashedFeaturizer()
    first = featurizer.counts(TEXTS, TOKENS)
    other = featurizer.counts(TEXTS[::-1], TOKENS[::-1])  # different texts: not the remembered ones
    assert (other[0] != first[3]).nnz == 0 and (featurizer.counts(TEXTS, TOKENS) != first).nnz == 0


def test_worker_processes_use_one_blas_thread():
    code = ("import feedback_nlp, sklearn.linear_model; from threadpoolctl import threadpool_info; "
            "from feedback_nlp.workers import single_threaded_math; single_threaded_math(); "
            "print(max(p['num_threads'] for p in threadpool_info()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "1"


def test_the_vectorised_lexicon_tags_match_the_lexicon_reading_word_by_word():
    from collections import Counter

    from feedback_nlp.features import _LEX_TAGS
    from feedback_nlp.lexicon import load_lexicon
    from feedback_nlp.word_facts import WORD_FACTS

    docs = [["不", "满意"], ["非常", "满意", "，", "很", "生气"], ["没有", "不", "好"], ["不"], [],
            ["满意"], ["太", "失望", "了"], ["特别", "不", "开心"]]  # a window never reaches into the doc before
    flat = [t for d in docs for t in d]
    doc = np.repeat(np.arange(len(docs)), [len(d) for d in docs])
    rows, ids = HashedFeaturizer._lexicon_tags(WORD_FACTS.lookup(flat), doc)
    got = [Counter(f"lex:{_LEX_TAGS[t]}" for r, t in zip(rows, ids, strict=True) if r == i) for i in range(len(docs))]
    expected = [Counter(load_lexicon().tags(d)) for d in docs]
    assert got == expected and sum(map(len, expected)) >= 8
