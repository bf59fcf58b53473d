/*
 * netroute.c - the SYNs' way out: the netlink route lookup, the
 * interface's addresses and the next hop's MAC from the neighbour table.
 * Contract and design in netroute.h.
 */
#include "scanner/netroute.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "scanner/targets.h"

int bph_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &tail) != 6 ||
	    strlen(s) != 17)
		return BPH_ERR_USAGE;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

struct route_answer {
	int oif;
	uint32_t gateway, prefsrc; /* host order, 0 if absent */
	unsigned char type;	   /* RTN_UNICAST, RTN_LOCAL, ... */
};

/* Parses one RTM_NEWROUTE answer; attributes are walked with RTA_OK. */
static void parse_route(struct nlmsghdr *h, struct route_answer *a)
{
	struct rtmsg *rtm = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rtm));
	uint32_t v;

	a->type = rtm->rtm_type;
	for (struct rtattr *at = RTM_RTA(rtm); len > 0 && RTA_OK(at, len);
	     at = RTA_NEXT(at, len)) {
		if (at->rta_type == RTA_OIF && RTA_PAYLOAD(at) >= 4) {
			memcpy(&a->oif, RTA_DATA(at), 4);
		} else if ((at->rta_type == RTA_GATEWAY ||
			    at->rta_type == RTA_PREFSRC) &&
			   RTA_PAYLOAD(at) >= 4) {
			memcpy(&v, RTA_DATA(at), 4);
			if (at->rta_type == RTA_GATEWAY)
				a->gateway = ntohl(v);
			else
				a->prefsrc = ntohl(v);
		}
	}
}

/* `ip route get target` over the netlink socket fd. */
static int route_get_fd(int fd, uint32_t target, struct route_answer *a,
			char *err, size_t errlen)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
		char attrs[64];
	} req = {0};
	union {
		char buf[8192];
		struct nlmsghdr align;
	} resp;
	struct rtattr *rta;
	uint32_t dst = htonl(target);
	ssize_t n;

	memset(a, 0, sizeof(*a));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.r));
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.r.rtm_family = AF_INET;
	req.r.rtm_dst_len = 32;
	rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.h.nlmsg_len));
	rta->rta_type = RTA_DST;
	rta->rta_len = RTA_LENGTH(4);
	memcpy(RTA_DATA(rta), &dst, 4);
	req.h.nlmsg_len = NLMSG_ALIGN(req.h.nlmsg_len) + RTA_LENGTH(4);
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
		snprintf(err, errlen, "netlink send: %s", strerror(errno));
		return BPH_ERR_IO;
	}
	n = recv(fd, resp.buf, sizeof(resp.buf), 0);
	if (n < 0) {
		snprintf(err, errlen, "netlink recv: %s", strerror(errno));
		return BPH_ERR_IO;
	}
	snprintf(err, errlen, "no route to the first target");
	for (struct nlmsghdr *h = &resp.align; NLMSG_OK(h, (unsigned)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == RTM_NEWROUTE) {
			parse_route(h, a);
			if (a->oif <= 0)
				return BPH_ERR_USAGE;
			if (errlen) /* no stale message for a later failure */
				err[0] = '\0';
			return 0;
		}
		if (h->nlmsg_type == NLMSG_ERROR)
			break;
	}
	return BPH_ERR_USAGE;
}

static int netlink_open(char *err, size_t errlen)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
	return fd;
}

/* `ip route get target` over netlink. */
static int route_get(uint32_t target, struct route_answer *a, char *err,
		     size_t errlen)
{
	int fd = netlink_open(err, errlen), rc;

	if (fd < 0)
		return BPH_ERR_IO;
	rc = route_get_fd(fd, target, a, err, errlen);
	close(fd);
	return rc;
}

/* Link-layer facts of the interface: MAC and loopback flag. */
static int iface_info(struct bph_netroute *r, char *err, size_t errlen)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return BPH_ERR_IO;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", r->iface);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "%s: %s", r->iface, strerror(errno));
		rc = BPH_ERR_USAGE;
		goto out;
	}
	r->loopback = (ifr.ifr_flags & IFF_LOOPBACK) != 0;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		snprintf(err, errlen, "%s: %s", r->iface, strerror(errno));
		rc = BPH_ERR_IO;
		goto out;
	}
	memcpy(r->src_mac, ifr.ifr_hwaddr.sa_data, 6);
out:
	close(fd);
	return rc;
}

/* First IPv4 address configured on the interface. */
static int iface_addr(const char *iface, uint32_t *ip)
{
	struct ifaddrs *ifa, *p;
	int rc = BPH_ERR_USAGE;

	if (getifaddrs(&ifa) < 0)
		return BPH_ERR_IO;
	for (p = ifa; p; p = p->ifa_next) {
		if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET &&
		    strcmp(p->ifa_name, iface) == 0) {
			struct sockaddr_in *sin = (void *)p->ifa_addr;
			*ip = ntohl(sin->sin_addr.s_addr);
			rc = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	return rc;
}

/* Looks the next hop up in /proc/net/arp (complete entries only). */
static bool arp_lookup(const struct bph_netroute *r, uint8_t mac[6])
{
	char line[256], ip[64], hw[64], dev[64];
	unsigned type, flags;
	bool found = false;
	FILE *f = fopen("/proc/net/arp", "r");
	struct in_addr want = {htonl(r->next_hop)};
	char want_s[INET_ADDRSTRLEN];

	if (!f)
		return false;
	inet_ntop(AF_INET, &want, want_s, sizeof(want_s));
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s 0x%x 0x%x %63s %*s %63s", ip, &type,
			   &flags, hw, dev) != 5)
			continue;
		if (strcmp(ip, want_s) == 0 && strcmp(dev, r->iface) == 0 &&
		    (flags & 0x2) && bph_mac_parse(hw, mac) == 0)
			found = true;
	}
	fclose(f);
	return found;
}

/* Makes the kernel resolve the next hop: one empty UDP datagram to the
 * target (discard port) through the scan interface. */
static void arp_trigger(const struct bph_netroute *r, uint32_t target)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(9),
				  .sin_addr = {htonl(target)}};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, r->iface,
		   (socklen_t)strlen(r->iface));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		(void)send(fd, "", 0, 0);
	close(fd);
}

static int resolve_mac(struct bph_netroute *r, uint32_t target, char *err,
		       size_t errlen)
{
	const struct timespec step = {0, 50 * 1000 * 1000};

	if (r->loopback) {
		memset(r->dst_mac, 0, 6);
		return 0;
	}
	for (int i = 0; i < 40; i++) {
		if (arp_lookup(r, r->dst_mac))
			return 0;
		if (i == 0)
			arp_trigger(r, target);
		nanosleep(&step, NULL);
	}
	snprintf(err, errlen,
		 "%s: no ARP entry for the next hop; give --gateway-mac",
		 r->iface);
	return BPH_ERR_IO;
}

static int apply_overrides(struct bph_netroute *r, const char *iface,
			   const char *source_ip, char *err, size_t errlen)
{
	struct in_addr a;

	if (iface) {
		if (strlen(iface) >= sizeof(r->iface) ||
		    !(r->ifindex = (int)if_nametoindex(iface))) {
			snprintf(err, errlen, "unknown interface '%s'", iface);
			return BPH_ERR_USAGE;
		}
		snprintf(r->iface, sizeof(r->iface), "%s", iface);
	}
	if (source_ip) {
		if (inet_pton(AF_INET, source_ip, &a) != 1) {
			snprintf(err, errlen, "bad source IP '%s'", source_ip);
			return BPH_ERR_USAGE;
		}
		r->source_ip = ntohl(a.s_addr);
	}
	return 0;
}

int bph_netroute_detect(uint32_t target, const char *iface,
			const char *source_ip, const char *gateway_mac,
			struct bph_netroute *r, char *err, size_t errlen)
{
	struct route_answer a = {0};
	int rc;

	memset(r, 0, sizeof(*r));
	rc = route_get(target, &a, err, errlen);
	if (rc)
		return rc;
	r->ifindex = a.oif;
	if (!if_indextoname((unsigned)a.oif, r->iface)) {
		snprintf(err, errlen, "interface %d: %s", a.oif,
			 strerror(errno));
		return BPH_ERR_IO;
	}
	r->source_ip = a.prefsrc;
	r->next_hop = a.gateway ? a.gateway : target;
	rc = apply_overrides(r, iface, source_ip, err, errlen);
	if (rc)
		return rc;
	if (!r->source_ip && iface_addr(r->iface, &r->source_ip)) {
		snprintf(err, errlen, "%s has no IPv4 address", r->iface);
		return BPH_ERR_USAGE;
	}
	rc = iface_info(r, err, errlen);
	if (rc)
		return rc;
	if (gateway_mac) {
		if (bph_mac_parse(gateway_mac, r->dst_mac)) {
			snprintf(err, errlen, "bad gateway MAC '%s'",
				 gateway_mac);
			return BPH_ERR_USAGE;
		}
		return 0;
	}
	return resolve_mac(r, target, err, errlen);
}

/* ---- the plan: every target's way out ------------------------------ */

struct bounds {
	uint64_t *v; /* where some route's prefix starts or ends + 1 */
	size_t n, cap;
};

static int bounds_add(struct bounds *b, uint64_t x)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 256;
		uint64_t *nv = realloc(b->v, cap * sizeof(*nv));
		if (!nv)
			return BPH_ERR_NOMEM;
		b->v = nv;
		b->cap = cap;
	}
	b->v[b->n++] = x;
	return 0;
}

/* One dumped route: its prefix's two ends. */
static int route_bounds(struct nlmsghdr *h, struct bounds *b)
{
	struct rtmsg *rtm = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rtm));
	uint32_t dst = 0, v;
	uint64_t size;

	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len > 32)
		return 0;
	for (struct rtattr *at = RTM_RTA(rtm); len > 0 && RTA_OK(at, len);
	     at = RTA_NEXT(at, len))
		if (at->rta_type == RTA_DST && RTA_PAYLOAD(at) >= 4) {
			memcpy(&v, RTA_DATA(at), 4);
			dst = ntohl(v);
		}
	size = 1ULL << (32 - rtm->rtm_dst_len);
	dst &= (uint32_t) ~(size - 1);
	return bounds_add(b, dst) || bounds_add(b, dst + size) ? BPH_ERR_NOMEM
							       : 0;
}

/* Reads a dump's answers until NLMSG_DONE. */
static int dump_read(int fd, struct bounds *b, char *err, size_t errlen)
{
	union {
		char buf[32768];
		struct nlmsghdr align;
	} resp;

	for (;;) {
		ssize_t n = recv(fd, resp.buf, sizeof(resp.buf), 0);
		if (n < 0) {
			snprintf(err, errlen, "netlink recv: %s",
				 strerror(errno));
			return BPH_ERR_IO;
		}
		for (struct nlmsghdr *h = &resp.align; NLMSG_OK(h, (unsigned)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				snprintf(err, errlen, "netlink route dump");
				return BPH_ERR_IO;
			}
			if (h->nlmsg_type == RTM_NEWROUTE &&
			    route_bounds(h, b) != 0)
				return BPH_ERR_NOMEM;
		}
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static const uint64_t special[] = {0x00000000, 0x01000000, 0xe0000000,
				   0xf0000000, 0xffffffff, 0x100000000};

/* Every route prefix boundary of every table, sorted. */
static int dump_bounds(int fd, struct bounds *b, char *err, size_t errlen)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
	} req = {0};
	int rc;

	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.r));
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 2;
	req.r.rtm_family = AF_INET;
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
		snprintf(err, errlen, "netlink send: %s", strerror(errno));
		return BPH_ERR_IO;
	}
	rc = dump_read(fd, b, err, errlen);
	/* Addresses the kernel answers for by their class, not a route:
	 * 0/8 ("this network"), multicast, 240/4 and the limited broadcast. */
	for (size_t i = 0; rc == 0 && i < sizeof(special) / sizeof(*special);
	     i++)
		rc = bounds_add(b, special[i]);
	if (rc == 0)
		qsort(b->v, b->n, sizeof(*b->v), cmp_u64);
	return rc;
}

static bool is_loopback(int ifindex)
{
	struct bph_netroute r = {0};
	char err[64];

	if (!if_indextoname((unsigned)ifindex, r.iface))
		return false;
	return iface_info(&r, err, sizeof(err)) == 0 && r.loopback;
}

/* The way of one lookup in the plan's table, or NULL when it is full. */
static struct bph_route_way *plan_way(struct bph_route_plan *p,
				      const char *iface, uint32_t gateway,
				      bool local, uint32_t lo)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->way[i].iface, iface) &&
		    p->way[i].gateway == gateway && p->way[i].local == local)
			return &p->way[i];
	if (p->n == BPH_ROUTE_WAYS_MAX) {
		p->more = true;
		return NULL;
	}
	p->n++;
	snprintf(p->way[i].iface, sizeof(p->way[i].iface), "%s", iface);
	p->way[i].gateway = gateway;
	p->way[i].local = local;
	p->way[i].first = lo;
	return &p->way[i];
}

/* Counts addresses [lo, hi] under the way the kernel gives lo. */
static void plan_add(struct bph_route_plan *p, const struct route_answer *a,
		     bool routed, uint32_t lo, uint32_t hi)
{
	uint64_t n = (uint64_t)hi - lo + 1;
	bool local =
	    routed && (a->type == RTN_LOCAL || a->type == RTN_BROADCAST ||
		       is_loopback(a->oif));
	char iface[IF_NAMESIZE] = "?";
	struct bph_route_way *w;

	if (!routed) {
		if (!p->unrouted)
			p->first_unrouted = lo;
		p->unrouted += n;
		return;
	}
	if (local) { /* counted apart: a full table must not hide one */
		if (!p->local)
			p->first_local = lo;
		p->local += n;
	}
	if_indextoname((unsigned)a->oif, iface);
	w = plan_way(p, iface, local ? 0 : a->gateway, local, lo);
	if (w)
		w->addresses += n;
}

/* Cuts [lo, hi] at the route boundaries (sorted, b->v) and looks each
 * piece up. */
static void plan_range(int fd, const struct bounds *b, uint32_t lo, uint32_t hi,
		       struct bph_route_plan *p)
{
	size_t k = 0, top = b->n;
	struct route_answer a;
	char err[64];

	while (k < top) { /* the first boundary above lo */
		size_t mid = k + (top - k) / 2;
		if (b->v[mid] <= lo)
			k = mid + 1;
		else
			top = mid;
	}
	for (uint64_t start = lo; start <= hi;) {
		uint64_t end = k < b->n && b->v[k] <= hi ? b->v[k] - 1 : hi;
		bool ok = route_get_fd(fd, (uint32_t)start, &a, err,
				       sizeof(err)) == 0 &&
			  (a.type == RTN_UNICAST || a.type == RTN_LOCAL ||
			   a.type == RTN_BROADCAST);
		plan_add(p, &a, ok, (uint32_t)start, (uint32_t)end);
		start = end + 1;
		while (k < b->n && b->v[k] <= start) /* equal ends */
			k++;
	}
}

int bph_netroute_plan(const struct bph_targets *t, struct bph_route_plan *plan,
		      char *err, size_t errlen)
{
	struct bounds b = {0};
	int fd = netlink_open(err, errlen), rc;

	memset(plan, 0, sizeof(*plan));
	if (fd < 0)
		return BPH_ERR_IO;
	rc = dump_bounds(fd, &b, err, errlen);
	for (size_t i = 0; rc == 0 && i < bph_targets_n_ranges(t); i++) {
		uint32_t lo, hi;
		bph_targets_range(t, i, &lo, &hi);
		plan_range(fd, &b, lo, hi, plan);
	}
	free(b.v);
	close(fd);
	return rc;
}

static void ip_text(uint32_t ip, char out[INET_ADDRSTRLEN])
{
	struct in_addr a = {htonl(ip)};

	inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

int bph_route_plan_check(const struct bph_route_plan *plan, bool iface_given,
			 char *err, size_t errlen)
{
	char ip[INET_ADDRSTRLEN];

	if (plan->local) {
		ip_text(plan->first_local, ip);
		snprintf(err, errlen,
			 "%llu target(s) route to this machine itself (a local "
			 "address or a loopback interface), the first %s; "
			 "exclude them (--exclude)",
			 (unsigned long long)plan->local, ip);
		return BPH_ERR_USAGE;
	}
	if (plan->unrouted) {
		ip_text(plan->first_unrouted, ip);
		snprintf(err, errlen,
			 "%llu target(s) have no unicast route, the first %s",
			 (unsigned long long)plan->unrouted, ip);
		return BPH_ERR_USAGE;
	}
	if ((plan->n > 1 || plan->more) && !iface_given) {
		snprintf(err, errlen,
			 "the targets leave by %s%zu ways (see --dry-run) but "
			 "every SYN leaves by one: scan each way's targets "
			 "apart, or choose --iface and --gateway-mac",
			 plan->more ? "more than " : "", plan->n);
		return BPH_ERR_USAGE;
	}
	return 0;
}
