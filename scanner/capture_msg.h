/*
 * capture_msg.h - the messages the capture child (recv.h) sends to the
 * scanner over their socket pair, and the scanner's check of them.
 *
 * The child decodes and validates captured frames without privilege; the
 * scanner, which keeps root, reads its messages as untrusted input: each
 * type has one fixed size, every field is bounded, and a reply must name
 * an address of the target set and a scanned port. The design is in
 * docs/architecture.md ("Privileges").
 */
#ifndef BPH_SCANNER_CAPTURE_MSG_H
#define BPH_SCANNER_CAPTURE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "fingerprints/record.h"
#include "scanner/targets.h"
#include "scanner/validate.h"

/* Message types (the first byte) and their sizes on the wire. */
#define BPH_CAP_HELLO 'H' /* capture live (rc 0) or failed (rc, err) */
#define BPH_CAP_OPEN  'O' /* a SYN-ACK, with its TCP traits */
#define BPH_CAP_SHORT 'S' /* a RST or an ICMP unreachable */
#define BPH_CAP_STATS 'T' /* the last message: frames and drops */

#define BPH_CAP_HELLO_SIZE 208
#define BPH_CAP_OPEN_SIZE  412
#define BPH_CAP_SHORT_SIZE 12
#define BPH_CAP_STATS_SIZE 24
#define BPH_CAP_MSG_MAX	   BPH_CAP_OPEN_SIZE

#define BPH_CAP_ERR_MAX 200 /* HELLO's message, NUL included */

/* What a reply may name: the scan's targets and ports. */
struct bph_cap_scope {
	const struct bph_targets *targets; /* finalized */
	const uint32_t *port_slot; /* 65536 entries; 0: port not scanned */
};

/* One decoded message; the fields of its type are set. */
struct bph_cap_msg {
	char type;
	enum bph_reply kind; /* OPEN: SYNACK; SHORT: RST or UNREACH */
	uint32_t ip;	     /* OPEN, SHORT */
	uint16_t port;
	struct bph_tcp_traits tcp; /* OPEN */
	int32_t rc;		   /* HELLO: 0 or a BPH_ERR_* */
	char err[BPH_CAP_ERR_MAX]; /* HELLO: why, when rc != 0 */
	uint64_t frames, dropped;  /* STATS */
};

/*
 * Writes m (type, and its type's fields) at buf, which has room for cap
 * bytes. Returns the bytes written, or 0 for an unknown type or too little
 * room. Used by the capture child.
 */
size_t bph_cap_encode(const struct bph_cap_msg *m, uint8_t *buf, size_t cap);

/*
 * Decodes the message at the start of buf[0..len) into *m and checks it:
 * strings terminated and printable, flags and TTLs in range, a reply's
 * kind fitting its type, its address in sc->targets and its port in
 * sc->port_slot. Returns 0 (*used = its size); BPH_ERR_TRUNCATED when len
 * is shorter than the type's size (*used = 0: read more); BPH_ERR_FORMAT
 * for an unknown type (*used = 0: the stream is broken); BPH_ERR_REFUSED
 * for a whole message that fails a check (*used = its size: skip it).
 */
int bph_cap_decode(const uint8_t *buf, size_t len,
		   const struct bph_cap_scope *sc, struct bph_cap_msg *m,
		   size_t *used);

#endif
