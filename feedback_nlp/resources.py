"""Where shipped files live: the source checkout (editable install) or the copy bundled into the wheel."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def project_root() -> Path:
    """The directory holding models/, pipelines/ and data/lexicons/.

    FEEDBACK_NLP_HOME overrides it (for a cluster node whose model files sit elsewhere).
    """
    override = os.environ.get("FEEDBACK_NLP_HOME")
    if override:
        return Path(override).resolve()
    checkout = _PACKAGE.parent
    if (checkout / "pipelines" / "default.toml").exists():
        return checkout
    return _PACKAGE / "_bundled"


def lexicon_path(name: str) -> Path:
    return project_root() / "data" / "lexicons" / name


def models_dir() -> Path:
    return project_root() / "models"


def default_pipeline_path() -> Path:
    return project_root() / "pipelines" / "default.toml"
