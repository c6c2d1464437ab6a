"""Workers pull single numbers from a shared queue and put the primes on a
result queue; one poison pill per worker ends the work, and each worker
answers its pill with a "finished" flag (the chapter's queue experiment).

The workers start before the timer; the time runs from the first number
enqueued to the last flag read. ``--queue manager`` uses a Manager's
queues (proxies to a server process) instead of multiprocessing.Queue.
``--enqueue odd`` puts only the odd numbers on the queue (2, the one even
prime, is counted by the caller when the range holds it). ``--feeder``
enqueues from a separate thread while the main thread already collects
(the chapter's asynchronous feeder).

    python3 work_queue.py --start 100000000 --end 100010000 --workers 2 --queue mp --enqueue odd
"""

import argparse
import multiprocessing
import threading
import time

from runner_lines import check_prime, print_primes, print_time

PILL = -1
FINISHED = -2


def worker(jobs, results):
    while True:
        n = jobs.get()
        if n == PILL:
            results.put(FINISHED)
            return
        if check_prime(n):
            results.put(n)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=int, required=True)
    parser.add_argument("--end", type=int, required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--queue", choices=["mp", "manager"], default="mp")
    parser.add_argument("--enqueue", choices=["all", "odd"], default="all")
    parser.add_argument("--feeder", nargs="?", const="yes", default="no", choices=["yes", "no"])
    args = parser.parse_args()

    manager = None
    if args.queue == "manager":
        manager = multiprocessing.Manager()
        jobs, results = manager.Queue(), manager.Queue()
    else:
        jobs, results = multiprocessing.Queue(), multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=worker, args=(jobs, results))
        for _ in range(args.workers)
    ]
    for p in processes:
        p.start()

    if args.enqueue == "odd":
        numbers = range(args.start | 1, args.end, 2)
    else:
        numbers = range(args.start, args.end)

    def feed():
        for n in numbers:
            jobs.put(n)
        for _ in processes:
            jobs.put(PILL)

    started = time.perf_counter()
    feeder = None
    if args.feeder == "yes":
        feeder = threading.Thread(target=feed)
        feeder.start()
    else:
        feed()
    primes = []
    finished = 0
    while finished < len(processes):
        n = results.get()
        if n == FINISHED:
            finished += 1
        else:
            primes.append(n)
    seconds = time.perf_counter() - started
    if feeder is not None:
        feeder.join()
    for p in processes:
        p.join()
    if manager is not None:
        manager.shutdown()
    if args.enqueue == "odd" and args.start <= 2 < args.end:
        primes.append(2)
    print_time(seconds)
    print_primes(primes)


if __name__ == "__main__":
    main()
