"""Normalizing and filtering German-English sentence pairs (used by prepare.py).

normalize() gives every line one form: Unicode NFC, control and format characters (soft
hyphens, zero-width spaces, byte-order marks) removed, every run of whitespace (TAB, no-break
and thin spaces included) one ASCII space, none at either end.
drop_reason() names why a normalized pair is unfit for training, or returns None:
  empty           a side is empty
  too-long        a side has more than MAX_WORDS words
  length-ratio    one side is much longer than the other: (long + SLACK) / (short + SLACK) above
                  MAX_RATIO, in characters; the slack keeps short pairs such as "Ok." /
                  "Einverstanden." while it catches misaligned long ones
  copy            both sides are the same text of COPY_WORDS or more words (left untranslated)
  wrong-language  a side reads as the other language: at least two of the other language's
                  common function words and more than twice as many as of its own (a German
                  sentence quoting an English title keeps its own words)
loses_digits() is a training-only filter (prepare.py applies it after the held-out split, so
the test sets stay as translators wrote them): true when some maximal digit run of the German
side ("1.500,25" has 1, 500 and 25) is not a digit run of the English side. About a fifth of the
pairs with digits write the number out ("17 Jahre" / "seventeen years") or convert it ("16:10" /
"4:10 pm"); trained on them, a model learns that digits may be dropped.
"""
import re
import unicodedata

MAX_WORDS = 100
MAX_RATIO = 3.0
SLACK = 10
COPY_WORDS = 3

# Frequent function words that are not also words of the other language ("in", "an", "am", "die",
# "was", "war", "hat", "will", "so" and "man" are both, so they are left out).
GERMAN = set(
    "der das den dem des und ist nicht ich du er wir ihr sie ein eine einen einem einer zu mit "
    "von auf für sich auch sind waren haben wird werden kann können dass oder aber wie "
    "noch nur schon sehr mir mich dir dich uns euch bei nach aus über unter vor durch gegen ohne "
    "wenn weil denn doch keine kein im zum zur vom".split()
)
ENGLISH = set(
    "the and is not you he she we they of to with from for this that these those are were has have "
    "would can could should there their them his her its our your or but how very just only "
    "been being what which who why when where because than then into about after before through "
    "without against at by".split()
)


def normalize(line):
    kept = "".join(c for c in unicodedata.normalize("NFC", line) if unicodedata.category(c) not in ("Cc", "Cf") or c.isspace())
    return " ".join(kept.split())


def words_of(side):
    return [w.strip(".,;:!?\"'()[]{}«»„“”‚‘’-").lower() for w in side.split()]


def reads_as_other(side, own, other):
    words = words_of(side)
    hits_other = sum(w in other for w in words)
    return hits_other >= 2 and hits_other > 2 * sum(w in own for w in words)


def drop_reason(de, en):
    if not de or not en:
        return "empty"
    de_words, en_words = len(de.split()), len(en.split())
    if max(de_words, en_words) > MAX_WORDS:
        return "too-long"
    short, long_ = sorted((len(de), len(en)))
    if (long_ + SLACK) / (short + SLACK) > MAX_RATIO:
        return "length-ratio"
    if de == en and de_words >= COPY_WORDS:
        return "copy"
    if reads_as_other(de, GERMAN, ENGLISH) or reads_as_other(en, ENGLISH, GERMAN):
        return "wrong-language"
    return None


DIGIT_RUN = re.compile(r"[0-9]+")


def loses_digits(de, en):
    kept = set(DIGIT_RUN.findall(en))
    return any(run not in kept for run in DIGIT_RUN.findall(de))
