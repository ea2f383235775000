"""Bearer secrets: made here, stored only as hashes."""

import hashlib
import math
import secrets
import string

MIN_KEY_BITS = 128
_HEX = frozenset(string.hexdigits)
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/=-_")
_PRINTABLE = frozenset(string.printable) - frozenset(string.whitespace)
# What a key is credited per character, by the characters it draws from. A key with no digit
# at all reads as words (people's keys do; random ones of this length almost never do), and
# English text carries about two bits a letter.
_WORD_BITS = 2.0


def hash_token(token: str) -> str:
    """Tokens are 256-bit random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_enrollment_key() -> str:
    """256 bits in hex: people copy it into node configs, and it passes :func:`key_weakness`."""
    return secrets.token_hex(32)


def key_bits(key: str) -> float:
    """A conservative estimate of a key's strength: its length times the bits each of its
    characters can carry (4 for hex digits, 6 for base64, 6.5 for other printable ASCII),
    or two bits a character when it has no digit (words)."""
    chars = set(key)
    if chars <= _HEX:
        per_char = 4.0
    elif not chars & set(string.digits):
        per_char = _WORD_BITS
    elif chars <= _BASE64:
        per_char = 6.0
    else:
        per_char = math.log2(len(_PRINTABLE))
    return len(key) * per_char


def key_weakness(key: str) -> str | None:
    """Why a configured enrollment key is too weak to accept, or None."""
    if not key or not set(key) <= _PRINTABLE:
        return "must be printable ASCII without spaces"
    bits = key_bits(key)
    if bits < MIN_KEY_BITS:
        return f"is too weak (about {bits:.0f} bits; at least {MIN_KEY_BITS} are needed)"
    if max(key.count(c) for c in set(key)) * 2 > len(key):
        return "is too weak (one character makes up over half of it)"
    return None
