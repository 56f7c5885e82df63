"""Moses-style detokenizer for the OpenNMT toy sample (Moses-tokenized German and English).

Undoes what the Moses tokenizer did to a line: the XML escapes (&apos; &quot; &amp; &lt; &gt;
&#124; &#91; &#93;) become characters again, and the spaces it put around punctuation go away:
  - , . ; : ! ? % ) ] } and "..." stick to the token before them;
  - ( [ { and currency signs stick to the token after them;
  - English clitics split off with their apostrophe ("Parliament 's", "don 't") join the word;
  - a lone apostrophe between two words joins both ("d ' oro", "Parliament ' s"), except after
    a word ending in s followed by a longer word, a plural possessive ("Europeans ' security");
  - straight double quotes alternate between opening (stick to the next token) and closing
    (stick to the previous one); a quote before , . ; : ! ? or at the end of the line closes.
Run as a program it detokenizes standard input to standard output, line by line.
"""
import re
import sys

ESCAPES = {"&apos;": "'", "&quot;": '"', "&lt;": "<", "&gt;": ">", "&#124;": "|", "&#91;": "[", "&#93;": "]"}
ESCAPE_RE = re.compile("|".join(re.escape(e) for e in ESCAPES))
ATTACH_LEFT = re.compile(r"^(?:[,.;:!?%)\]}]+|\.\.\.)$")
ATTACH_RIGHT = re.compile(r"^[(\[{$£€¥]+$")
CLITIC = re.compile(r"^'(?:s|S|t|re|ve|ll|d|m)$")
CLITIC_AFTER_APOSTROPHE = {"s", "S", "t", "re", "ve", "ll", "d", "m"}


def unescape(line):
    # &amp; last, so that "&amp;quot;" becomes the text "&quot;", not a quote
    return ESCAPE_RE.sub(lambda m: ESCAPES[m.group(0)], line).replace("&amp;", "&")


def is_word(token):
    return token[:1].isalnum() or token[-1:].isalnum()


def detokenize(line):
    tokens = unescape(line).split()
    out = ""
    glue_next = True  # no space before the first token
    open_quote = False
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1] if i > 0 else ""
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        glue_before = glue_after = False
        if ATTACH_LEFT.match(tok) or CLITIC.match(tok):
            glue_before = True
        elif ATTACH_RIGHT.match(tok):
            glue_after = True
        elif tok == "'" and is_word(prev) and is_word(nxt):
            if prev.endswith(("s", "S")) and nxt not in CLITIC_AFTER_APOSTROPHE:
                glue_before = True  # plural possessive: "Europeans' security"
            else:
                glue_before = glue_after = True
        elif tok == '"':
            closes = open_quote or not nxt or ATTACH_LEFT.match(nxt)
            if closes and i > 0:
                glue_before, open_quote = True, False
            else:
                glue_after, open_quote = True, True
        out += (tok if glue_next or glue_before else " " + tok)
        glue_next = glue_after
    return out


if __name__ == "__main__":
    for raw in sys.stdin:
        sys.stdout.write(detokenize(raw.rstrip("\n")) + "\n")
