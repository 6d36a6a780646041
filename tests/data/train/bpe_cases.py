#!/usr/bin/env python3
"""Writes bpe_cases.inp: the strings whose ids llama-tokenize gives for the
trained vocabulary bpe-512.gguf (cases separated by lines __ggml_vocab_test__,
as in llama.cpp's vocab tests)."""
import sys

CASES = [
    "Hello world",
    " Hello world",
    "The lighthouse keeper wrote the weather at every watch.",
    "I'm sure you've seen they'll do it, we'd DON'T SHOUT",
    "Numbers: 1234567890, 3.14159 and -42 at 07:45.",
    "   leading and trailing   ",
    "tabs\tand\t\ttabs",
    "line one\nline two\n\n\nline five\r\n",
    "\n",
    "    ",
    ".card:hover {\n  transform: translateY(-2px);\n  color: #0b6e8a;\n}\n",
    "@media (max-width: 40em) { .site-nav ul { gap: 1rem; } }",
    "grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr));",
    '<a href="/visit/#tickets" class="button button--ghost">Book a visit</a>',
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"></head>",
    "&copy; 2024 &middot; 160&nbsp;&deg;C",
    "const x = items.filter((t) => t.kind === \"apple\").length;",
    "function heightAt(minute, extremes) {\n  return a + (b - a) * mix;\n}",
    "timer ??= new CountdownTimer(el, () => {});",
    "`${index === 0 ? \"M\" : \"L\"}${x},${y}`",
    "Die Fähre über den Fluss fährt um 6 Uhr.",
    "Grüße aus Köln: Straße, Maß, Fußgänger, ÄÖÜ äöü ß",
    "Wärmepumpe – höchstens 45 °C, nicht höher!",
    "naïve café, déjà vu, São Paulo",
    "Привет, мир!",
    "你好，世界！",
    "emoji 🦙🚀 and ❤️ hearts",
    "text<|endoftext|>more",
    "<|endoftext|>",
    "!!!???...,,,;;;",
    "a  b   c    d",
    "https://example.com/path?q=1&r=two",
    "e-mail: someone@example.org",
    "0.7 × 3.14159 ≈ 2.199 m; −4 °C",
    "\u00a0non-breaking\u3000ideographic space",
    "mixed123abc456def",
]


def main(out):
    with open(out, "w", encoding="utf-8", newline="") as f:
        for c in CASES:
            f.write(c + "\n__ggml_vocab_test__\n")


if __name__ == "__main__":
    main(sys.argv[1])
