"""Every way a call can fail raises: flowseq.Error with the library's message for what libflowseq
rejects (model and teacher directories, option values, a closed translator), TypeError or
ValueError for arguments that are not text; empty inputs are not errors. A failed call leaves the
translator usable."""

from __future__ import annotations

import pytest
from conftest import STUDENT, TEACHER

import flowseq
import flowseq.translator

SENTENCE = "Zwei Hunde spielen im Schnee."


def test_missing_model_directory(tmp_path):
    with pytest.raises(flowseq.Error, match=r"nowhere/config\.yaml: missing"):
        flowseq.Translator(tmp_path / "nowhere")


def test_no_model_directory():
    with pytest.raises(flowseq.Error, match="flowseq_open: model_dir is NULL"):
        flowseq.Translator(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "model,teacher_dir,message",
    [
        (STUDENT, STUDENT, "not an autoregressive Transformer"),
        (TEACHER, TEACHER, "a teacher ranks FlowSeq's candidates"),
        (STUDENT, "missing-teacher", r"missing-teacher/config\.yaml: missing"),
    ],
)
def test_bad_teacher(student, teacher, model, teacher_dir, message):
    with pytest.raises(flowseq.Error, match=message):
        flowseq.Translator(model, teacher_dir)


def test_bad_arena(student):
    with pytest.raises(flowseq.Error, match=r"options->arena_mb is -1: must be in \[0, "):
        flowseq.Translator(STUDENT, arena_mb=-1)
    with pytest.raises(TypeError, match="arena_mb"):
        flowseq.Translator(STUDENT, arena_mb="big")  # type: ignore[arg-type]


def test_a_batch_too_large_for_the_arena(student):
    with flowseq.Translator(STUDENT, arena_mb=1) as small:
        with pytest.raises(flowseq.Error, match="arena"):
            small.translate([SENTENCE * 8] * 16, decoding="npd")


def out_of_range(option: str, value: object) -> str:
    """The library's message for an option value outside its range."""
    return rf"options->{option} is {value}: must be in \["


@pytest.mark.parametrize(
    "which,options,message",
    [
        ("student", {"lengths": 0}, out_of_range("lengths", 0)),
        ("student", {"decoding": "npd", "samples": -1}, out_of_range("samples", -1)),
        ("student", {"decoding": "npd", "tau": -0.5}, out_of_range("tau", -0.5)),
        ("student", {"decoding": "npd", "tau": float("nan")}, out_of_range("tau", "nan")),
        ("student", {"decoding": "iwd", "iw_samples": 0}, out_of_range("iw_samples", 0)),
        ("student", {"max_tokens": 0}, out_of_range("max_tokens", 0)),
        ("student", {"max_length": -3}, out_of_range("max_length", -3)),
        ("student", {"lengths": 2**31}, r"lengths must be between -2147483648 and 2147483647 \(got 2147483648\)"),
        ("student", {"seed": -1}, "seed must be between 0 and 18446744073709551615"),
        ("student", {"decoding": "beam"}, r"decoding must be 'argmax', 'npd' or 'iwd' \(got 'beam'\)"),
        ("student", {"rescore": True, "decoding": "npd"}, "rescore needs a teacher"),
        ("ranked", {"rescore": True}, "rescore ranks the candidates of FLOWSEQ_NPD or FLOWSEQ_IWD"),
        ("student", {"beam": 2}, "beam is for autoregressive Transformer models; .* is a FlowSeq model"),
        ("teacher", {"beam": 0}, out_of_range("beam", 0)),
        ("teacher", {"length_penalty": -1}, out_of_range("length_penalty", -1)),
        ("teacher", {"max_length_b": -1}, out_of_range("max_length_b", -1)),
        ("teacher", {"decoding": "npd"}, "decoding is for FlowSeq models; .* is an autoregressive Transformer"),
        ("teacher", {"tau": 0.5}, "tau is for FlowSeq models"),
    ],
)
def test_bad_option_values(request, which, options, message):
    t = request.getfixturevalue(which)
    with pytest.raises(flowseq.Error, match=message):
        t.translate(SENTENCE, **options)
    with pytest.raises(flowseq.Error, match=message):
        t.translate_nbest([SENTENCE], **options)
    assert t.translate(SENTENCE)  # still usable


def test_bad_counts(student, teacher):
    for t in (student, teacher):
        with pytest.raises(flowseq.Error, match=out_of_range("n_best", 0)):
            t.translate_nbest(SENTENCE, n_best=0)
        with pytest.raises(flowseq.Error, match=out_of_range("n_best", 0)):
            t.sample(SENTENCE, 0)
    with pytest.raises(flowseq.Error, match="tau is for FlowSeq models"):
        teacher.sample(SENTENCE, 2, tau=1.0)


@pytest.mark.parametrize(
    "options,message",
    [({"iw_samples": 0}, out_of_range("iw_samples", 0)), ({"batch_size": -1}, out_of_range("max_sentences", -1))],
)
def test_bad_score_options(student, options, message):
    with pytest.raises(flowseq.Error, match="flowseq_score: " + message):
        student.score(SENTENCE, "Two dogs.", **options)


def test_wrong_types(student):
    with pytest.raises(TypeError, match="sentences must be a str or an iterable of str, not NoneType"):
        student.translate(None)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"sentences\[1\] must be str, not NoneType"):
        student.translate([SENTENCE, None])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not bytes"):
        student.translate(SENTENCE.encode())  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="lengths must be an int, not str"):
        student.translate(SENTENCE, decoding="npd", lengths="3")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tau must be a number"):
        student.translate(SENTENCE, decoding="npd", tau="hot")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="translate\\(\\) got an unexpected keyword argument 'n_best'"):
        student.translate(SENTENCE, n_best=2)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="sample\\(\\) got an unexpected keyword argument 'decoding'"):
        student.sample(SENTENCE, 2, decoding="iwd")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="score\\(\\) got an unexpected keyword argument 'beam'"):
        student.score(SENTENCE, "Two dogs.", beam=2)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="contains a NUL character"):
        student.translate("Ein\0Hund")
    with pytest.raises(TypeError, match="targets"):
        student.score([SENTENCE], None)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="1 sources, 2 targets"):
        student.score([SENTENCE], ["Two dogs.", "Dogs."])
    with pytest.raises(ValueError, match="must match"):
        student.score(SENTENCE, ["Two dogs."])  # type: ignore[call-overload]


def test_empty_inputs(student, teacher):
    for t in (student, teacher):
        assert t.translate([]) == [] and t.translate_nbest([]) == [] and t.sample([]) == []
        assert t.translate("") == "" and t.translate_nbest("") == [] and t.sample("", 3) == []
        assert t.translate(["", SENTENCE, ""])[::2] == ["", ""]
        assert t.score([], []) == []
        assert t.translate(s for s in [SENTENCE]) == [t.translate(SENTENCE)]  # any iterable


def test_closed_translator():
    t = flowseq.Translator(STUDENT)
    with t:
        assert t.translate(SENTENCE) and not t.closed
    assert t.closed
    for call in (lambda: t.translate(SENTENCE), lambda: t.sample(SENTENCE), lambda: t.score(SENTENCE, "Dogs.")):
        with pytest.raises(flowseq.Error, match="is closed"):
            call()
    t.close()  # twice is fine


def test_an_exception_in_the_callback_stops_the_call(student, monkeypatch):
    class Stop(Exception):
        pass

    seen = []

    def failing(*fields):
        seen.append(fields)
        raise Stop("from the callback")

    monkeypatch.setattr(flowseq.translator, "Hypothesis", failing)
    with pytest.raises(Stop):
        student.translate([SENTENCE] * 5)
    assert len(seen) == 1  # the library stopped at the first sentence
    monkeypatch.undo()
    assert student.translate(SENTENCE)
