"""Password hashing with scrypt (RFC 7914, from the standard library).

A stored hash names its parameters, so they can be raised later without breaking the hashes
already stored: ``scrypt$<n>$<r>$<p>$<salt>$<hash>``, salt and hash in url-safe base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from pipeline.errors import InvalidUserError

# n=2**15, r=8: 32 MiB and ~0.1 s a check, the cost OWASP suggests for interactive sign-in.
SCRYPT_N = 1 << 15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_LENGTH = 10
MAX_LENGTH = 1024  # hashing a megabyte would be a cheap way to keep the server busy
_MAX_MEMORY = 64 << 20


def _scrypt(password: str, salt: bytes, *, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=_MAX_MEMORY, dklen=HASH_BYTES)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_new_password(password: str) -> None:
    """Refuse a password too short or too long to set, saying what is wanted."""
    if len(password) < MIN_LENGTH:
        raise InvalidUserError(f"a password needs at least {MIN_LENGTH} characters; "
                               "a few unrelated words make a long one that is easy to type")
    if len(password) > MAX_LENGTH:
        raise InvalidUserError(f"a password may have at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    """The stored form of a new password."""
    check_new_password(password)
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``. With no stored hash (no such user, or no
    password set) a dummy hash is still computed, so the answer takes as long either way and
    its timing does not say which names exist."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        assert scheme == "scrypt"
        params = {"n": int(n), "r": int(r), "p": int(p)}
        salt_bytes, expected = _unb64(salt), _unb64(digest)
    except (ValueError, AssertionError):
        _scrypt(password, b"\0" * SALT_BYTES, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
        return False
    return hmac.compare_digest(_scrypt(password, salt_bytes, **params), expected)
