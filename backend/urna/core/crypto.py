"""Encryption of identity fields (AES-GCM) and keyed hashes for uniqueness (HMAC-SHA256).

Identity is never stored in clear; uniqueness is enforced by UNIQUE constraints over
keyed HMACs that cannot be reversed or recomputed without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from urna.core.config import Settings, key_bytes

_NONCE = 12


class Crypto:
    def __init__(self, settings: Settings) -> None:
        self._aead = AESGCM(hashlib.sha256(key_bytes(settings.data_key)).digest())
        self._hmac_key = key_bytes(settings.hmac_key)
        self._secret = key_bytes(settings.secret_key)

    def encrypt(self, data: dict[str, Any], *, context: str) -> bytes:
        nonce = os.urandom(_NONCE)
        plain = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        return nonce + self._aead.encrypt(nonce, plain, context.encode())

    def decrypt(self, blob: bytes, *, context: str) -> dict[str, Any]:
        plain = self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], context.encode())
        return json.loads(plain)

    def encrypt_text(self, data: dict[str, Any], *, context: str) -> str:
        return base64.urlsafe_b64encode(self.encrypt(data, context=context)).decode()

    def decrypt_text(self, token: str, *, context: str) -> dict[str, Any]:
        return self.decrypt(base64.urlsafe_b64decode(token), context=context)

    def keyed_hash(self, *, scope: str, value: str) -> str:
        """HMAC of a normalised value, with a key derived per scope (e.g. per edition)."""
        scoped_key = hmac.new(self._hmac_key, scope.encode(), hashlib.sha256).digest()
        return hmac.new(scoped_key, value.encode(), hashlib.sha256).hexdigest()

    def session_hash(self, session_id: str) -> str:
        """Salted hash of a session id for logs and ballots; the id itself is never stored."""
        return hmac.new(
            self._secret, b"session:" + session_id.encode(), hashlib.sha256
        ).hexdigest()[:32]
