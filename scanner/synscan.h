/*
 * synscan.h - stateless SYN scan of (ip, port) pairs.
 *
 * Pairs are walked in the seeded cyclic-group order (permute.h), SYNs go
 * out through send.h at a paced rate, replies come back through recv.h (an
 * unprivileged capture child decodes them and checks them against the
 * per-scan secret, validate.h; the scanner checks its messages again). Every
 * pair gets exactly one verdict through the callback: open (SYN-ACK, with the
 * SYN-ACK's TCP traits), closed (RST) or filtered (ICMP unreachable, or
 * no answer after the retries and the cooldown).
 *
 * All probes leave through the route of the first target (netroute.h),
 * as in zmap and masscan, after every target's route was looked up: a
 * target set that routes to this machine, has no route or leaves by
 * several ways is refused (bph_route_plan_check). The answered set is a bitmap
 * over the global pair index (n_targets * n_ports bits, at most 1 GiB).
 */
#ifndef BPH_SCANNER_SYNSCAN_H
#define BPH_SCANNER_SYNSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fingerprints/record.h"
#include "scanner/sandbox.h"
#include "scanner/targets.h"

/*
 * Receives the scan's position about once a second while sending, once
 * when sending is over (pass = retries + 1, pos = 0) and once after an
 * interruption. Every probe of the pass's steps [0, pos) (see
 * bph_perm_pos) has been handed to the kernel. Called from the thread that
 * called bph_synscan_run, never at the same time as a verdict callback of
 * that thread; verdicts from the capture reader thread may run concurrently.
 * A non-zero return is ignored (a checkpoint is best effort).
 */
typedef int (*bph_synscan_checkpoint_cb)(void *ctx, int pass, uint64_t pos);

#define BPH_SYNSCAN_MAX_SENDERS	  8
#define BPH_SYNSCAN_THREADED_RATE 200000 /* pps from which 2 senders run */

struct bph_synscan_cfg {
	const struct bph_targets *targets; /* finalized; borrowed */
	const uint16_t *ports;		   /* borrowed */
	size_t n_ports;
	uint64_t rate;	/* packets per second; 0 = default 10000 */
	int retries;	/* extra passes over unanswered pairs; default 1 */
	int wait_ms;	/* cooldown after the last probe; default 2000 */
	bool wait_auto; /* adapt the cooldown (and the wait before a retry
			   pass) to the round trips measured so far:
			   clamp(BPH_SYNSCAN_RTT_FACTOR x the slowest echoed
			   SYN timestamp, BPH_SYNSCAN_MIN_WAIT_MS, wait_ms);
			   wait_ms when no reply echoed a timestamp */
	const char *iface, *source_ip, *gateway_mac; /* NULL = auto */
	uint64_t seed;
	bool seed_set;			   /* false: a random seed */
	uint32_t shard_index, shard_count; /* default 0/1 */
	bool quiet; /* no progress line (it is shown only on a terminal) */
	unsigned senders; /* sender threads, each with its own socket and
			     rate / senders; 0 = bph_synscan_senders(rate) */
	/* resume and interruption; all optional */
	int start_pass;	     /* resume: the pass to start in (0 .. retries+1) */
	uint64_t start_pos;  /* resume: steps of start_pass already sent; the
				scan starts a safety margin (1 s + the
				cooldown at the rate) earlier */
	bool stop_on_signal; /* SIGINT/SIGTERM stop sending (blocked and read
				through a signalfd during the scan) */
	bph_synscan_checkpoint_cb checkpoint;
	void *checkpoint_ctx;
	/* who the capture child runs as (recv.h); NULL: bph_identity_pick
	   with no --user (the sudo user, else nobody) */
	const struct bph_identity *capture_id;
};

/* The adaptive cooldown (wait_auto): like nmap's RTT-based timeouts, a
 * generous multiple of the slowest round trip seen, never below the floor. */
#define BPH_SYNSCAN_RTT_FACTOR	8
#define BPH_SYNSCAN_MIN_WAIT_MS 500

/* The adaptive cooldown for the slowest round trip seen (0: none). */
int bph_synscan_auto_wait_ms(uint32_t rtt_max_ms, int wait_ms);

/* Fills c with the defaults above and no targets or ports. */
void bph_synscan_cfg_default(struct bph_synscan_cfg *c);

/*
 * The default number of sender threads for a rate: 2 from
 * BPH_SYNSCAN_THREADED_RATE, else 1. A resumed scan must use the same
 * count (positions are per sender); it follows from the saved rate.
 */
unsigned bph_synscan_senders(uint64_t rate);

/*
 * Receives one verdict. svc is borrowed for the call: ip, port, state,
 * seen and (for open) tcp are filled, every pointer is NULL. Calls come
 * from the capture reader thread during the scan and from the calling thread
 * for the final filtered verdicts, never two at once.
 */
typedef bph_service_cb bph_synscan_cb;

struct bph_synscan_stats {
	uint64_t targets; /* pairs in this shard */
	uint64_t sent, replies, open, closed, filtered;
	uint64_t send_failed;	  /* frames the kernel refused */
	uint64_t pcap_dropped;	  /* capture drops (ps_drop + ps_ifdrop) */
	uint64_t capture_refused; /* capture child's messages refused */
	double seconds;		  /* whole scan, cooldown included */
	double pps;		  /* achieved send rate while sending */
	int signo;		  /* interrupted by this signal, else 0: no
				     filtered verdicts were given and the
				     final checkpoint says where to resume */
};

/*
 * The checks of cfg that need no network: targets and ports given, the
 * shard, at most 2^33 (address, port) pairs, no port 0. Returns 0 or
 * BPH_ERR_USAGE with a message in err. bph_synscan_run makes them too.
 */
int bph_synscan_check(const struct bph_synscan_cfg *cfg, char *err,
		      size_t errlen);

/*
 * Runs the scan. Needs CAP_NET_RAW. With stop_on_signal, SIGINT or SIGTERM
 * stops sending, the receiver drains for min(wait_ms, 1000) ms, the
 * position goes to the checkpoint callback and the call returns 0 with
 * stats->signo set; the signal is consumed. Returns 0, BPH_ERR_USAGE (bad
 * configuration, no route), BPH_ERR_PERM, BPH_ERR_IO or BPH_ERR_NOMEM
 * with a message in err. stats may be NULL.
 */
int bph_synscan_run(const struct bph_synscan_cfg *cfg, bph_synscan_cb cb,
		    void *ctx, struct bph_synscan_stats *stats, char *err,
		    size_t errlen);

#endif
