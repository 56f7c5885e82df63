"""Threads: the GIL is released while the library works; two translators translating at once in
two threads give exactly what they give one after the other (each keeps its own memory); one
translator shared by two threads serves them one call at a time, and close() waits for its call."""

from __future__ import annotations

import threading
import time
from typing import Callable, List

from conftest import STUDENT, TEACHER

import flowseq

SENTENCES = [
    "Ein Mann fährt mit dem Fahrrad eine Straße entlang.",
    "Zwei Hunde spielen im Schnee.",
    "Eine Frau in einem roten Kleid singt auf einer Bühne vor vielen Menschen.",
    "Ein kleines Kind isst einen Apfel.",
    "Ein Junge springt von einem Felsen in einen See, während seine Freunde zusehen.",
    "",
    "Drei Leute sitzen in einem Café und trinken Kaffee.",
] * 3


def _together(jobs: List[Callable[[], object]]) -> List[object]:
    """Runs the jobs in threads of their own, started together; returns their results in order."""
    results: List[object] = [None] * len(jobs)
    errors: List[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = jobs[i]()
        except BaseException as e:  # re-raised in the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def test_two_translators_in_two_threads(student, teacher):
    with flowseq.Translator(STUDENT) as a, flowseq.Translator(TEACHER) as b:
        jobs = [
            lambda: (a.translate(SENTENCES, decoding="npd", seed=3), a.score(SENTENCES[:5], SENTENCES[:5])),
            lambda: (b.translate_nbest(SENTENCES, beam=3), b.score(SENTENCES[:5], SENTENCES[:5])),
        ]
        alone = [job() for job in jobs]
        assert _together(jobs) == alone
        # the same model twice, different work
        with flowseq.Translator(STUDENT) as c:
            pair = [lambda: a.translate(SENTENCES, decoding="iwd"), lambda: c.sample(SENTENCES, 4, seed=9)]
            assert _together(pair) == [pair[0](), pair[1]()]


def test_the_gil_is_released_during_a_call(teacher):
    """A Python thread keeps running while another waits in one long library call (flowseq_score)."""
    sources, targets = SENTENCES * 20, [s.replace("Ein", "A") for s in SENTENCES] * 20
    ticks: List[float] = []
    call: List[float] = []
    done = threading.Event()

    def count() -> None:
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)  # waking up needs the GIL

    def score() -> None:
        call.append(time.perf_counter())
        teacher.score(sources, targets)
        call.append(time.perf_counter())
        done.set()

    _together([count, score])
    inside = [t for t in ticks if call[0] <= t <= call[1]]
    gaps = [b - a for a, b in zip([call[0]] + inside, inside + [call[1]])]
    assert max(gaps) < 0.5 * (call[1] - call[0]), "the other thread stopped during the call"


def test_one_translator_shared_by_two_threads(student):
    jobs = [lambda: student.translate(SENTENCES, decoding="npd"), lambda: student.translate_nbest(SENTENCES)]
    assert _together(jobs) == [job() for job in jobs]


def test_closing_waits_for_the_call_in_progress():
    t = flowseq.Translator(STUDENT)

    def translate() -> object:
        try:
            return t.translate(SENTENCES, decoding="npd")
        except flowseq.Error as e:  # close() came first
            return str(e)

    results = _together([translate, t.close])
    assert t.closed
    assert results[0] == f"the translator of {STUDENT} is closed" or len(results[0]) == len(SENTENCES)
