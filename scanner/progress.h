/*
 * progress.h - rate arithmetic of the SYN scan, free of clocks so that it
 * can be tested without timing: the pacer's schedule, --bandwidth to
 * packets per second, and the live progress line.
 */
#ifndef BPH_SCANNER_PROGRESS_H
#define BPH_SCANNER_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Absolute-schedule token bucket: probe k is due at t0 + k * 1e9 / rate
 * (ns), so rounding never accumulates. A sender that falls more than
 * max_behind_ns behind drops the backlog instead of bursting to catch up.
 */
struct bph_pacer {
	uint64_t rate; /* packets per second, > 0 */
	int64_t t0;    /* ns, schedule origin */
	uint64_t k;    /* probes released so far */
	int64_t max_behind_ns;
};

/* Starts a schedule at t0_ns; rate 0 is taken as 1. */
void bph_pacer_init(struct bph_pacer *p, uint64_t rate, int64_t t0_ns,
		    int64_t max_behind_ns);

/*
 * When the next probe may leave, given the time now: a value <= now means
 * at once. If the schedule is more than max_behind_ns late it is moved
 * forward first (the return value is then now).
 */
int64_t bph_pacer_due(struct bph_pacer *p, int64_t now_ns);

/* Records that the next probe left. */
void bph_pacer_take(struct bph_pacer *p);

/*
 * --bandwidth: bits per second with an optional K, M or G suffix (powers
 * of 1000, as ZMap), converted to packets per second the way ZMap does:
 * pps = bps / ((frame_len + 24) * 8), the 24 bytes being preamble, start
 * delimiter, FCS and inter-frame gap. Returns 0 and *pps >= 1, or
 * BPH_ERR_USAGE for a malformed or zero value (or a rate below 1 pps).
 */
int bph_bandwidth_to_pps(const char *s, unsigned frame_len, uint64_t *pps);

/* One sample of a running scan for the progress line. */
struct bph_progress {
	uint64_t total;	  /* pairs in this pass (estimate) */
	uint64_t done;	  /* pairs of this pass walked so far (estimate) */
	uint64_t sent;	  /* probes sent so far, all passes */
	uint64_t replies; /* validated replies so far */
	uint64_t prev_sent;
	int64_t prev_ns, now_ns; /* times of the previous and this sample */
	int pass;
};

/*
 * Formats the progress line into buf (no newline): percentage, probes sent,
 * the current rate over the last interval, replies, hit rate
 * (replies / sent) and the ETA of this pass at the current rate
 * ((total - done) / rate).
 */
void bph_progress_format(const struct bph_progress *p, char *buf, size_t len);

#endif
