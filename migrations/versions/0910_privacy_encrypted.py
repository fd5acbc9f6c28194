"""privacy: a data-subject request's phone number encrypted at rest, found by hash

While a request is open it holds the number it is about; from here on that number is
encrypted with the data key (as check-ins', cards' and rosters' are) and a keyed hash
beside it (HMAC of the app secret, as ``checkins.phone_hash``) finds an open request
for the same number. Closed requests hold neither (services._close clears both).

Revision ID: 0910_privacy_encrypted
Revises: 0901_personal_ids
"""

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from signage import reencrypt

revision: str = "0910_privacy_encrypted"
down_revision: str | Sequence[str] | None = "0901_personal_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "erasure_requests"
INDEX = "ix_erasure_requests_phone_hash"


def upgrade() -> None:
    secret = context.config.attributes["secret"].encode()

    def phone_hash(clear: dict[str, Any]) -> dict[str, Any]:
        phone = clear["phone"]
        if phone is None:
            return {}
        return {
            "phone_hash": hmac.new(secret, phone.encode(), hashlib.sha256).hexdigest()
        }

    reencrypt.encrypt_in_place(
        context.config.attributes["keyring"](),
        TABLE,
        ("phone",),
        nullable=True,
        derived=[("phone_hash", sa.String(64))],
        derive=phone_hash,
    )
    op.create_index(INDEX, TABLE, ["phone_hash"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name=TABLE)
    with op.batch_alter_table(TABLE) as b:
        b.drop_column("phone_hash")
    reencrypt.decrypt_in_place(
        context.config.attributes["keyring"](),
        TABLE,
        {"phone": sa.String(20)},
        nullable=True,
    )
