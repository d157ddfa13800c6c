"""Unicode clean-up for what students type: Persian and Arabic digits, letters and separators.

Students write ``۶`` or ``٦`` for 6, ``٫`` for the decimal point, ``ي`` or ``ی`` for the
same letter, with or without a zero-width non-joiner. Everything that compares student
text goes through here first, so the same answer typed on two keyboards reads the same.
"""
from __future__ import annotations

import re
import unicodedata

# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits; Arabic decimal and thousands separators; minus signs.
_DIGITS = {0x06F0 + i: str(i) for i in range(10)} | {0x0660 + i: str(i) for i in range(10)}
_NUMBER_MARKS = _DIGITS | {
    0x066B: ".",  # ARABIC DECIMAL SEPARATOR (Persian momayyez)
    0x066C: "",  # ARABIC THOUSANDS SEPARATOR
    0x2212: "-",  # MINUS SIGN
    0x2012: "-", 0x2013: "-",  # figure dash, en dash: typed for minus by word processors
    0x00A0: " ", 0x202F: " ", 0x2009: " ",  # no-break and thin spaces
    0x060C: ",",  # ARABIC COMMA
    0x061B: ";",  # ARABIC SEMICOLON
    0x00D7: "*",  # MULTIPLICATION SIGN
    0x22C5: "*", 0x00B7: "*",  # dot operator, middle dot
}

_LETTER_VARIANTS = {
    0x064A: "ی", 0x0649: "ی",  # Arabic yeh, alef maksura -> Persian yeh
    0x0643: "ک",  # Arabic kaf -> Persian keheh
    0x0629: "ه",  # teh marbuta
    0x0623: "ا", 0x0625: "ا", 0x0671: "ا",  # alef with hamza above/below, wasla
    0x06C0: "ه",  # heh with yeh above
}
_DROP = {0x200C: None, 0x200D: None, 0x00AD: None, 0x0640: None, 0xFEFF: None, 0x200E: None, 0x200F: None}
_DIACRITICS = re.compile("[\u064B-\u065F\u0670]")
_SPACE = re.compile(r"\s+")


def ascii_digits(text: str) -> str:
    """Persian and Arabic-Indic digits and the Persian decimal separator as ASCII; nothing else changes."""
    return text.translate(_DIGITS).replace("\u066b", ".")


_SUPERSCRIPT = re.compile("[\u207a\u207b]?[\u2070\u00b9\u00b2\u00b3\u2074-\u2079]+")


def number_text(text: str) -> str:
    """Rewrite digits, separators and signs to ASCII so a number parser sees ``-6.5`` however it was typed.

    A superscript is an exponent: ``5.00×10⁻²`` reads as ``5.00*10^(-2)``.
    """
    if text.isascii():  # nothing below changes an ASCII character: most answers and ids, every file
        return text.strip()
    text = _SUPERSCRIPT.sub(lambda m: "^(" + unicodedata.normalize("NFKC", m.group()) + ")", text)
    return unicodedata.normalize("NFKC", text).translate(_NUMBER_MARKS).strip()


_FOLDED = _DROP | _LETTER_VARIANTS | _DIGITS  # one pass: no table's output is another's input


def fold_letters(text: str) -> str:
    """Width, Persian/Arabic letter variants, ZWNJ and diacritics folded; case and spacing kept.

    Safe for regular expressions too (``\\S`` stays ``\\S``): match them with ``re.IGNORECASE``.
    """
    if text.isascii():  # nothing here folds an ASCII character, NFKC included
        return text
    text = unicodedata.normalize("NFKC", text).translate(_FOLDED)
    return _DIACRITICS.sub("", text)


def fold(text: str) -> str:
    """A comparison key for free text: :func:`fold_letters`, then case and runs of white space."""
    return _SPACE.sub(" ", fold_letters(text).casefold()).strip()


def student_id(raw: object) -> str:
    """A student id as text: Persian digits become ASCII (``۹۹۵۲۲۰۸۶`` is ``99522086``), no control characters."""
    text = getattr(raw, "text", None) or str(raw)
    text = number_text(text)
    return (text if text.isprintable() else "".join(ch for ch in text if ch.isprintable())).strip()
