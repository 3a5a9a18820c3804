import shutil

import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark (the [spark] extra) is not installed")
pytestmark = [pytest.mark.spark, pytest.mark.slow,
              pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime for a local Spark")]


@pytest.fixture(scope="module")
def spark():
    import os
    import sys

    from pyspark.sql import SparkSession

    # Python workers must run this interpreter (with feedback-nlp installed), not whatever python3 is on PATH.
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable

    session = (SparkSession.builder.master("local[2]").appName("feedback-nlp-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())
    yield session
    session.stop()


def test_plain_texts(spark, nlp):  # the shipped default pipeline, as a cluster job would load it
    from feedback_nlp.spark import analyze

    rows = [("1", "我的卡被重复扣款了，钱还没退", "phone"), ("2", "请问怎么开通手机支付", "chat"), ("3", "  ", "sms")]
    df = spark.createDataFrame(rows, ["call_id", "text", "channel"]).repartition(2)
    scored = analyze(df, text_col="text", id_col="call_id").orderBy("id").collect()
    assert [r["id"] for r in scored] == ["1", "2", "3"]  # nothing lost: the empty text keeps its row
    expected = nlp.analyze_batch([{"id": "1", "text": rows[0][1]}])[0]
    assert scored[0]["channel"] == "phone"
    assert abs(scored[0]["sentiment_score"] - expected.sentiment_score) < 1e-6
    assert scored[0]["satisfaction_dist"] == pytest.approx(expected.satisfaction_dist, abs=1e-6)
    assert scored[2]["error"] and scored[2]["sentiment_score"] is None


def test_transcripts_as_array_of_struct(spark):
    from pyspark.sql import Row

    from feedback_nlp.spark import analyze

    df = spark.createDataFrame([Row(id="c1", turns=[Row(speaker="客户", text="退款三天了还没到账"),
                                                    Row(speaker="坐席", text="我帮您催一下")])])
    [row] = analyze(df, turns_col="turns").collect()
    assert [t["speaker"] for t in row["turns"]] == ["customer", "agent"]
    assert row["turns"][0]["sentiment_score"] is not None and row["satisfaction"] is not None
