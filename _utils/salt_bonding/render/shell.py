"""Bash words for ifcfg files: quoting values, and reading back what was written.

ifcfg files are shell: initscripts' ``ifup`` (``#!/bin/bash``) sources them,
and NetworkManager's ifcfg-rh reader (``shvar.c`` ``svUnescape``) parses the
same bash syntax. A value is written

- bare when it only holds ``[A-Za-z0-9_@%+=:,./-]`` (nothing bash expands in an
  assignment; ``~`` is excluded because bash tilde-expands it after ``=``/``:``);
- in double quotes otherwise, with ``"``, ``\\``, ``$`` and backtick escaped;
- in ANSI-C quotes ``$'...'`` when it holds a control character (newline, tab,
  DEL, ...): there is no other way to put a newline in a one-line assignment, and
  rejecting would refuse values that are representable. ``$'...'`` is bash, not
  POSIX sh, but these files are only ever read by bash and by NetworkManager,
  whose ``svUnescape`` decodes ``$'...'`` (its own ``svEscape`` writes exactly
  this form for control characters). Escapes used: ``\\n \\t \\r \\\\ \\'``
  and three-digit octal for the other controls, which both readers decode alike.
- NUL cannot live in a shell variable: ``ValueError``; nor can a lone surrogate
  (not encodable as UTF-8).

``parse`` reads back what ``quote`` writes (bare, ``"..."``, ``'...'``,
``$'...'`` and their concatenation) and refuses anything that bash would expand.
"""

import re

_BARE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
_ASSIGNMENT = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)")
_DOUBLE_QUOTED_ESCAPES = str.maketrans({c: "\\" + c for c in '"\\$`'})
_ANSI_C_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\", "'": "\\'"}
_ANSI_C_DECODE = {
    "a": 7, "b": 8, "e": 27, "E": 27, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11,
    "\\": 92, "'": 39, '"': 34, "?": 63,
}
_OCTAL = "01234567"
_HEX = "0123456789abcdefABCDEF"


def _is_control(char):
    return char < " " or char == "\x7f"


def quote(value):
    """``value`` as a bash word that, assigned (``KEY=<word>``), yields exactly ``value``."""
    if not isinstance(value, str):
        raise TypeError(f"quote() takes a str, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{value!r}: a NUL character cannot be stored in a shell variable")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{value!r} is not valid text ({exc.reason})") from None
    if _BARE.fullmatch(value):
        return value
    if any(_is_control(c) for c in value):
        return "$'" + "".join(_ansi_c_escape(c) for c in value) + "'"
    return '"' + value.translate(_DOUBLE_QUOTED_ESCAPES) + '"'


def _ansi_c_escape(char):
    if char in _ANSI_C_ESCAPES:
        return _ANSI_C_ESCAPES[char]
    if _is_control(char):
        return f"\\{ord(char):03o}"
    return char


def unquote(word):
    """The string bash assigns for ``KEY=<word>``, for the quoting ``quote`` produces.

    Raises ``ValueError`` for anything bash would expand or split (unquoted
    blanks, ``$``, backticks, ``;`` ...) rather than guess.
    """
    out = bytearray()
    i, n = 0, len(word)
    while i < n:
        char = word[i]
        if char == '"':
            i = _read_double_quoted(word, i + 1, out)
        elif word.startswith("$'", i):
            i = _read_ansi_c(word, i + 2, out)
        elif char == "'":
            end = word.find("'", i + 1)
            if end < 0:
                raise ValueError(f"unterminated single quote in {word!r}")
            out += word[i + 1:end].encode()
            i = end + 1
        elif char == "\\" and i + 1 < n:
            out += word[i + 1].encode()
            i += 2
        elif _BARE.fullmatch(char):
            out += char.encode()
            i += 1
        else:
            raise ValueError(f"unquoted {char!r} in {word!r}: not a value this module writes")
    return out.decode("utf-8")


def _read_double_quoted(word, i, out):
    while i < len(word):
        char = word[i]
        if char == '"':
            return i + 1
        if char in "$`":
            raise ValueError(f"unescaped {char!r} in double quotes in {word!r} (shell expansion)")
        if char == "\\" and i + 1 < len(word):
            following = word[i + 1]
            if following not in '"\\$`':
                out += b"\\"
            out += following.encode()
            i += 2
            continue
        out += char.encode()
        i += 1
    raise ValueError(f"unterminated double quote in {word!r}")


def _read_ansi_c(word, i, out):
    while i < len(word):
        char = word[i]
        if char == "'":
            return i + 1
        if char != "\\" or i + 1 >= len(word):
            out += char.encode()
            i += 1
            continue
        code = word[i + 1]
        i += 2
        if code in _ANSI_C_DECODE:
            out.append(_ANSI_C_DECODE[code])
        elif code in _OCTAL:
            digits = code
            while len(digits) < 3 and i < len(word) and word[i] in _OCTAL:
                digits += word[i]
                i += 1
            out.append(int(digits, 8) & 0xFF)  # bash keeps the low byte too
        elif code == "x" and i < len(word) and word[i] in _HEX:
            digits = word[i]
            i += 1
            if i < len(word) and word[i] in _HEX:
                digits += word[i]
                i += 1
            out.append(int(digits, 16))
        else:
            out += ("\\" + code).encode()
    raise ValueError(f"unterminated $'...' quote in {word!r}")


def parse(text):
    """``{KEY: value}`` of an ifcfg file as written by this module (comments and blanks skipped)."""
    values = {}
    # Only "\n" ends a line for bash; str.splitlines would also split on U+2028 etc.
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        match = _ASSIGNMENT.fullmatch(stripped)
        if not match:
            raise ValueError(f"line {number}: not a KEY=value assignment: {line!r}")
        try:
            values[match["key"]] = unquote(match["value"])
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    return values
