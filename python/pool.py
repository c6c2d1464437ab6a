"""A pool of worker processes maps the prime test over a range (the
chapter's chunksize, number-of-chunks and job-order experiments).

The pool is created before the timer; only the map is timed, as the book
does. Prints ``runner-time:`` and ``runner-answer:`` (see runner_lines.py).

    python3 pool.py --start 100000000 --end 100100000 --workers 4 --chunksize 64
    python3 pool.py ... --nbr-chunks 8          # chunksize = int(len / 8)
    python3 pool.py ... --order shuffled --seed 42
"""

import argparse
import math
import multiprocessing
import random
import time

from runner_lines import check_prime, print_primes, print_time


def numbers_in_order(start, end, order, seed):
    numbers = list(range(start, end))
    if order == "shuffled":
        random.Random(seed).shuffle(numbers)
    elif order == "slowest_first":
        numbers.reverse()
    elif order not in ("given", "fastest_first"):
        raise SystemExit(f"unknown order {order!r}")
    return numbers


def chunksize_of(args, length):
    if args.nbr_chunks is not None:
        return max(1, length // args.nbr_chunks)
    if args.chunksize in (None, "default"):
        # Python's own rule, spelled out so the case says what it used.
        return max(1, math.ceil(length / (4 * args.workers)))
    return int(args.chunksize)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=int, required=True)
    parser.add_argument("--end", type=int, required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--chunksize", default="default")
    parser.add_argument("--nbr-chunks", type=int)
    parser.add_argument("--order", default="given")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    numbers = numbers_in_order(args.start, args.end, args.order, args.seed)
    chunksize = chunksize_of(args, len(numbers))
    with multiprocessing.Pool(processes=args.workers) as pool:
        started = time.perf_counter()
        verdicts = pool.map(check_prime, numbers, chunksize=chunksize)
        seconds = time.perf_counter() - started
    print_time(seconds)
    print_primes(n for n, prime in zip(numbers, verdicts) if prime)


if __name__ == "__main__":
    main()
