"""Scale-out with Spark: `analyze(df)` scores a DataFrame with `mapInPandas`, one pipeline per Python worker.

    from feedback_nlp.spark import analyze
    scored = analyze(spark.read.parquet("calls.parquet"), text_col="text", id_col="call_id")

Plain texts come from `text_col`; transcripts from an array-of-struct column (`turns_col`) with `speaker` and
`text` fields (and optional `start`/`end`). Every other column passes through. A record that cannot be analysed
keeps its row, with the reason in `error`, so row counts always match. Needs the [spark] extra on the driver and
feedback-nlp (with its models: pip install the wheel, or set FEEDBACK_NLP_HOME) on every executor.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import errors

_WORKER_PIPELINES: dict[str | None, Any] = {}


def _types():
    try:
        from pyspark.sql import types as T
    except ImportError as exc:
        raise errors.extra_not_installed("spark", "pyspark") from exc
    return T


def output_schema(input_schema, text_col: str, id_col: str, turns_col: str | None):
    """The CLI's output schema as Spark types, after the input's pass-through columns."""
    T = _types()
    turn = T.StructType([
        T.StructField("speaker", T.StringType()), T.StructField("text_masked", T.StringType()),
        T.StructField("start", T.DoubleType()), T.StructField("end", T.DoubleType()),
        T.StructField("sentiment_score", T.DoubleType()), T.StructField("sentiment_label", T.StringType()),
        T.StructField("emotion", T.StringType()),
    ])
    scores = T.MapType(T.StringType(), T.DoubleType())
    fields = [T.StructField("id", T.StringType())]
    fields += [f for f in input_schema.fields if f.name not in (text_col, id_col, turns_col, "id")]
    fields += [
        T.StructField("text_masked", T.StringType()),
        T.StructField("category", T.StringType()), T.StructField("category_confidence", T.DoubleType()),
        T.StructField("category_scores", scores),
        T.StructField("sentiment_score", T.DoubleType()), T.StructField("sentiment_label", T.StringType()),
        T.StructField("sentiment_start", T.DoubleType()), T.StructField("sentiment_end", T.DoubleType()),
        T.StructField("sentiment_shift", T.DoubleType()),
        T.StructField("emotion", T.StringType()), T.StructField("emotion_scores", scores),
        T.StructField("satisfaction", T.DoubleType()), T.StructField("satisfaction_dist", T.ArrayType(T.DoubleType())),
        T.StructField("resolution", T.DoubleType()), T.StructField("resolution_dist", T.ArrayType(T.DoubleType())),
        T.StructField("escalation_risk", T.DoubleType()), T.StructField("escalation_cues", T.ArrayType(T.StringType())),
        T.StructField("keywords", T.ArrayType(T.StringType())),
        T.StructField("turns", T.ArrayType(turn)),
        T.StructField("truncated", T.BooleanType()), T.StructField("error", T.StringType()),
    ]
    return T.StructType(fields)


def _pipeline(pipeline_path: str | None):
    """Loaded once per Python worker process and reused for every partition it scores."""
    if pipeline_path not in _WORKER_PIPELINES:
        from .pipeline import load

        nlp = load(pipeline_path)
        nlp.parser.text_field, nlp.parser.id_field = "text", "id"
        _WORKER_PIPELINES[pipeline_path] = nlp
    return _WORKER_PIPELINES[pipeline_path]


def _plain(value: Any) -> Any:
    """Arrow hands nested values to pandas as numpy arrays and Rows; the parser wants lists and dicts."""
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "tolist") and not isinstance(value, str):
        return [_plain(v) for v in value.tolist()] if getattr(value, "ndim", 0) else value.item()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def analyze(df, text_col: str = "text", id_col: str = "id", turns_col: str | None = None,
            pipeline_path: str | None = None, batch_size: int = 256):
    """Score a Spark DataFrame; returns a DataFrame with the output schema (see the README)."""
    columns = df.columns
    for needed, option in ((id_col, "id_col"), (turns_col or text_col, "turns_col" if turns_col else "text_col")):
        if needed not in columns:
            raise errors.missing_column(needed, option, columns)
    schema = output_schema(df.schema, text_col, id_col, turns_col)
    names = schema.fieldNames()
    passthrough = [f.name for f in df.schema.fields if f.name not in (text_col, id_col, turns_col, "id")]

    def score(batches: Iterator) -> Iterator:
        import pandas as pd

        nlp = _pipeline(pipeline_path)
        for frame in batches:
            for start in range(0, len(frame), batch_size):
                part = frame.iloc[start : start + batch_size]
                records = []
                for row in part.to_dict("records"):
                    record = {"id": None if row.get(id_col) is None else str(row[id_col])}
                    if turns_col:
                        record["turns"] = _plain(row.get(turns_col))
                    else:
                        record["text"] = row.get(text_col)
                    records.append(record)
                docs = nlp.analyze_batch(records)
                out = []
                for row, doc in zip(part.to_dict("records"), docs, strict=True):
                    result = doc.to_dict() if doc.error is None else {"id": doc.id, "error": doc.error}
                    result.update({c: row[c] for c in passthrough})
                    out.append({n: result.get(n) for n in names})
                yield pd.DataFrame(out, columns=names)

    return df.mapInPandas(score, schema)
