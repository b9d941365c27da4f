#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets: tests/fuzz/corpus/<target>/.

Hand-picked inputs for the targets that read text (vector, table_spec) and a
few deterministic pseudo-random inputs for those that read their input as a
stream of choices (sql, shadow), where any bytes make a valid session.
libFuzzer grows its own corpus from these; tests/fuzz/run.sh keeps that one
in the build directory. Rerun after changing a target's input format:

    tests/fuzz/make_corpus.py
"""
import pathlib
import random
import shutil
import struct

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def f32(*values):
    return struct.pack("<%df" % len(values), *values)


SEEDS = {
    "vector": {
        "json": b"[0.1, -2, 3e-4]",
        "json-int8": b"[1,-128,127,0,5,-6,7,8]",
        "json-edges": b"[3.4028235e38, 1e-45, -0, 0.0000001, 1E+2, 16777217]",
        "json-spaces": b" [ 1 ,\t2\n,3 ] ",
        "blob-float32": f32(1.0, -0.5, 1e-40, 3.0),
        "blob-nan": f32(1.0) + bytes([0, 0, 0xC0, 0x7F]),
        "blob-bits": bytes([0b10100101, 0xFF, 0x00, 0x01]),
    },
    "table_spec": {
        "flat": b"embedding float[4] distance=cosine, product text, created integer, +subject text",
        "ivf": b"v int8[16] distance=dot, index=ivf, lists=4, probes=2",
        "bit": b"b bit[64], +payload blob, cache_mb=0",
        "quoted": b'"my col" float[3] distance = l2, [tag] text, `n` int',
        # NUL bytes split arguments for parse_table_spec alone.
        "split": b"v float[8]\x00index=ivf\x00lists=3",
    },
}
RANDOM_SIZES = {"sql": (64, 256, 1024, 2048, 4000), "shadow": (32, 128, 512, 1024)}


def main():
    for target, seeds in SEEDS.items():
        write(target, seeds)
    for target, sizes in RANDOM_SIZES.items():
        rng = random.Random(target)
        write(target, {"random-%d" % n: bytes(rng.randrange(256) for _ in range(n)) for n in sizes})


def write(target, seeds):
    directory = CORPUS / target
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for name, data in seeds.items():
        (directory / name).write_bytes(data)


if __name__ == "__main__":
    main()
