#!/usr/bin/env python3
"""Rewrites a GGUF with RoPE scaling.
Linear (default): adds ARCH.rope.scaling.type = "linear",
ARCH.rope.scaling.factor = FACTOR and the tensor rope_freqs.weight [n_rot/2]
F32 with values 1 + i/4 (Llama 3.1's per-pair angle divisors).
--yarn ORIG_CTX: type "yarn" with ARCH.rope.scaling.original_context_length =
ORIG_CTX instead (the keys llama.cpp reads for llama/qwen/glm; converters may
also write yarn_beta_fast etc., which it ignores for those architectures);
the rope_freqs tensor only with --freqs.
Handles the GGUF v3 files `quantlab generate` writes.
usage: add_rope_scaling.py IN.gguf OUT.gguf FACTOR [--yarn ORIG_CTX [--freqs]]"""
import struct
import sys

SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        value = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return value[0]

    def string(self):
        n = self.take("Q")
        self.pos += n
        return self.data[self.pos - n : self.pos].decode()

    def skip_value(self, vtype):
        if vtype == 8:
            self.string()
        elif vtype == 9:
            etype, n = self.take("I"), self.take("Q")
            for _ in range(n):
                self.skip_value(etype)
        else:
            self.take(SCALAR[vtype])


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def kv_string(key, value):
    return gguf_string(key) + struct.pack("<I", 8) + gguf_string(value)


def kv_f32(key, value):
    return gguf_string(key) + struct.pack("<If", 6, value)


def kv_u32(key, value):
    return gguf_string(key) + struct.pack("<II", 4, value)


def main():
    src, dst, factor = sys.argv[1], sys.argv[2], float(sys.argv[3])
    options = sys.argv[4:]
    yarn_ctx = int(options[options.index("--yarn") + 1]) if "--yarn" in options else None
    with_freqs = yarn_ctx is None or "--freqs" in options
    data = open(src, "rb").read()
    r = Reader(data)
    assert r.take("I") == 0x46554747 and r.take("I") == 3, "not a GGUF v3 file"
    n_tensors, n_kv = r.take("Q"), r.take("Q")
    kv_start = r.pos
    arch, n_rot, alignment = None, None, 32
    for _ in range(n_kv):
        key = r.string()
        vtype = r.take("I")
        start = r.pos
        r.skip_value(vtype)
        if key == "general.architecture":
            arch = Reader(data[start : r.pos]).string()
        if arch and key == arch + ".rope.dimension_count":
            n_rot = struct.unpack_from("<I", data, start)[0]
        if key == "general.alignment":
            alignment = struct.unpack_from("<I", data, start)[0]
    kv_bytes = data[kv_start : r.pos]
    infos_start = r.pos
    data_size = 0
    for _ in range(n_tensors):
        r.string()
        n_dims = r.take("I")
        for _ in range(n_dims):
            r.take("Q")
        r.take("I")
        r.take("Q")
    infos = data[infos_start : r.pos]
    data_offset = (r.pos + alignment - 1) // alignment * alignment
    tensor_data = data[data_offset:]
    data_size = (len(tensor_data) + alignment - 1) // alignment * alignment
    tensor_data += b"\0" * (data_size - len(tensor_data))

    extra_kv = kv_string(arch + ".rope.scaling.type", "yarn" if yarn_ctx else "linear")
    extra_kv += kv_f32(arch + ".rope.scaling.factor", factor)
    n_extra_kv = 2
    if yarn_ctx:
        extra_kv += kv_u32(arch + ".rope.scaling.original_context_length", yarn_ctx)
        n_extra_kv += 1
    n_pairs = n_rot // 2
    extra_info, freqs = b"", b""
    if with_freqs:
        extra_info = gguf_string("rope_freqs.weight") + struct.pack("<IQIQ", 1, n_pairs, 0, data_size)
        freqs = struct.pack("<%df" % n_pairs, *[1.0 + i / 4.0 for i in range(n_pairs)])

    header = struct.pack("<IIQQ", 0x46554747, 3, n_tensors + int(with_freqs), n_kv + n_extra_kv)
    header += kv_bytes + extra_kv + infos + extra_info
    header += b"\0" * ((-len(header)) % alignment)
    with open(dst, "wb") as f:
        f.write(header + tensor_data + freqs)


if __name__ == "__main__":
    main()
