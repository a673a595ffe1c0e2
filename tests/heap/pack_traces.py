#!/usr/bin/env python3
"""Pack heap traces into the compact binary form the kernel embeds.

    tests/heap/pack_traces.py IN.trace OUT.tpk

The text traces (tests/heap/traces/*.trace) are what people read and what
the host benchmark replays; the kernel embeds the packed form because
every byte of the kernel image is loaded at every boot (the text traces
would be 850 KB; packed they are about 230 KB). The format,
read by trace_open()/trace_next() in tests/heap/trace.h:

    "DTP1"                      magic
    name, NUL-terminated        at most 31 characters
    varint nids, varint nops
    nops operations, each a varint v and maybe one more varint:
      v & 3 == 0   allocate v >> 2 bytes as the next unused id
      v & 3 == 1   resize: v >> 2 bytes, then varint id
      v & 3 == 2   free id v >> 2
      v & 3 == 3   allocate v >> 2 bytes as block (varint id)

A varint is 7 bits per byte, low bits first, high bit set on all bytes
but the last. The packer decodes what it wrote and compares, so a bug
here fails the build rather than the test.
"""
import sys


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def parse(text):
    """Return (name, nids, ops) of a text trace; ops are (kind, id, size)."""
    lines = [l for l in text.splitlines() if l and not l.startswith("#")]
    head = lines[0].split()
    if head[0] != "trace" or len(head) != 4:
        raise ValueError(f"not a trace header: {lines[0]!r}")
    name, nids, nops = head[1], int(head[2]), int(head[3])
    ops = []
    for line in lines[1:]:
        f = line.split()
        kind, ident = f[0], int(f[1])
        size = int(f[2]) if kind in "ar" else 0
        ops.append((kind, ident, size))
    if len(ops) != nops:
        raise ValueError(f"header says {nops} operations, found {len(ops)}")
    return name, nids, ops


def pack(name, nids, ops):
    out = bytearray(b"DTP1")
    out += name.encode() + b"\0"
    out += varint(nids) + varint(len(ops))
    next_id = 0
    for kind, ident, size in ops:
        if kind == "a" and ident == next_id:
            out += varint(size << 2 | 0)
        elif kind == "a":
            out += varint(size << 2 | 3) + varint(ident)
        elif kind == "r":
            out += varint(size << 2 | 1) + varint(ident)
        else:
            out += varint(ident << 2 | 2)
        if kind == "a":
            next_id = max(next_id, ident + 1)
    return bytes(out)


def unpack(data):
    """The inverse of pack(), to check it."""
    pos = 4

    def take():
        nonlocal pos
        n = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            n |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return n

    end = data.index(b"\0", pos)
    name = data[pos:end].decode()
    pos = end + 1
    nids, nops = take(), take()
    ops, next_id = [], 0
    for _ in range(nops):
        v = take()
        kind, arg = v & 3, v >> 2
        if kind == 0:
            ops.append(("a", next_id, arg))
        elif kind == 3:
            ops.append(("a", take(), arg))
        elif kind == 1:
            ops.append(("r", take(), arg))
        else:
            ops.append(("f", arg, 0))
        if ops[-1][0] == "a":
            next_id = max(next_id, ops[-1][1] + 1)
    return name, nids, ops


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: pack_traces.py IN.trace OUT.tpk")
    with open(sys.argv[1]) as f:
        trace = parse(f.read())
    data = pack(*trace)
    if unpack(data) != trace:
        sys.exit(f"pack_traces.py: {sys.argv[1]}: packing does not round-trip")
    with open(sys.argv[2], "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
