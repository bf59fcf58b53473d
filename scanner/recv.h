/*
 * recv.h - the capture of SYN scan replies, in an unprivileged child.
 *
 * A child process is forked; as root it opens the interface with libpcap
 * (immediate mode, a 64 MiB buffer, a BPF filter that passes only,
 * addressed to our source IP, TCP segments with SYN+ACK or RST set and
 * ICMP destination-unreachable messages), then keeps only the capture and
 * its socket to the scanner, gives up every privilege (sandbox.h:
 * bph_privs_drop, BPH_SANDBOX_CAPTURE) and only then reads frames: it
 * decodes and validates them against the scan's secret (validate.h), reads
 * a SYN-ACK's TCP traits (fingerprints/tcp_sig.h) and sends each reply as
 * a fixed-size message (capture_msg.h). A thread of the scanner reads them
 * as untrusted input and hands each accepted one to the callback.
 */
#ifndef BPH_SCANNER_RECV_H
#define BPH_SCANNER_RECV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scanner/capture_msg.h"
#include "scanner/sandbox.h"
#include "scanner/validate.h"

/* Called on the reader thread with an accepted OPEN or SHORT message;
 * m is borrowed for the call only. */
typedef void (*bph_reply_cb)(void *ctx, const struct bph_cap_msg *m);

struct bph_recv_cfg {
	const char *iface;
	uint32_t our_ip;
	const struct bph_validate *key; /* the child gets a copy at fork */
	uint16_t syn_mss;		/* the MSS our SYNs offer */
	const struct bph_identity *id;	/* NULL: bph_identity_pick(NULL) */
	struct bph_cap_scope scope;	/* borrowed until the stop */
};

struct bph_receiver;

struct bph_recv_stats {
	uint64_t frames;  /* frames the child captured */
	uint64_t dropped; /* pcap ps_drop + ps_ifdrop */
	uint64_t refused; /* messages that failed bph_cap_decode's checks */
};

/*
 * Forks the capture child (call it while the process has one thread) and
 * starts the reader thread. Returns 0 once the capture is live and the
 * child confined (so probes sent afterwards are seen), or BPH_ERR_PERM /
 * BPH_ERR_IO with pcap's or the drop's message in err.
 */
int bph_receiver_start(struct bph_receiver **out,
		       const struct bph_recv_cfg *cfg, bph_reply_cb cb,
		       void *ctx, char *err, size_t errlen);

/* The capture child's process id (for tests and messages). */
pid_t bph_receiver_pid(const struct bph_receiver *r);

/*
 * Tells the child to stop, lets it hand over what it captured, joins the
 * thread, reaps the child, fills st (may be NULL) and frees; NULL-safe.
 * Returns 0, or BPH_ERR_IO with a message in err when the child died
 * (killed by a signal, exited early) or sent a broken stream: replies may
 * then be missing.
 */
int bph_receiver_stop(struct bph_receiver *r, struct bph_recv_stats *st,
		      char *err, size_t errlen);

#endif
