"""Secrets the worker hands the sandbox function through a request the submission can read.

In Lambda the submission shares the sandbox function's uid and can read the running invocation
back from the Runtime API, so an interactive test's input and answer (which only the validator may
see) travel encrypted, with a key derived from the reply key: the worker has it from its
configuration, the handler took it out of its environment at start-up and is not dumpable.

Stdlib only (the sandbox ships no third-party code): SHAKE-256 keyed with an encryption key and a
fresh nonce is the key stream (a keyed sponge is a pseudo-random function), and HMAC-SHA256 over
nonce and ciphertext, with a second key, authenticates it (encrypt-then-MAC). Each key is an HMAC
of the reply key with its own label, so no key serves two purposes.

    box = SecretBox(key); text = box.seal(data); box.open(text) == data
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from contracts.errors import SandboxProtocolError

_NONCE_BYTES = 16
_TAG_BYTES = 32
_LABEL = b"serverless-judge secret box v1 "


class SecretBox:
    def __init__(self, key: bytes):
        self._enc = hmac.new(key, _LABEL + b"encrypt", hashlib.sha256).digest()
        self._mac = hmac.new(key, _LABEL + b"authenticate", hashlib.sha256).digest()

    def _stream(self, nonce: bytes, data: bytes) -> bytes:
        if not data:
            return b""
        pad = hashlib.shake_256(self._enc + nonce).digest(len(data))
        return (int.from_bytes(data, "little") ^ int.from_bytes(pad, "little")).to_bytes(len(data), "little")

    def _tag(self, nonce: bytes, ciphertext: bytes) -> bytes:
        return hmac.new(self._mac, nonce + ciphertext, hashlib.sha256).digest()

    def seal(self, data: bytes) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        ciphertext = self._stream(nonce, data)
        return base64.b64encode(nonce + ciphertext + self._tag(nonce, ciphertext)).decode()

    def open(self, text: object) -> bytes:
        """The data sealed with this key; SandboxProtocolError for anything else."""
        if not isinstance(text, str):
            raise SandboxProtocolError("a sealed secret must be a base64 string")
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise SandboxProtocolError("a sealed secret is not valid base64") from None
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise SandboxProtocolError("a sealed secret is too short")
        nonce, ciphertext, tag = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:-_TAG_BYTES], raw[-_TAG_BYTES:]
        if not hmac.compare_digest(tag, self._tag(nonce, ciphertext)):
            raise SandboxProtocolError("a sealed secret does not match the key: it was not sealed by the worker")
        return self._stream(nonce, ciphertext)


def sealed_size(size: int) -> int:
    """Characters of a sealed secret of `size` bytes, for batching under the request limit."""
    return (size + _NONCE_BYTES + _TAG_BYTES + 2) // 3 * 4
