#!/usr/bin/env python3
"""Our prefill, PyTorch SDPA and FlexAttention, each launch timed in isolation by Nsight Compute.

Back to back, the card's clocks drop under sustained load and the drop is not the same for
every contender or every round (bench/kernels/NOTES.md v11: our kernel alone 12.8 ms at 32k
dense, 14.4-15.3 ms when timed back to back). Under `ncu --metrics gpu__time_duration.sum`
every kernel runs alone, after an idle gap, with clocks left alone: the view without the drift.
The two views bracket what a user gets; same_process.py gives the other one.

Two steps:
  run   (under ncu, scripts/gpu/ncu_isolated.sh): isolated.py run kernels.json LABEL=libmoa_prefill_capi.so ...
        For each plan of bench_kernels, every contender is set up and warmed outside the
        profiled range (Flex compiled, each build's output checked against Flex's); then, inside
        one cudaProfilerStart/Stop window per plan, each contender runs MOA_ISO_REPS times
        (default 5, the two input sets alternated), each block preceded by a marker kernel
        (torch.cuda._sleep). SDPA contenders: every backend and layout that runs the shape
        (flash / cuDNN / efficient, GQA or K/V expanded beforehand); the table keeps the fastest.
        Writes $OUT/isolated_order.json (the blocks, in launch order).
  table: isolated.py table isolated_order.json ncu.csv -> $OUT/isolated.{json,md}
        Splits ncu's kernel list at the markers; a call's time is the sum of its kernels (a
        call may launch several); per contender the median over its calls.
"""
import csv
import json
import os
import statistics
import sys

OUT = os.environ.get("OUT", ".")
MARKER = "spin"  # torch.cuda._sleep launches ATen's spin_kernel


def run(argv):
    import torch
    from baselines import HQ, inputs
    from same_process import BACKENDS, Ours, checked_runner, flex_runner, sdpa_runner

    cases = json.load(open(argv[0]))["prefill"]
    libs = {}
    for arg in argv[1:]:
        label, path = arg.split("=", 1)
        libs[label] = Ours(path)
    reps = int(os.environ.get("MOA_ISO_REPS", "5"))
    cudart = torch.cuda.cudart()
    order = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "reps": reps, "blocks": []}
    for c in cases:
        n, bands = c["n"], c["band_blocks"]
        sets = [inputs(n, s) for s in (1, 2)]
        contenders = {}
        for name in BACKENDS:
            for layout in ("gqa", "expanded"):
                fn = sdpa_runner(f"{name}+{layout}", sets)
                try:
                    fn()
                    torch.cuda.synchronize()
                except Exception as e:  # backend unavailable for this shape
                    print(f"  sdpa {name}+{layout} N={n}: unavailable ({type(e).__name__})", file=sys.stderr)
                    continue
                contenders[f"sdpa:{name}+{layout}"] = fn
        flex_run, flex_once = flex_runner(n, bands, sets)
        ref = flex_once(*sets[0]).float()
        contenders["flex"] = flex_run
        band = torch.tensor(bands, device="cuda", dtype=torch.int32)
        out = torch.empty_like(sets[0][0])
        lse = torch.empty(1, HQ, n, device="cuda", dtype=torch.float32)
        for label, ours in libs.items():
            contenders[label] = checked_runner(ours, sets, ref, out, lse, band, f"{label} N={n} {c['plan']}")[0]
        for fn in contenders.values():  # warm: compilation, autotuning and lazy set-up stay outside the window
            for _ in range(2):
                fn()
        torch.cuda.synchronize()
        cudart.cudaProfilerStart()
        for fn in contenders.values():
            torch.cuda._sleep(1000)
            for _ in range(reps):
                fn()
        torch.cuda.synchronize()
        cudart.cudaProfilerStop()
        order["blocks"].append({"n": n, "plan": c["plan"], "density": c["density"],
                                "work_fraction": c["work_fraction"], "contenders": list(contenders),
                                "ours": list(libs)})
        print(f"N={n} {c['plan']}: {len(contenders)} contenders profiled", file=sys.stderr, flush=True)
        del sets, ref, out, lse
        torch.cuda.empty_cache()
    json.dump(order, open(os.path.join(OUT, "isolated_order.json"), "w"), indent=2)


def ncu_kernels(path):
    """(kernel name, ns) of every profiled launch, in launch order."""
    rows = list(csv.reader(line for line in open(path) if line.startswith('"')))
    ix = {h: i for i, h in enumerate(rows[0])}
    scale = {"nsecond": 1, "ns": 1, "usecond": 1e3, "us": 1e3, "msecond": 1e6, "ms": 1e6, "second": 1e9, "s": 1e9}
    out = []
    for r in rows[1:]:
        if r[ix["Metric Name"]] == "gpu__time_duration.sum":
            ns = float(r[ix["Metric Value"]].replace(",", "")) * scale[r[ix["Metric Unit"]].strip()]
            out.append((int(r[ix["ID"]]), r[ix["Kernel Name"]], ns))
    return [(name, ns) for _, name, ns in sorted(out)]


def table(order_path, csv_path):
    order = json.load(open(order_path))
    reps = order["reps"]
    kernels = ncu_kernels(csv_path)
    # Blocks of kernels between markers, in launch order: one per (plan, contender).
    blocks, cur = [], None
    for name, ns in kernels:
        if MARKER in name:
            cur = []
            blocks.append(cur)
        elif cur is not None:
            cur.append((name, ns))
    want = sum(len(b["contenders"]) for b in order["blocks"])
    if len(blocks) != want:
        raise SystemExit(f"{csv_path}: {len(blocks)} marker blocks, expected {want} (ncu missed launches?)")
    res = {"device": order["device"], "torch": order["torch"], "reps": reps, "cases": []}
    lines = [f"{order['device']}, torch {order['torch']}; Nsight Compute gpu__time_duration of each launch alone "
             f"(clocks left alone, caches flushed), median of {reps} calls", "",
             "| N | plan | density | work | build | ours ms | SDPA ms (backend) | Flex ms | SDPA/ours (dense ≥ 0.85) | "
             "ours/(ρ·SDPA) (≤ 1.2) | ours/Flex (≤ 0.75) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    k = 0
    for b in order["blocks"]:
        ms, kernel_names = {}, {}
        for name in b["contenders"]:
            launches = blocks[k]
            k += 1
            if len(launches) % reps:
                raise SystemExit(f"N={b['n']} {b['plan']} {name}: {len(launches)} launches for {reps} calls")
            per = len(launches) // reps
            calls = [sum(ns for _, ns in launches[j * per:(j + 1) * per]) / 1e6 for j in range(reps)]
            ms[name] = statistics.median(calls)
            kernel_names[name] = sorted({n[:80] for n, _ in launches})
        sdpa = min((v, n) for n, v in ms.items() if n.startswith("sdpa:"))
        row = {"n": b["n"], "plan": b["plan"], "density": b["density"], "work_fraction": b["work_fraction"],
               "ms": ms, "kernels": kernel_names, "sdpa_best": sdpa[1]}
        for label in b["ours"]:
            o = ms[label]
            row[label] = {"sdpa_over_ours": sdpa[0] / o, "over_rho_sdpa": o / (b["density"] * sdpa[0]),
                          "over_flex": o / ms["flex"]}
            dense = b["plan"] == "dense"
            lines.append(f"| {b['n']} | {b['plan']} | {b['density']:.3f} | {b['work_fraction']:.3f} | {label} | "
                         f"{o:.3f} | {sdpa[0]:.3f} ({sdpa[1][5:]}) | {ms['flex']:.3f} | {sdpa[0] / o:.3f} | "
                         f"{'–' if dense else format(o / (b['density'] * sdpa[0]), '.3f')} | {o / ms['flex']:.3f} |")
        res["cases"].append(row)
    json.dump(res, open(os.path.join(OUT, "isolated.json"), "w"), indent=2)
    text = "\n".join(lines)
    open(os.path.join(OUT, "isolated.md"), "w").write(text + "\n")
    print(text)
    print("\nEvery SDPA variant (ms): " + "; ".join(
        f"{r['n']} {r['plan']}: " + ", ".join(f"{n[5:]} {v:.3f}" for n, v in r["ms"].items() if n.startswith("sdpa:"))
        for r in res["cases"] if r["plan"] == "dense"))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        run(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
