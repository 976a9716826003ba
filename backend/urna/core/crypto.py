"""Encryption of personal data (AES-GCM) and keyed hashes for uniqueness (HMAC-SHA256).

Identity is never stored in clear; uniqueness is enforced by UNIQUE constraints over
keyed HMACs that cannot be reversed or recomputed without the key.

Keys come from the master key (``URNA_DATA_KEY``) by HKDF. Every blob starts with the id
of the key that sealed it: key 0 is the master's own data key (outbox, staff TOTP
secrets), any other id an edition's key (``core.keys``), kept wrapped by the master key
and deleted with the edition's identities, so a copy of a blob outlives its key. Blobs
written before key ids existed (no header, key = SHA-256 of the master) stay readable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from urna.core.config import Settings, key_bytes

_NONCE = 12
_MAGIC = b"\xffK"  # blob header: magic, then the key id as 4 bytes big-endian
_HEADER = struct.Struct(">2sI")
MASTER_DATA_KEY_ID = 0


class KeyUnavailable(Exception):
    """The blob's key is not loaded here, or was shredded with the edition's identities."""

    def __init__(self, key_id: int) -> None:
        super().__init__(f"key {key_id} is not available")
        self.key_id = key_id


def hkdf(secret: bytes, info: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info.encode()).derive(secret)


class MasterKey:
    """One master key: its id (printed on wrapped keys), its wrapping and data keys."""

    def __init__(self, secret: bytes) -> None:
        self.id = hkdf(secret, "urna master id")[:4].hex()
        self.wrapping = AESGCM(hkdf(secret, "urna key wrapping"))
        self.data = AESGCM(hkdf(secret, "urna data"))
        self.legacy = AESGCM(hashlib.sha256(secret).digest())


class Crypto:
    def __init__(self, settings: Settings) -> None:
        self.master = MasterKey(key_bytes(settings.data_key))
        previous = settings.data_key_previous
        # A master key being retired: its wrapped keys are still read until rotated.
        self.masters = {self.master.id: self.master}
        if previous is not None:
            old = MasterKey(key_bytes(previous))
            self.masters.setdefault(old.id, old)
        self._keys: dict[int, AESGCM] = {MASTER_DATA_KEY_ID: self.master.data}
        # edition id → the key id its new blobs are sealed with (``core.keys``)
        self.edition_key_ids: dict[int, int] = {}
        self._hmac_key = key_bytes(settings.hmac_key)
        self._secret = key_bytes(settings.secret_key)

    # ---- keys (``core.keys`` stores them; this holds the unwrapped ones in memory) --------

    def key_wrap(self, key: bytes, *, key_id: int, master_id: str | None = None) -> bytes:
        nonce = os.urandom(_NONCE)
        master = self.masters[master_id or self.master.id]
        return nonce + master.wrapping.encrypt(nonce, key, f"key:{key_id}".encode())

    def key_unwrap(self, wrapped: bytes, *, key_id: int, master_id: str) -> bytes:
        master = self.masters.get(master_id)
        if master is None:
            raise KeyUnavailable(key_id)
        return master.wrapping.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], f"key:{key_id}".encode())

    def key_load(self, key_id: int, key: bytes) -> None:
        self._keys[key_id] = AESGCM(key)

    def key_forget(self, key_id: int) -> None:
        self._keys.pop(key_id, None)

    def has_key(self, key_id: int) -> bool:
        return key_id in self._keys

    @staticmethod
    def blob_key_id(blob: bytes) -> int | None:
        """The id of the key that sealed ``blob``; None for a blob without a header."""
        if len(blob) > _HEADER.size and blob[:2] == _MAGIC:
            return _HEADER.unpack_from(blob)[1]
        return None

    # ---- blobs ------------------------------------------------------------------------

    def encrypt(
        self, data: dict[str, Any], *, context: str, key_id: int = MASTER_DATA_KEY_ID
    ) -> bytes:
        if key_id not in self._keys:
            raise KeyUnavailable(key_id)
        nonce = os.urandom(_NONCE)
        plain = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        header = _HEADER.pack(_MAGIC, key_id)
        return header + nonce + self._keys[key_id].encrypt(nonce, plain, header + context.encode())

    def decrypt(self, blob: bytes, *, context: str) -> dict[str, Any]:
        key_id = self.blob_key_id(blob)
        if key_id is not None:
            header, body = blob[: _HEADER.size], blob[_HEADER.size :]
            if key_id not in self._keys:
                raise KeyUnavailable(key_id)
            try:
                plain = self._keys[key_id].decrypt(
                    body[:_NONCE], body[_NONCE:], header + context.encode()
                )
                return json.loads(plain)
            except InvalidTag:
                pass  # a headerless blob whose random nonce happens to start like a header
        plain = self.master.legacy.decrypt(blob[:_NONCE], blob[_NONCE:], context.encode())
        return json.loads(plain)

    def encrypt_text(
        self, data: dict[str, Any], *, context: str, key_id: int = MASTER_DATA_KEY_ID
    ) -> str:
        return base64.urlsafe_b64encode(self.encrypt(data, context=context, key_id=key_id)).decode()

    def decrypt_text(self, token: str, *, context: str) -> dict[str, Any]:
        return self.decrypt(base64.urlsafe_b64decode(token), context=context)

    # ---- keyed hashes -------------------------------------------------------------------

    def keyed_hash(self, *, scope: str, value: str) -> str:
        """HMAC of a normalised value, with a key derived per scope (e.g. per edition)."""
        scoped_key = hmac.new(self._hmac_key, scope.encode(), hashlib.sha256).digest()
        return hmac.new(scoped_key, value.encode(), hashlib.sha256).hexdigest()

    def session_hash(self, session_id: str) -> str:
        """Salted hash of a session id for logs and ballots; the id itself is never stored."""
        return hmac.new(
            self._secret, b"session:" + session_id.encode(), hashlib.sha256
        ).hexdigest()[:32]
