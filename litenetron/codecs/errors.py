"""The one base class of every codec's "these bytes are not what they declare" error.

Readers and the registry turn a `CodecError` into a `ModelError` (a bad file); any other exception escaping a
reader is a bug of ours and is reported as an internal error. It derives from ValueError so that code written
against the older per-codec ValueError subclasses keeps working.
"""

from __future__ import annotations


class CodecError(ValueError):
    """Malformed input found by a decoder (truncated, out of bounds, undefined value, too deep, ...)."""


class FormatError(CodecError):
    """A reader found the file breaking its format's rules (a structure the codecs could decode)."""
