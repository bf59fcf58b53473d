/*
 * recv.h - capture thread for SYN scan replies (libpcap).
 *
 * Opens the interface in immediate mode with a 64 MiB buffer and a BPF
 * filter that passes only, addressed to our source IP, TCP segments with
 * SYN+ACK or RST set and ICMP destination-unreachable messages. A thread
 * hands each frame to the callback, which runs on that thread only.
 */
#ifndef BPH_SCANNER_RECV_H
#define BPH_SCANNER_RECV_H

#include <stddef.h>
#include <stdint.h>

#include "scanner/validate.h"

/* Called on the capture thread; frame is borrowed for the call only. */
typedef void (*bph_frame_cb)(void *ctx, const uint8_t *frame, size_t len,
			     enum bph_linktype link);

struct bph_receiver;

struct bph_recv_stats {
	uint64_t frames;  /* frames handed to the callback */
	uint64_t dropped; /* pcap ps_drop + ps_ifdrop */
};

/*
 * Opens iface and starts the thread. Returns 0 once the capture is live
 * (so probes sent afterwards are seen), or BPH_ERR_PERM / BPH_ERR_IO with
 * pcap's message in err.
 */
int bph_receiver_start(struct bph_receiver **out, const char *iface,
		       uint32_t our_ip, bph_frame_cb cb, void *ctx, char *err,
		       size_t errlen);

/* Stops and joins the thread, fills st (may be NULL), frees; NULL-safe. */
void bph_receiver_stop(struct bph_receiver *r, struct bph_recv_stats *st);

#endif
