"""Writes perturbed versions of a reference file as test hypotheses for the sacreBLEU comparison:
dropped, shuffled and truncated words, Unicode spaces, HTML entities, empty lines, tokenized
text, case changes, Greek/Turkish casing and characters that are line breaks only to Python's
str.splitlines (kept inside a line by sacreBLEU's file reading). Deterministic (fixed seed). Test helper only, not part of the product."""
import gzip
import random
import sys

src, out_dir = sys.argv[1], sys.argv[2]
with gzip.open(src, "rt", encoding="utf-8") as f:
    refs = [line.rstrip("\n") for line in f]
rng = random.Random(1234)
# sigma in final and inner positions, dotted capital I, a soft hyphen, a combining accent
UNICODE_WORDS = ["\u039f\u0394\u039f\u03a3", "\u03a3\u039f\u03a6\u039f\u03a3.", "\u0130STANBUL", "A\u03a3'B",
                 "\u039d\u039f\u03a3\u00ad", "E\u0301\u03a3", "\u201cQUOTE\u201d"]
INLINE_BREAKS = ["\r", "\u2028", "\x0b", "\x0c", "\x85"]
SPACES = ["\u00a0", "\u2009", "\u3000", "\u202f", "\u200b", "\t", "\x1c", "\u0085"]


def dropped(words):
    return [w for w in words if rng.random() > 0.2]


def shuffled(words):
    words = list(words)
    for _ in range(2):
        if len(words) > 1:
            i, j = rng.randrange(len(words)), rng.randrange(len(words))
            words[i], words[j] = words[j], words[i]
    return words


def perturb(line, kind):
    words = line.split(" ")
    if kind == "drop":
        return " ".join(dropped(words))
    if kind == "shuffle":
        return " ".join(shuffled(words))
    if kind == "truncate":
        return " ".join(words[: max(0, len(words) - rng.randrange(1, 6))])
    if kind == "spaces":
        return "".join(w + rng.choice(SPACES) for w in words).rstrip(" ")
    if kind == "entities":
        return line.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;") + (
            " &amp;lt;x&gt;" if rng.random() < 0.1 else "")
    if kind == "empty":
        return "" if rng.random() < 0.3 else line
    if kind == "tokenized":
        return " ".join(w for t in words for w in t.replace(",", " ,").replace(".", " .").split())
    if kind == "case":
        return line.upper() if rng.random() < 0.5 else line.lower()
    if kind == "unicode":
        words = [rng.choice(UNICODE_WORDS) if rng.random() < 0.15 else w for w in words]
        if rng.random() < 0.1 and len(words) > 1:
            words.insert(rng.randrange(1, len(words)), rng.choice(INLINE_BREAKS))
        return " ".join(words)
    if kind == "mixed":
        return perturb(perturb(line, rng.choice(["drop", "shuffle", "spaces"])), rng.choice(["entities", "case"]))
    raise ValueError(kind)


for kind in ["drop", "shuffle", "truncate", "spaces", "entities", "empty", "tokenized", "case", "mixed", "unicode"]:
    with open(f"{out_dir}/hyp.{kind}", "w", encoding="utf-8", newline="\n") as f:
        for line in refs:
            f.write(perturb(line, kind) + "\n")
# a second reference: another perturbation, for the multi-reference runs
with open(f"{out_dir}/ref2", "w", encoding="utf-8") as f:
    for line in refs:
        f.write(" ".join(shuffled(line.split(" "))) + "\n")
with open(f"{out_dir}/ref1", "w", encoding="utf-8") as f:
    for line in refs:
        f.write(line + "\n")
