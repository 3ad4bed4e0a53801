#!/usr/bin/env python3
"""Barrier-protocol model of the persistent wgmma_ws_kernel and wgmma_tma_kernel
(kernels/moa_prefill_ws.cuh, moa_prefill_sm90_ws.cu, moa_prefill_sm90_tma.cu), no GPU.

One CTA runs a sequence of work items (each a number of 128-key tiles, 1..29); the producer
threads and the two consumer warpgroups are generators stepping in random order (random speeds,
so one side can run far ahead). mbarriers (full/empty per stage, q_full, q_empty) follow the
hardware rules (arrival counts, phase parity); named barriers (the two "turn" barriers, the
producers' ticket barrier) count arrivals per generation. Every step is tagged with the kernel
line it mirrors: `# [P-...]` / `# [C-...]` here, `// [P-...]` / `// [C-...]` in the kernel; the
check refuses to run when the two tag sets differ. The TMA producer ([T-...]) is one thread that
arms full / q_full with arrive.expect_tx and issues copies; a copy-engine process lands them in
random order and at random times (complete_tx), each on the barrier phase it was armed for.

Checked for kStages 2..5, 1 or 2 modelled cp.async producer threads (their flush decisions may
differ) or the TMA producer, the dynamic (ticket) and static schedules, random item lists (1..6 items of 1..29 tiles,
including all-ones lists and single items of every length) and random schedules:
  - no deadlock;
  - no parity ABA: no waiter can find its barrier two phases ahead of the phase it waits for;
  - every tile is published by every producer thread before a consumer uses it, and released by
    both consumers before any producer thread rewrites its stage;
  - Q of item k is published before a consumer takes it, and no producer thread starts writing Q
    of item k+1 before both consumers took Q of item k; the same for the item slot (the slot of
    item k is not rewritten before both consumers read it; they read the value of item k, then
    the end marker) and for the producers' ticket word;
  - every tile is released by both consumers, every item taken by both;
  - turn barriers (and the producers' barrier) balanced at exit, and no warpgroup arrives twice on
    one generation of a named barrier.
`--selftest` also runs protocol mutations (each must be caught). Run it after any change to the
kernel's synchronisation: python3 bench/kernels/ws_protocol_check.py [--selftest]
"""
import os, random, re, sys

END = 'end'


class MBar:
    """mbarrier: `k` completed phases; a phase completes when `count` arrivals are in and its
    transaction count (raised by arrive.expect_tx, lowered by complete_tx) is back to zero."""
    def __init__(s, count):
        s.count = count; s.pending = count; s.k = 0; s.tx = 0

    def _complete(s):
        if s.pending == 0 and s.tx == 0:
            s.k += 1; s.pending = s.count

    def arrive(s, n=1, expect_tx=0):
        s.pending -= n
        assert s.pending >= 0, "more arrivals than the count"
        s.tx += expect_tx
        s._complete()

    def complete_tx(s, n):
        s.tx -= n
        assert s.tx >= 0, "complete_tx below zero (more bytes landed than armed)"
        s._complete()


class Named:
    """bar.sync / bar.arrive: a generation completes when every participant arrived once."""
    def __init__(s, count):
        s.count = count; s.who = set(); s.gen = 0

    def arrive(s, who):
        assert who not in s.who, f"{who} arrives twice on one generation"
        s.who.add(who)
        if len(s.who) == s.count:
            s.who = set(); s.gen += 1


class Violation(Exception):
    pass


KV_COPIES, Q_COPIES = 8, 2   # TMA copies per tile (K, V x 2 halves x 2 panels) and per Q


def run(items, S, n_prod, dynamic, seed, mut=frozenset(), tma=False, carry=False):
    """items: tiles per item (the CTA's sequence); S: kStages; tma: the TMA producer (n_prod must
    be 1: one thread); returns None or a message."""
    rng = random.Random(seed)
    n_items, total_tiles = len(items), sum(items)
    full = [MBar(n_prod) for _ in range(S)]
    empty = [MBar(8) for _ in range(S)]        # 4 warps per consumer arrive
    q_full, q_empty = MBar(n_prod), MBar(8)
    turn = [Named(2), Named(2)]                # barrier 1: consumer 0's turn, 2: consumer 1's
    pbar = Named(n_prod)                       # kProducerBarrier
    ev = set()                                 # events, for the ordering checks
    slot = {'v': None}                         # item slot: item index or END
    ticket = {'v': None}
    copies = []                                # TMA copies in flight: (barrier, phase armed, tile or Q, index)
    done = {'producer': False}

    def check(cond, msg):
        if not cond:
            raise Violation(msg)

    def mwait(bar, u, what):
        # mbar_wait(bar, u & 1): returns when phase u completed; the barrier must never be two
        # phases ahead (then the parity would read "not completed" again: ABA).
        while True:
            check(bar.k <= u + 1, f"ABA on {what}: k={bar.k} waiting for phase {u}")
            if bar.k > u:
                return
            yield 'block'

    def test(bar, u, what):  # mbar_test_wait
        check(bar.k <= u + 1, f"ABA on {what}: k={bar.k} testing phase {u}")
        return bar.k > u

    def nsync(b, who):
        g = b.gen
        b.arrive(who)
        yield 'step'
        while b.gen == g:
            yield 'block'

    def producer(tid):
        st = {'pending': -1, 'pending_q': None}

        def publish():  # this thread's copies of tile `pending` (and Q) have landed
            full[st['pending'] % S].arrive()                        # [P-pub]
            ev.add(('pub', tid, st['pending']))
            if st['pending_q'] is not None:
                q_full.arrive()                                     # [P-pubq]
                ev.add(('pubq', tid, st['pending_q']))
            st['pending'] = -1

        def flush():
            if st['pending'] >= 0:
                publish()

        g, it = 0, 0
        while True:
            if it > 0:
                if 'no_boundary_flush' not in mut:
                    flush()                                         # [P-flush]
                if 'no_qempty_wait' not in mut and not ('end_without_qempty' in mut and it == n_items):
                    yield from mwait(q_empty, it - 1, 'q_empty')    # [P-qempty]
                if dynamic:
                    if tid == 0:                                    # [P-draw]
                        for t in range(n_prod):
                            check(('ticket_read', t, it - 1) in ev or it == 1,
                                  f"ticket of item {it} written before thread {t} read item {it - 1}'s")
                        ticket['v'] = it
                        yield 'step'
                    if 'no_bcast' not in mut:
                        yield from nsync(pbar, tid)                 # [P-bcast]
                    check(ticket['v'] == it, f"thread {tid} reads ticket {ticket['v']}, expected {it}")
                    ev.add(('ticket_read', tid, it))
            if it >= n_items:                                       # [P-end]
                break
            if tid == 0:                                            # [P-slot]
                for c in (0, 1):
                    check(it == 0 or ('slot_read', c, it - 1) in ev,
                          f"slot of item {it} written before consumer {c} read item {it - 1}'s")
                slot['v'] = it
            for c in (0, 1):                                        # [P-q]
                check(it == 0 or ('qtake', c, it - 1) in ev,
                      f"Q of item {it} written (thread {tid}) before consumer {c} took Q of item {it - 1}")
            ev.add(('qissue', tid, it))
            yield 'step'
            for i in range(items[it]):
                if g >= S and 'no_empty_wait' not in mut:
                    if not test(empty[g % S], g // S - 1, 'empty'):
                        flush()                                     # [P-flush2]
                        yield from mwait(empty[g % S], g // S - 1, 'empty')  # [P-empty]
                for c in (0, 1):                                    # [P-issue]
                    check(g < S or ('rel', c, g - S) in ev,
                          f"tile {g} written (thread {tid}) before consumer {c} released tile {g - S}")
                ev.add(('issue', tid, g))
                yield 'step'
                if st['pending'] >= 0:
                    publish()                                       # [P-pub-lag]
                st['pending'] = g
                st['pending_q'] = it if i == 0 else None
                g += 1
            it += 1
        flush()                                                     # [P-flush3]
        if tid == 0:                                                # [P-endslot]
            for c in (0, 1):
                check(('slot_read', c, n_items - 1) in ev, f"end marker written before consumer {c} read the last item")
            slot['v'] = END
        q_full.arrive()                                             # [P-endq]

    def producer_tma():
        # Thread 0 of the TMA kernel: no flush (the copy engine publishes), no ticket broadcast.
        g, it = 0, 0
        while True:
            if it > 0:
                if 'no_qempty_wait' not in mut and not ('end_without_qempty' in mut and it == n_items):
                    yield from mwait(q_empty, it - 1, 'q_empty')    # [T-qempty]
                if dynamic:
                    yield 'step'                                    # [T-draw]
            if it >= n_items:                                       # [T-end]
                break
            for c in (0, 1):                                        # [T-slot]
                check(it == 0 or ('slot_read', c, it - 1) in ev,
                      f"slot of item {it} written before consumer {c} read item {it - 1}'s")
            slot['v'] = it
            for c in (0, 1):                                        # [T-q]
                check(it == 0 or ('qtake', c, it - 1) in ev,
                      f"Q of item {it} written before consumer {c} took Q of item {it - 1}")
            arm(q_full, Q_COPIES, 'q', it)
            ev.add(('qissue', 0, it))
            yield 'step'
            for i in range(items[it]):
                if g >= S and 'no_empty_wait' not in mut:
                    yield from mwait(empty[g % S], g // S - 1, 'empty')  # [T-empty]
                for c in (0, 1):                                    # [T-issue]
                    check(g < S or ('rel', c, g - S) in ev,
                          f"tile {g} written before consumer {c} released tile {g - S}")
                arm(full[g % S], KV_COPIES, 'kv', g)
                ev.add(('issue', 0, g))
                yield 'step'
                g += 1
            it += 1
        for c in (0, 1):                                            # [T-endslot]
            check(('slot_read', c, n_items - 1) in ev, f"end marker written before consumer {c} read the last item")
        slot['v'] = END
        q_full.arrive()                                             # [T-endq]
        done['producer'] = True

    def arm(bar, n, kind, idx):
        # arrive.expect_tx(n copies' bytes), then the n copies naming the barrier's current phase
        armed = n - 1 if 'short_expect' in mut else n + 1 if 'long_expect' in mut else n
        if 'no_expect' in mut:
            bar.arrive()
        else:
            bar.arrive(expect_tx=armed)
        phase = bar.k
        copies.extend([(bar, phase, kind, idx)] * n)
        left[(kind, idx)] = n

    left = {}

    def engine():
        # The copy engine: lands one copy in flight per step, any of them (no order among copies).
        while True:
            if copies:
                bar, phase, kind, idx = copies.pop(rng.randrange(len(copies)))
                check(bar.k == phase, f"a copy of {kind} {idx} lands on phase {bar.k}, armed for phase {phase}")
                left[(kind, idx)] -= 1
                if left[(kind, idx)] == 0:
                    ev.add(('pub' if kind == 'kv' else 'pubq', 0, idx))
                bar.complete_tx(1)
                yield 'step'
            elif done['producer']:
                return
            else:
                yield 'block'

    def consumer(c):
        # carry (kCarry, NOTES.md v9): an item's last P V is issued in the next item's round 0, so
        # the next item's Q is taken before the item's last tile is released, and only the CTA's
        # last item ends with a turn of its own.
        if c == 1:
            turn[0].arrive(c)                                       # [C-init]
        g0, it = 0, 0
        pending = None  # carry: the previous item's last tile, not yet released
        while True:
            yield from mwait(q_full, it, 'q_full')                  # [C-qfull]
            v = slot['v']
            check(v == (END if it == n_items else it), f"consumer {c} reads slot {v} for item {it}")
            ev.add(('slot_read', c, it))
            if v == END:                                            # [C-end]
                break
            for t in range(n_prod):
                check(('pubq', t, it) in ev, f"consumer {c} takes Q of item {it} before thread {t} published it")
                check(('qissue', t, it + 1) not in ev, f"Q of item {it + 1} being written while consumer {c} takes item {it}'s")
            ev.add(('qtake', c, it))
            q_empty.arrive(4)                                       # [C-qempty]
            yield 'step'
            n = items[it]
            for i in range(n):
                g = g0 + i
                yield from mwait(full[g % S], g // S, 'full')       # [C-full]
                for t in range(n_prod):
                    check(('pub', t, g) in ev, f"consumer {c} uses tile {g} before thread {t} published it")
                yield from nsync(turn[c], c)                        # [C-turn]
                turn[1 - c].arrive(c)                               # [C-pass]
                yield 'step'
                if i > 0 or (pending is not None and 'carry_no_release' not in mut):
                    empty[(g - 1) % S].arrive(4)                    # [C-rel]
                    ev.add(('rel', c, g - 1))
            g_last = g0 + n - 1
            g0 += n
            it += 1
            if carry:
                pending = g_last
                continue
            yield from nsync(turn[c], c)                            # [C-turn-last]
            if not ('skip_last_pass' in mut and c == 1):
                turn[1 - c].arrive(c)                               # [C-pass-last]
            yield 'step'
            if 'no_last_release' not in mut:
                empty[g_last % S].arrive(4)                         # [C-rel-last]
                ev.add(('rel', c, g_last))
        if pending is not None and 'carry_no_final_turn' not in mut:
            yield from nsync(turn[c], c)                            # [C-turn-last]
            turn[1 - c].arrive(c)                                   # [C-pass-last]
            yield 'step'
            empty[pending % S].arrive(4)                            # [C-rel-last]
            ev.add(('rel', c, pending))
        if c == 0 and 'no_exit_sync' not in mut:
            yield from nsync(turn[0], c)                            # [C-exit]

    def snapshot():  # everything a step can change (a generator may act, then block, in one step)
        return (tuple((b.k, b.pending, b.tx) for b in full + empty + [q_full, q_empty]),
                tuple((b.gen, frozenset(b.who)) for b in turn + [pbar]), len(ev), slot['v'], ticket['v'],
                len(copies))

    if tma:
        assert n_prod == 1, "the TMA producer is one thread"
        procs = {'P0': producer_tma(), 'E': engine()}
    else:
        procs = {f'P{t}': producer(t) for t in range(n_prod)}
    procs.update({'C0': consumer(0), 'C1': consumer(1)})
    speed = {nm: rng.choice((0.05, 0.3, 1.0, 1.0, 3.0)) for nm in procs}
    try:
        while procs:
            names = list(procs)
            # one process by speed, then the others in random order if it is blocked
            first = rng.choices(names, weights=[speed[n] for n in names])[0]
            rest = [n for n in names if n != first]
            rng.shuffle(rest)
            before = snapshot()
            for nm in [first] + rest:
                try:
                    if next(procs[nm]) != 'block':
                        break
                except StopIteration:
                    del procs[nm]
                    break
            else:
                # every process ended its step blocked: a deadlock unless one of them acted first
                # (then a blocked process may have been released: go round again)
                if snapshot() == before:
                    return f"DEADLOCK left={sorted(procs)}"
        for c in (0, 1):
            for g in range(total_tiles):
                check(('rel', c, g) in ev, f"tile {g} never released by consumer {c}")
            for it in range(n_items):
                check(('qtake', c, it) in ev, f"item {it} never taken by consumer {c}")
        for b, nm in ((turn[0], 'turn 1'), (turn[1], 'turn 2'), (pbar, 'producer barrier')):
            check(not b.who, f"{nm} unbalanced at exit: {sorted(map(str, b.who))} arrived")
    except (Violation, AssertionError) as e:
        return f"{type(e).__name__}: {e}"
    return None


def case_desc(items, S, n_prod, dynamic, seed, tma=False):
    who = 'TMA producer' if tma else f"producers={n_prod}"
    return f"items={items} kStages={S} {who} {'dynamic' if dynamic else 'static'} seed={seed}"


def item_lists(rng, count):
    lists = [[n] for n in range(1, 30)]                      # one item of every length
    lists += [[1] * k for k in range(2, 7)]                  # all ones: Q and the slot turn over per tile
    lists += [[1, 29, 1], [29, 1, 29], [2, 1, 3, 1, 5]]
    while len(lists) < count:
        lists.append([rng.choice((1, 1, 2, 3, rng.randint(1, 29))) for _ in range(rng.randint(2, 6))])
    return lists


def check_tags(model_path, kernel_paths):
    tag = re.compile(r'\[([PCT]-[a-z0-9-]+)\]')
    with open(model_path) as f:
        model = set(tag.findall(f.read()))
    kernel = set()
    for path in kernel_paths:
        with open(path) as f:
            kernel |= set(tag.findall(f.read()))
    return model - kernel, kernel - model


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    kdir = os.path.join(here, '..', '..', 'kernels')
    kernel = [os.path.join(kdir, f) for f in ('moa_prefill_ws.cuh', 'moa_prefill_sm90_ws.cu', 'moa_prefill_sm90_tma.cu')]
    only_model, only_kernel = check_tags(__file__, kernel)
    if only_model or only_kernel:
        print(f"model and kernel out of sync: tags only in the model {sorted(only_model)}, only in the kernel {sorted(only_kernel)}")
        return 1
    rng = random.Random(7)
    lists = item_lists(rng, 120)
    bad = runs = 0
    for S in (2, 3, 4, 5):
        for n_prod, tma, carry in ((1, False, False), (2, False, False), (1, True, False), (1, True, True),
                                   (2, False, True)):
            for dynamic in (True, False):
                for items in lists:
                    for seed in range(12 if not carry else 6):
                        runs += 1
                        r = run(items, S, n_prod, dynamic, seed, tma=tma, carry=carry)
                        if r:
                            print(r, '|', case_desc(items, S, n_prod, dynamic, seed, tma), 'carry' if carry else ''); bad += 1
                            break
    print(f"protocol violations: {bad} in {runs} runs (cp.async producer: 1 and 2 threads; TMA producer; "
          f"consumers with and without carry)")
    if '--selftest' in sys.argv:
        # Each mutation breaks the protocol; the model must catch it on some case.
        muts = [(m, False) for m in ('no_boundary_flush', 'no_qempty_wait', 'end_without_qempty', 'no_bcast',
                                      'no_empty_wait', 'skip_last_pass', 'no_exit_sync', 'no_last_release')]
        muts += [(m, True) for m in ('no_qempty_wait', 'end_without_qempty', 'no_empty_wait', 'short_expect',
                                     'long_expect', 'no_expect', 'skip_last_pass', 'no_last_release')]
        muts = [(m, tma, False) for m, tma in muts]
        muts += [(m, True, True) for m in ('carry_no_release', 'carry_no_final_turn', 'no_exit_sync')]
        for m, tma, carry in muts:
            caught = None
            for S in (2, 3):
                for items in ([1, 1, 1], [3, 1, 4], [5, 2], [1, 29, 1], [2, 2, 2, 2]):
                    for seed in range(40):
                        r = run(items, S, 1 if tma else 2, True, seed, frozenset([m]), tma=tma, carry=carry)
                        if r:
                            caught = r; break
                    if caught: break
                if caught: break
            print(f"mutation {m}{' (TMA)' if tma else ''}{' (carry)' if carry else ''}: "
                  f"{'caught: ' + caught if caught else 'NOT CAUGHT'}")
            bad += 0 if caught else 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
