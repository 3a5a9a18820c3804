"""The `feedback-nlp` command line."""

from __future__ import annotations

import gc
import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from . import __version__, errors

app = typer.Typer(
    name="feedback-nlp",
    help="Analyse Chinese customer feedback and call-centre transcripts: category, sentiment, emotion, "
    "satisfaction, and trends over time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
out = Console()
err = Console(stderr=True, soft_wrap=True)

PipelineOption = Annotated[
    Path | None,
    typer.Option("--pipeline", "-p", help="Pipeline file (TOML). Default: the shipped pipelines/default.toml."),
]


class InputFormat(str, Enum):
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    parquet = "parquet"
    txt = "txt"


def _load_pipeline(path: Path | None, text_col: str = "text", id_col: str = "id", explain: bool = False):
    from .pipeline import load

    nlp = load(path)  # warmed up before any worker is forked: the workers share what it built
    # The readers hand records over with the chosen columns already renamed to `id` and `text`.
    nlp.parser.text_field, nlp.parser.id_field = "text", "id"
    if explain and nlp.has_pipe("category"):
        nlp.get_pipe("category").explain = True
    return nlp


def fail(exc: errors.FeedbackNLPError) -> None:
    err.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
    raise typer.Exit(code=2)


@app.command()
def analyze(
    input: Annotated[Path, typer.Argument(help="Input file: .csv .tsv .json .jsonl .parquet or .txt (one text per line).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file; .csv, .jsonl or .parquet by its extension.")],
    text_col: Annotated[str, typer.Option(help="Column (or JSON field) holding the text.")] = "text",
    id_col: Annotated[str, typer.Option(help="Column holding the record id; the row number when it is missing.")] = "id",
    input_format: Annotated[InputFormat | None, typer.Option("--format", help="Input format, when the extension does not tell.")] = None,
    encoding: Annotated[str, typer.Option(help="Input encoding: auto (UTF-8 with or without BOM, else GB18030/GBK, per line), or a name such as gbk.")] = "auto",
    conversation_col: Annotated[str | None, typer.Option(help="For a long table with one utterance per row: the column that groups rows into conversations.")] = None,
    speaker_col: Annotated[str, typer.Option(help="With --conversation-col: the speaker column (客户/坐席/customer/agent…).")] = "speaker",
    turn_col: Annotated[str | None, typer.Option(help="With --conversation-col: the column that orders turns (turn number or time).")] = None,
    txt_records: Annotated[str, typer.Option(help="For .txt input: 'lines' (one text per line) or 'blocks' (blank-line separated transcripts).")] = "lines",
    pipeline: PipelineOption = None,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker processes.")] = 1,
    batch_size: Annotated[int, typer.Option(min=1, help="Records per batch.")] = 256,
    tokens: Annotated[bool, typer.Option("--tokens", help="Include the segmented words in the output.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Add the terms that contributed most to each predicted category.")] = False,
    store: Annotated[Path | None, typer.Option(help="Also append the scored records to this DuckDB results store.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")] = False,
    summary_json: Annotated[Path | None, typer.Option(help="Also write the run's summary (counts, reject reasons, elapsed time and records/s from opening the input to closing the output) to this JSON file.")] = None,
) -> None:
    """Score a file of texts or transcripts and write one output row per input record.

    Rows that cannot be scored (bad encoding, broken CSV quoting, empty text, invalid JSON…) are written with their
    line number and reason to OUTPUT.rejected.jsonl, so rows in = rows out + rejected. The output appears only when
    the run completes (it is written to a temporary file first).
    """
    from .batch import BatchOptions, analyze_file
    from .io import InputReader, ReaderOptions
    from .io.writers import output_format
    from .workers import collect_garbage_rarely

    try:
        output_format(output)
        nlp = _load_pipeline(pipeline, explain=explain)
        reader = InputReader(
            input,
            ReaderOptions(
                format=input_format.value if input_format else None,
                encoding=encoding,
                text_col=text_col,
                id_col=id_col,
                txt_records=txt_records,
            ),
        )
        options = BatchOptions(
            batch_size=batch_size, workers=workers, include_tokens=tokens,
            conversation_col=conversation_col, speaker_col=speaker_col, order_col=turn_col,
        )
        collect_garbage_rarely()  # this process now scores batches until it ends
        on_batch = None
        results_store = None
        if store is not None:
            from .store import ResultsStore

            results_store = ResultsStore(store)
            on_batch = results_store.append
        show_progress = not quiet and sys.stderr.isatty()
        if show_progress:
            from rich.progress import BarColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

            with Progress(
                "[progress.description]{task.description}", BarColumn(), "[progress.percentage]{task.percentage:>3.0f}%",
                TransferSpeedColumn(), TimeRemainingColumn(), console=err, transient=True,
            ) as bar:
                task = bar.add_task(f"Scoring {input.name}", total=reader.total_bytes)
                stats = analyze_file(nlp, reader, output, options, lambda n: bar.advance(task, n), on_batch)
        else:
            stats = analyze_file(nlp, reader, output, options, None, on_batch)
        if results_store is not None:
            results_store.close()
    except errors.FeedbackNLPError as exc:
        fail(exc)
        return
    if summary_json is not None:
        from .io import rejected_path

        summary = {"input": str(input), "output": str(output), "rejected_rows": str(rejected_path(output)),
                   "workers": workers, "batch_size": batch_size, **stats.to_dict()}
        try:
            summary_json.parent.mkdir(parents=True, exist_ok=True)
            summary_json.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:  # the scored output is written by now: say so, then fail
            fail(errors.file_unwritable(summary_json, f"{exc.strerror or exc} (the output {output} is complete)"))
    if not quiet:
        _print_summary(stats, input, output)


def _print_summary(stats, input: Path, output: Path) -> None:
    from rich.table import Table

    from .io import rejected_path

    table = Table(title=f"feedback-nlp analyze {input.name}", show_header=False, title_justify="left")
    unit = "utterance rows" if stats.conversations_grouped else "rows"
    table.add_row(f"{unit} in", f"{stats.rows_in:,}")
    table.add_row("scored" + (" conversations" if stats.conversations_grouped else ""), f"{stats.scored:,}")
    reasons = ", ".join(f"{code} {n}" for code, n in stats.reject_reasons.most_common())
    table.add_row("rejected", f"{stats.rejected:,}" + (f"  ({reasons})" if reasons else ""))
    if stats.truncated:
        table.add_row("truncated (kept)", f"{stats.truncated:,}")
    table.add_row("elapsed", f"{stats.elapsed:.1f} s  ({stats.docs_per_second:,.0f} records/s)")
    if stats.categories:
        total = sum(stats.categories.values())
        mix = "  ".join(f"{c} {n / total:.0%}" for c, n in stats.categories.most_common())
        table.add_row("categories", mix)
    if stats.mean_sentiment is not None:
        table.add_row("mean sentiment", f"{stats.mean_sentiment:+.2f}")
    table.add_row("output", str(output))
    table.add_row("rejected rows", str(rejected_path(output)))
    out.print(table)


@app.command()
def tag(
    pipeline: PipelineOption = None,
    text_col: Annotated[str, typer.Option(help="JSON field holding the text, for JSON input lines.")] = "text",
    id_col: Annotated[str, typer.Option(help="JSON field holding the id.")] = "id",
    explain: Annotated[bool, typer.Option("--explain", help="Add the terms behind each predicted category.")] = False,
) -> None:
    """Tag texts from standard input, one JSON line out per line in, flushed at once (for scripts).

    Each input line is either plain text or a JSON object ({"text": ...} or {"id": ..., "turns": [...]}).
    A line that cannot be analysed gives {"id": ..., "error": "..."} and tagging goes on.
    """
    try:
        nlp = _load_pipeline(pipeline, explain=explain)
    except errors.FeedbackNLPError as exc:
        fail(exc)
        return
    nlp.parser.text_field, nlp.parser.id_field = text_col, id_col
    seen = False
    for number, line in enumerate(sys.stdin, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        seen = True
        item: object = line
        if line.lstrip().startswith("{"):
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                _emit({"id": str(number), "error": errors.invalid_json_line(exc.msg).message})
                continue
        doc = nlp.analyze_batch([item], first_index=number)[0]
        _emit(doc.to_dict() if doc.error is None else {"id": doc.id, "error": doc.error})
    if not seen:
        err.print(errors.empty_stdin().message)
        raise typer.Exit(code=1)


def _emit(row: dict) -> None:
    from .io.writers import json_line

    sys.stdout.write(json_line(row))
    sys.stdout.flush()


@app.command()
def info(pipeline: PipelineOption = None) -> None:
    """Show the pipeline's components and the models it uses, with their versions, labels and metrics."""
    try:
        nlp = _load_pipeline(pipeline)
    except errors.FeedbackNLPError as exc:
        fail(exc)
        return
    out.print(f"feedback-nlp {__version__}")
    out.print(f"pipeline: {nlp.path}")
    for name, component in nlp.components:
        card = getattr(component, "model_info", None)
        out.print(f"  - {name}" + (f": {json.dumps(card(), ensure_ascii=False)}" if card else ""))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    pipeline: PipelineOption = None,
    max_body_bytes: Annotated[int, typer.Option(help="Largest request body accepted (413 above).")] = 1_000_000,
    max_text_chars: Annotated[int, typer.Option(help="Longest text or transcript accepted (413 above).")] = 20_000,
    max_batch: Annotated[int, typer.Option(help="Most items in one /v1/analyze/batch request (413 above).")] = 256,
    workers: Annotated[int, typer.Option(min=1, help="Server processes, each with its own copy of the models "
                                                     "(about 0.5 GB each); one per core suits most machines.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the HTTP tagging service: POST /v1/analyze, POST /v1/analyze/batch, GET /healthz, GET /v1/models,
    OpenAPI docs at /docs. Needs the [serve] extra."""
    try:
        import uvicorn

        from .api import ServiceLimits, create_app
    except ImportError:
        fail(errors.extra_not_installed("serve", "fastapi and uvicorn"))
        return
    if workers == 1:
        app_ = create_app(pipeline, ServiceLimits(max_body_bytes, max_text_chars, max_batch))
        uvicorn.run(app_, host=host, port=port, log_level=log_level)
        return
    os.environ.update(FEEDBACK_NLP_PIPELINE=str(pipeline or ""), FEEDBACK_NLP_MAX_BODY_BYTES=str(max_body_bytes),
                      FEEDBACK_NLP_MAX_TEXT_CHARS=str(max_text_chars), FEEDBACK_NLP_MAX_BATCH=str(max_batch))
    uvicorn.run("feedback_nlp.api.app:app_from_environment", factory=True, workers=workers, host=host, port=port,
                log_level=log_level)


def version_callback(value: bool) -> None:
    if value:
        out.print(f"feedback-nlp {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """Analyse Chinese customer feedback and call-centre transcripts."""


# The other command groups register themselves on `app` when imported.
from . import cli_models, cli_monitor  # noqa: E402,F401


def main() -> None:
    try:
        app()
    finally:
        # Python's exit begins with a full garbage collection over every object left (the models, the tokenizer's
        # tables, the caches: 0.1 s after a batch run). Everything the run opened is closed by now and the process
        # is ending, so the frozen objects are simply not walked; their memory goes back with the process.
        gc.freeze()


if __name__ == "__main__":  # `python -m feedback_nlp.cli`: run the package's app, which has every command
    from feedback_nlp.cli import main as package_main

    package_main()
