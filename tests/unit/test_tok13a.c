/* The 13a tokenizer against the verified input/output table of docs/evaluation.md#tokenizer-13a, and the
 * Python whitespace rules. */
#include <string.h>

#include "core/utf8.h"
#include "eval/pytext.h"
#include "eval/tok13a.h"
#include "test.h"

static void expect(const char *in, const char *want) {
  char *got = fs_tok13a(in);
  CHECK_MSG(!strcmp(got, want), "13a(\"%s\") = \"%s\", want \"%s\"", in, got, want);
  free(got);
}

int main(void) {
  expect("Hello, world.", "Hello , world .");
  expect("It's 3.5 km-long (approx.)!", "It's 3.5 km-long ( approx . ) !");
  expect("x..y", "x . . y");
  expect("a,b 1,000 3.14 10-20 e-mail", "a , b 1,000 3.14 10 - 20 e-mail");
  expect("x-1", "x-1");
  expect("1-x", "1 - x");
  expect("3--4", "3 - -4");
  expect(".5", ". 5");
  expect("5.", "5 .");
  expect("1.a", "1 . a");
  expect("a.1", "a . 1");
  expect("1.,2", "1 . , 2");
  expect("U.S.A.", "U . S . A .");
  expect("$5/kg", "$ 5 / kg");
  expect("Preis: 1.234,56 EUR.", "Preis : 1.234,56 EUR .");
  expect(
      "a\x1c"
      "b",
      "a b");
  expect(
      "a\xe2\x80\x8b"
      "b",
      "a\xe2\x80\x8b"
      "b"); /* U+200B is not whitespace */
  expect(
      "foo\xc2\xa0"
      "bar",
      "foo bar"); /* NBSP is */
  expect("A&amp;lt;B", "A < B");
  expect("&quot;Ende.\xe2\x80\x9cZitat\xe2\x80\x9d", "\" Ende . \xe2\x80\x9cZitat\xe2\x80\x9d");
  expect("a <skipped> b", "a b");
  expect("", "");

  char s[] = "text \xe3\x80\x80\t\xc2\x85 ";
  CHECK(py_rstrip(s) == 4 && !strcmp(s, "text"));
  char t[] = "\xe2\x80\x8b";
  CHECK(py_rstrip(t) == 3);
  char *low = py_lower(
      "\xc3\x84rger \xc3\x9c"
      "BER Stra\xc3\x9f"
      "e");
  CHECK_MSG(!strcmp(low,
                    "\xc3\xa4rger \xc3\xbc"
                    "ber stra\xc3\x9f"
                    "e"),
            "lower: %s", low);
  free(low);
  /* Python's special cases on top of simple case mapping: İ -> i + U+0307, and the final sigma
   * (after a cased letter, not before one, looking past case-ignorable characters) */
  static const char *lower_cases[][2] = {
      {"\xc4\xb0stanbul", "i\xcc\x87stanbul"},
      {"\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xce\xa3", "\xce\xbf\xce\xb4\xce\xbf\xcf\x82 \xcf\x83"},
      {"A\xce\xa3'.", "a\xcf\x82'."},             /* ' and . are case-ignorable */
      {"A\xce\xa3'B", "a\xcf\x83'b"},             /* a cased letter follows */
      {"1\xce\xa3", "1\xcf\x83"},                 /* nothing cased before */
      {"A\xcc\x81\xce\xa3", "a\xcc\x81\xcf\x82"}, /* a combining mark is skipped */
  };
  for (size_t i = 0; i < sizeof lower_cases / sizeof *lower_cases; i++) {
    char *l = py_lower(lower_cases[i][0]);
    CHECK_MSG(!strcmp(l, lower_cases[i][1]), "lower(\"%s\") = \"%s\"", lower_cases[i][0], l);
    free(l);
  }
  size_t bad;
  CHECK(fs_utf8_valid("ok \xc3\xa4", 5, &bad));
  CHECK(!fs_utf8_valid("ab\xc3(", 4, &bad) && bad == 2);
  CHECK(!fs_utf8_valid("\xed\xa0\x80", 3, &bad)); /* a surrogate */
  return test_summary();
}
