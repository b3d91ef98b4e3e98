"""Fuzz every reader: 10,000 faulty files per reader, each ending in a valid result or the project's own error.

Readers: SMPLer-X, SMPLest-X, PIXIE, AMASS (body), EMOCA (face), WiLoR (hands), the fused file and the body
model file. Seeds are real-format files written once by ``tests/io/io_writers.py`` and the project's writers;
each case mutates one copy with one fault class (or a combination; see ``tests/hardening/fuzz_kit.py``,
``FAULT_MEANING``), writes it into a fresh folder on tmpfs and calls the reader. Case ``i`` of reader ``r`` is
fully determined by the seed string ``"r:i"``, so any failure printed here is reproduced with::

    fuzz_kit.run_case(targets[r], fault, random.Random(f"{r}:{i}"), workdir)

Two worker processes (forked after the seeds are built) share the cases. A worker killed by a signal (a
segfault in a C extension) is counted as an uncaught failure at the case it was running, and the rest of its
chunk is re-run. A case passes when the reader returns a result that keeps its contract (finite arrays,
consistent shapes, sorted frames) or raises a ``core.errors.FusionError`` whose message is one readable line
naming the file; ``uncaught`` counts everything else (other exceptions, crashes, malformed messages, invalid
results, payloads that ran).

Run: ``.venv/bin/python bench/fuzz.py`` (``--cases N`` for a quicker run, ``--readers openpose coco-wholebody``
for some readers only).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hardening"))
sys.path.insert(0, str(ROOT))

import fuzz_kit as K  # noqa: E402

CASES = 10_000
WORKERS = 2
CHUNK = 500

_TARGETS: dict[str, K.Target] = {}
_WORKDIR = Path()


def fault_of(target: K.Target, index: int) -> str:
    """Faults are dealt round-robin, so every class gets the same share of a reader's cases."""
    return target.faults[index % len(target.faults)]


def _work(chunk: list, conn: Any, current: Any) -> None:
    """Run ``chunk`` [(reader, index)] in this (forked) process; send back one row per case."""
    wdir = _WORKDIR / f"w{os.getpid()}"
    wdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for pos, (name, index) in enumerate(chunk):
        current.value = pos
        target = _TARGETS[name]
        o = K.run_case(target, fault_of(target, index), random.Random(f"{name}:{index}"), wdir)
        rows.append((name, index, o.fault, o.status, o.description if o.failed else "", o.detail if o.failed else ""))
    conn.send(rows)
    conn.close()


def _describe(name: str, index: int) -> str:
    """The fault applied by case ``index`` (rebuilt without running the reader), for a crashed worker's report."""
    target = _TARGETS[name]
    r = random.Random(f"{name}:{index}")
    seed = K.pick_seed(target, r)
    tree = dict(seed.files)
    ctx = K.Ctx(workdir=_WORKDIR, seed=seed)
    return f"{seed.name}: " + K.apply_fault(fault_of(target, index), tree, r, ctx, target.faults)


def run_all(cases: int, workers: int) -> list:
    """Every case of every reader on ``workers`` processes; returns one row per case."""
    mp = multiprocessing.get_context("fork")
    jobs = [(name, i) for name in _TARGETS for i in range(cases)]
    pending = deque(jobs[k:k + CHUNK] for k in range(0, len(jobs), CHUNK))
    running: dict = {}
    rows: list = []
    while pending or running:
        while pending and len(running) < workers:
            chunk = pending.popleft()
            recv, send = mp.Pipe(duplex=False)
            current = mp.Value("i", -1)
            proc = mp.Process(target=_work, args=(chunk, send, current))
            proc.start()
            send.close()
            running[proc.sentinel] = (proc, recv, chunk, current)
        ready = wait([s for s in running] + [v[1] for v in running.values()])
        for sentinel, (proc, recv, chunk, current) in list(running.items()):
            if recv in ready or (sentinel in ready and recv.poll()):
                try:
                    rows.extend(recv.recv())
                except EOFError:
                    pass
                else:
                    proc.join()
                    del running[sentinel]
                    continue
            if sentinel in ready:
                proc.join()
                del running[sentinel]
                crashed = max(current.value, 0)  # the case it was running when it died
                name, index = chunk[crashed]
                rows.append((name, index, fault_of(_TARGETS[name], index), "crashed", _describe(name, index),
                             f"the worker process died (exit code {proc.exitcode}) while reading this case"))
                rest = chunk[:crashed] + chunk[crashed + 1:]
                if rest:
                    pending.appendleft(rest)
    return rows


def main(argv: list[str]) -> int:
    global _WORKDIR
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=CASES, help="cases per reader (default 10,000)")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--readers", nargs="+", metavar="READER", help="fuzz only these readers (default all)")
    args = parser.parse_args(argv)

    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    _WORKDIR = Path(tempfile.mkdtemp(prefix="smplx_fuzz_", dir=base))
    try:
        t0 = time.perf_counter()
        _TARGETS.update(K.build_targets(_WORKDIR))
        if args.readers:
            unknown = sorted(set(args.readers) - set(_TARGETS))
            if unknown:
                raise SystemExit(f"unknown reader(s) {', '.join(unknown)}; known: {', '.join(_TARGETS)}")
            for name in set(_TARGETS) - set(args.readers):
                del _TARGETS[name]
        rows = run_all(args.cases, args.workers)
        elapsed = time.perf_counter() - t0
    finally:
        shutil.rmtree(_WORKDIR, ignore_errors=True)

    per_reader: dict = defaultdict(Counter)
    per_fault: Counter = Counter()
    failures = []
    for name, index, fault, status, description, detail in rows:
        per_reader[name][status] += 1
        per_fault[fault] += 1
        if status not in ("ok", "error"):
            failures.append((name, index, fault, status, description, detail))

    print(f"Fuzzing every reader: {args.cases:,} cases each, {args.workers} workers, {elapsed:.1f} s "
          f"(work folder on {'tmpfs' if base else 'the default temp dir'})")
    print()
    header = f"{'reader':<10} {'cases':>7} {'valid':>7} {'FusionError':>11} {'uncaught':>8} {'bad msg':>7} " \
             f"{'bad result':>10} {'payload ran':>11} {'crashed':>7}"
    print(header)
    print("-" * len(header))
    for name in _TARGETS:
        c = per_reader[name]
        print(f"{name:<10} {sum(c.values()):>7,} {c['ok']:>7,} {c['error']:>11,} {c['uncaught']:>8} "
              f"{c['bad_message']:>7} {c['bad_result']:>10} {c['executed']:>11} {c['crashed']:>7}")
    print()
    print("fault classes (cases over all readers):")
    for fault in K.FAULTS:
        if per_fault[fault]:
            print(f"  {fault:<13} {per_fault[fault]:>6,}  {K.FAULT_MEANING[fault]}")
    if failures:
        print()
        print(f"{len(failures)} failing case(s); first 20 (reproduce with random.Random('<reader>:<index>')):")
        for name, index, fault, status, description, detail in failures[:20]:
            last = detail.strip().splitlines()[-1] if detail.strip() else ""
            print(f"  {name}:{index} [{fault}] {status}: {description[:140]}")
            print(f"      {last[:240]}")
    uncaught = len(failures)
    summary = {
        "bench": "fuzz",
        "cases": {name: sum(per_reader[name].values()) for name in _TARGETS},
        "uncaught": uncaught,
        "uncaught_by_kind": {k: sum(per_reader[n][k] for n in _TARGETS)
                             for k in ("uncaught", "bad_message", "bad_result", "executed", "crashed")},
        "valid_results": sum(per_reader[n]["ok"] for n in _TARGETS),
        "fusion_errors": sum(per_reader[n]["error"] for n in _TARGETS),
        "faults": {f: per_fault[f] for f in K.FAULTS if per_fault[f]},
        "seconds": round(elapsed, 1),
    }
    print(json.dumps(summary))
    return 1 if uncaught else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
