"""How fast the backup archive (``crm_server.domains.backups.archive``) writes and verifies a
member: an incompressible one (as a ``pg_dump -Fc`` stream, written ``compress=False``, and as
media in the file store, ``compress=True``, where the archive finds compressing does not pay) and
a compressible one (rows of text, as a SQLite database or a CSV original).

    .venv/bin/python bench/backup_archive.py [--megabytes 500] [--runs 2]

The archive is written to a file under ``bench/results`` (then verified from it, and removed),
so the figures include the file system, as a real backup does. Prints MB/s of member data (1 MB =
10^6 bytes), the best of ``--runs``, and writes ``bench/results/backup_archive.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import time
from pathlib import Path
from typing import Any

from crm_server.domains.backups.archive import ArchiveWriter, verify
from crm_server.domains.backups.keys import KeySource

RESULTS = Path(__file__).resolve().parent / "results"
POOL = 8 << 20  # data is served as slices of a pool this large, far beyond zlib's window


class Slices(io.RawIOBase):
    """``size`` bytes taken from ``pool`` at shifting offsets, produced at no cost."""

    def __init__(self, pool: bytes, size: int) -> None:
        self.pool, self.left, self.offset = pool, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self.left, POOL // 2)
        start = self.offset % (POOL // 2)
        buffer[:size] = self.pool[start : start + size]
        self.offset += size + 4099
        self.left -= size
        return size


def _text_pool(seed: int) -> bytes:
    """Rows like a customer table's, as text: compresses about 3:1 with zlib level 1."""
    rng = random.Random(seed)
    words = ["有限公司", "科技", "设备", "深圳", "上海", "苏州", "贸易", "机械", "张伟", "王芳"]
    rows = []
    size = 0
    while size < POOL:
        row = (f"{rng.randint(1, 10**7)},{rng.choice(words)}{rng.choice(words)},"
               f"1{rng.randint(3 * 10**9, 9 * 10**9)},{rng.randint(0, 10**6) / 100:.2f},"
               f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}\n").encode()
        rows.append(row)
        size += len(row)
    return b"".join(rows)[:POOL]


def _measure(pool: bytes, size: int, compress: bool, path: Path) -> dict[str, float]:
    key = KeySource(key=os.urandom(32))
    start = time.perf_counter()
    with path.open("wb") as target:
        writer = ArchiveWriter(target, key, {"kind": "bench"})
        writer.add_stream("member", io.BufferedReader(Slices(pool, size), 1 << 20), compress)
        writer.finish({})
        target.flush()
        os.fsync(target.fileno())
    written = time.perf_counter() - start
    start = time.perf_counter()
    with path.open("rb") as source:
        verify(source, key)
    verified = time.perf_counter() - start
    stored = path.stat().st_size
    path.unlink()
    return {"write_mb_s": size / written / 1e6, "verify_mb_s": size / verified / 1e6,
            "stored_ratio": stored / size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=500)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    size = args.megabytes * 10**6
    cases = {
        "incompressible, compress=False": (random.Random(1).randbytes(POOL), False),
        "incompressible, compress=True": (random.Random(1).randbytes(POOL), True),
        "compressible text, compress=True": (_text_pool(2), True),
    }
    figures = {}
    for name, (pool, compress) in cases.items():
        runs = [_measure(pool, size, compress, RESULTS / "bench.crmbak") for _ in range(args.runs)]
        best = {field: max(run[field] for run in runs) for field in ("write_mb_s", "verify_mb_s")}
        figures[name] = {**best, "stored_ratio": runs[0]["stored_ratio"]}
        print(f"{name:36} write {best['write_mb_s']:6.0f} MB/s  verify "
              f"{best['verify_mb_s']:6.0f} MB/s  stored {runs[0]['stored_ratio']:.0%}")
    (RESULTS / "backup_archive.json").write_text(
        json.dumps({"megabytes": args.megabytes, "cases": figures}, indent=2))


if __name__ == "__main__":
    main()
