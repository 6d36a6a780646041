#!/usr/bin/env python3
"""Writes glm4-tiny.inp: the strings compared with llama-tokenize (cases
separated by lines __ggml_vocab_test__, as in llama.cpp's vocab tests)."""
import sys

CASES = [
    "Hello world",
    " Hello world",
    "Hello World!",
    "I'm sure you've seen they'll do it, we'd", 
    "DON'T SHOUT, IT'S LOUD",
    "1234567890",
    "3.14159 + 2,718 = 5.85",
    "   leading and trailing   ",
    "tabs\tand\t\ttabs",
    "line one\nline two\n\n\nline five\r\n",
    "\n",
    "    ",
    "def f(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "if (a != b && c >= d) return -1;",
    "Grüße aus Köln, naïve café",
    "Привет, мир! Как дела?",
    "你好，世界！今天天气很好。",
    "こんにちは世界、カタカナ",
    "안녕하세요 세계",
    "مرحبا بالعالم",
    "emoji 🦙🚀 and ❤️ hearts",
    "Habari ya asubuhi, rafiki yangu",
    "<|im_start|>user\nhi<|im_end|>",
    "text<|endoftext|>more",
    "mixed123abc456def",
    "١٢٣ and ٤٥٦ digits",
    "!!!???...,,,;;;",
    "a  b   c    d",
    "https://example.com/path?q=1&r=two",
    "e-mail: someone@example.org",
    "\u00a0non-breaking\u3000ideographic space",
]


def main(out):
    with open(out, "w", encoding="utf-8", newline="") as f:
        for c in CASES:
            f.write(c + "\n__ggml_vocab_test__\n")


if __name__ == "__main__":
    main(sys.argv[1])
