"""Shared fixtures. Tests that need ../shared/datasets skip with a reason when it is absent."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "datasets"


def needs_shared() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not SHARED.exists(), reason=f"{SHARED} is absent (the public corpora are not beside the project)")


@pytest.fixture(autouse=True)
def _collector_settings_restored():
    """`analyze` tunes the garbage collector for the rest of its process; tests run it in this one."""
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    gc.unfreeze()


@pytest.fixture(scope="session")
def nlp():
    import feedback_nlp

    return feedback_nlp.load()


@pytest.fixture(scope="session")
def base_nlp():
    """Only the text-processing components, for tests of the spine that do not need the models."""
    import feedback_nlp

    return feedback_nlp.load(disable=["category", "sentiment", "emotion", "satisfaction", "escalation"])


# A category and an emotion model trained on a few sentences written here, so that every component of the pipeline
# is exercised whether or not the shipped models include them.
CATEGORY_EXAMPLES = {
    "transaction_error": ["我的卡被多扣了两百块钱", "退款一直没有到账", "充值了话费没到账", "重复扣款了请退回",
                          "信用卡被重复扣款了，钱还没退", "年费乱扣了我三百"],
    "inquiry": ["请问怎么开通手机银行", "信用卡额度怎么提升", "营业厅几点关门", "怎么修改交易密码",
                "请问白金卡有什么权益", "境外能用这张卡吗"],
    "complaint": ["你们客服态度太差了", "投诉你们的快递员", "服务太烂了再也不用", "等了一个小时没人理",
                  "你们网点太敷衍了", "什么破服务"],
    "other": ["谢谢你们，点赞", "表扬一下客服小王", "建议增加夜间模式", "恭喜发财", "打错了不好意思", "哈哈哈"],
}
EMOTION_EXAMPLES = {
    "anger": ["气死我了", "你们简直欺人太甚", "太气人了，火大"], "disgust": ["呵呵，服务真好啊", "坑人的玩意", "你们就这么敷衍"],
    "sadness": ["太失望了", "唉，算了吧", "心累"], "fear": ["急用钱怎么办", "怕被盗刷了，好担心", "急死了"],
    "like": ["谢谢你们", "服务很好，点赞", "感谢耐心解答"], "joy": ["终于到账了，开心", "太好了，解决了", "哈哈，搞定"],
    "surprise": ["居然扣了这么多？", "竟然这样", "难以置信"], "none": ["请问怎么办理", "账单日是几号", "我在营业厅"],
}


@pytest.fixture(scope="session")
def test_models_pipeline(tmp_path_factory):
    """The default pipeline plus category and emotion models trained from the sentences above."""
    from feedback_nlp.models import LinearTextClassifier
    from feedback_nlp.resources import default_pipeline_path

    folder = tmp_path_factory.mktemp("test-models")
    for name, examples in (("category", CATEGORY_EXAMPLES), ("emotion", EMOTION_EXAMPLES)):
        texts = [t for texts in examples.values() for t in texts] * 3
        labels = [label for label, texts in examples.items() for _ in texts] * 3
        LinearTextClassifier(C=10).fit(texts, labels).save(folder / name, {"name": f"test-{name}", "version": "test"})
    config = default_pipeline_path().read_text(encoding="utf-8")
    models = (ROOT / "models").as_posix()
    config = config.replace('"../models/category"', f'"{(folder / "category").as_posix()}"')
    config = config.replace('"../models/emotion"', f'"{(folder / "emotion").as_posix()}"')
    config = config.replace('"../models/', f'"{models}/').replace('"../data/', f'"{(ROOT / "data").as_posix()}/')
    start = config.index("components = [")
    end = config.index("]", start) + 1
    config = config[:start] + ('components = ["normalize", "mask_pii", "segment", "category", "sentiment", "emotion", '
                               '"satisfaction", "escalation", "keywords"]') + config[end:]
    path = folder / "full.toml"
    path.write_text(config, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def full_nlp(test_models_pipeline):
    import feedback_nlp

    return feedback_nlp.load(test_models_pipeline)
