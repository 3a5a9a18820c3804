import csv
import io
import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback_nlp import errors
from feedback_nlp.batch import BatchOptions, analyze_file
from feedback_nlp.io import InputReader, ReaderOptions, Record
from feedback_nlp.io.decoding import decode_line


def items(path, **options):
    return list(InputReader(path, ReaderOptions(**options)))


def records(path, **options):
    return [i for i in items(path, **options) if isinstance(i, Record)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encoding_detected(tmp_path, encoding):
    path = tmp_path / "in.csv"
    path.write_bytes("id,text\n1,退款还没到账，怎么回事\n".encode(encoding))
    [record] = records(path)
    assert record.data == {"id": "1", "text": "退款还没到账,怎么回事".replace(",", "，")}


def test_explicit_encoding_and_unknown_encoding(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes("扣费错误\n".encode("gbk"))
    assert records(path, encoding="gbk")[0].data["text"] == "扣费错误"
    with pytest.raises(errors.InputError, match="Unknown encoding"):
        InputReader(path, ReaderOptions(encoding="klingon"))


def test_binary_and_undecodable_lines_are_refused():
    with pytest.raises(errors.RecordError) as info:
        decode_line(b"ab\x00\x01cd")
    assert info.value.code == "binary"
    with pytest.raises(errors.RecordError) as info:
        decode_line(b"\xff\xfe\xfd\x80\x80")
    assert info.value.code == "undecodable"


def test_mixed_file_nothing_lost(tmp_path, base_nlp):
    data = "id,text,channel\n1,多扣了钱,phone\n".encode()
    data += "2,这是GBK编码的投诉,sms\n".encode("gbk")
    data += b'3,"unterminated quote,sms\n'
    data += b"4,,chat\n"
    data += b"5,\x00\x01binary\xff,sms\n"
    data += ("6," + "长" * 1_000_000 + ",phone\n").encode()
    data += '7,"客户：退款没到\n坐席：马上查",chat\n'.encode()
    data += b"8,a,b,c,d\n"
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    out = tmp_path / "out.jsonl"
    stats = analyze_file(base_nlp, InputReader(path), out)
    scored = [json.loads(line) for line in out.read_text().splitlines()]
    rejected = [json.loads(line) for line in (tmp_path / "out.jsonl.rejected.jsonl").read_text().splitlines()]
    assert stats.rows_in == 8 == len(scored) + len(rejected)
    assert sorted(r["id"] for r in scored) == ["1", "2", "6", "7"]
    assert {r["line"]: r["code"] for r in rejected} == {
        4: "malformed_row", 5: "empty_text", 6: "binary", 10: "malformed_row"}
    long_row = next(r for r in scored if r["id"] == "6")
    assert long_row["truncated"] is True
    assert next(r for r in scored if r["id"] == "7")["turns"][1]["speaker"] == "agent"


def test_line_over_the_byte_limit_is_rejected_not_buffered(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes(b"ok\n" + b"x" * 5000 + b"\nfine\n")
    got = items(path, max_line_bytes=1000)
    assert [type(i).__name__ for i in got] == ["Record", "Rejected", "Record"]
    assert got[1].code == "line_too_long" and got[2].data["text"] == "fine"


def test_missing_column_is_a_clear_error(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,content\n1,x\n")
    with pytest.raises(errors.InputError, match="Column 'text'.*Columns found: id, content"):
        items(path)
    assert records(path, text_col="content")[0].data["text"] == "x"


def test_id_defaults_to_row_number_and_columns_pass_through(tmp_path):
    path = tmp_path / "in.tsv"
    path.write_text("text\tagent_id\t渠道\n投诉\tA01\t电话\n咨询\tA02\t短信\n")
    got = records(path)
    assert [r.data for r in got] == [
        {"id": "1", "text": "投诉", "agent_id": "A01", "渠道": "电话"},
        {"id": "2", "text": "咨询", "agent_id": "A02", "渠道": "短信"},
    ]


def test_jsonl_json_parquet_txt(tmp_path):
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text('{"id": "a", "text": "x"}\n"plain string"\n[1, 2]\n{oops\n\n')
    got = items(jsonl)
    assert [type(i).__name__ for i in got] == ["Record", "Record", "Rejected", "Rejected"]
    assert got[2].code == "invalid_record" and got[3].code == "invalid_json"

    doc = tmp_path / "b.json"
    doc.write_text(json.dumps([{"id": 1, "turns": [{"speaker": "客户", "text": "hi"}]}], ensure_ascii=False))
    assert records(doc)[0].data["turns"][0]["speaker"] == "客户"
    bad = tmp_path / "c.json"
    bad.write_text("{not json")
    with pytest.raises(errors.InputError, match="not valid JSON"):
        items(bad)

    parquet = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": ["p1"], "text": ["扣款"], "n": [3]}), parquet)
    assert records(parquet)[0].data == {"id": "p1", "text": "扣款", "n": 3}

    txt = tmp_path / "e.txt"
    txt.write_text("客户：退款\n坐席：好的\n\n客户：投诉\n坐席：抱歉\n")
    blocks = records(txt, txt_records="blocks")
    assert len(blocks) == 2 and blocks[1].data["text"] == "客户：投诉\n坐席：抱歉"


def test_unknown_extension(tmp_path):
    path = tmp_path / "in.xlsx"
    path.write_text("x")
    with pytest.raises(errors.InputError, match="Cannot tell the format"):
        InputReader(path)


def test_long_table_grouped_into_conversations(tmp_path, base_nlp):
    path = tmp_path / "long.csv"
    path.write_text(
        "call_id,turn,speaker,text,agent_id\n"
        "c2,2,坐席,好的马上处理,A02\n"
        "c1,1,客户,我的退款没到,A01\n"
        "c2,1,客户,被多扣了,A02\n"
        "c1,2,坐席,请稍等,A01\n"
        ",1,客户,no conversation,A01\n"
    )
    out = tmp_path / "out.jsonl"
    stats = analyze_file(base_nlp, InputReader(path), out,
                         BatchOptions(conversation_col="call_id", speaker_col="speaker", order_col="turn"))
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["c2"]["turns"][0]["text_masked"] == "被多扣了"
    assert rows["c1"]["agent_id"] == "A01"
    assert stats.rejected == 1 and stats.rows_in == 5


def test_output_is_atomic(tmp_path, base_nlp, monkeypatch):
    path = tmp_path / "in.txt"
    path.write_text("\n".join(f"第{i}条投诉" for i in range(100)) + "\n")
    out = tmp_path / "out.csv"
    calls = {"n": 0}
    original = base_nlp.analyze_batch

    def failing(batch, first_index=0):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the user presses Ctrl-C half way
        return original(batch, first_index)

    monkeypatch.setattr(base_nlp, "analyze_batch", failing)
    with pytest.raises(KeyboardInterrupt):
        analyze_file(base_nlp, InputReader(path), out, BatchOptions(batch_size=10))
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind either


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_output_formats_round_trip(tmp_path, base_nlp, suffix):
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"id": "1", "text": "退款没到账", "channel": "sms"}\n'
        '{"id": "2", "turns": [{"speaker": "客户", "text": "投诉"}, {"speaker": "坐席", "text": "抱歉"}]}\n'
        '{"id": "3", "text": "新字段", "late_column": 5}\n', encoding="utf-8")
    out = tmp_path / f"out{suffix}"
    analyze_file(base_nlp, InputReader(path), out, BatchOptions(batch_size=2))
    if suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    elif suffix == ".jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    else:
        rows = pq.read_table(out).to_pylist()
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["text_masked"] == "退款没到账"
    if suffix != ".jsonl":  # a column first seen after the first batch is kept in `extra`
        assert json.loads(rows[2]["extra"]) == {"late_column": 5}


# --- nothing lost, whatever the rows look like ---------------------------------------------------------------
cell = st.one_of(
    st.text(min_size=0, max_size=30),
    st.sampled_from(["", " ", '"', '""', "\n", "客户：你好\n坐席：您好", "a,b", "\x00", "退款没到账"]),
)
row_bytes = st.one_of(
    st.lists(cell, min_size=1, max_size=4).map(lambda cells: ",".join(cells).encode("utf-8", "surrogatepass")),
    st.binary(max_size=40),
    st.text(max_size=20).map(lambda t: t.encode("gb18030", "ignore")),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_bytes, max_size=25))
def test_rows_in_equals_rows_out_plus_rejected(tmp_path_factory, base_nlp, rows):
    folder = tmp_path_factory.mktemp("prop")
    path = folder / "in.csv"
    path.write_bytes(b"id,text\n" + b"\n".join(rows) + b"\n")
    out = folder / "out.jsonl"
    stats = analyze_file(base_nlp, InputReader(path), out, BatchOptions(batch_size=7))
    written = out.read_text().splitlines()
    rejected = (folder / "out.jsonl.rejected.jsonl").read_text().splitlines()
    assert stats.rows_in == len(written) + len(rejected) == stats.scored + stats.rejected
    non_blank = sum(1 for line in (b"\n".join(rows) + b"\n").split(b"\n")[:-1] if line.strip(b" \r\t\x0b\x0c"))
    # Every non-blank physical line is part of exactly one record or rejection.
    assert stats.rows_in <= non_blank


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_half_a_surrogate_pair_is_written_as_a_replacement_character(tmp_path, base_nlp, suffix):
    # JSON may escape half of a UTF-16 pair ("\\ud800"); UTF-8 cannot hold it, and every output failed on it.
    from feedback_nlp.store import ResultsStore

    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a\\ud800", "text": "退款没到账", "channel": "x\\udc00", "tags": ["\\ud801"]}\n'
                    '{"id": "t", "turns": [{"speaker": "客户", "text": "退款\\ud800没到"}]}\n'
                    '[1, "\\ud800"]\n', encoding="utf-8")
    out = tmp_path / f"out{suffix}"
    with ResultsStore(tmp_path / "store.duckdb") as store:
        stats = analyze_file(base_nlp, InputReader(path), out, BatchOptions(), on_batch=store.append)
        assert store.count() == 2
    assert stats.scored == 2 and stats.rejected == 1
    if suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    elif suffix == ".jsonl":
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    else:
        rows = pq.read_table(out).to_pylist()
    assert [r["id"] for r in rows] == ["a\ufffd", "t"] and rows[0]["channel"] == "x\ufffd"


def test_a_stray_control_character_does_not_cost_the_row():
    assert decode_line("房间很好\x08，服务也不错".encode()) == "房间很好\x08，服务也不错"
    with pytest.raises(errors.RecordError):
        decode_line(b"\x01\x02\x03\x04abc")


def test_output_json_takes_what_orjson_refuses():
    from feedback_nlp.io.writers import dumps, json_line

    assert json.loads(dumps({"big": 2**70, "text": "退款"})) == {"big": 2**70, "text": "退款"}
    for separator in ("\u2028", "\u2029", "\u0085"):
        line = json_line({"x": f"a{separator}b"})
        assert json.loads(line) == {"x": f"a{separator}b"} and separator not in line and line.count("\n") == 1


@pytest.mark.parametrize("suffix", ["parquet", "csv", "jsonl"])
def test_worker_encoded_output_equals_the_serial_one(tmp_path, test_models_pipeline, suffix):
    # Workers encode rows for the sink once its columns are fixed; a key first seen later must still land in `extra`.
    from feedback_nlp import load

    source = tmp_path / "in.jsonl"
    lines = [{"id": f"r{i}", "text": "退款还没到账" if i % 2 else "服务很好", **({"vip": True} if i >= 250 else {})}
             for i in range(300)]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    nlp = load(test_models_pipeline)
    outputs = {}
    for workers in (1, 2):
        out = tmp_path / f"out-{workers}.{suffix}"
        stats = analyze_file(nlp, InputReader(source), out, BatchOptions(batch_size=40, workers=workers))
        assert stats.scored == 300 and stats.rejected == 0
        outputs[workers] = out.read_bytes() if suffix != "parquet" else pq.read_table(out).to_pylist()
    assert outputs[1] == outputs[2]
    if suffix == "parquet":
        assert json.loads(outputs[2][299]["extra"]) == {"vip": True} and outputs[2][0]["extra"] is None


def test_parquet_batches_are_gathered_into_row_groups(tmp_path, monkeypatch):
    from feedback_nlp.io.writers import ParquetSink

    monkeypatch.setattr(ParquetSink, "row_group_rows", 8)
    path = tmp_path / "out.parquet"
    with ParquetSink(path, leading_columns=["id"]) as sink:
        for start in range(0, 15, 5):  # three batches of five rows
            sink.write([{"id": str(i), "sentiment_score": i / 10} for i in range(start, start + 5)])
    written = pq.ParquetFile(path)
    assert written.num_row_groups == 2  # 10 rows once the limit of 8 is passed, then the last 5 at close
    assert written.read().column("id").to_pylist() == [str(i) for i in range(15)]
    # Wide rows (transcripts) fill a row group's bytes before its rows.
    monkeypatch.setattr(ParquetSink, "row_group_rows", 1000)
    monkeypatch.setattr(ParquetSink, "row_group_bytes", 2500)
    with ParquetSink(path, leading_columns=["id"]) as sink:
        for start in range(0, 15, 5):
            sink.write([{"id": str(i), "turns": [{"text": "退款" * 100}]} for i in range(start, start + 5)])
    written = pq.ParquetFile(path)
    assert [written.metadata.row_group(g).num_rows for g in range(written.num_row_groups)] == [5, 5, 5]


def test_parquet_dictionary_pages_only_for_columns_with_few_values(tmp_path):
    from feedback_nlp.io.writers import ParquetSink

    path = tmp_path / "out.parquet"
    with ParquetSink(path, leading_columns=["id"]) as sink:
        sink.write([{"id": str(i), "text_masked": f"第{i}条", "category": "complaint", "channel": "app",
                     "sentiment_score": i / 10} for i in range(20)])
    group = pq.ParquetFile(path).metadata.row_group(0)
    dictionary = {group.column(i).path_in_schema: "RLE_DICTIONARY" in group.column(i).encodings
                  for i in range(group.num_columns)}
    assert dictionary["category"] and dictionary["channel"]  # labels and pass-through metadata
    assert not dictionary["id"] and not dictionary["text_masked"] and not dictionary["sentiment_score"]


@settings(max_examples=80, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=["Cs"]))), max_size=40),
       numbers=st.lists(st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-10, 10)), max_size=40),
       flags=st.lists(st.one_of(st.none(), st.booleans()), max_size=40))
def test_arrow_columns_built_from_buffers_hold_the_values(values, numbers, flags):
    from feedback_nlp.io.arrow import bool_column, float_column, string_column, to_arrow

    strings = to_arrow(string_column(values))
    strings.validate(full=True)
    assert strings.type == pa.string() and strings.to_pylist() == values and strings.null_count == values.count(None)
    floats = to_arrow(float_column(numbers))
    floats.validate(full=True)
    assert floats.to_pylist() == [None if n is None else float(n) for n in numbers]
    booleans = to_arrow(bool_column(flags))
    booleans.validate(full=True)
    assert booleans.to_pylist() == flags


def test_writing_parquet_does_not_import_pandas(tmp_path):
    # pyarrow's conversion from Python values imports pandas (a sixth of a run's start-up); the sink avoids it.
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,退款没到账\n2,服务很好\n", encoding="utf-8")
    code = ("import sys; from feedback_nlp.cli import main; sys.argv = ['feedback-nlp', 'analyze', sys.argv[1], '-o', "
            "sys.argv[2], '-q']\ntry:\n    main()\nexcept SystemExit:\n    pass\nprint('pandas' in sys.modules)")
    out = tmp_path / "out.parquet"
    result = subprocess.run([sys.executable, "-c", code, str(source), str(out)], capture_output=True, text=True, check=False)
    assert result.stdout.split()[-1:] == ["False"], result.stderr
    assert pq.read_table(out).column("text_masked").to_pylist() == ["退款没到账", "服务很好"]


_LINE_PIECES = [piece.encode(encoding) for piece, encoding in [
    ("退款没到账", "utf-8"), ("退款没到账", "gbk"), (",", "ascii"), ('"', "ascii"), ("\n", "ascii"), ("\r\n", "ascii"),
    ("\ufeff", "utf-8"), ("\x08", "ascii"), ("\x00", "ascii"), ("\x01\x02\x03\x04\x05", "ascii"), ("长" * 12, "utf-8"),
]] + [b"\xff", b"\xe9\x80"]


@settings(max_examples=150, deadline=None)
@given(data=st.lists(st.sampled_from(_LINE_PIECES), max_size=40).map(b"".join),
       block_bytes=st.sampled_from([1, 5, 64, 1 << 20]), max_line_bytes=st.sampled_from([10, 1000]))
def test_block_reading_decodes_each_line_as_decode_line_would(data, block_bytes, max_line_bytes):
    from feedback_nlp.io.decoding import read_lines

    expected = []
    for number, raw in enumerate(io.BytesIO(data), 1):  # the rule, line by line
        line = raw.rstrip(b"\n")
        if len(line) > max_line_bytes:
            expected.append((number, None, "line_too_long"))
            continue
        try:
            expected.append((number, decode_line(line.rstrip(b"\r")), None))
        except errors.RecordError as exc:
            expected.append((number, None, exc.code))
    got = [(line.number, line.text, line.error and line.error.code)
           for line in read_lines(io.BytesIO(data), None, max_line_bytes, block_bytes=block_bytes)]
    assert got == expected
