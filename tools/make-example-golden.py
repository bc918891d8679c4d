#!/usr/bin/env python3
# Usage: python3 tools/make-example-golden.py ../shared/fixtures/tiny-llava/golden_c0.safetensors examples/tiny-llava/golden_c0.safetensors
# Extract a small always-available golden (inputs + expected outputs of tiny-llava case c0) for the repo.
import json, struct, sys
src, dst = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
header = json.loads(data[8:8+n])
base = 8 + n
keep = ['pixel_values', 'input_ids', 'logits', 'generate.new_tokens', 'generate.step_logits']
out_header = {"__metadata__": {"source": "shared/fixtures/tiny-llava/golden_c0.safetensors (transformers 4.44.0, float32, eager)"}}
blobs = []
off = 0
for name in sorted(keep, key=lambda k: -{'F32':4,'I64':8}[header[k]['dtype']]):
    e = header[name]
    b, eoff = e['data_offsets']
    blob = data[base+b:base+eoff]
    out_header[name] = {"dtype": e['dtype'], "shape": e['shape'], "data_offsets": [off, off+len(blob)]}
    blobs.append(blob); off += len(blob)
h = json.dumps(out_header, separators=(',', ':')).encode()
h += b' ' * (-(8 + len(h)) % 8)
open(dst, 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
