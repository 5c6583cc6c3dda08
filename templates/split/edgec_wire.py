"""Decoder for edgec cut-tensor packets (the wire format of a split model).

The device head (``<name>_encode_cut()`` in the generated C) sends one packet
per inference; ``decode(packet)`` gives the float array ``tail.onnx`` reads.
Needs only the standard library and numpy. Format: compiler/split/README.md
of edgec, or the comment in edgec_wire.h.

    import onnxruntime, edgec_wire
    tail = onnxruntime.InferenceSession("tail.onnx")
    x = edgec_wire.decode(packet)
    outputs = tail.run(None, {tail.get_inputs()[0].name: x})
"""
import struct
import zlib

import numpy as np

MAGIC = b"ECUT"
VERSION = 1
FLAG_LZSS = 1
DTYPE_INT8 = 1
MAX_RANK = 6


def _header_bytes(rank):
    return 20 + 4 * rank


def lzss_decompress(body):
    """LZSS, 256-byte window: a flag byte announces 8 items, least significant
    bit first; 1 = a literal byte, 0 = (distance - 1, length - 3)."""
    out = bytearray()
    p = 0
    n = len(body)
    while p < n:
        flags = body[p]
        p += 1
        for bit in range(8):
            if p >= n:
                break
            if flags & (1 << bit):
                out.append(body[p])
                p += 1
                continue
            if p + 2 > n:
                raise ValueError("edgec wire packet: bad compressed payload (truncated back reference)")
            dist = body[p] + 1
            length = body[p + 1] + 3
            p += 2
            if dist > len(out):
                raise ValueError("edgec wire packet: bad compressed payload (reference before the start)")
            for _ in range(length):
                out.append(out[-dist])
    return bytes(out)


def decode_int8(packet):
    """Returns (int8 array shaped as sent, scale, zero_point); raises ValueError
    on a bad magic, version, flags, dtype or rank, a truncated packet, a CRC
    mismatch or a payload whose length does not match the dims."""
    packet = bytes(packet)
    if len(packet) < 8:
        raise ValueError("edgec wire packet: truncated: %d bytes, shorter than the fixed header" % len(packet))
    if packet[:4] != MAGIC:
        raise ValueError("edgec wire packet: bad magic (not an edgec cut-tensor packet)")
    version, flags, dtype, rank = packet[4], packet[5], packet[6], packet[7]
    if version != VERSION:
        raise ValueError("edgec wire packet: unsupported version %d (this decoder reads version %d)" % (version, VERSION))
    if flags & ~FLAG_LZSS:
        raise ValueError("edgec wire packet: unknown flags 0x%x" % flags)
    if dtype != DTYPE_INT8:
        raise ValueError("edgec wire packet: unsupported dtype %d (1 = int8)" % dtype)
    if rank < 1 or rank > MAX_RANK:
        raise ValueError("edgec wire packet: rank %d outside 1..%d" % (rank, MAX_RANK))
    header = _header_bytes(rank)
    if len(packet) < header + 4:
        raise ValueError("edgec wire packet: truncated: %d bytes, the header alone needs %d" % (len(packet), header + 4))
    dims = struct.unpack_from("<%dI" % rank, packet, 8)
    scale, zero_point, payload_bytes = struct.unpack_from("<fiI", packet, header - 12)
    total = header + payload_bytes + 4
    if len(packet) < total:
        raise ValueError("edgec wire packet: truncated: %d bytes, the header announces %d" % (len(packet), total))
    if len(packet) > total:
        raise ValueError("edgec wire packet: %d bytes after the end of the packet" % (len(packet) - total))
    (stored,) = struct.unpack_from("<I", packet, header + payload_bytes)
    if zlib.crc32(packet[: header + payload_bytes]) & 0xFFFFFFFF != stored:
        raise ValueError("edgec wire packet: CRC mismatch (corrupted in transit)")
    payload = packet[header : header + payload_bytes]
    raw = lzss_decompress(payload) if flags & FLAG_LZSS else payload
    count = int(np.prod(dims, dtype=np.int64))
    if len(raw) != count:
        raise ValueError("edgec wire packet: length mismatch: %d values for dims %s (%d)" % (len(raw), list(dims), count))
    return np.frombuffer(raw, dtype=np.int8).reshape(dims), float(scale), int(zero_point)


def decode(packet):
    """The float32 array scale * (q - zero_point), shaped as sent: the input of tail.onnx."""
    q, scale, zero_point = decode_int8(packet)
    return (q.astype(np.int32) - zero_point).astype(np.float32) * np.float32(scale)
