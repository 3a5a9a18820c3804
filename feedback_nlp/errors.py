"""Every message a user can see, in one place.

Exceptions carry a code and a plain-language message; the CLI prints the message without a traceback, the HTTP
service returns it in the response body, and rejected records store the code and the message.
"""

from __future__ import annotations


class FeedbackNLPError(Exception):
    """Base class for errors the user can act on (bad file, bad option, missing model)."""

    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InputError(FeedbackNLPError):
    code = "input_error"


class ConfigError(FeedbackNLPError):
    code = "config_error"


class ModelError(FeedbackNLPError):
    code = "model_error"


class RecordError(FeedbackNLPError):
    """A single record cannot be analysed; the batch goes on and the record is rejected with this reason."""

    code = "record_error"

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# --- whole-input problems -------------------------------------------------------------------------------------

def file_not_found(path: object) -> InputError:
    return InputError(f"Input file not found: {path}")


def file_unreadable(path: object, why: object) -> InputError:
    return InputError(f"Cannot read {path}: {why}")


def unknown_format(path: object, suffix: str, known: list[str]) -> InputError:
    return InputError(
        f"Cannot tell the format of {path} from its extension {suffix!r}. "
        f"Use one of {', '.join(known)} or pass --format."
    )


def missing_column(column: str, option: str, available: list[str]) -> InputError:
    shown = ", ".join(available[:20]) or "(none)"
    return InputError(f"Column {column!r} (set with {option}) is not in the input. Columns found: {shown}.")


def unknown_encoding(name: str) -> InputError:
    return InputError(f"Unknown encoding {name!r}. Try utf-8, utf-8-sig, gb18030 or gbk.")


def bad_json_document(path: object, why: object) -> InputError:
    return InputError(f"{path} is not valid JSON ({why}). For one record per line use a .jsonl file.")


def unsupported_output(path: object, known: list[str]) -> InputError:
    return InputError(f"Cannot write {path}: the output extension must be one of {', '.join(known)}.")


def file_unwritable(path: object, why: object) -> FeedbackNLPError:
    return FeedbackNLPError(f"Cannot write {path}: {why}")


def empty_stdin() -> InputError:
    return InputError("Nothing on standard input. Pipe texts or JSON lines into `feedback-nlp tag`.")


# --- configuration and models ---------------------------------------------------------------------------------

def config_not_found(path: object) -> ConfigError:
    return ConfigError(f"Pipeline file not found: {path}")


def config_invalid(path: object, why: object) -> ConfigError:
    return ConfigError(f"Pipeline file {path} is not valid: {why}")


def unknown_segmenter(backend: str, known: tuple[str, ...]) -> ConfigError:
    return ConfigError(f"Unknown segmentation backend {backend!r}: use one of {', '.join(map(repr, known))}.")


def dictionary_not_found(path: object) -> ConfigError:
    return ConfigError(f"The segmentation dictionary {path} does not exist (set `user_dict` in the pipeline file).")


def unknown_component(name: str, known: list[str]) -> ConfigError:
    return ConfigError(f"Unknown pipeline component {name!r}. Known components: {', '.join(sorted(known))}.")


def component_order(name: str, needs: str) -> ConfigError:
    return ConfigError(f"Component {name!r} needs {needs!r} earlier in the pipeline.")


def model_not_found(path: object) -> ModelError:
    return ModelError(
        f"No model at {path}. Train one with `feedback-nlp train ...` or point the pipeline file at a model directory."
    )


def model_invalid(path: object, why: object) -> ModelError:
    return ModelError(f"The model at {path} cannot be loaded: {why}")


def model_kind_mismatch(path: object, found: str, expected: str) -> ModelError:
    return ModelError(f"The model at {path} is a {found!r} model, not a {expected!r} model.")


def model_needs_extra_features(count: int) -> ModelError:
    return ModelError(f"This model was trained with {count} stacked feature column(s) beside the text; pass them "
                      "as `extra=` (a stacked model such as models/sentiment does this itself).")


def dependency_missing(package: str) -> FeedbackNLPError:
    return FeedbackNLPError(
        f"The package {package!r}, which feedback-nlp always needs, is not installed. Reinstall: pip install feedback-nlp"
    )


def lexicon_invalid(path: object, why: object) -> FeedbackNLPError:
    return FeedbackNLPError(f"The shipped lexicon file {path} cannot be read ({why}). Reinstall: pip install feedback-nlp")


def extra_not_installed(extra: str, package: str) -> FeedbackNLPError:
    return FeedbackNLPError(
        f"This feature needs the optional package {package!r}. Install it with: pip install 'feedback-nlp[{extra}]'"
    )


def worker_died(exit_code: int | None) -> FeedbackNLPError:
    how = f"was killed by signal {-exit_code}" if exit_code is not None and exit_code < 0 else f"exited ({exit_code})"
    return FeedbackNLPError(
        f"A worker process {how} before finishing its batch, most often because the machine ran out of memory. "
        "Run again with fewer workers (--workers, n_process) or smaller batches (--batch-size, batch_size)."
    )


def training_data_invalid(why: str) -> InputError:
    return InputError(f"Training data is not usable: {why}")


# --- single records (become rejected-record entries) ----------------------------------------------------------

def empty_text() -> RecordError:
    return RecordError("empty_text", "the text is empty or only whitespace")


def undecodable(encodings: list[str]) -> RecordError:
    return RecordError("undecodable", f"the bytes are not valid text in any of: {', '.join(encodings)}")


def binary_junk() -> RecordError:
    return RecordError("binary", "the line contains binary data (control bytes), not text")


def malformed_csv_row(expected: int, found: int) -> RecordError:
    return RecordError("malformed_row", f"expected {expected} columns, found {found}")


def unterminated_quote(max_lines: int) -> RecordError:
    return RecordError(
        "malformed_row", f"a quoted field is not closed within {max_lines} lines; the row is skipped"
    )


def invalid_json_line(why: object) -> RecordError:
    return RecordError("invalid_json", f"invalid JSON: {why}")


def not_a_record(kind: str) -> RecordError:
    return RecordError("invalid_record", f"expected a JSON object or a string, found {kind}")


def missing_text(column: str) -> RecordError:
    return RecordError("missing_text", f"the record has no {column!r} field and no 'turns'")


def bad_turns(why: str) -> RecordError:
    return RecordError("invalid_turns", f"the turns are not usable: {why}")


def record_failed(why: object) -> RecordError:
    return RecordError("internal_error", f"analysis failed: {why}")
