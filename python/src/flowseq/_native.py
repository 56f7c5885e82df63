"""The ctypes declarations of include/flowseq.h and the loading of libflowseq.

The shared library is the one `pip install ./python` built and put beside this file; the
environment variable FLOWSEQ_LIBRARY may name another (a development build's libflowseq.so).
Every function is declared with its argument and result types, so ctypes converts and checks
them. ctypes.CDLL releases the GIL for the length of each call, and the callback type
(ctypes.CFUNCTYPE) takes it back while Python code runs inside a callback.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_here = Path(__file__).resolve().parent


def _library_path() -> str:
    override = os.environ.get("FLOWSEQ_LIBRARY")
    if override:
        return override
    for name in ("libflowseq.so", "libflowseq.dylib"):
        if (_here / name).exists():
            return str(_here / name)
    raise ImportError(
        f"flowseq: libflowseq is missing from {_here}; install the package with "
        "`pip install ./python` from a flowseq checkout (or set FLOWSEQ_LIBRARY)"
    )


class OpenOptions(ctypes.Structure):
    """flowseq_open_options."""

    _fields_ = [("teacher_dir", ctypes.c_char_p), ("arena_mb", ctypes.c_int)]


class Options(ctypes.Structure):
    """flowseq_options, field for field (the enum flowseq_decoding is an int)."""

    _fields_ = [
        ("decoding", ctypes.c_int),
        ("lengths", ctypes.c_int),
        ("samples", ctypes.c_int),
        ("tau", ctypes.c_float),
        ("iw_samples", ctypes.c_int),
        ("seed", ctypes.c_ulonglong),
        ("rescore", ctypes.c_int),
        ("beam", ctypes.c_int),
        ("length_penalty", ctypes.c_float),
        ("max_length_a", ctypes.c_float),
        ("max_length_b", ctypes.c_float),
        ("n_best", ctypes.c_int),
        ("max_tokens", ctypes.c_int),
        ("max_length", ctypes.c_int),
        ("collapse_repeats", ctypes.c_int),
        ("substitute_repeats", ctypes.c_int),
        ("max_sentences", ctypes.c_int),
        ("progress", ctypes.c_int),
    ]


class CHypothesis(ctypes.Structure):
    """flowseq_hypothesis."""

    _fields_ = [
        ("text", ctypes.c_char_p),
        ("tokens", ctypes.c_int),
        ("score", ctypes.c_double),
        ("length_logprob", ctypes.c_double),
        ("prior_logprob", ctypes.c_double),
        ("decoder_logprob", ctypes.c_double),
    ]


# the values of the enum flowseq_decoding
DECODINGS = {"argmax": 0, "npd": 1, "iwd": 2}

# int (*)(void *user_data, int index, const flowseq_hypothesis *hyps, int n)
RESULT_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(CHypothesis), ctypes.c_int
)

_strings = ctypes.POINTER(ctypes.c_char_p)
_doubles = ctypes.POINTER(ctypes.c_double)

# OpenMP threads that spin at barriers hold a core while the thread they wait for is descheduled:
# beside other busy processes decoding ran 5-56x slower. libgomp reads its wait policy once, when
# it is loaded (here, with the library), so a bounded spin is chosen now unless the user chose.
if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["GOMP_SPINCOUNT"] = "10000"
lib = ctypes.CDLL(_library_path())
_signatures = {
    "flowseq_version": (ctypes.c_char_p, []),
    "flowseq_last_error": (ctypes.c_char_p, []),
    "flowseq_set_logging": (None, [ctypes.c_int]),
    "flowseq_open": (ctypes.c_void_p, [ctypes.c_char_p, ctypes.POINTER(OpenOptions)]),
    "flowseq_close": (None, [ctypes.c_void_p]),
    "flowseq_is_autoregressive": (ctypes.c_int, [ctypes.c_void_p]),
    "flowseq_default_options": (Options, [ctypes.c_int]),
    "flowseq_translate_each": (
        ctypes.c_int,
        [ctypes.c_void_p, _strings, ctypes.c_int, ctypes.POINTER(Options), RESULT_CALLBACK, ctypes.c_void_p],
    ),
    "flowseq_score": (
        ctypes.c_int,
        [ctypes.c_void_p, _strings, _strings, ctypes.c_int, ctypes.POINTER(Options), _doubles, _doubles],
    ),
}
for _name, (_result, _arguments) in _signatures.items():
    _function = getattr(lib, _name)
    _function.restype = _result
    _function.argtypes = _arguments


class Error(RuntimeError):
    """A failure of libflowseq (the message is flowseq_last_error()'s) or an option it cannot take."""


def last_error() -> str:
    """flowseq_last_error(): why the last failing call on this thread failed."""
    return (lib.flowseq_last_error() or b"").decode("utf-8", "replace")


def string_array(texts: "list[bytes]") -> "ctypes.Array[ctypes.c_char_p]":
    """A C array of char pointers to the given UTF-8 strings (kept alive by the array)."""
    return (ctypes.c_char_p * max(len(texts), 1))(*texts)
