"""What every program here shares: the book's prime test, and the two lines
runner reads from a program's output.

    runner-time: SECONDS        the program's own time of its measured section
    runner-answer: ...          its answer, for runner's oracle to check

For the primes of a range the answer is ``COUNT CHECKSUM``: the count, and an
order-free checksum (the wrapping 64-bit sum of SplitMix64's finaliser of
each prime, in 16 hex digits), the same runner computes. For one number it
is ``prime`` or ``not prime FACTOR``.
"""

import math

MASK = (1 << 64) - 1


def check_prime(n):
    """The book's test: even -> not prime; else try the odd divisors up to isqrt(n)."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    for d in range(3, math.isqrt(n) + 1, 2):
        if n % d == 0:
            return False
    return True


def mix(x):
    """SplitMix64's finaliser, as runner's checksum uses it."""
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def checksum(primes):
    """The order-free checksum of some primes."""
    total = 0
    for p in primes:
        total = (total + mix(p)) & MASK
    return total


def print_time(seconds):
    print(f"runner-time: {seconds:.9f}", flush=True)


def print_primes(primes):
    primes = list(primes)
    print(f"runner-answer: {len(primes)} {checksum(primes):016x}", flush=True)


def print_verdict(factor):
    """``factor`` is None for a prime."""
    if factor is None:
        print("runner-answer: prime", flush=True)
    else:
        print(f"runner-answer: not prime {factor}", flush=True)
