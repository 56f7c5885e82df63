"""Training copies of the pairs with numbers, each number replaced by another (used by prepare.py).

A German digit run (a maximal run of 0-9) that the English side repeats has to be copied, digit by
digit with the split-digits tokenizer. The data has few such pairs (about 5000 of 216000) and the
same few numbers in them (years, times, small counts), so a model trained on it learns those
numbers rather than copying: "42 Fuß" came out as "24", "1962" as "19662". vary_numbers() adds
COPIES versions of each such pair in which every digit run is replaced, the same way on both sides,
by a pseudo-random one: half of them as long as the original, half of 1 to 5 digits, none with a
leading zero the original did not have. Pairs with a digit run glued to a letter ("19th", "10h";
not "100-Yen") are left alone: "2th" would teach wrong English. The randomness is a
SHA-256 of the seed, the pair and the copy's number, so every run writes the same bytes.
"""
import hashlib
import re

from clean import DIGIT_RUN

GLUED = re.compile(r"[0-9][^\W\d_]|[^\W\d_][0-9]")


def can_vary(de, en):
    return bool(DIGIT_RUN.search(de)) and not (GLUED.search(de) or GLUED.search(en))


def digit_stream(seed, pair, copy):
    """An endless stream of pseudo-random bytes for one copy of one pair."""
    block = 0
    while True:
        yield from hashlib.sha256(f"{seed}\t{copy}\t{block}\t{pair[0]}\t{pair[1]}".encode("utf-8")).digest()
        block += 1


def new_run(run, stream):
    length = len(run) if next(stream) % 2 == 0 else 1 + next(stream) % 5
    digits = [str(next(stream) % 10) for _ in range(length)]
    if length > 1 and digits[0] == "0" and not run.startswith("0"):
        digits[0] = str(1 + next(stream) % 9)
    return "".join(digits)


def vary_numbers(pairs, copies, seed):
    """The varied copies of the pairs that have numbers to copy, in the order of the pairs."""
    out = []
    for pair in pairs:
        if not can_vary(*pair):
            continue
        for copy in range(copies):
            stream, mapping = digit_stream(seed, pair, copy), {}
            for run in DIGIT_RUN.findall(pair[0]):
                if run not in mapping:
                    mapping[run] = new_run(run, stream)
            swap = lambda m: mapping.get(m.group(), m.group())
            out.append((DIGIT_RUN.sub(swap, pair[0]), DIGIT_RUN.sub(swap, pair[1])))
    return out
