#!/usr/bin/env python3
"""Barrier-protocol model of wgmma_ws_kernel (kernels/moa_prefill_sm90_ws.cu), no GPU needed.

The producer warpgroup and the two consumer warpgroups are generators stepping in random order;
mbarriers (full: 1 unit arrival = 128 producer threads; empty: 8 consumer-warp arrivals) and the
two named "turn" barriers follow the hardware rules (phase parity, thread counts). Checks, for
kStages 2..5 (the kernel uses 3) and 1..29 tiles (128 keys each since v6; the protocol is per
tile and does not depend on the tile size), 200 random schedules each: no deadlock, no waiter that could
see a barrier two phases ahead (parity ABA), every tile published before it is used and released
by both consumers before its stage is rewritten, turn barriers balanced at exit.
Run it after any change to the kernel's synchronisation: python3 bench/kernels/ws_protocol_check.py
"""
import random, sys
class MBar:
    def __init__(s, count): s.count=count; s.pending=count; s.k=0
    def arrive(s, n=1):
        s.pending -= n; assert s.pending >= 0
        if s.pending == 0: s.k += 1; s.pending = s.count
class Named:
    def __init__(s, count): s.count=count; s.arrived=0; s.gen=0
    def arrive(s):
        s.arrived += 1
        if s.arrived == s.count: s.arrived = 0; s.gen += 1
        assert s.arrived <= s.count
def run(n_iter, S, seed):
    rng = random.Random(seed)
    full=[MBar(1) for _ in range(S)]; empty=[MBar(8) for _ in range(S)]
    turn=[Named(2), Named(2)]
    log=[]
    def mwait(bar, parity, u):
        # waiter expects phase u (parity u&1) complete
        assert parity == (u & 1)
        while True:
            assert bar.k <= u + 1, f"ABA: k={bar.k} u={u}"
            if (bar.k & 1) != parity: return
            yield 'block'
    def nsync(b):
        g = b.gen; b.arrive()
        while b.gen == g: yield 'block'
    def producer():
        pending = -1
        for j in range(n_iter):
            if j >= S:
                par = ((j//S)-1)&1
                assert empty[j%S].k <= j//S; done = (empty[j%S].k & 1) != par
                if not done:
                    if pending >= 0: full[pending%S].arrive(); log.append(('pub', pending)); pending = -1
                    yield from mwait(empty[j%S], par, j//S - 1)
            log.append(('issue', j))
            if pending >= 0: full[pending%S].arrive(); log.append(('pub', pending))
            pending = j
            yield 'step'
        full[pending%S].arrive(); log.append(('pub', pending))
    def consumer(c):
        if c == 1: turn[0].arrive()
        yield from mwait(full[0], 0, 0)  # Q (lands with tile 0) into registers
        for j in range(n_iter):
            st = j % S
            yield from mwait(full[st], (j//S)&1, j//S)
            # tile j must have been published
            assert ('pub', j) in log
            yield from nsync(turn[c])
            turn[1-c].arrive()
            yield 'step'
            if j > 0:
                empty[(j-1)%S].arrive(4); log.append(('rel', c, j-1))
        yield from nsync(turn[c])
        if c == 0: turn[1].arrive()
    procs = {'P': producer(), 'C0': consumer(0), 'C1': consumer(1)}
    while procs:
        names = list(procs); rng.shuffle(names)
        progressed = False
        for nm in names:
            try:
                r = next(procs[nm])
                if r != 'block': progressed = True; break
            except StopIteration:
                del procs[nm]; progressed = True; break
        if not progressed:
            # all blocked: one more full pass to be sure (blocked generators re-check on next())
            still = all(next(procs[nm]) == 'block' for nm in list(procs))
            if still: return f"DEADLOCK n={n_iter} S={S} seed={seed} left={list(procs)}"
    # check issue-after-release order: tile j (j>=S) issued after both released j-S
    for i, e in enumerate(log):
        if e[0] == 'issue' and e[1] >= S:
            for c in (0, 1): assert ('rel', c, e[1]-S) in log[:i], e
    # named barriers balanced
    assert turn[0].arrived == 0 and turn[1].arrived == 0, (turn[0].arrived, turn[1].arrived)
    return None
bad = 0
for S in (2, 3, 4, 5):
    for n in range(1, 30):
        for seed in range(200):
            r = run(n, S, seed)
            if r: print(r); bad += 1; break
print("protocol violations:", bad)
sys.exit(1 if bad else 0)
