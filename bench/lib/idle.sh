# idle.sh - sourced by the benchmarks: wait for an idle machine before a run.
# Needs IDLE_PCT and IDLE_WAIT_S set by the caller.

# Prints the percentage of CPU time idle over the next second (/proc/stat).
idle_pct() {
    local a b
    a=($(head -n1 /proc/stat)); sleep 1; b=($(head -n1 /proc/stat))
    awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
        n = split(a, x, " "); split(b, y, " "); tot = 0
        for (i = 2; i <= n; i++) tot += y[i] - x[i]
        idle = (y[5] - x[5]) + (y[6] - x[6])
        printf "%.0f\n", (tot > 0 ? 100 * idle / tot : 100) }'
}

# Waits (at most IDLE_WAIT_S) until the CPUs were at least IDLE_PCT % idle
# over one second, so a run does not start in the middle of someone's
# build. Prints the idle percentage of the last second measured.
wait_idle() {
    local deadline=$((SECONDS + IDLE_WAIT_S)) p
    while :; do
        p=$(idle_pct)
        if (( p >= IDLE_PCT || SECONDS >= deadline )); then echo "$p"; return 0; fi
    done
}
