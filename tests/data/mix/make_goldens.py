#!/usr/bin/env python3
"""Helpers of make_goldens.sh (standard library only).

  make_goldens.py imatrix LOG OUT.dat
      legacy imatrix of ones for every 2-D/3-D weight listed in a
      llama-quantize --dry-run log
  make_goldens.py tsv LOG OUT.tsv PRESET IMATRIX(1|"") REQUIRED(auto|1) ARGS
      the tensor -> type list of a dry run
  make_goldens.py error LOG OUT.tsv PRESET IMATRIX REQUIRED ARGS
      a run llama-quantize refused, with its error message

TSV format: '# key: value' header lines (preset, imatrix, args,
requires_imatrix, error), then 'name<TAB>shape<TAB>from<TAB>to' rows in
llama-quantize's order; shape is ne0xne1[xne2] without trailing ones.
"""
import re
import struct
import sys

# [  12/  27] blk.0.ffn_gate_exps.weight - [   256,    256,      8,      1], type =    f32, size = ... (q4_K)
LINE = re.compile(
    r"^\[\s*\d+/\s*\d+\]\s+(\S+)\s+-\s+\[([\d,\s]+)\],\s+type\s+=\s+(\S+),\s+size\s+=\s+(.*)$")
TARGET = re.compile(r"\((\S+)\)\s*$")


def parse_log(path):
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line.strip())
            if not m:
                continue
            name, dims, src, rest = m.groups()
            shape = [int(d) for d in dims.split(",")]
            while len(shape) > 1 and shape[-1] == 1:
                shape.pop()
            t = TARGET.search(rest)
            dst = t.group(1) if t else src
            rows.append((name, shape, src.upper(), dst.upper()))
    return rows


def write_imatrix(log, out):
    entries = [(n, s) for n, s, _, _ in parse_log(log) if len(s) >= 2 and n.endswith("weight")]
    with open(out, "wb") as f:
        f.write(struct.pack("<i", len(entries)))
        for name, shape in entries:
            n_values = shape[0] * (shape[2] if len(shape) > 2 else 1)
            raw = name.encode()
            f.write(struct.pack("<i", len(raw)) + raw)
            f.write(struct.pack("<ii", 1, n_values))
            f.write(struct.pack("<%df" % n_values, *([1.0] * n_values)))
        f.write(struct.pack("<i", 1))  # chunk count
        dataset = b"ones"
        f.write(struct.pack("<i", len(dataset)) + dataset)


def header(preset, imatrix, required, args, log_text):
    if required == "auto":
        required = "1" if "will require an imatrix" in log_text else "0"
    return [f"# preset: {preset}", f"# imatrix: {1 if imatrix else 0}",
            f"# args: {args}", f"# requires_imatrix: {required}"]


def main():
    mode = sys.argv[1]
    if mode == "imatrix":
        write_imatrix(sys.argv[2], sys.argv[3])
        return
    log, out, preset, imatrix, required, args = sys.argv[2:8]
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    lines = header(preset, imatrix, required, args, text)
    if mode == "error":
        errors = [l.strip() for l in text.splitlines() if "error" in l.lower() or "failed" in l.lower()]
        lines.append("# error: " + (errors[0] if errors else "llama-quantize failed"))
    else:
        rows = parse_log(log)
        if not rows:
            sys.exit(f"no tensor lines in {log}")
        for name, shape, src, dst in rows:
            lines.append("\t".join([name, "x".join(map(str, shape)), src, dst]))
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
