/*
 * validate.h - stateless probe validation and the one-pass frame decoder.
 *
 * Every SYN carries values derived from a per-scan 128-bit secret with
 * SipHash-2-4 over (saddr, daddr, dport): the TCP source port, the sequence
 * number and the IP ID. A reply is ours iff the target echoes them: a
 * SYN-ACK acknowledges seq + 1 to our source port, a RST acknowledges seq
 * or seq + 1, and an ICMP unreachable quotes our header. No per-probe
 * state is kept.
 */
#ifndef BPH_SCANNER_VALIDATE_H
#define BPH_SCANNER_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPH_SPORT_FIRST 32768u
#define BPH_SPORT_COUNT 28232u /* 32768 .. 60999, Linux ephemeral range */

/* SipHash-2-4 of data under a 16-byte key (reference byte order). */
uint64_t bph_siphash24(const uint8_t key[16], const void *data, size_t len);

struct bph_validate {
	uint8_t key[16];
};

/* Draws a fresh secret from getrandom(). Returns 0 or BPH_ERR_IO. */
int bph_validate_init(struct bph_validate *v);

/* Wipes the secret; NULL is a no-op. */
void bph_validate_wipe(struct bph_validate *v);

/* The header values one probe carries (host byte order). */
struct bph_probe_id {
	uint16_t sport;
	uint32_t seq;
	uint16_t ipid;
};

/* Derives the probe values of (saddr -> daddr:dport). */
void bph_validate_gen(const struct bph_validate *v, uint32_t saddr,
		      uint32_t daddr, uint16_t dport, struct bph_probe_id *id);

enum bph_linktype {
	BPH_LINK_ETHERNET, /* DLT_EN10MB, optionally one 802.1Q tag */
	BPH_LINK_RAW,	   /* DLT_RAW: starts at the IP header */
};

#define BPH_TCP_FIN 0x01
#define BPH_TCP_SYN 0x02
#define BPH_TCP_RST 0x04
#define BPH_TCP_ACK 0x10

/*
 * One received IPv4 frame, decoded once. ip/ip_len borrow the frame and
 * cover the IP packet up to its total length (capped at what was
 * captured); tcp_sig.h reads them for the SYN-ACK traits.
 */
struct bph_frame {
	const uint8_t *ip;
	size_t ip_len;
	uint32_t saddr, daddr;
	uint8_t proto; /* 6 TCP, 1 ICMP */
	/* TCP */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	/* ICMP destination unreachable, with the quoted TCP header */
	uint8_t icmp_type, icmp_code;
	uint32_t in_saddr, in_daddr;
	uint16_t in_sport, in_dport;
	uint32_t in_seq;
};

/*
 * Decodes an Ethernet or raw IPv4 frame holding TCP, or ICMP type 3 that
 * quotes IPv4 + at least 8 TCP bytes. Returns 0, BPH_ERR_TRUNCATED or
 * BPH_ERR_FORMAT (not IPv4, fragment, other protocol, bad header length).
 */
int bph_frame_decode(const uint8_t *frame, size_t len, enum bph_linktype link,
		     struct bph_frame *f);

enum bph_reply {
	BPH_REPLY_NONE = 0, /* not a reply to one of our probes */
	BPH_REPLY_SYNACK,
	BPH_REPLY_RST,
	BPH_REPLY_UNREACH,
};

/*
 * Checks a decoded frame against the secret for our source address
 * our_ip. On a match writes the target (*ip, *port) and returns the kind.
 */
enum bph_reply bph_validate_frame(const struct bph_validate *v, uint32_t our_ip,
				  const struct bph_frame *f, uint32_t *ip,
				  uint16_t *port);

#endif
