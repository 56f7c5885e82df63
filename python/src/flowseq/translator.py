"""flowseq.Translator: a model directory opened by libflowseq, translating, sampling and scoring.

Each method turns its keyword options into flowseq_options (options.py), calls the library with
the GIL released, and raises flowseq.Error with flowseq_last_error()'s message when it fails.
Hypotheses come through the C callback of flowseq_translate_each, in input order.
"""

from __future__ import annotations

import ctypes
import os
import threading
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Tuple, Union, overload

from . import _native
from . import options as _options
from ._native import Error

if TYPE_CHECKING:  # only type checkers read Unpack (typing_extensions: no dependency at run time)
    from typing_extensions import Unpack

    from .options import NBestOptions, SampleOptions, ScoreOptions, TranslateOptions

PathLike = Union[str, "os.PathLike[str]"]


class Hypothesis(NamedTuple):
    """One translation of a sentence with its scores (natural logarithms), as flowseq.h defines them.

    score: the ranking score, higher is better. FlowSeq: (length_logprob + prior_logprob +
    decoder_logprob) / tokens (iwd: an estimate of log p(y|x,T) in place of the last two); with
    rescore, the teacher's log p(y|x) / (tokens + 1). Transformer: log p(y|x) /
    (tokens + 1) ** length_penalty.
    """

    text: str
    tokens: int  # output tokens before EOS, before collapse_repeats
    score: float
    length_logprob: float  # FlowSeq: log P(T|x); Transformer: 0
    prior_logprob: float  # FlowSeq: log p(z|x); Transformer: 0
    decoder_logprob: float  # FlowSeq: log p(y|z,x); Transformer: log p(y|x)


class Score(NamedTuple):
    """log p(target | source), and the same divided by the target's tokens plus one (EOS)."""

    logprob: float
    logprob_per_token: float


def set_logging(enabled: bool) -> None:
    """Progress and notices on stderr as the flowseq program prints them (off by default)."""
    _native.lib.flowseq_set_logging(1 if enabled else 0)


def _encode(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise TypeError(f"{what} must be str, not {type(text).__name__}")
    data = text.encode("utf-8")
    if b"\0" in data:
        raise ValueError(f"{what} contains a NUL character")
    return data


def _sentences(value: object, what: str) -> Tuple[List[bytes], bool]:
    """The UTF-8 texts of one string or an iterable of strings, and whether it was one string."""
    if isinstance(value, str):
        return [_encode(value, what)], True
    if value is None or isinstance(value, (bytes, bytearray)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{what} must be a str or an iterable of str, not {type(value).__name__}")
    return [_encode(item, f"{what}[{i}]") for i, item in enumerate(value)], False


_TRANSLATE = _options.names(_options.TranslateOptions)
_NBEST = _options.names(_options.NBestOptions)
_SAMPLE = _options.names(_options.SampleOptions)
_SCORE = _options.names(_options.ScoreOptions)


class Translator:
    """A FlowSeq or autoregressive Transformer model directory (config.yaml, model.safetensors,
    spm.model), opened for translating German to English.

    teacher_dir: an autoregressive Transformer with the same spm.model, opened beside a FlowSeq
    model to rank its npd and iwd candidates (rescore=True). arena_mb: working memory for
    activations in MiB (0: the library's default, 4096).

    One translator runs one call at a time (calls from several threads wait for each other); use
    one translator per thread to translate in parallel. The GIL is released while the library
    works. Use it as a context manager, or call close(), to free the model's memory at once.
    """

    def __init__(self, model_dir: PathLike, teacher_dir: Optional[PathLike] = None, *, arena_mb: int = 0) -> None:
        self._handle: Optional[int] = None
        self._lock = threading.Lock()
        self.model_dir = None if model_dir is None else os.fspath(model_dir)
        self.teacher_dir = None if teacher_dir is None else os.fspath(teacher_dir)
        if isinstance(arena_mb, bool) or not isinstance(arena_mb, int) or not -(2**31) <= arena_mb < 2**31:
            raise TypeError("arena_mb must be an int (MiB; 0: the default)")
        teacher = None if self.teacher_dir is None else os.fsencode(self.teacher_dir)
        model = None if self.model_dir is None else os.fsencode(self.model_dir)
        handle = _native.lib.flowseq_open(model, ctypes.byref(_native.OpenOptions(teacher, arena_mb)))
        if not handle:
            raise Error(_native.last_error())
        self._handle = handle
        self.is_autoregressive: bool = bool(_native.lib.flowseq_is_autoregressive(handle))

    # ---- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Frees the model (waiting for a call in progress); further calls raise flowseq.Error."""
        with self._lock:
            handle, self._handle = self._handle, None
            if handle:
                _native.lib.flowseq_close(handle)

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self) -> "Translator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_handle", None):
            self.close()

    def __repr__(self) -> str:
        kind = "transformer" if getattr(self, "is_autoregressive", False) else "flowseq"
        teacher = f", teacher_dir={self.teacher_dir!r}" if self.teacher_dir else ""
        return f"<flowseq.Translator {self.model_dir!r}{teacher} ({kind}{', closed' if self.closed else ''})>"

    def _handle_now(self) -> int:
        if not self._handle:
            raise Error(f"the translator of {self.model_dir} is closed")
        return self._handle

    def _c_options(self, method: str, allowed: FrozenSet[str], given: Dict[str, Any]) -> _native.Options:
        return _options.to_c(method, allowed, given, str(self.model_dir), self.is_autoregressive)

    # ---- translating ---------------------------------------------------------------------------

    def _decode(self, texts: List[bytes], options: _native.Options) -> List[List[Hypothesis]]:
        """Every sentence's hypotheses, best first, through flowseq_translate_each."""
        results: List[List[Hypothesis]] = [[] for _ in texts]
        failure: List[BaseException] = []

        def on_result(_user: object, index: int, hyps: Any, n: int) -> int:
            try:  # an exception (Ctrl-C included) stops the library, and is raised once it returns
                found = [hyps[i] for i in range(n)]
                results[index] = [
                    Hypothesis(
                        (h.text or b"").decode("utf-8", "replace"),
                        h.tokens,
                        h.score,
                        h.length_logprob,
                        h.prior_logprob,
                        h.decoder_logprob,
                    )
                    for h in found
                ]
                return 0
            except BaseException as e:  # handed to the caller below
                failure.append(e)
                return 1

        callback = _native.RESULT_CALLBACK(on_result)
        sources = _native.string_array(texts)
        with self._lock:
            rc = _native.lib.flowseq_translate_each(
                self._handle_now(), sources, len(texts), ctypes.byref(options), callback, None
            )
            message = _native.last_error() if rc else ""
        if failure:
            raise failure[0]
        if rc:
            raise Error(message)
        return results

    # A str is also an Iterable[str]: type checkers take the overloads in order, so one sentence
    # gives one result (the ignore silences mypy's warning about that overlap).
    @overload
    def translate(  # type: ignore[overload-overlap]
        self, sentences: str, **options: Unpack[TranslateOptions]
    ) -> str: ...
    @overload
    def translate(self, sentences: Iterable[str], **options: Unpack[TranslateOptions]) -> List[str]: ...

    def translate(
        self, sentences: Union[str, Iterable[str]], **options: Unpack[TranslateOptions]
    ) -> Union[str, List[str]]:
        """Translates one German sentence (returns a str) or several (returns a list, in order).

        Options (keywords, those of `flowseq translate`; None or absent: the default):
          decoding        FlowSeq: "argmax" (default: the top length, the latent at the prior's
                          mean), "npd" (lengths x samples latents at temperature tau, ranked by
                          the model's joint score, or by the teacher with rescore=True) or "iwd"
                          (lengths x samples candidates each scored by importance weighting
                          with iw_samples posterior samples)
          lengths, samples, tau, iw_samples   FlowSeq: npd 3, 5, 1.0; iwd 3, 1, 0; iw_samples 4
          rescore         FlowSeq npd/iwd: rank the candidates by the teacher (teacher_dir)
          seed            same seed, same output (default 1)
          beam            Transformer: beam size (4); 1 is greedy decoding
          length_penalty  Transformer: hypotheses ranked by log p / length ** length_penalty (1.0)
          max_length_a, max_length_b   Transformer: at most a x source tokens + b tokens (2, 10)
          max_tokens      tokens per batch, a source token counted once per candidate row (1024)
          batch_size      and sentences per batch, at most (default: no count)
          max_length      longer inputs are cut to this many tokens (250)
          substitute_repeats  FlowSeq: where neighbours decode one token, one takes its runner-up
          collapse_repeats  drop each output token equal to the one before it
          progress        lines/s on the log (when set_logging(True)); on by default
        An empty sentence translates to "".
        """
        texts, single = _sentences(sentences, "sentences")
        c = self._c_options("translate", _TRANSLATE, dict(options))
        c.n_best = 1
        best = [hyps[0].text if hyps else "" for hyps in self._decode(texts, c)]
        return best[0] if single else best

    @overload
    def translate_nbest(  # type: ignore[overload-overlap]
        self, sentences: str, **options: Unpack[NBestOptions]
    ) -> List[Hypothesis]: ...
    @overload
    def translate_nbest(self, sentences: Iterable[str], **options: Unpack[NBestOptions]) -> List[List[Hypothesis]]: ...

    def translate_nbest(
        self, sentences: Union[str, Iterable[str]], **options: Unpack[NBestOptions]
    ) -> Union[List[Hypothesis], List[List[Hypothesis]]]:
        """Like translate(), but each sentence gives its n_best hypotheses, best first, with scores.

        Takes translate()'s options and n_best, by default every candidate: FlowSeq's lengths x
        samples, a Transformer's beam (a larger n_best widens the beam to n_best). An empty
        sentence gives no hypotheses. A single str gives one list of Hypothesis; several
        sentences give a list of such lists.
        """
        texts, single = _sentences(sentences, "sentences")
        given = dict(options)
        n_best = given.pop("n_best", None)
        c = self._c_options("translate_nbest", _NBEST, given)
        if n_best is not None:
            _options.set_field(c, "n_best", n_best)
        else:
            c.n_best = c.beam if self.is_autoregressive else max(c.lengths * c.samples, 1)
        results = self._decode(texts, c)
        return results[0] if single else results

    @overload
    def sample(  # type: ignore[overload-overlap]
        self, sentences: str, n: int = 5, **options: Unpack[SampleOptions]
    ) -> List[Hypothesis]: ...
    @overload
    def sample(
        self, sentences: Iterable[str], n: int = 5, **options: Unpack[SampleOptions]
    ) -> List[List[Hypothesis]]: ...

    def sample(
        self, sentences: Union[str, Iterable[str]], n: int = 5, **options: Unpack[SampleOptions]
    ) -> Union[List[Hypothesis], List[List[Hypothesis]]]:
        """n diverse translations per sentence, best first, as `flowseq sample -n N` writes them.

        FlowSeq: `lengths` top lengths (default 1) x ceil(n / lengths) latent samples at
        temperature tau (default 1.0), ranked by the model (or the teacher, rescore=True), the n
        best kept. Transformer: the n best of a beam of max(n, beam). The other options are
        translate()'s.
        """
        texts, single = _sentences(sentences, "sentences")
        c = self._c_options("sample", _SAMPLE, dict(options))
        _options.set_field(c, "n_best", n)
        if not self.is_autoregressive:
            c.decoding = _native.DECODINGS["npd"]
            if n >= 1 and c.lengths >= 1:
                c.samples = (n + c.lengths - 1) // c.lengths
            if options.get("tau") is None:
                c.tau = 1.0
        results = self._decode(texts, c)
        return results[0] if single else results

    # ---- scoring -------------------------------------------------------------------------------

    @overload
    def score(  # type: ignore[overload-overlap]
        self, sources: str, targets: str, **options: Unpack[ScoreOptions]
    ) -> Score: ...
    @overload
    def score(self, sources: Iterable[str], targets: Iterable[str], **options: Unpack[ScoreOptions]) -> List[Score]: ...

    def score(
        self, sources: Union[str, Iterable[str]], targets: Union[str, Iterable[str]], **options: Unpack[ScoreOptions]
    ) -> Union[Score, List[Score]]:
        """How likely the model finds the given English targets for the German sources, as
        `flowseq score` prints it: log p(y|x), and per target token (EOS included).

        A Transformer computes it exactly; FlowSeq estimates it by importance weighting with
        iw_samples posterior samples (default 4) drawn from seed (default 1). batch_size:
        sentence pairs per batch (default 32). One source and one target (str) give one Score.
        """
        src, single = _sentences(sources, "sources")
        tgt, single_target = _sentences(targets, "targets")
        if single != single_target or len(src) != len(tgt):
            raise ValueError(f"sources and targets must match: {len(src)} sources, {len(tgt)} targets")
        for name in options:
            if name not in _SCORE:
                raise TypeError(f"score() got an unexpected keyword argument {name!r}")
        c = _native.lib.flowseq_default_options(_native.DECODINGS["argmax"])
        for name, value in options.items():
            if value is not None:
                _options.set_field(c, name, value)
        n = len(src)
        logprob, per_token = (ctypes.c_double * max(n, 1))(), (ctypes.c_double * max(n, 1))()
        with self._lock:
            rc = _native.lib.flowseq_score(
                self._handle_now(),
                _native.string_array(src),
                _native.string_array(tgt),
                n,
                ctypes.byref(c),
                logprob,
                per_token,
            )
            message = _native.last_error() if rc else ""
        if rc:
            raise Error(message)
        scores = [Score(logprob[i], per_token[i]) for i in range(n)]
        return scores[0] if single else scores
