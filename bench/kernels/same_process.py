#!/usr/bin/env python3
"""Our prefill, PyTorch SDPA and FlexAttention timed interleaved in ONE process.

bench_kernels (C++) and baselines.py (Python) run one after the other in separate processes, and
the card does not give both the same clocks (the first timings of a process run ~10% faster,
bench/kernels/NOTES.md v9), so their ratios carried the order of the processes. Here every round
times each contender once (median of `reps` launches, inputs rotated between two sets), the order
rotating from round to round, and a ratio is taken per round from timings made seconds apart.
Our kernel is called through libmoa_prefill_capi.so (bench/kernels/prefill_capi.cpp) on the
tensors torch allocated, on torch's current stream; several builds (an A/B of commits) can be
given and are timed in the same rounds. Before timing, each build's output is compared with
Flex's (same block mask) so a wrong argument cannot pass as a fast kernel.

Usage: same_process.py kernels.json LABEL=path/to/libmoa_prefill_capi.so [LABEL=... ...]
  kernels.json: bench_kernels' output (its plans: band_blocks per KV head, density, work).
  MOA_SP_ROUNDS (default 5). Writes $OUT/same_process.json and $OUT/same_process.md.
"""
import ctypes
import json
import math
import os
import statistics
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baselines import D, HKV, HQ, flex_compiled, inputs, median_ms, sdpa_dense  # noqa: E402

OUT = os.environ.get("OUT", ".")
BACKENDS = {"flash": SDPBackend.FLASH_ATTENTION, "cudnn": SDPBackend.CUDNN_ATTENTION,
            "efficient": SDPBackend.EFFICIENT_ATTENTION}


class Ours:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        f = self.lib.moa_capi_prefill
        f.restype = ctypes.c_int
        f.argtypes = [ctypes.c_void_p] * 5 + [ctypes.c_void_p] + [ctypes.c_int] * 7 + [ctypes.c_float, ctypes.c_int,
                                                                                       ctypes.c_void_p]
        self.lib.moa_capi_last_error.restype = ctypes.c_char_p

    def __call__(self, q, k, v, out, lse, band):
        n = q.shape[2]
        rc = self.lib.moa_capi_prefill(q.data_ptr(), k.data_ptr(), v.data_ptr(), out.data_ptr(), lse.data_ptr(),
                                       band.data_ptr(), 1, q.shape[0], HQ, HKV, n, D, 0, 1.0 / math.sqrt(D), 0,
                                       torch.cuda.current_stream().cuda_stream)
        if rc != 0:
            raise RuntimeError(self.lib.moa_capi_last_error().decode())


def checked_runner(ours, sets, ref, out, lse, band, what):
    """A runner of our build on the two input sets, after its output was checked against Flex's
    (`ref`), so a wrong argument cannot pass as a fast kernel; returns (runner, max rel diff)."""
    out.fill_(float("nan"))  # a build that writes nothing (or part) fails the check
    ours(*sets[0], out, lse, band)
    torch.cuda.synchronize()
    err = ((out.float() - ref).abs().max() / ref.abs().max()).item()
    if not err < 2e-2:
        raise SystemExit(f"{what}: output differs from Flex's (max rel {err:.3g})")
    i = [0]

    def run():
        q, k, v = sets[i[0] & 1]
        i[0] += 1
        ours(q, k, v, out, lse, band)
    return run, err


def sdpa_runner(backend_name, sets):
    name, layout = backend_name.split("+")
    gqa = layout == "gqa"
    if not gqa:
        sets = [(q, k.repeat_interleave(HQ // HKV, 1), v.repeat_interleave(HQ // HKV, 1)) for q, k, v in sets]
    i = [0]

    def run():
        q, k, v = sets[i[0] & 1]
        i[0] += 1
        with sdpa_kernel(BACKENDS[name]):
            F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=gqa)
    return run


def flex_runner(n, bands, sets):
    once = flex_compiled(n, bands)
    i = [0]

    def run():
        q, k, v = sets[i[0] & 1]
        i[0] += 1
        once(q, k, v)
    return run, once


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cases = json.load(open(sys.argv[1]))["prefill"]
    libs = {}
    for arg in sys.argv[2:]:
        label, path = arg.split("=", 1)
        if label in ("sdpa", "flex") or label in libs:
            sys.exit(f"build label '{label}' is taken (sdpa, flex or an earlier build)")
        libs[label] = Ours(path)
    rounds = int(os.environ.get("MOA_SP_ROUNDS", "5"))
    res = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "rounds": rounds,
           "libs": {k: v for k, v in (a.split("=", 1) for a in sys.argv[2:])}, "cases": []}
    sdpa_choice = {}
    for c in cases:
        n, bands = c["n"], c["band_blocks"]
        reps = 10 if n > 16384 else 30
        sets = [inputs(n, s) for s in (1, 2)]
        if n not in sdpa_choice:  # the fastest backend, chosen as baselines.py does
            sdpa_choice[n] = sdpa_dense(n, reps)[1]
        band = torch.tensor(bands, device="cuda", dtype=torch.int32)
        out = torch.empty_like(sets[0][0])
        lse = torch.empty(1, HQ, n, device="cuda", dtype=torch.float32)
        flex_run, flex_once = flex_runner(n, bands, sets)
        ref = flex_once(*sets[0]).float()
        contenders = {"sdpa": sdpa_runner(sdpa_choice[n], sets), "flex": flex_run}
        check = {}
        for label, ours in libs.items():
            contenders[label], check[label] = checked_runner(ours, sets, ref, out, lse, band, f"{label} N={n} {c['plan']}")
        names = list(contenders)
        times = {name: [] for name in names}
        for r in range(rounds):
            for j in range(len(names)):
                name = names[(j + r) % len(names)]
                times[name].append(median_ms(contenders[name], reps))
        row = {"n": n, "plan": c["plan"], "density": c["density"], "work_fraction": c["work_fraction"],
               "sdpa_backend": sdpa_choice[n], "max_rel_diff_vs_flex": check, "times_ms": times}
        for label in libs:
            per_round = list(zip(times[label], times["sdpa"], times["flex"]))
            row[label] = {"ms": statistics.median(times[label]),
                          "over_rho_sdpa": statistics.median(o / (c["density"] * s) for o, s, _ in per_round),
                          "over_flex": statistics.median(o / f for o, _, f in per_round),
                          "sdpa_over_ours": statistics.median(s / o for o, s, _ in per_round)}
        res["cases"].append(row)
        print(f"N={n} {c['plan']}: " + ", ".join(f"{k} {statistics.median(v):.3f} [{min(v):.3f}, {max(v):.3f}]"
                                                 for k, v in times.items()), file=sys.stderr, flush=True)
    json.dump(res, open(os.path.join(OUT, "same_process.json"), "w"), indent=2)
    lines = [f"{res['device']}, torch {res['torch']}; {rounds} interleaved rounds, medians; ratios = median of the "
             "per-round ratios", "",
             "| N | plan | density | work | build | ours ms | SDPA ms (backend) | Flex ms | SDPA/ours (dense ≥ 0.85) | "
             "ours/(ρ·SDPA) (≤ 1.2) | ours/Flex (≤ 0.75) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in res["cases"]:
        s, f = statistics.median(row["times_ms"]["sdpa"]), statistics.median(row["times_ms"]["flex"])
        for label in libs:
            o = row[label]
            dense = row["plan"] == "dense"
            lines.append(f"| {row['n']} | {row['plan']} | {row['density']:.3f} | {row['work_fraction']:.3f} | {label} | "
                         f"{o['ms']:.3f} | {s:.3f} ({row['sdpa_backend']}) | {f:.3f} | "
                         f"{o['sdpa_over_ours']:.3f} | {'–' if dense else format(o['over_rho_sdpa'], '.3f')} | "
                         f"{o['over_flex']:.3f} |")
    table = "\n".join(lines)
    open(os.path.join(OUT, "same_process.md"), "w").write(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
