#!/usr/bin/python3
"""Sample one interface counter from sysfs until SIGTERM/SIGINT.

    sample_counter.py IFACE OUTFILE [INTERVAL_S] [STAT ...]

Run it inside the namespace that owns IFACE (ip netns exec remounts /sys).
Writes one line per sample: "<unix time> <stat1> <stat2> ...".  The first
stat (default rx_packets) is the one bench/lib/analyze.py uses for the rate.
"""
import os
import signal
import sys
import time

iface, outfile = sys.argv[1], sys.argv[2]
interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.002
stats = sys.argv[4:] or ["rx_packets", "rx_dropped"]
fds = [os.open(f"/sys/class/net/{iface}/statistics/{s}", os.O_RDONLY) for s in stats]
running = True


def stop(signum, frame):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
lines = []
while running:
    t = time.time()
    vals = [os.pread(fd, 32, 0).strip().decode() for fd in fds]
    lines.append(f"{t:.6f} {' '.join(vals)}\n")
    time.sleep(interval)
# one last sample after the stop request
t = time.time()
vals = [os.pread(fd, 32, 0).strip().decode() for fd in fds]
lines.append(f"{t:.6f} {' '.join(vals)}\n")
with open(outfile, "w") as f:
    f.writelines(lines)
