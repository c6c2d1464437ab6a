"""Verify that one big number is prime with a pool of worker processes,
each searching a slice of the candidate divisors, with or without a
shared flag that stops the others once one finds a factor (the chapter's
verification experiments).

    --precheck 0    the naive pool: split [3, isqrt(n)+1) over the workers
    --precheck 21   the less naive pool: try 3..19 in the caller first, then
                    split [21, isqrt(n)+1) (the book's SERIAL_CHECK_CUTOFF)
    --flag none | manager | redis | atomic | mutex | mmap
                    manager: a Manager().Value (a proxy to a server process);
                    redis: a key on a Redis server (redis-py, REDIS_URL);
                    atomic: a multiprocessing.RawValue (no lock, the book's
                    RawValue); mutex: a Value with its lock; mmap: one byte
                    of an anonymous shared mmap
    --loop counter | lookahead | blocked
                    how often a worker looks at the flag: every
                    --check-every candidates (counter and lookahead are the
                    same loop here); blocked is "mmap redux": a tight inner
                    loop over a block, a look between blocks

The pool (and the flag) is made before the timer; the time covers clearing
the flag, the serial precheck and the map. Prints ``runner-time:`` and
``runner-answer: prime`` or ``runner-answer: not prime FACTOR``.
"""

import argparse
import math
import mmap
import multiprocessing
import os
import time

from runner_lines import print_time, print_verdict

FLAG = None  # set in each worker by init()
REDIS_KEY = f"runner-python-flag-{os.getpid()}"


class Flag:
    """One shared byte: cleared by the caller, set by a finder, read by all."""

    def __init__(self, kind, manager=None):
        self.kind = kind
        if kind == "manager":
            self.value = manager.Value("b", 0)
        elif kind == "atomic":
            self.value = multiprocessing.RawValue("b", 0)
        elif kind == "mutex":
            self.value = multiprocessing.Value("b", 0)
        elif kind == "mmap":
            self.map = mmap.mmap(-1, 1)
        elif kind == "redis":
            self.url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
            self.key = REDIS_KEY
            self.connect()
        elif kind != "none":
            raise SystemExit(f"unknown flag {kind!r}")

    def connect(self):
        import redis

        self.redis = redis.Redis.from_url(self.url)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("redis", None)  # each worker connects on its own
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self.kind == "redis":
            self.connect()

    def get(self):
        if self.kind in ("manager", "atomic", "mutex"):
            return self.value.value == 1
        if self.kind == "mmap":
            return self.map[0] == 1
        if self.kind == "redis":
            return self.redis.get(self.key) == b"1"
        return False

    def put(self, on):
        byte = 1 if on else 0
        if self.kind in ("manager", "atomic", "mutex"):
            self.value.value = byte
        elif self.kind == "mmap":
            self.map[0] = byte
        elif self.kind == "redis":
            self.redis.set(self.key, byte)

    def close(self):
        if self.kind == "redis":
            self.redis.delete(self.key)


def init(flag):
    global FLAG
    FLAG = flag


def search(job):
    """The first odd divisor of n in [lo, hi), or None; looks at the flag
    every `every` candidates and gives up when it is set."""
    n, lo, hi, every, loop = job
    looks = FLAG is not None and FLAG.kind != "none"
    if loop == "blocked" and looks:
        step = 2 * every
        for block in range(lo, hi, step):
            for d in range(block, min(block + step, hi), 2):
                if n % d == 0:
                    FLAG.put(True)
                    return d
            if FLAG.get():
                return None
        return None
    countdown = every
    for d in range(lo, hi, 2):
        if n % d == 0:
            if looks:
                FLAG.put(True)
            return d
        if looks:
            countdown -= 1
            if countdown == 0:
                countdown = every
                if FLAG.get():
                    return None
    return None


def create_ranges(lo, hi, k):
    """The book's split: k ranges of [lo, hi), later starts bumped to odd."""
    step = (hi - lo) // k
    starts = [lo + i * step for i in range(k)]
    starts = [starts[0]] + [s if s % 2 else s + 1 for s in starts[1:]]
    return list(zip(starts, starts[1:] + [hi]))


def verify(n, pool, flag, workers, precheck, every, loop):
    if n < 2:
        return 1  # not prime; 1 stands for "no factor to show"
    if n % 2 == 0:
        return 2 if n > 2 else None
    flag.put(False)
    root = math.isqrt(n)
    lo = 3
    if precheck > 3:
        for d in range(3, min(precheck, root + 1), 2):
            if n % d == 0:
                return d
        lo = precheck if precheck % 2 else precheck + 1
    if lo > root:
        return None
    jobs = [(n, a, b, every, loop) for a, b in create_ranges(lo, root + 1, workers)]
    found = [d for d in pool.map(search, jobs, chunksize=1) if d is not None]
    return min(found) if found else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--precheck", type=int, default=21)
    parser.add_argument("--flag", default="none")
    parser.add_argument("--loop", default="counter")
    parser.add_argument("--check-every", type=int, default=1000)
    args = parser.parse_args()
    manager = multiprocessing.Manager() if args.flag == "manager" else None
    flag = Flag(args.flag, manager)
    with multiprocessing.Pool(args.workers, initializer=init, initargs=(flag,)) as pool:
        started = time.perf_counter()
        factor = verify(
            args.number, pool, flag, args.workers, args.precheck, args.check_every, args.loop
        )
        seconds = time.perf_counter() - started
    flag.close()
    if manager is not None:
        manager.shutdown()
    print_time(seconds)
    if factor == 1:
        print("runner-answer: not prime")
    else:
        print_verdict(factor)


if __name__ == "__main__":
    main()
