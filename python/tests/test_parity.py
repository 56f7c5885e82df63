"""The Python package gives exactly what the flowseq program gives on the first lines of Multi30k
test_2016: translations byte for byte in every decoding mode of both model types, n-best lists
(order, text and every score) as `flowseq sample` writes them, and `flowseq score`'s numbers."""

from __future__ import annotations

from typing import List

import pytest
from conftest import TEACHER

import flowseq

# (which translator, the program's options, the same as keyword options)
TRANSLATE_CASES = [
    ("student", [], {}),
    ("student", ["--decode", "npd"], {"decoding": "npd"}),
    ("student", ["--decode", "iwd"], {"decoding": "iwd"}),
    ("ranked", ["--decode", "npd", "--rescore", str(TEACHER)], {"decoding": "npd", "rescore": True}),
    ("ranked", ["--decode", "iwd", "--rescore", str(TEACHER)], {"decoding": "iwd", "rescore": True}),
    (
        "student",
        ["--decode", "npd", "--lengths", "2", "--samples", "3", "--tau", "0.5", "--seed", "7", "--collapse-repeats"],
        {"decoding": "npd", "lengths": 2, "samples": 3, "tau": 0.5, "seed": 7, "collapse_repeats": True},
    ),
    (
        "student",
        ["--decode", "iwd", "--iw-samples", "2", "--samples", "2", "--max-tokens", "200", "--max-length", "12"],
        {"decoding": "iwd", "iw_samples": 2, "samples": 2, "max_tokens": 200, "max_length": 12},
    ),
    ("student", ["--batch-size", "2"], {"batch_size": 2}),
    ("teacher", [], {}),
    ("teacher", ["--beam", "1"], {"beam": 1}),
    (
        "teacher",
        ["--beam", "3", "--lenpen", "0.6", "--max-len-a", "1", "--max-len-b", "4", "--collapse-repeats"],
        {"beam": 3, "length_penalty": 0.6, "max_length_a": 1, "max_length_b": 4, "collapse_repeats": True},
    ),
]

SAMPLE_CASES = [
    ("student", ["-n", "6"], {"n": 6}),
    (
        "student",
        ["-n", "5", "--lengths", "2", "--tau", "0.3", "--seed", "3"],
        {"n": 5, "lengths": 2, "tau": 0.3, "seed": 3},
    ),
    ("ranked", ["-n", "4", "--rescore", str(TEACHER)], {"n": 4, "rescore": True}),
    ("teacher", ["-n", "3"], {"n": 3}),
    ("teacher", ["-n", "2", "--beam", "5", "--lenpen", "0.5"], {"n": 2, "beam": 5, "length_penalty": 0.5}),
]


def _model_dir(translator: flowseq.Translator) -> List[str]:
    return ["-m", translator.model_dir]


def _lines(texts: List[str]) -> bytes:
    return "".join(t + "\n" for t in texts).encode("utf-8")


@pytest.mark.parametrize("which,args,options", TRANSLATE_CASES)
def test_translate_equals_the_program(request, cli, german, which, args, options):
    t = request.getfixturevalue(which)
    expected = cli(["translate", *_model_dir(t), *args], german)
    got = t.translate(german, **options)
    assert len(got) == len(german) and got[5] == ""
    assert _lines(got) == expected


def _moses(index: int, h: flowseq.Hypothesis, t: flowseq.Translator) -> str:
    """The n-best line `flowseq sample` writes for a hypothesis: its total is the ranking score."""
    if t.is_autoregressive:
        return f"{index} ||| {h.text} ||| dec={h.decoder_logprob:.4f} ||| {h.score:.4f}"
    teacher = f" teacher={h.score:.4f}" if t.teacher_dir else ""
    features = f"len={h.length_logprob:.4f} prior={h.prior_logprob:.4f} dec={h.decoder_logprob:.4f}{teacher}"
    return f"{index} ||| {h.text} ||| {features} ||| {h.score:.4f}"


@pytest.mark.parametrize("which,args,options", SAMPLE_CASES)
def test_sample_equals_the_program(request, cli, german, which, args, options):
    t = request.getfixturevalue(which)
    expected = cli(["sample", *_model_dir(t), *args], german)
    got = t.sample(german, **options)
    assert [len(hyps) for hyps in got][5] == 0
    assert all(len(hyps) == options["n"] for i, hyps in enumerate(got) if i != 5)
    lines = [_moses(i, h, t) for i, hyps in enumerate(got) for h in hyps]
    assert _lines(lines) == expected


NBEST_CASES = [
    ("student", {"decoding": "npd"}, 15),
    ("ranked", {"decoding": "iwd", "rescore": True}, 3),
    ("teacher", {"beam": 4}, 4),
]


@pytest.mark.parametrize("which,options,count", NBEST_CASES)
def test_nbest_order(request, german, which, options, count):
    t = request.getfixturevalue(which)
    nbest = t.translate_nbest(german, **options)
    assert all(len(hyps) == (0 if i == 5 else count) for i, hyps in enumerate(nbest))
    for hyps in nbest:  # after the decoder's choice, best score first
        assert [h.score for h in hyps[1:]] == sorted((h.score for h in hyps[1:]), reverse=True)
        assert all(h.tokens > 0 and h.decoder_logprob < 0 for h in hyps)
    # the translation is the first hypothesis (a beam that keeps n finished hypotheses may end
    # elsewhere than one that keeps one, so a Transformer's is compared at n_best 1)
    first = nbest if not t.is_autoregressive else t.translate_nbest(german, n_best=1, **options)
    assert [hyps[0].text if hyps else "" for hyps in first] == t.translate(german, **options)


@pytest.mark.parametrize("which", ["student", "teacher"])
@pytest.mark.parametrize(
    "args,options",
    [([], {}), (["--iw-samples", "2", "--seed", "5", "--batch-size", "7"], {"iw_samples": 2, "seed": 5, "batch_size": 7})],
)
def test_score_equals_the_program(request, cli, pairs, which, args, options):
    t = request.getfixturevalue(which)
    sources, targets = pairs
    src, tgt = cli.write(sources, "score.de"), cli.write(targets, "score.en")
    expected = cli(["score", *_model_dir(t), "-s", src, "-t", tgt, *args])
    got = t.score(sources, targets, **options)
    assert _lines([f"{s.logprob:.4f}\t{s.logprob_per_token:.4f}" for s in got]) == expected
    one = t.score(sources[3], targets[3], **options)
    assert isinstance(one, flowseq.Score) and one == t.score([sources[3]], [targets[3]], **options)[0]
