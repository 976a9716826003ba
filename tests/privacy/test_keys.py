"""Identity blobs carry a key id, sealed under a per-edition key wrapped by the master key;
the retention purge shreds the key, so a copy of a blob taken before cannot be opened."""

import hashlib
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from tests.conftest import make_settings, random_key
from tests.factories.editions import edition_create
from tests.factories.voting import person, vote
from urna.core import keys
from urna.core.config import key_bytes
from urna.core.crypto import Crypto, KeyUnavailable
from urna.core.db import transaction, utcnow
from urna.voting.ballots import IDENTITY_CONTEXT
from urna.voting.models import Voter

pytestmark = pytest.mark.flow


def test_blobs_carry_a_key_id_and_old_headerless_blobs_stay_readable():
    settings = make_settings("sqlite+aiosqlite://")
    crypto = Crypto(settings)
    blob = crypto.encrypt({"a": 1}, context="c")
    assert crypto.blob_key_id(blob) == 0
    assert crypto.decrypt(blob, context="c") == {"a": 1}
    # a blob from before key ids: AES-GCM under SHA-256 of the master key, no header
    legacy_key = AESGCM(hashlib.sha256(key_bytes(settings.data_key)).digest())
    nonce = os.urandom(12)
    old = nonce + legacy_key.encrypt(nonce, b'{"a":2}', b"c")
    assert crypto.decrypt(old, context="c") == {"a": 2}


async def test_rotation_rewraps_edition_keys_under_the_new_master(app):
    old = make_settings("sqlite+aiosqlite://")
    crypto = Crypto(old)
    edition = await edition_create(app)
    async with transaction(app.state.ctx.db) as session:
        key_id = await keys.edition_key(session=session, crypto=crypto, edition_id=edition.id)
        blob = crypto.encrypt({"x": "y"}, context="c", key_id=key_id)
    new_master = random_key()
    rotated = Crypto(
        make_settings(
            "sqlite+aiosqlite://",
            data_key=new_master,
            data_key_previous=old.data_key.get_secret_value(),
        )
    )
    async with transaction(app.state.ctx.db) as session:
        assert (await keys.keys_rotate(session=session, crypto=rotated)).moved >= 1
        assert (await keys.keys_rotate(session=session, crypto=rotated)).moved == 0
        # an operator who forgot URNA_DATA_KEY_PREVIOUS: nothing moves, and it is said
        forgot = Crypto(make_settings("sqlite+aiosqlite://", data_key=random_key()))
        missed = await keys.keys_rotate(session=session, crypto=forgot)
        assert missed.moved == 0 and missed.stranded >= 1
    # the previous master is gone: the re-wrapped key still opens the blob
    fresh = Crypto(make_settings("sqlite+aiosqlite://", data_key=new_master))
    async with transaction(app.state.ctx.db) as session:
        opened = await keys.blob_open(session=session, crypto=fresh, blob=blob, context="c")
    assert opened == {"x": "y"}


async def test_a_copy_of_an_identity_cannot_be_opened_after_the_purge(app, client):
    edition = await edition_create(app)
    assert (await vote(client, app, edition.slug, person(), ["C1"])).status_code == 303
    crypto = app.state.ctx.crypto
    async with transaction(app.state.ctx.db) as session:
        voter = (
            await session.execute(select(Voter).where(Voter.edition_id == edition.id))
        ).scalar_one()
        backup = voter.identity_enc  # what a backup taken before the purge holds
        assert crypto.blob_key_id(backup) not in (None, 0)
        fields = await keys.blob_open(
            session=session, crypto=crypto, blob=backup, context=IDENTITY_CONTEXT
        )
        assert fields["first_name"]
    async with transaction(app.state.ctx.db) as session:
        shredded = await keys.edition_keys_shred(
            session=session, crypto=crypto, edition_id=edition.id, now=utcnow()
        )
        assert shredded == 1
    for reader in (crypto, Crypto(app.state.ctx.settings)):  # this process, and a fresh one
        async with transaction(app.state.ctx.db) as session:
            with pytest.raises(KeyUnavailable):
                await keys.blob_open(
                    session=session, crypto=reader, blob=backup, context=IDENTITY_CONTEXT
                )
