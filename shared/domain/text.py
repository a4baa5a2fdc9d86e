"""What a person may type into a name or a note: printable text, stored in Unicode NFC.

Control and format characters (Unicode categories Cc and Cf: NUL, ESC, the right-to-left override, zero-width
spaces and joiners...) are refused, except tab and line breaks in multi-line notes, and so is text made only
of characters that show nothing. NFC makes "é" typed as e + U+0301 and as U+00E9 the same stored string,
so searches and comparisons agree.
"""

from __future__ import annotations

import unicodedata

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})  # controls, format, lone surrogates, private use
NOTE_WHITESPACE = frozenset("\t\n\r")
# Letters and symbols that draw nothing (Hangul fillers, the braille blank): text of only these is refused.
BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Mn", "Me"})


def _visible(char: str) -> bool:
    return char not in BLANK_GLYPHS and not char.isspace() and unicodedata.category(char) not in INVISIBLE_CATEGORIES


def check_text(value: str, multiline: bool = False) -> str:
    """`value` in NFC, or ValueError naming what is wrong with it."""
    for char in value:
        category = unicodedata.category(char)
        if category in REFUSED_CATEGORIES and not (multiline and char in NOTE_WHITESPACE):
            raise ValueError(f"must not contain control or format characters (U+{ord(char):04X})")
        if not multiline and category in ("Zl", "Zp"):
            raise ValueError(f"must be one line (U+{ord(char):04X})")
    if value and not any(_visible(char) for char in value):
        raise ValueError("must contain visible characters")
    return unicodedata.normalize("NFC", value)


def is_utf8_encodable(value: str) -> bool:
    """False for strings carrying lone surrogates (JSON's "\\ud800"), which no UTF-8 store can hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
