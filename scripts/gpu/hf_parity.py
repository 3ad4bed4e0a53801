#!/usr/bin/env python3
"""Logit parity of `moa logits` against Hugging Face transformers' LlamaForCausalLM on the
same checkpoint folder (run on the GPU machine). Prints a table, writes JSON.

usage: hf_parity.py --moa build-gpu/app/moa --work /tmp/parity --out parity.json CKPT...
Each CKPT is a folder written by `moa init-checkpoint`; lengths 1, 7, 513, 4096.
"""
import argparse, json, os, subprocess, sys, time
import numpy as np
import torch
from transformers import LlamaForCausalLM

LENGTHS = [1, 7, 513, 4096]
STRIDE_LONG = 7  # rows compared at 4096 tokens: every 7th and the last


def rows_for(t, stride):
    r = list(range(0, t, stride))
    if r[-1] != t - 1:
        r.append(t - 1)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moa", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dtypes", default="float32,bfloat16")
    ap.add_argument("--fixture", help="write HF logits of this checkpoint (7 and 70 tokens, fp32, cpu) here")
    ap.add_argument("ckpts", nargs="+")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    results = []
    for ck in a.ckpts:
        cfg = json.load(open(os.path.join(ck, "config.json")))
        vocab = cfg["vocab_size"]
        for dt in a.dtypes.split(","):
            tdt = getattr(torch, dt)
            t0 = time.time()
            model = LlamaForCausalLM.from_pretrained(ck, dtype=tdt, attn_implementation="sdpa").cuda().eval()
            load_s = time.time() - t0
            for T in LENGTHS:
                if T > cfg.get("max_position_embeddings", 4096):
                    continue
                rng = np.random.default_rng(1000 + T)
                ids = rng.integers(0, vocab, size=T, dtype=np.int64)
                ids_file = os.path.join(a.work, f"ids_{T}.i64")
                ids.tofile(ids_file)
                stride = STRIDE_LONG if T > 1024 else 1
                rows = rows_for(T, stride)
                with torch.no_grad():
                    ref = model(torch.from_numpy(ids).view(1, T).cuda()).logits[0].float()
                ref = ref[rows].cpu().numpy()
                out_file = os.path.join(a.work, "moa.f32")
                t1 = time.time()
                p = subprocess.run([a.moa, "logits", "--model", ck, "--ids-file", ids_file, "--dtype", dt,
                                    "--device", "cuda", "--stride", str(stride), "--out", out_file],
                                   capture_output=True, text=True)
                moa_s = time.time() - t1
                if p.returncode != 0:
                    results.append(dict(ckpt=ck, dtype=dt, tokens=T, error=p.stderr.strip()))
                    print("FAIL", ck, dt, T, p.stderr.strip(), flush=True)
                    continue
                ours = np.fromfile(out_file, dtype=np.float32).reshape(len(rows), vocab)
                err = float(np.abs(ours - ref).max() / np.abs(ref).max())
                tol = 1e-4 if dt == "float32" else 2e-2
                top1 = float((ours.argmax(-1) == ref.argmax(-1)).mean())
                results.append(dict(ckpt=os.path.basename(ck.rstrip("/")), dtype=dt, tokens=T, rows=len(rows),
                                    max_rel_err=err, tolerance=tol, ok=err <= tol, top1_agree=top1,
                                    hf_load_s=load_s, moa_s=moa_s))
                print(f"{os.path.basename(ck.rstrip('/')):28s} {dt:9s} T={T:5d} max_rel_err={err:.2e} "
                      f"(tol {tol:.0e}) top1={top1:.3f} {'ok' if err <= tol else 'FAIL'}", flush=True)
            del model
            torch.cuda.empty_cache()
    if a.fixture:
        ck = a.ckpts[0]
        model = LlamaForCausalLM.from_pretrained(ck, dtype=torch.float32).eval()
        fx = {}
        for T in (7, 70):
            ids = np.random.default_rng(7 + T).integers(0, model.config.vocab_size, size=T).tolist()
            with torch.no_grad():
                lg = model(torch.tensor([ids])).logits[0].double().numpy()
            fx[str(T)] = dict(ids=ids, logits=[[float(x) for x in row] for row in lg])
        json.dump(fx, open(a.fixture, "w"))
    json.dump(dict(torch=torch.__version__, device=torch.cuda.get_device_name(), results=results),
              open(a.out, "w"), indent=1)
    bad = [r for r in results if not r.get("ok")]
    print(f"{len(results) - len(bad)}/{len(results)} parity checks within tolerance")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
