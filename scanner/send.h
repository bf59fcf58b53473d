/*
 * send.h - raw SYN sender: one prepared Ethernet+IPv4+TCP template (built
 * once with libnet, the project's packet builder), patched per probe, sent
 * in sendmmsg() batches on an AF_PACKET socket with PACKET_QDISC_BYPASS.
 *
 * The SYN carries Linux's option layout (MSS 1460, SACK permitted,
 * timestamps, NOP, window scale 7) so that SYN-ACKs show the server's
 * full option set.
 */
#ifndef BPH_SCANNER_SEND_H
#define BPH_SCANNER_SEND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "scanner/netroute.h"
#include "scanner/validate.h"

#define BPH_SYN_FRAME_LEN 74 /* 14 Ethernet + 20 IPv4 + 40 TCP */
#define BPH_SYN_MSS	  1460
#define BPH_SEND_BATCH	  64

/*
 * Writes the invariant bytes of the SYN frame for route r, built with
 * libnet (no socket: LIBNET_NONE); the fields bph_syn_patch fills and both
 * checksums are 0. Returns 0, or BPH_ERR_NOMEM / BPH_ERR_IO with libnet's
 * message in err (errlen may be 0).
 */
int bph_syn_template(uint8_t frame[BPH_SYN_FRAME_LEN],
		     const struct bph_netroute *r, char *err, size_t errlen);

/* Patches destination, ports, sequence, IP ID and timestamp into a copy of
 * the template and recomputes both checksums. */
void bph_syn_patch(uint8_t frame[BPH_SYN_FRAME_LEN], uint32_t daddr,
		   uint16_t dport, const struct bph_probe_id *id,
		   uint32_t tsval);

struct bph_sender;

/* Opens and binds the AF_PACKET socket on r->ifindex. Returns 0,
 * BPH_ERR_PERM (no CAP_NET_RAW), BPH_ERR_IO or BPH_ERR_NOMEM. */
int bph_sender_open(struct bph_sender **out, const struct bph_netroute *r,
		    char *err, size_t errlen);

/* Sets the origin of the millisecond clock the SYNs' TSval counts from
 * (default: when the sender was opened). Senders of one scan share it so
 * that an echoed TSval gives the round trip. */
void bph_sender_set_clock(struct bph_sender *s, const struct timespec *origin);

/* Closes the socket and frees; NULL is a no-op. */
void bph_sender_close(struct bph_sender *s);

/* Queues one SYN; sends the batch when it is full. Returns 0 or
 * BPH_ERR_IO. */
int bph_sender_queue(struct bph_sender *s, uint32_t daddr, uint16_t dport,
		     const struct bph_probe_id *id);

/* Sends whatever is queued, retrying partial sends and ENOBUFS briefly;
 * frames still refused are counted as failed. Returns BPH_ERR_IO only if
 * a non-empty batch could not be sent at all, else 0. */
int bph_sender_flush(struct bph_sender *s);

/* Frames handed to the kernel so far, and frames that failed. */
uint64_t bph_sender_sent(const struct bph_sender *s);
uint64_t bph_sender_failed(const struct bph_sender *s);

/* Frames currently queued (0 .. BPH_SEND_BATCH-1 between calls). */
unsigned bph_sender_pending(const struct bph_sender *s);

#endif
