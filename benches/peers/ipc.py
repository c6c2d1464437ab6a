"""What crossing a process boundary costs in CPython, measured the way
runner's processes backend is measured, for the comparison in
benches/ipc.sh.

- task round trip: one tiny task to a multiprocessing.Pool worker and its
  result back (pool.apply), the median of many;
- queued item: numbers put one by one on a multiprocessing.Queue that two
  worker processes drain (with a poison pill each), per item;
- the same through a Manager().Queue();
- one Manager.Value read from a worker process's proxy.

Usage: python3 ipc.py ITEMS
Prints one line per figure: NAME SECONDS
"""
import multiprocessing as mp
import statistics
import sys
import time


def noop(x):
    return x


def drain(queue, done):
    while True:
        item = queue.get()
        if item is None:
            done.put(True)
            return


def queued_item_seconds(queue, done, items, workers=2):
    procs = [mp.Process(target=drain, args=(queue, done)) for _ in range(workers)]
    for p in procs:
        p.start()
    began = time.perf_counter()
    for n in range(items):
        queue.put(n)
    for _ in procs:
        queue.put(None)
    for _ in procs:
        done.get()
    elapsed = time.perf_counter() - began
    for p in procs:
        p.join()
    return elapsed / items


def value_reads(value, reads, out):
    began = time.perf_counter()
    for _ in range(reads):
        value.value
    out.put((time.perf_counter() - began) / reads)


def main():
    items = int(sys.argv[1])
    with mp.Pool(2) as pool:
        pool.apply(noop, (0,))  # warm up
        trips = []
        for i in range(2000):
            began = time.perf_counter()
            pool.apply(noop, (i,))
            trips.append(time.perf_counter() - began)
    print("task_round_trip", f"{statistics.median(trips):.9f}")
    print("queue_item", f"{queued_item_seconds(mp.Queue(), mp.Queue(), items):.9f}")
    with mp.Manager() as manager:
        managed = queued_item_seconds(manager.Queue(), manager.Queue(), max(items // 10, 1000))
        print("manager_queue_item", f"{managed:.9f}")
        value = manager.Value("b", 0)
        out = mp.Queue()
        p = mp.Process(target=value_reads, args=(value, 20000, out))
        p.start()
        look = out.get()
        p.join()
        print("manager_value_read", f"{look:.9f}")


if __name__ == "__main__":
    main()
