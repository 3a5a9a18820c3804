"""feedback-nlp: analyse Chinese customer feedback and call-centre transcripts.

>>> import feedback_nlp
>>> nlp = feedback_nlp.load()
>>> doc = nlp("我的信用卡被重复扣款了，到现在还没退回来")
>>> doc.to_dict()["text_masked"]
'我的信用卡被重复扣款了,到现在还没退回来'
"""

from .errors import FeedbackNLPError
from .pipeline import Pipeline, load
from .schema import Analysis, Turn

__version__ = "0.1.0"
__all__ = ["Analysis", "FeedbackNLPError", "Pipeline", "Turn", "load", "__version__"]
