"""Builds the German-English training data and the held-out Tatoeba split (scripts/prepare-de-en.sh).

Reads every trainable pair of the shared corpora, in this order: Multi30k train, Tatoeba, the
OpenNMT toy sample (detokenized, detok.py) and the WMT news test sets 2008-2012. Each pair is
unescaped ("&amp;" occurs in Multi30k too), normalized and filtered (clean.py), then meets exactly one fate, checked in this order:
  dropped by a cleaning reason, or as a duplicate of an earlier pair (exact, across corpora);
  held out (Tatoeba only): the first VALID then TEST pairs in a fixed pseudo-random order whose
                German side, case-folded, differs from every one chosen before;
  dropped because its German side, case-folded, is a held-out one (held-out-de) or a line of
                an evaluation set: Multi30k val and test_2016, newstest2013 (eval-de);
  dropped because the English side lacks a digit run of the German one (digits-lost,
                clean.loses_digits): applied to training pairs only;
  kept for training.
Then each training pair with numbers to copy gains NUMBER_COPIES versions with other numbers
(digits.py; counted as number-copies, beside the fates), unless a copy's German side is a
held-out or evaluation one.
Writes OUT/{train,valid,test}.{de,en} and OUT/counts.tsv (per corpus: lines read, each fate),
and prints the counts. The order is a SHA-256 of the seed and the pair, so that every Python
version and machine picks the same split; two runs write the same bytes.
"""
import argparse
import gzip
import hashlib
import os
import sys

from clean import drop_reason, loses_digits, normalize
from digits import vary_numbers
from detok import detokenize, unescape

CLEAN_REASONS = ["empty", "too-long", "length-ratio", "copy", "wrong-language"]
COLUMNS = ["read"] + CLEAN_REASONS + ["duplicate", "eval-de", "held-out-de", "digits-lost", "valid", "test", "train", "number-copies"]


def corpora_list(root):
    wmt = [("news-test2008", "news-test2008"), ("newssyscomb2009", "newssyscomb2009")]
    wmt += [(f"newstest{y}", f"newstest{y}") for y in range(2009, 2013)]
    out = [
        ("multi30k-train", f"{root}/multi30k/train", False),
        ("tatoeba", f"{root}/tatoeba-anki/tatoeba", False),
        ("opennmt-toy", f"{root}/opennmt-toy-ende/train", True),
    ]
    return out + [(name, f"{root}/wmt/pre2013/{base}", False) for name, base in wmt]


EVAL_SETS = ["multi30k/val.de.gz", "multi30k/test_2016_flickr.de.gz", "wmt/newstest2013.de.gz"]


def read_lines(path):
    with gzip.open(path, "rt", encoding="utf-8", newline="\n") as f:
        return [line.rstrip("\n") for line in f]


def read_pairs(prefix, tokenized):
    de, en = read_lines(prefix + ".de.gz"), read_lines(prefix + ".en.gz")
    if len(de) != len(en):
        sys.exit(f"prepare-de-en: {prefix}.de.gz has {len(de)} lines, .en.gz {len(en)}")
    # normalized first, so that the detokenizer sees no control characters between tokens;
    # the detokenizer unescapes, and so must the others: Multi30k and newstest2009 have "&amp;"
    prepare_line = (lambda line: detokenize(normalize(line))) if tokenized else (lambda line: normalize(unescape(line)))
    return [(prepare_line(d), prepare_line(e)) for d, e in zip(de, en)]


def order_key(seed, pair):
    return hashlib.sha256(f"{seed}\t{pair[0]}\t{pair[1]}".encode("utf-8")).digest()


def choose_held_out(candidates, sizes, seed):
    """The held-out pairs of each size in turn, German sides distinct case-folded."""
    chosen, taken = [], set()
    ordered = iter(sorted(candidates, key=lambda p: order_key(seed, p)))
    for size in sizes:
        part = []
        while len(part) < size:
            pair = next(ordered, None)
            if pair is None:
                sys.exit(f"prepare-de-en: Tatoeba has too few pairs for held-out sets of {sizes}")
            if pair[0].casefold() not in taken:
                taken.add(pair[0].casefold())
                part.append(pair)
        chosen.append(part)
    return chosen, taken


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(line + "\n" for line in lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--corpora", required=True)
    ap.add_argument("--valid", type=int, default=2000)
    ap.add_argument("--test", type=int, default=2000)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--number-copies", type=int, default=4)
    a = ap.parse_args()
    counts, candidates, seen = {}, {}, set()
    for name, prefix, tokenized in corpora_list(a.corpora):
        pairs = read_pairs(prefix, tokenized)
        c = counts[name] = dict.fromkeys(COLUMNS, 0)
        c["read"] = len(pairs)
        candidates[name] = []
        for pair in pairs:
            reason = drop_reason(*pair) or ("duplicate" if pair in seen else None)
            if reason:
                c[reason] += 1
                continue
            seen.add(pair)
            candidates[name].append(pair)
    (valid, test), held_out_de = choose_held_out(candidates["tatoeba"], [a.valid, a.test], a.seed)
    held = {pair: "valid" for pair in valid} | {pair: "test" for pair in test}
    eval_de = {normalize(line).casefold() for path in EVAL_SETS for line in read_lines(f"{a.corpora}/{path}")}
    train, not_copies = [], held_out_de | eval_de
    for name, pairs in candidates.items():
        c, kept = counts[name], []
        for pair in pairs:
            key = pair[0].casefold()
            fate = held.get(pair) or (
                "held-out-de" if key in held_out_de else "eval-de" if key in eval_de else "digits-lost" if loses_digits(*pair) else "train"
            )
            c[fate] += 1
            if fate == "train":
                kept.append(pair)
        # a copy may turn into a held-out or evaluation sentence ("Ich bin 17 Jahre alt."): not those
        copies = [p for p in vary_numbers(kept, a.number_copies, a.seed) if p[0].casefold() not in not_copies]
        c["number-copies"] = len(copies)
        train += kept + copies
    os.makedirs(a.out, exist_ok=True)
    for split, pairs in (("train", train), ("valid", valid), ("test", test)):
        write_lines(f"{a.out}/{split}.de", [p[0] for p in pairs])
        write_lines(f"{a.out}/{split}.en", [p[1] for p in pairs])
    total = {col: sum(c[col] for c in counts.values()) for col in COLUMNS}
    rows = [["corpus"] + COLUMNS] + [[name] + [str(c[col]) for col in COLUMNS] for name, c in list(counts.items()) + [("total", total)]]
    write_lines(f"{a.out}/counts.tsv", ["\t".join(r) for r in rows])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths))))


if __name__ == "__main__":
    main()
