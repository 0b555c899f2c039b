"""Where buyers' photos are kept, behind one small interface.

By default a directory (`var/uploads`, a named volume under compose, shared by the desk
replicas); an S3-compatible store can take its place by offering the same three
methods. A photo's key is made here (new_key), random and new for each photo, never
from the buyer's file name, so no name can reach outside the directory.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Optional, Protocol

KEY = re.compile(r"[0-9a-f]{32}")


def new_key() -> str:
    return secrets.token_hex(16)


class PhotoStore(Protocol):
    def put(self, key: str, variant: str, data: bytes) -> None: ...

    def get(self, key: str, variant: str) -> Optional[bytes]: ...

    def delete(self, key: str) -> None: ...


class DirectoryPhotoStore:
    """Photos as files: <root>/<key[:2]>/<key>.<variant>.jpg, written whole then renamed."""

    VARIANTS = ("photo", "thumb")

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str, variant: str) -> Path:
        if not KEY.fullmatch(key) or variant not in self.VARIANTS:
            raise ValueError("not a photo key")
        return self.root / key[:2] / f"{key}.{variant}.jpg"

    def put(self, key: str, variant: str, data: bytes) -> None:
        path = self._path(key, variant)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{secrets.token_hex(4)}.part")
        partial.write_bytes(data)
        os.replace(partial, path)  # a reader never sees half a photo

    def get(self, key: str, variant: str) -> Optional[bytes]:
        try:
            return self._path(key, variant).read_bytes()
        except (ValueError, FileNotFoundError):
            return None

    def delete(self, key: str) -> None:
        for variant in self.VARIANTS:
            try:
                self._path(key, variant).unlink()
            except (ValueError, FileNotFoundError):
                pass
