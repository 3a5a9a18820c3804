"""feedback-nlp: analyse Chinese customer feedback and call-centre transcripts.

>>> import feedback_nlp
>>> nlp = feedback_nlp.load()
>>> doc = nlp("我的信用卡被重复扣款了，到现在还没退回来")
>>> doc.to_dict()["text_masked"]
'我的信用卡被重复扣款了,到现在还没退回来'
"""

from typing import TYPE_CHECKING

from .errors import FeedbackNLPError
from .schema import Analysis, Turn

if TYPE_CHECKING:
    from .pipeline import Pipeline, load

__version__ = "0.1.0"
__all__ = ["Analysis", "FeedbackNLPError", "Pipeline", "Turn", "load", "__version__"]


def __getattr__(name: str):
    # The model stack (numpy, scipy, the components) is imported on first use, not by `import feedback_nlp`, so
    # that commands which need no model start quickly (`feedback-nlp --help`: 0.34 -> 0.13 s).
    if name in ("Pipeline", "load"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
