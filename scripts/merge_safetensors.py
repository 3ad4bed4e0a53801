#!/usr/bin/env python3
"""Merges a sharded safetensors checkpoint (model.safetensors.index.json + shards) into one
model.safetensors, byte for byte (no third-party packages). usage: merge_safetensors.py DIR"""
import json, os, struct, sys

d = sys.argv[1]
index = json.load(open(os.path.join(d, "model.safetensors.index.json")))
files = sorted(set(index["weight_map"].values()))
header, blobs, offset = {}, [], 0
for f in files:
    raw = open(os.path.join(d, f), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    h = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    for name, t in h.items():
        if name == "__metadata__":
            header["__metadata__"] = t
            continue
        b, e = t["data_offsets"]
        blobs.append(data[b:e])
        header[name] = dict(dtype=t["dtype"], shape=t["shape"], data_offsets=[offset, offset + e - b])
        offset += e - b
text = json.dumps(header).encode()
text += b" " * ((8 - (8 + len(text)) % 8) % 8)
with open(os.path.join(d, "model.safetensors.tmp"), "wb") as out:
    out.write(struct.pack("<Q", len(text)) + text)
    for b in blobs:
        out.write(b)
os.replace(os.path.join(d, "model.safetensors.tmp"), os.path.join(d, "model.safetensors"))
for f in files:
    os.remove(os.path.join(d, f))
os.remove(os.path.join(d, "model.safetensors.index.json"))
print(f"merged {len(files)} shards into {d}/model.safetensors ({offset} bytes of tensors)")
