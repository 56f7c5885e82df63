"""flowseq: German→English translation with FlowSeq and its Transformer teacher, over libflowseq.

    import flowseq
    with flowseq.Translator("models/flowseq-small-multi30k") as t:
        print(t.translate("Zwei Hunde spielen im Schnee."))

Translator opens a model directory (optionally with a teacher to rank FlowSeq's candidates) and
translates (translate), gives n-best lists with scores (translate_nbest, sample) and scores given
translations (score). Failures raise flowseq.Error with the library's message. The TypedDicts
name each method's keyword options.
"""

from . import _native
from ._native import Error
from .options import NBestOptions, SampleOptions, ScoreOptions, TranslateOptions
from .translator import Hypothesis, Score, Translator, set_logging

__all__ = [
    "Error",
    "Hypothesis",
    "NBestOptions",
    "SampleOptions",
    "Score",
    "ScoreOptions",
    "TranslateOptions",
    "Translator",
    "library_version",
    "set_logging",
]


def library_version() -> str:
    """The version of the bundled libflowseq (flowseq_version())."""
    return str(_native.lib.flowseq_version().decode())


__version__ = library_version()
