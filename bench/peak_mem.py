#!/usr/bin/env python3
"""Runs a command; prints its peak RSS and peak PSS in MiB ("rss pss").

Both are read from /proc/PID/smaps_rollup every 10 ms. RSS counts a page
once for every mapping of it: a SQLite file that each of a process's
connections maps shows once per connection. PSS counts such a page once
(and splits a page shared with other processes among them), so it is the
memory the command holds.

    python3 bench/peak_mem.py newsdesk export static DIR ...
"""
import subprocess
import sys
import time


def rollup(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0] in ("Rss:", "Pss:"):
                    out[parts[0][:-1]] = int(parts[1])
    except OSError:
        pass
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
    rss = pss = 0
    while proc.poll() is None:
        now = rollup(proc.pid)
        rss = max(rss, now.get("Rss", 0))
        pss = max(pss, now.get("Pss", 0))
        time.sleep(0.01)
    if proc.returncode:
        sys.exit(f"failed ({proc.returncode}): {' '.join(sys.argv[1:])}")
    if not rss:
        sys.exit("no /proc/PID/smaps_rollup sample (Linux 4.14 or later, a run over 10 ms)")
    print(rss // 1024, pss // 1024)


if __name__ == "__main__":
    main()
