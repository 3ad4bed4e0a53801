#!/usr/bin/env python3
"""Load-balance model of the wgmma_ws grid schedules (NOTES.md v7), no GPU needed.

Time unit: one 128-key tile of one 128-row item (~2 us on an H100 at v6 speed). A work item
(query tile, head) costs its tile count (CtaWork: ceil(n_iter / 2)), plus per item
  - non-persistent grid (v6): `ovh` exposed (CTA start, Q + first K/V load, O/LSE store);
  - persistent grid (v7): `hid`, what the overlap does not hide (the consumers' store and the
    first round's missing PV overlap at item boundaries).
Schedules: v6 = grid (q_tiles, heads), blocks dispatched in linear order (tile index fastest,
longest first, head slowest) to the SM that frees first; static = CTA c does items c, c + G, ...
of the heaviest-first list; dynamic = CTA c does item c, then takes the next item of the list when
its producer has issued its current item's last tile (about min(kStages, n) tiles before it is
free). Plans as in bench/kernels/plans.cpp (B = 1, 32 q heads, 8 KV heads).
Usage: python3 bench/kernels/ws_schedule_sim.py
"""
import heapq


def n_tiles(n, band, tile):  # CtaWork + the 128-key pairing of moa_prefill_sm90_ws.cu
    nb = (n + 63) // 64
    k = min(max(band, 1), nb)
    qb1, lo = min(2 * tile + 1, nb - 1), max(0, 2 * tile - k + 1)
    n_iter = (1 if lo > 0 else 0) + (qb1 - lo + 1)
    return (n_iter + 1) // 2


def plan_bands(rho, n, hkv=8):  # bench/kernels/plans.cpp make_plan
    nb = (n + 63) // 64
    f = {1: [1.0] * 8, 0.5: [1, 1, 1, .5, .25, .125, .0625, .0625],
         0.25: [1, .375, .25, .125, .0625, .0625, .0625, .0625]}[rho]
    return [nb if fh >= 1 else min(max(round(fh * nb) - 1, 1), nb) for fh in f[:hkv]]


def simulate(n, rho, G=132, hq=32, hkv=8, ovh=1.0, hid=0.25, stages=3):
    qt = (n + 127) // 128
    bands = plan_bands(rho, n, hkv)
    cost = lambda tile, h: n_tiles(n, bands[h // (hq // hkv)], tile)
    # v6: blockIdx.x = tile from the end, blockIdx.y = head, x fastest
    free = [0.0] * G
    for h in range(hq):
        for x in range(qt):
            t = heapq.heappop(free)
            heapq.heappush(free, t + cost(qt - 1 - x, h) + ovh)
    v6 = max(free)
    items = [(qt - 1 - k // hq, k % hq) for k in range(qt * hq)]
    g = min(G, len(items))
    static = max(sum(cost(*items[k]) + hid for k in range(c, len(items), g)) for c in range(g))
    # dynamic: heap of (draw time, finish time); the first wave is static
    heap = []
    for c in range(g):
        w = cost(*items[c]) + hid
        heapq.heappush(heap, (w - min(stages, w), w))
    end = 0.0
    for it in items[g:]:
        _, fin = heapq.heappop(heap)
        w = cost(*it) + hid
        heapq.heappush(heap, (fin + w - min(stages, w), fin + w))
    dynamic = max(f for _, f in heap)
    ideal = sum(cost(*it) for it in items) / G
    return ideal, v6, static, dynamic


def main():
    print("time in tile units (~2 us); relative to v6 (negative = faster)")
    for ovh, hid in ((0.5, 0.25), (1.0, 0.25), (1.0, 0.5)):
        print(f"-- exposed per item: v6 {ovh} tile, persistent {hid} tile")
        for n in (8192, 32768):
            for rho in (1, 0.5, 0.25):
                ideal, v6, st, dy = simulate(n, rho, ovh=ovh, hid=hid)
                print(f"N={n:5d} rho={rho:<4}: work/SM {ideal:7.0f}  v6 {v6:7.0f}  static {st:7.0f} ({st / v6 - 1:+6.1%})"
                      f"  dynamic {dy:7.0f} ({dy / v6 - 1:+6.1%})")


if __name__ == '__main__':
    main()
