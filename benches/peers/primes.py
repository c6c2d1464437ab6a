"""The book's prime finder, for CPython and PyPy: the same candidates as
runner's kernels (odd divisors 3, 5, ... up to the integer square root).

Usage: python3 primes.py START END REPEATS
Prints: the prime count and the best time of REPEATS runs, in seconds.
"""
import math
import sys
import time


def check_prime(n):
    if n < 4:  # as runner does, so that 1 and 2 are classified correctly
        return n >= 2
    if n % 2 == 0:
        return False
    for i in range(3, math.isqrt(n) + 1, 2):
        if n % i == 0:
            return False
    return True


def main():
    start, end, repeats = (int(a) for a in sys.argv[1:4])
    best = math.inf
    for _ in range(repeats):
        began = time.perf_counter()
        count = sum(1 for n in range(start, end) if check_prime(n))
        best = min(best, time.perf_counter() - began)
    print(count, f"{best:.6f}")


if __name__ == "__main__":
    main()
