#!/usr/bin/env python3
"""Writes one large EVTX file made of real records: the 64 KiB chunks of the
sample logs, repeated until the file reaches the requested size. Chunks are
self-contained (records, strings and templates), so the result is a valid
log. The file header's chunk count and last chunk number are set to match
and its checksum is recomputed, so evtxexport reads every chunk too.

Usage: make_large.py SAMPLES OUTPUT MIN_MEGABYTES
SAMPLES is a folder of .evtx files, or @FILE naming a file that lists one
.evtx path per line (run.sh passes the files evtxexport reads, so that
evtxexport can read the whole large file too).
"""
import os
import struct
import sys
import zlib

HEADER_SIZE = 4096
CHUNK_SIZE = 65536


def sample_paths(samples):
    if samples.startswith("@"):
        with open(samples[1:]) as f:
            return [line.rstrip("\n") for line in f if line.strip()]
    paths = []
    for root, _, names in sorted(os.walk(samples)):
        paths += [os.path.join(root, name) for name in sorted(names) if name.endswith(".evtx")]
    return paths


def sample_chunks(samples):
    for path in sample_paths(samples):
        with open(path, "rb") as f:
            data = f.read()
        for offset in range(HEADER_SIZE, len(data) - CHUNK_SIZE + 1, CHUNK_SIZE):
            chunk = data[offset:offset + CHUNK_SIZE]
            if chunk[:8] == b"ElfChnk\0":
                yield chunk


def main():
    folder, output, megabytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    chunks = list(sample_chunks(folder))
    count = (megabytes * 1000 * 1000 + CHUNK_SIZE - 1) // CHUNK_SIZE
    if count > 0xFFFF:
        sys.exit("make_large.py: more than 65535 chunks do not fit the header's 16-bit chunk count")
    header = bytearray(HEADER_SIZE)
    header[0:8] = b"ElfFile\0"
    struct.pack_into("<QQQIHHHH", header, 8, 0, count - 1, 1, 128, 1, 3, HEADER_SIZE, count)
    struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
    with open(output, "wb") as f:
        f.write(header)
        for i in range(count):
            f.write(chunks[i % len(chunks)])


if __name__ == "__main__":
    main()
