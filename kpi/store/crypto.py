"""Secrets at rest: the workspaces' bot tokens are stored as Fernet ciphertexts.

``KPI_ENCRYPTION_KEY`` holds one or more Fernet keys, newest first. The first one
encrypts; every one of them decrypts, so a key is rotated by putting the new key in
front, running ``python -m bot rotate-key`` (which re-encrypts every stored token with
it), then removing the old one. A value that no key decrypts is an error, never
returned as is: a wrong key cannot silently hand a ciphertext to Slack as a token.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Table, Text, select, update
from sqlalchemy.types import TypeDecorator

from kpi.errors import SecretKeyError
from kpi.store.engines import get_engine


class TokenCipher:
    def __init__(self, keys: list[str]):
        if not keys:
            raise SecretKeyError("KPI_ENCRYPTION_KEY is not set: stored Slack tokens are encrypted with it")
        self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in keys])

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, value: str) -> str:
        try:
            return self._fernet.decrypt(value.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise SecretKeyError(
                "a stored Slack token does not decrypt with KPI_ENCRYPTION_KEY: keep the old key "
                "after the new one (comma-separated) until `python -m bot rotate-key` has run"
            ) from exc

    def rotate(self, value: str) -> str:
        try:
            return self._fernet.rotate(value.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as exc:
            raise SecretKeyError("a stored Slack token does not decrypt with any key of KPI_ENCRYPTION_KEY") from exc


class EncryptedText(TypeDecorator[Any]):
    """A Text column whose values are encrypted on the way in and decrypted on the way out."""

    impl = Text
    cache_ok = True

    def __init__(self, cipher: TokenCipher):
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else self.cipher.encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else self.cipher.decrypt(value)


def encrypt_columns(table: Table, names: Iterable[str], cipher: TokenCipher) -> None:
    """Make ``table``'s token columns encrypted (the tables a library built for its own queries)."""
    for name in names:
        if name in table.c:
            table.c[name].type = EncryptedText(cipher)


def rotate(url: str, cipher: TokenCipher) -> int:
    """Re-encrypt every stored token with the newest key. Returns the number of values rewritten."""
    from kpi.store.state_schema import TOKEN_COLUMNS, slack_bots, slack_installations

    count = 0
    with get_engine(url).begin() as conn:
        for table in (slack_installations, slack_bots):
            names = [n for n in TOKEN_COLUMNS if n in table.c]
            for row in conn.execute(select(table.c.id, *(table.c[n] for n in names))).mappings():
                values = {n: cipher.rotate(row[n]) for n in names if row[n] is not None}
                if values:
                    conn.execute(update(table).where(table.c.id == row["id"]).values(**values))
                    count += len(values)
    return count
