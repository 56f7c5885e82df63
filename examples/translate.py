"""Translating German with the Python package (pip install ./python): one line of English per line of
German read from standard input (or the sentences given after the options), then the n best
translations of the first sentence with their scores.

    python examples/translate.py [--model DIR] [--teacher DIR] [--decode argmax|npd|iwd] [SENTENCE...]
"""

import argparse
import sys

import flowseq

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--model", default="models/flowseq-small-multi30k", help="a FlowSeq or Transformer model directory")
parser.add_argument("--teacher", help="a Transformer model directory that ranks npd/iwd candidates")
parser.add_argument("--decode", choices=["argmax", "npd", "iwd"], help="FlowSeq's decoding (default argmax)")
parser.add_argument("sentences", nargs="*", help="German sentences (default: standard input)")
args = parser.parse_args()

sentences = args.sentences or [line.rstrip("\n") for line in sys.stdin]
options = {"decoding": args.decode, "rescore": bool(args.teacher)} if args.decode else {}
try:
    with flowseq.Translator(args.model, args.teacher) as translator:
        for english in translator.translate(sentences, **options):
            print(english)
        if sentences and sentences[0]:
            print(f"\nthe best translations of {sentences[0]!r}:", file=sys.stderr)
            for h in translator.translate_nbest(sentences[0], n_best=3, **options):
                print(f"  {h.score:8.4f}  {h.text}", file=sys.stderr)
except flowseq.Error as e:
    sys.exit(f"translate.py: {e}")
