import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from feedback_nlp.cli import app

runner = CliRunner()


def test_help_on_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]
    for command in commands:
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, command
        assert len(result.output) > 200, command


def test_the_command_line_starts_without_the_model_stack():
    code = "import sys, feedback_nlp.cli, feedback_nlp.batch; print('scipy' in sys.modules, 'sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    import feedback_nlp

    assert feedback_nlp.load is feedback_nlp.pipeline.load  # resolved on first use


def test_the_command_line_parses_its_options_without_pydantic():
    # typer 0.29 validates every option through pydantic, 0.2-0.4 s of each command's start-up (pyproject pins it).
    code = ("import sys\nfrom feedback_nlp.cli import main\nsys.argv = ['feedback-nlp', 'analyze', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\nprint('pydantic' in sys.modules, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stderr.split()[-1] == "False"


def test_analyze_with_workers_forks_them_from_a_warm_pipeline(tmp_path, monkeypatch):
    # Workers forked after the warm-up share its tables and tokenizer instead of each building its own.
    from feedback_nlp import batch

    seen = []

    class RecordingPool(batch.WorkerPool):
        def __init__(self, pipeline, processes, depth=2):
            seen.append(pipeline.get_pipe("segment")._cut is not None)
            super().__init__(pipeline, processes, depth)

    monkeypatch.setattr(batch, "WorkerPool", RecordingPool)
    source = tmp_path / "in.csv"
    source.write_text("id,text\n" + "".join(f"{i},第{i}次打电话了，退款还没到账\n" for i in range(20)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["analyze", str(source), "-o", str(out), "-w", "2", "--batch-size", "5", "-q"])
    assert result.exit_code == 0, result.output
    assert seen == [True] and len(out.read_text().splitlines()) == 20


def test_analyze_tunes_the_collector_for_a_batch_run(tmp_path):
    import gc

    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,退款还没到账\n", encoding="utf-8")
    assert gc.get_threshold()[0] < 10_000
    result = runner.invoke(app, ["analyze", str(source), "-o", str(tmp_path / "out.jsonl"), "-q"])
    assert result.exit_code == 0, result.output
    assert gc.get_threshold()[0] == 10_000 and gc.get_freeze_count() > 0  # the loaded models are not walked again


def test_analyze_writes_output_and_summary(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,text,channel\n1,我的卡被多扣了100元,phone\n2,,sms\n", encoding="utf-8")
    out = tmp_path / "scored.jsonl"
    result = runner.invoke(app, ["analyze", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "rows in" in result.output and "rejected" in result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["1"] and rows[0]["channel"] == "phone"
    rejected = [json.loads(line) for line in (tmp_path / "scored.jsonl.rejected.jsonl").read_text().splitlines()]
    assert rejected[0]["code"] == "empty_text" and rejected[0]["line"] == 3


def test_analyze_writes_its_summary_as_json_for_scripts(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,我的卡被多扣了100元\n2,\n3,怎么开通短信提醒\n", encoding="utf-8")
    out, summary_file = tmp_path / "scored.csv", tmp_path / "run.json"
    for workers in ("1", "2"):
        result = runner.invoke(app, ["analyze", str(source), "-o", str(out), "-w", workers, "-q",
                                     "--summary-json", str(summary_file)])
        assert result.exit_code == 0, result.output
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
        assert (summary["rows_in"], summary["scored"], summary["rejected"]) == (3, 2, 1)
        assert summary["reject_reasons"] == {"empty_text": 1} and summary["workers"] == int(workers)
        assert sum(summary["categories"].values()) == 2 and summary["rejected_rows"] == f"{out}.rejected.jsonl"
        assert summary["elapsed_s"] > 0 and summary["records_per_s"] == pytest.approx(2 / summary["elapsed_s"], rel=0.1)
    result = runner.invoke(app, ["analyze", str(source), "-o", str(out), "-q", "--summary-json", str(source / "run.json")])
    assert result.exit_code == 2 and "Cannot write" in result.output and "is complete" in result.output


def test_analyze_clear_errors(tmp_path):
    result = runner.invoke(app, ["analyze", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "Input file not found" in result.output
    source = tmp_path / "in.csv"
    source.write_text("id,body\n1,x\n")
    result = runner.invoke(app, ["analyze", str(source), "-o", str(tmp_path / "o.xlsx")])
    assert result.exit_code == 2 and "output extension" in result.output
    result = runner.invoke(app, ["analyze", str(source), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "--text-col" in result.output


def test_analyze_with_two_workers_matches_one(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("\n".join(f"第{i}个客户说退款没到账" for i in range(300)) + "\n")
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"o{workers}.jsonl"
        result = runner.invoke(app, ["analyze", str(source), "-o", str(out), "-w", workers, "--batch-size", "16", "-q"])
        assert result.exit_code == 0, result.output
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]


def test_tag_reads_stdin_and_flushes_each_line():
    process = subprocess.Popen(
        [sys.executable, "-m", "feedback_nlp", "tag"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin and process.stdout
    process.stdin.write("我要投诉你们的客服\n")
    process.stdin.flush()
    first = json.loads(process.stdout.readline())  # answered before stdin is closed: flushed per line
    assert first["text_masked"] == "我要投诉你们的客服"
    process.stdin.write('{"id": "t1", "turns": [{"speaker": "客户", "text": "电话13812345678"}]}\n{broken\n')
    process.stdin.close()
    second, third = (json.loads(line) for line in process.stdout.read().splitlines())
    assert second["id"] == "t1" and second["turns"][0]["text_masked"] == "电话<PHONE>"
    assert "invalid JSON" in third["error"]
    assert process.wait(timeout=30) == 0


@pytest.mark.parametrize("args", [["--version"], ["info"]])
def test_version_and_info(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "feedback-nlp" in result.output
