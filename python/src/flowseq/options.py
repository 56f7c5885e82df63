"""The keyword options of Translator's methods, and their conversion to flowseq_options.

The TypedDicts name every option with its type (for type checkers and editors); at run time
`to_c` checks the names, types and C ranges, starts from the C library's defaults for the
decoding mode (flowseq_default_options, as `flowseq translate` does) and sets what was given.
A value of None means the default. Options that only the other model type reads are an error,
as on the command line (the C library would ignore them silently).
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, TypedDict

from . import _native
from ._native import Error


class SampleOptions(TypedDict, total=False):
    """Options of Translator.sample (see its docstring)."""

    lengths: int  # FlowSeq: length candidates per sentence
    tau: float  # FlowSeq: temperature of the latent samples
    rescore: bool  # FlowSeq: rank candidates by the teacher given to Translator
    seed: int  # same seed, same output
    beam: int  # Transformer: beam size, 1 is greedy
    length_penalty: float  # Transformer: hypotheses ranked by log p / length ** length_penalty
    max_length_a: float  # Transformer: at most max_length_a x source tokens + max_length_b tokens
    max_length_b: float
    max_tokens: int  # tokens per batch, a source token counted once per candidate row
    batch_size: int  # and sentences per batch, at most (default: max_tokens alone bounds a batch)
    max_length: int  # longer inputs are cut to this many tokens
    collapse_repeats: bool  # FlowSeq: drop each output token equal to the one before it (default True)
    substitute_repeats: bool  # FlowSeq: of two neighbours decoding one token, the closer runner-up replaces one (True)
    progress: bool  # lines/s on the log while translating (with set_logging(True))


class TranslateOptions(SampleOptions, total=False):
    """Options of Translator.translate: those of sample, and the decoding mode and its sizes."""

    decoding: str  # FlowSeq: "argmax" (default), "npd" or "iwd"
    samples: int  # FlowSeq: latent samples per length (npd, iwd)
    iw_samples: int  # FlowSeq: posterior samples of the importance-weighted estimate (iwd)


class NBestOptions(TranslateOptions, total=False):
    """Options of Translator.translate_nbest: those of translate, and how many hypotheses."""

    n_best: int  # hypotheses per sentence (default: every candidate)


class ScoreOptions(TypedDict, total=False):
    """Options of Translator.score."""

    iw_samples: int  # FlowSeq: posterior samples of the importance-weighted estimate
    seed: int
    batch_size: int  # sentence pairs per batch (32)


FLOWSEQ_ONLY = ("decoding", "lengths", "samples", "tau", "iw_samples", "rescore")
TRANSFORMER_ONLY = ("beam", "length_penalty", "max_length_a", "max_length_b")
_FLOATS = ("tau", "length_penalty", "max_length_a", "max_length_b")
_FLAGS = ("rescore", "collapse_repeats", "substitute_repeats", "progress")
_C_NAMES = {"batch_size": "max_sentences"}


def names(options: type) -> FrozenSet[str]:
    """The option names of one of the TypedDicts above (their own and their bases')."""
    return frozenset(options.__annotations__)


def set_field(c: _native.Options, name: str, value: object) -> None:
    """Sets one field of flowseq_options, checking the Python type and the C range."""
    name = _C_NAMES.get(name, name)
    if name in _FLAGS:
        setattr(c, name, 1 if value else 0)
    elif name in _FLOATS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} must be a number, not {type(value).__name__}")
        setattr(c, name, float(value))
    else:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
        low, high = (0, 2**64 - 1) if name == "seed" else (-(2**31), 2**31 - 1)
        if not low <= value <= high:
            raise Error(f"{name} must be between {low} and {high} (got {value})")
        setattr(c, name, value)


def to_c(
    method: str, allowed: FrozenSet[str], given: Dict[str, Any], model_dir: str, autoregressive: bool
) -> _native.Options:
    """flowseq_options for a call of `method` with the keyword options `given`."""
    for name in given:
        if name not in allowed:
            raise TypeError(f"{method}() got an unexpected keyword argument {name!r}")
    given = {name: value for name, value in given.items() if value is not None}
    for name in FLOWSEQ_ONLY if autoregressive else TRANSFORMER_ONLY:
        if given.get(name, False) is not False:
            if autoregressive:
                raise Error(
                    f"{name} is for FlowSeq models; {model_dir} is an autoregressive Transformer "
                    "(use beam, length_penalty, max_length_a, max_length_b)"
                )
            raise Error(
                f"{name} is for autoregressive Transformer models; {model_dir} is a FlowSeq model "
                "(use decoding and its options)"
            )
    decoding = given.pop("decoding", "argmax")
    if decoding not in _native.DECODINGS:
        raise Error(f"decoding must be 'argmax', 'npd' or 'iwd' (got {decoding!r})")
    c = _native.lib.flowseq_default_options(_native.DECODINGS[decoding])
    for name, value in given.items():
        set_field(c, name, value)
    return c  # type: ignore[no-any-return]
