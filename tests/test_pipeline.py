import subprocess
import sys

import pytest
from conftest import ROOT

import feedback_nlp
from feedback_nlp import errors
from feedback_nlp.pipeline import read_config
from feedback_nlp.resources import default_pipeline_path


def test_default_pipeline_components(nlp):
    names = nlp.pipe_names
    assert names[:3] == ["normalize", "mask_pii", "segment"] and names[-1] == "keywords"
    assert {"sentiment", "satisfaction", "escalation"} <= set(names)
    for name in ("category", "emotion"):  # in the pipeline exactly when a shipped model exists
        assert (name in names) == (ROOT / "models" / name / "model.json").exists()


def test_text_and_transcript_outputs(full_nlp):
    nlp = full_nlp
    doc = nlp("我的信用卡被重复扣款了，到现在还没退回来，太气人了")
    out = doc.to_dict()
    assert out["category"] in out["category_scores"]
    assert abs(sum(out["category_scores"].values()) - 1) < 1e-3
    assert -1 <= out["sentiment_score"] <= 1 and out["sentiment_label"] in ("negative", "neutral", "positive")
    assert out["emotion"] in out["emotion_scores"]
    assert len(out["satisfaction_dist"]) == 5 and -2 <= out["satisfaction"] <= 2
    assert 0 <= out["escalation_risk"] <= 1
    assert "turns" not in out and "sentiment_shift" not in out

    call = nlp({"id": "c", "turns": [{"speaker": "客户", "text": "退款三天了还没到账，怎么回事"},
                                     {"speaker": "坐席", "text": "非常抱歉，已为您加急处理"},
                                     {"speaker": "客户", "text": "好的，收到了，谢谢"}]}).to_dict()
    customer = [t for t in call["turns"] if t["speaker"] == "customer"]
    assert all("sentiment_score" in t and "emotion" in t for t in customer)
    assert "sentiment_score" not in call["turns"][1]
    assert call["sentiment_shift"] == pytest.approx(call["sentiment_end"] - call["sentiment_start"], abs=1e-3)


def test_absent_components_leave_no_fields(test_models_pipeline):
    nlp = feedback_nlp.load(test_models_pipeline, disable=["category", "satisfaction", "escalation"])
    out = nlp("退款没到账").to_dict()
    assert "category" not in out and "satisfaction" not in out and "escalation_risk" not in out
    assert "sentiment_score" in out


def test_pipe_matches_call_and_keeps_order(full_nlp):
    nlp = full_nlp
    texts = ["退款没到账", "请问怎么开通", "你们服务太差了", "谢谢你们"] * 10
    piped = [d.to_dict() for d in nlp.pipe(texts, batch_size=7)]
    single = [nlp(t).to_dict() for t in texts]
    for a, b in zip(piped, single, strict=True):
        assert {k: v for k, v in a.items() if k != "id"} == {k: v for k, v in b.items() if k != "id"}


def test_plain_texts_score_the_same_with_and_without_a_transcript_in_their_batch(full_nlp):
    # A batch of plain texts only featurises a dialogue's markers on top of the contact's counts; one transcript in
    # the batch sends every contact through the featurising of whole dialogues.
    texts = ["退款没到账，不满意", "请问怎么开通", "你们服务太差了，我要投诉", "谢谢你们，很好", "不"]
    transcript = {"id": "t", "turns": [{"speaker": "customer", "text": "扣了两次款"}, {"speaker": "agent", "text": "您好"}]}
    alone = [d.to_dict() for d in full_nlp.pipe(texts, batch_size=8)]
    mixed = [d.to_dict() for d in full_nlp.pipe([*texts, transcript], batch_size=8)][: len(texts)]
    assert [d["satisfaction_dist"] for d in alone] == [d["satisfaction_dist"] for d in mixed]
    assert alone == mixed


def test_pipe_with_two_processes_matches_one(full_nlp):
    nlp = full_nlp
    texts = [f"第{i}次打电话了，退款还没到账" for i in range(60)]
    one = [d.to_dict() for d in nlp.pipe(texts, batch_size=8)]
    two = [d.to_dict() for d in nlp.pipe(texts, batch_size=8, n_process=2)]
    assert one == two


def test_warm_up_loads_the_lexicon_that_the_first_batch_would(test_models_pipeline):
    # In a fresh process: this one's lexicon was loaded by earlier tests. Workers forked after the warm-up share it.
    code = ("import sys, feedback_nlp\nfrom feedback_nlp.lexicon import load_lexicon\n"
            f"feedback_nlp.load({str(test_models_pipeline)!r}, warm_up=sys.argv[1] == 'warm')\n"
            "print(load_lexicon.cache_info().currsize)")
    loaded = {how: subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True, check=True)
              .stdout.split()[-1] for how in ("warm", "cold")}
    assert loaded == {"warm": "1", "cold": "0"}


def test_a_pipeline_loaded_cold_warms_up_in_its_workers_and_scores_the_same(full_nlp, test_models_pipeline):
    cold = feedback_nlp.load(test_models_pipeline, warm_up=False)
    # The components' scoring tables: a bank shared by the contact-level components, satisfaction's own.
    models = list({id(o): o for _, c in cold.components if hasattr(c, "_bank_owner") for o in [c._bank_owner()]}.values())
    assert len(models) == 2 and all(m._bank is None for m in models), "warm_up=False must leave the tables unbuilt"
    texts = [f"第{i}次打电话了，退款还没到账" for i in range(40)]
    expected = [d.to_dict() for d in full_nlp.pipe(texts, batch_size=8)]
    assert [d.to_dict() for d in cold.pipe(texts, batch_size=8, n_process=2)] == expected
    assert all(m._bank is None for m in models), "the workers warmed up, not the parent"
    assert cold.get_pipe("segment")._cut is None, "the workers built their own tokenizers"
    assert [d.to_dict() for d in cold.pipe(texts, batch_size=8)] == expected
    assert all(m._bank is not None for m in models)


def test_a_failing_record_does_not_stop_the_batch(nlp):
    docs = nlp.analyze_batch(["退款没到账", "   ", {"turns": "oops"}, "谢谢"])
    assert [d.error is None for d in docs] == [True, False, False, True]
    assert docs[1].error_code == "empty_text" and docs[2].error_code == "invalid_turns"


def test_config_errors_are_clear(tmp_path):
    with pytest.raises(errors.ConfigError, match="not found"):
        feedback_nlp.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[pipeline\ncomponents = 1")
    with pytest.raises(errors.ConfigError, match="not valid"):
        feedback_nlp.load(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[pipeline]\ncomponents = ["normalize", "teleport"]\n')
    with pytest.raises(errors.ConfigError, match="Unknown pipeline component 'teleport'"):
        feedback_nlp.load(unknown)
    order = tmp_path / "order.toml"
    order.write_text('[pipeline]\ncomponents = ["normalize", "escalation"]\n')
    with pytest.raises(errors.ConfigError, match="needs 'sentiment'"):
        feedback_nlp.load(order)
    missing_model = tmp_path / "model.toml"
    missing_model.write_text('[pipeline]\ncomponents = ["normalize", "segment", "category"]\n'
                             '[components.category]\nmodel = "nowhere"\n')
    with pytest.raises(errors.ModelError, match="No model at"):
        feedback_nlp.load(missing_model)
    for settings, message in (('backend = "pkuseg"', "Unknown segmentation backend 'pkuseg'"),
                              ('user_dict = "nowhere.txt"', "segmentation dictionary .*nowhere.txt does not exist")):
        segmenter = tmp_path / "segment.toml"
        segmenter.write_text(f'[pipeline]\ncomponents = ["normalize", "segment"]\n[components.segment]\n{settings}\n')
        with pytest.raises(errors.ConfigError, match=message):
            feedback_nlp.load(segmenter, warm_up=False)  # refused when the file is read, not at the first batch


def test_a_copied_pipeline_file_changes_behaviour(tmp_path):
    text = default_pipeline_path().read_text(encoding="utf-8")
    copy = tmp_path / "mine.toml"
    copy.write_text(text.replace('"../', f'"{ROOT.as_posix()}/')
                    .replace("remove_asr_fillers = false", "remove_asr_fillers = true"), encoding="utf-8")
    nlp = feedback_nlp.load(copy)
    assert nlp("嗯 那个那个我的卡被扣了").to_dict()["text_masked"].startswith("那个我的卡")
    assert read_config(copy)["components"]["normalize"]["remove_asr_fillers"] is True


def test_rules_override_the_model_except_for_money_problems(full_nlp):
    nlp = full_nlp
    category = nlp.get_pipe("category")
    rule = category.matching_rule("你们服务太差，我要打12315", "inquiry")
    assert rule is not None and rule.label == "complaint"
    assert category.matching_rule("多扣了我200块，我要打12315", "transaction_error") is None


def test_explain_lists_contributing_terms(full_nlp):
    nlp = full_nlp
    category = nlp.get_pipe("category")
    category.explain = True
    try:
        doc = nlp("我的信用卡被重复扣款了，钱一直没退回来")
    finally:
        category.explain = False
    terms = [e["term"] for e in doc.category_explanation]
    assert terms and all(e["weight"] > 0 for e in doc.category_explanation)
    assert any(t in "".join(terms) for t in ("扣款", "退", "重复"))


def test_the_contact_level_components_share_one_bank_pass_per_batch(full_nlp, monkeypatch):
    from feedback_nlp.models.bank import LinearBank

    texts = ["退款还没到账，太慢了", "请问信用卡怎么激活", {"turns": [{"speaker": "客户", "text": "扣了两次钱"},
                                                          {"speaker": "坐席", "text": "我帮您查一下"}]}]
    shared = [d.to_dict() for d in full_nlp.pipe(texts)]
    passes = []
    original = LinearBank.decision
    def counted(bank, counts):
        passes.append(len(bank.models))
        return original(bank, counts)

    monkeypatch.setattr(LinearBank, "decision", counted)
    full_nlp.analyze_batch(texts)
    # contact level and turn level: category + sentiment's two levels + emotion in one pass; satisfaction's three.
    assert sorted(passes) == [3, 4, 4]
    owners = [c for _, c in full_nlp.components if getattr(c, "shared_bank", None) is not None]
    assert {name for name, c in full_nlp.components if c in owners} == {"category", "sentiment", "emotion"}
    for component in owners:
        component.shared_bank = None  # back to each model's own bank
    try:
        assert [d.to_dict() for d in full_nlp.pipe(texts)] == shared
    finally:
        from feedback_nlp.component import share_banks

        share_banks(c for _, c in full_nlp.components)


def test_a_missing_base_dependency_says_to_reinstall(monkeypatch):
    import importlib.util

    from feedback_nlp import keywords

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "jieba" else real_find_spec(name, *a))
    with pytest.raises(errors.FeedbackNLPError, match="'jieba'.*pip install feedback-nlp$"):
        keywords.jieba_idf_source()


def test_the_shipped_idf_table_is_jiebas(tmp_path):
    # Built by scripts/build_idf_table.py; if jieba's idf.txt ever changes, this says to rebuild it.
    import numpy as np

    from feedback_nlp.keywords import IDF_TABLE, IdfTable, build_idf_table, jieba_idf_source
    from feedback_nlp.resources import lexicon_path

    source = jieba_idf_source()
    built = build_idf_table(source)
    with np.load(lexicon_path(IDF_TABLE)) as shipped:
        assert str(shipped["source_sha256"]) == str(built["source_sha256"]), "rerun scripts/build_idf_table.py"
        for name in ("keys", "codes", "values", "median"):
            assert np.array_equal(shipped[name], built[name]), name
    lines = source.read_text(encoding="utf-8").splitlines()
    sample = dict(line.split(" ") for line in lines[::997])
    table = IdfTable(built)
    assert table.lookup([*sample, "不在表里的词xyz"]) == [*map(float, sample.values()), table.median]
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(errors.FeedbackNLPError, match="broken.npz cannot be read.*Reinstall"):
        IdfTable.load(broken)


def test_keywords_are_the_same_when_the_memo_fills_up(base_nlp, monkeypatch):
    texts = ["退款一直没有到账，客服电话也打不通", "信用卡年费怎么收取", "网点排队太久，服务态度很差"] * 3
    expected = [d.keywords for d in base_nlp.pipe(texts)]
    assert all(expected)
    extractor = base_nlp.get_pipe("keywords")
    monkeypatch.setattr(extractor, "memo_size", 4)
    monkeypatch.setattr(extractor, "_idf", {})
    assert [d.keywords for d in base_nlp.pipe(texts)] == expected
    assert [base_nlp(t).keywords for t in texts] == expected


def test_rjieba_is_loaded_without_its_unused_default_tokenizer():
    # Its package __init__ builds a tokenizer with the default dictionary (0.1 s); the segmenter builds its own.
    code = ("import sys; from feedback_nlp.segment import _rjieba_class; cls = _rjieba_class(); "
            "print('rjieba' in sys.modules, cls().cut('退款没到账', True)); import rjieba; print(rjieba.Jieba is cls)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0].startswith("False [") and "退款" in out[0]
    assert out[1] == "True"  # a later `import rjieba` still works and hands out the same class


def test_rjieba_falls_back_to_a_plain_import_or_says_it_is_missing(monkeypatch):
    import importlib.machinery
    import importlib.util

    import rjieba

    from feedback_nlp.segment import _rjieba_class

    real_find_spec = importlib.util.find_spec
    unusual = importlib.machinery.ModuleSpec("rjieba", None, is_package=True)  # a layout without the compiled file
    unusual.submodule_search_locations = []
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: unusual if name == "rjieba" else real_find_spec(name, *a))
    assert _rjieba_class() is rjieba.Jieba
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "rjieba" else real_find_spec(name, *a))
    with pytest.raises(errors.FeedbackNLPError, match="'rjieba'"):
        _rjieba_class()
