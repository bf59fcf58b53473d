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
 *
 * bph_netroute_plan looks up every target range, not only the first
 * address: the ranges are cut where the routing tables' prefixes start
 * and end, and each piece is looked up once, so a scan refuses targets
 * that route to this machine or leave by another way than the first.
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

/* One way out that some of the targets take. */
struct bph_route_way {
	char iface[IF_NAMESIZE];
	uint32_t gateway;   /* 0: on-link */
	bool local;	    /* delivered to this machine (its own addresses,
			       loopback): never a target */
	uint64_t addresses; /* targets that take it */
	uint32_t first;	    /* the lowest of them */
};

#define BPH_ROUTE_WAYS_MAX 8

struct bph_route_plan {
	struct bph_route_way way[BPH_ROUTE_WAYS_MAX];
	size_t n;
	bool more;	   /* more ways than BPH_ROUTE_WAYS_MAX */
	uint64_t unrouted; /* targets with no unicast route */
	uint32_t first_unrouted;
	uint64_t local; /* targets delivered to this machine (also when the
			   table of ways is full) */
	uint32_t first_local;
};

struct bph_targets;

/*
 * Which way the kernel sends each target of t (finalized): the ranges are
 * cut at the boundaries of every route of every table (a netlink dump)
 * and each piece is looked up as `ip route get` does, policy rules
 * included. Fills *plan. Returns 0 or BPH_ERR_IO / BPH_ERR_NOMEM with a
 * message in err.
 */
int bph_netroute_plan(const struct bph_targets *t, struct bph_route_plan *plan,
		      char *err, size_t errlen);

/*
 * Whether a scan may follow plan: refused (BPH_ERR_USAGE, the reason
 * in err) when a target routes to this machine (a local address or a
 * loopback interface: SYNs would go out of lo, and the replies are
 * the host's own), when a target has no route, or when the targets leave
 * by more than one way (interface and gateway) and iface_given is false:
 * every SYN leaves by one way (bph_netroute_detect), so such a set is
 * scanned in parts, or with --iface and --gateway-mac chosen by the user.
 * Returns 0 when the scan may go.
 */
int bph_route_plan_check(const struct bph_route_plan *plan, bool iface_given,
			 char *err, size_t errlen);

/* Parses "aa:bb:cc:dd:ee:ff" (hex, either case). Returns 0 or
 * BPH_ERR_USAGE. */
int bph_mac_parse(const char *s, uint8_t mac[6]);

#endif
