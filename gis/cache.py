"""The tile cache: Django's file cache, shared by every server process of a host, without its
zlib step. Tiles are bytes already; compressing a 300 KB tile on every miss cost more than
the HTTP request around it (bench/tiles.py), and disk is cheap."""

import pickle
from typing import Any

from django.core.cache.backends.filebased import FileBasedCache


class TileFileCache(FileBasedCache):
    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        fname = self._key_to_file(key, version)  # type: ignore[attr-defined]
        try:
            with open(fname, "rb") as f:
                if not self._is_expired(f):  # type: ignore[attr-defined]
                    return pickle.loads(f.read())
        except FileNotFoundError:
            pass
        return default

    def _write_content(self, file: Any, timeout: Any, value: Any) -> None:
        expiry = self.get_backend_timeout(timeout)
        file.write(pickle.dumps(expiry, self.pickle_protocol))
        file.write(pickle.dumps(value, self.pickle_protocol))
