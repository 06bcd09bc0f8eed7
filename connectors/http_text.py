"""What a tracker sends, made safe to print and to store: messages, URLs and JSON text.

A server decides what its error bodies, headers and titles say. Printed raw, a newline or an ANSI
escape in them forges lines of our output; a URL may carry a password or a token in its query;
and one lone UTF-16 surrogate in a title (`"\\ud800"`, valid JSON escapes, invalid Unicode) would
make a whole page unreadable to orjson, night after night.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson

# CSI (`ESC [ ... final`), OSC (`ESC ] ... BEL or ESC \`) and two-byte escapes: dropped whole.
ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_])")
# Line breaks of any kind become one space; other C0/C1 controls, bidi and zero-width format
# characters (they reorder or hide what follows) and lone surrogates are shown escaped.
BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
SURROGATE = re.compile(r"[\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` on one line, with nothing that a terminal or a log reader would act on."""
    text = BREAKS.sub(" ", ANSI.sub("", text))
    return UNPRINTABLE.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


def redact(url: str) -> str:
    """A URL fit for a message: no user:password, no query (JQL, tokens in odd setups), no fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an unreadable URL)"
    host = parts.netloc.rpartition("@")[2]
    return printable(urlunsplit((parts.scheme, host, parts.path, "", "")))


def loads(body: bytes) -> Any:
    """Parse JSON; text with lone surrogates parses too, each replaced by U+FFFD.

    orjson refuses `\\ud800` without its pair; the standard library accepts it (pairs come back
    joined), so the only surrogates left in its result are lone ones. Raises ValueError when the
    body is not JSON at all.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return _mend(json.loads(body))


def _mend(value: Any) -> Any:
    if isinstance(value, str):
        return SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_mend(item) for item in value]
    if isinstance(value, dict):
        return {_mend(key): _mend(item) for key, item in value.items()}
    return value
