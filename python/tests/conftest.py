"""Fixtures of the Python package's tests: the bundled models opened once, the flowseq program
(FLOWSEQ_BIN, else build/flowseq) to compare against, and the first lines of Multi30k test_2016
($FLOWSEQ_CORPORA, else ../shared/corpora beside the repository; tests needing them skip without).

Before flowseq (and so OpenBLAS) is loaded, this pins OPENBLAS_CORETYPE to the kernel the program
chooses (`flowseq info`), as include/flowseq.h advises a host program to, and keeps both on the
CPU, one thread each unless OMP_NUM_THREADS says otherwise: the library and the program then
compute the same numbers, and their outputs compare byte for byte.
"""

from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path
from typing import List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("FLOWSEQ_BIN") or ROOT / "build" / "flowseq")
STUDENT = ROOT / "models" / "flowseq-small-multi30k"
TEACHER = ROOT / "models" / "ar-small-multi30k"
CORPORA = Path(os.environ.get("FLOWSEQ_CORPORA") or ROOT.parent / "shared" / "corpora")
LINES = 32  # test_2016 lines compared, plus one empty line

os.environ["FLOWSEQ_DEVICE"] = "cpu"
for threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):  # quick on a shared machine
    os.environ.setdefault(threads, "1")
if "OPENBLAS_CORETYPE" not in os.environ and BIN.exists():
    info = subprocess.run([str(BIN), "info"], capture_output=True, text=True).stdout
    for line in info.splitlines():
        if line.startswith("openblas core: "):
            os.environ["OPENBLAS_CORETYPE"] = line.split(": ", 1)[1].strip()

import flowseq  # noqa: E402 (after the environment above)


def _model(path: Path, **kwargs: object) -> flowseq.Translator:
    if not (path / "model.safetensors").exists():
        pytest.skip(f"the bundled model {path} is missing")
    return flowseq.Translator(path, **kwargs)


@pytest.fixture(scope="session")
def student():
    with _model(STUDENT) as t:
        yield t


@pytest.fixture(scope="session")
def teacher():
    with _model(TEACHER) as t:
        yield t


@pytest.fixture(scope="session")
def ranked(teacher):
    """The FlowSeq model opened with the Transformer as its teacher (rescore=True)."""
    with _model(STUDENT, teacher_dir=TEACHER) as t:
        yield t


def _corpus(name: str) -> List[str]:
    path = CORPORA / "multi30k" / name
    if not path.exists():
        pytest.skip(f"Multi30k not found: no {path} (set FLOWSEQ_CORPORA to the corpora directory)")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [next(f).rstrip("\n") for _ in range(LINES)]


@pytest.fixture(scope="session")
def german() -> List[str]:
    """The first test_2016 source lines with an empty line among them."""
    lines = _corpus("test_2016_flickr.de.gz")
    return lines[:5] + [""] + lines[5:]


@pytest.fixture(scope="session")
def pairs() -> tuple:
    """The first test_2016 sources and their reference translations."""
    return _corpus("test_2016_flickr.de.gz"), _corpus("test_2016_flickr.en.gz")


@pytest.fixture(scope="session")
def cli(tmp_path_factory):
    """cli(ARGS, LINES): stdout of `flowseq ARGS... --quiet [-i FILE of LINES]`, as bytes;
    cli.write(LINES, NAME) writes lines to a file and returns its path."""
    if not BIN.exists():
        pytest.skip(f"the flowseq program is missing ({BIN}; build it, or set FLOWSEQ_BIN)")
    folder = tmp_path_factory.mktemp("cli")

    def write(lines: List[str], name: str = "input") -> str:
        path = folder / name
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return str(path)

    def run(args: List[str], lines: Optional[List[str]] = None) -> bytes:
        command = [str(BIN), *args, "--quiet"] + ([] if lines is None else ["-i", write(lines)])
        done = subprocess.run(command, capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout

    run.write = write  # type: ignore[attr-defined]
    return run
