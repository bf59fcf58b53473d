/*
 * tcp_sig.h - TCP/IP stack traits of a SYN-ACK and its p0f v3 signature.
 *
 * Decodes the IPv4 + TCP headers once into bph_tcp_traits. The signature is
 * built as p0f 3.09b's dump_sig prints raw_sig for a SYN+ACK, so `p0f -r`
 * on a capture of the same packet gives the same string.
 */
#ifndef BPH_FINGERPRINTS_TCP_SIG_H
#define BPH_FINGERPRINTS_TCP_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "fingerprints/record.h"

/*
 * Fills t from an IPv4 packet (starting at the IP header) holding a TCP
 * segment. syn_mss is the MSS our SYN offered (used by p0f's window
 * multiplier search). Returns 0, BPH_ERR_TRUNCATED or BPH_ERR_FORMAT.
 */
int bph_tcp_traits_parse(const uint8_t *ip, size_t n, uint16_t syn_mss,
			 struct bph_tcp_traits *t);

/* Initial-TTL guess as nmap and p0f bucket it: 32, 64, 128 or 255. */
uint8_t bph_ittl_guess(uint8_t ttl);

#endif
