/*
 * netroute.h - where SYNs leave from: interface, source address, MACs.
 *
 * Auto-detection asks the kernel's routing table (netlink RTM_GETROUTE,
 * the same longest-prefix lookup as `ip route get`) for the first target:
 * output interface, gateway (or the target itself when on-link) and the
 * preferred source. The next hop's MAC comes from /proc/net/arp; when it
 * is missing, a connected UDP socket sends one empty datagram to the
 * target so the kernel resolves the neighbour, and the table is polled
 * for up to two seconds. Loopback interfaces need no MAC. Every value can
 * be overridden. Addresses are host byte order.
 */
#ifndef BPH_SCANNER_NETROUTE_H
#define BPH_SCANNER_NETROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

struct bph_netroute {
	char iface[IF_NAMESIZE];
	int ifindex;
	bool loopback;
	uint32_t source_ip;
	uint32_t next_hop; /* gateway, or the target when on-link */
	uint8_t src_mac[6];
	uint8_t dst_mac[6]; /* the next hop's MAC */
};

/*
 * Fills r for sending to target. iface, source_ip ("a.b.c.d") and
 * gateway_mac ("aa:bb:cc:dd:ee:ff") override detection when not NULL.
 * Returns 0, BPH_ERR_USAGE (bad override, no route) or BPH_ERR_IO, with
 * a message in err.
 */
int bph_netroute_detect(uint32_t target, const char *iface,
			const char *source_ip, const char *gateway_mac,
			struct bph_netroute *r, char *err, size_t errlen);

/* Parses "aa:bb:cc:dd:ee:ff" (hex, either case). Returns 0 or
 * BPH_ERR_USAGE. */
int bph_mac_parse(const char *s, uint8_t mac[6]);

#endif
