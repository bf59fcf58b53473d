/*
 * send.c - the raw SYN sender: the frame template (libnet), the per-probe
 * patch with both checksums, and sendmmsg batches on an AF_PACKET socket.
 * Contract in send.h; the send path's design in docs/performance.md.
 */
#include "scanner/send.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <sched.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libnet.h>

#include "fingerprints/err.h"

#define ETH_LEN 14
#define IP_OFF	ETH_LEN
#define TCP_OFF (ETH_LEN + 20)
#define TCP_LEN 40

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

struct bph_sender {
	int fd;
	uint8_t tmpl[BPH_SYN_FRAME_LEN];
	uint8_t frames[BPH_SEND_BATCH][BPH_SYN_FRAME_LEN];
	struct iovec iov[BPH_SEND_BATCH];
	struct mmsghdr msgs[BPH_SEND_BATCH];
	struct sockaddr_ll addr;
	unsigned n;
	uint64_t sent, failed;
	struct timespec t0; /* timestamp clock origin */
	uint32_t tsval;	    /* TCP timestamp of the batch being queued */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The SYN's options, Linux's layout: the TSval is patched per probe. */
static const uint8_t syn_opts[TCP_LEN - 20] = {
    2,
    4,
    BPH_SYN_MSS >> 8,
    BPH_SYN_MSS & 0xff, /* MSS */
    4,
    2, /* SACK permitted */
    8,
    10,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0, /* timestamps */
    1, /* NOP */
    3,
    3,
    7, /* window scale 7 */
};

/* The layers from the inside out, as libnet builds them; every field the
 * patch fills stays 0, and so do both checksums (libnet would compute
 * them over those zeros: the patch does it per probe). */
static int build_layers(libnet_t *l, const struct bph_netroute *r)
{
	libnet_ptag_t tcp, ip;

	if (libnet_build_tcp_options(syn_opts, sizeof(syn_opts), l, 0) < 0)
		return -1;
	tcp = libnet_build_tcp(0, 0, 0, 0, TH_SYN, 64240, 0, 0, TCP_LEN, NULL,
			       0, l, 0);
	if (tcp < 0 || libnet_toggle_checksum(l, tcp, LIBNET_OFF) < 0)
		return -1;
	ip = libnet_build_ipv4(20 + TCP_LEN, 0, 0, IP_DF, 64, IPPROTO_TCP, 0,
			       htonl(r->source_ip), 0, NULL, 0, l, 0);
	if (ip < 0 || libnet_toggle_checksum(l, ip, LIBNET_OFF) < 0)
		return -1;
	return libnet_build_ethernet(r->dst_mac, r->src_mac, ETHERTYPE_IP, NULL,
				     0, l, 0) < 0
		   ? -1
		   : 0;
}

/*
 * libnet in LIBNET_NONE mode builds packets without a socket; such a
 * context has no public cull call (libnet_adv_cull_packet wants
 * LIBNET_LINK_ADV, which opens a packet socket on a device), so the frame
 * comes from libnet_pblock_coalesce, the exported function that call wraps.
 */
int bph_syn_template(uint8_t f[BPH_SYN_FRAME_LEN], const struct bph_netroute *r,
		     char *err, size_t errlen)
{
	char lerr[LIBNET_ERRBUF_SIZE] = "";
	libnet_t *l = libnet_init(LIBNET_NONE, NULL, lerr);
	uint8_t *p = NULL;
	uint32_t n = 0;
	int rc = BPH_ERR_NOMEM;

	if (l && build_layers(l, r) == 0 &&
	    libnet_pblock_coalesce(l, &p, &n) >= 0) {
		rc = n == BPH_SYN_FRAME_LEN ? 0 : BPH_ERR_IO;
		if (rc == 0)
			memcpy(f, p, BPH_SYN_FRAME_LEN);
		else
			snprintf(lerr, sizeof(lerr), "frame of %u bytes", n);
	} else if (l) {
		snprintf(lerr, sizeof(lerr), "%s", libnet_geterror(l));
	}
	if (rc && err && errlen)
		snprintf(err, errlen, "SYN template (libnet): %s",
			 lerr[0] ? lerr : bph_strerror(rc));
	if (p)
		libnet_adv_free_packet(l, p);
	if (l)
		libnet_destroy(l);
	return rc;
}

void bph_syn_patch(uint8_t f[BPH_SYN_FRAME_LEN], uint32_t daddr, uint16_t dport,
		   const struct bph_probe_id *id, uint32_t tsval)
{
	uint8_t *ip = f + IP_OFF, *tcp = f + TCP_OFF;
	uint32_t s;

	put16(ip + 4, id->ipid);
	put32(ip + 16, daddr);
	put16(ip + 10, 0);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	put16(tcp, id->sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, id->seq);
	put32(tcp + 28, tsval);
	put16(tcp + 16, 0);
	/* pseudo-header: saddr, daddr, protocol, TCP length */
	s = sum16(ip + 12, 8, 6 + TCP_LEN);
	put16(tcp + 16, fold(sum16(tcp, TCP_LEN, s)));
}

int bph_sender_open(struct bph_sender **out, const struct bph_netroute *r,
		    char *err, size_t errlen)
{
	struct bph_sender *s = calloc(1, sizeof(*s));
	int one = 1;

	*out = NULL;
	if (!s)
		return BPH_ERR_NOMEM;
	s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		int e = errno;
		snprintf(err, errlen, "AF_PACKET socket: %s", strerror(e));
		free(s);
		return e == EPERM ? BPH_ERR_PERM : BPH_ERR_IO;
	}
	/* best effort: older kernels lack it and the qdisc path still works */
	setsockopt(s->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	s->addr.sll_family = AF_PACKET;
	s->addr.sll_protocol = htons(ETH_P_IP);
	s->addr.sll_ifindex = r->ifindex;
	s->addr.sll_halen = 6;
	memcpy(s->addr.sll_addr, r->dst_mac, 6);
	int rc = bph_syn_template(s->tmpl, r, err, errlen);
	if (rc) {
		close(s->fd);
		free(s);
		return rc;
	}
	for (int i = 0; i < BPH_SEND_BATCH; i++) {
		memcpy(s->frames[i], s->tmpl, BPH_SYN_FRAME_LEN);
		s->iov[i].iov_base = s->frames[i];
		s->iov[i].iov_len = BPH_SYN_FRAME_LEN;
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
		s->msgs[i].msg_hdr.msg_name = &s->addr;
		s->msgs[i].msg_hdr.msg_namelen = sizeof(s->addr);
	}
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	*out = s;
	return 0;
}

void bph_sender_close(struct bph_sender *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s);
}

void bph_sender_set_clock(struct bph_sender *s, const struct timespec *origin)
{
	s->t0 = *origin;
}

/* Millisecond clock for the TCP timestamp option, like Linux's. */
static uint32_t ts_now(const struct bph_sender *s)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint32_t)((t.tv_sec - s->t0.tv_sec) * 1000 +
			  (t.tv_nsec - s->t0.tv_nsec) / 1000000) +
	       1;
}

int bph_sender_queue(struct bph_sender *s, uint32_t daddr, uint16_t dport,
		     const struct bph_probe_id *id)
{
	if (s->n == 0)
		s->tsval = ts_now(s); /* one clock read per batch */
	bph_syn_patch(s->frames[s->n], daddr, dport, id, s->tsval);
	if (++s->n == BPH_SEND_BATCH)
		return bph_sender_flush(s);
	return 0;
}

int bph_sender_flush(struct bph_sender *s)
{
	unsigned done = 0, n = s->n;
	int tries = 0;

	while (done < n) {
		int r = sendmmsg(s->fd, s->msgs + done, n - done, 0);
		if (r > 0) {
			done += (unsigned)r;
			continue;
		}
		if (r < 0 && errno != EAGAIN && errno != ENOBUFS &&
		    errno != EINTR)
			break;
		if (++tries > 100)
			break;
		sched_yield();
	}
	s->sent += done;
	s->failed += n - done;
	s->n = 0;
	/* a whole batch refused means the socket is unusable */
	return n > 0 && done == 0 ? BPH_ERR_IO : 0;
}

uint64_t bph_sender_sent(const struct bph_sender *s)
{
	return s->sent;
}

uint64_t bph_sender_failed(const struct bph_sender *s)
{
	return s->failed;
}

unsigned bph_sender_pending(const struct bph_sender *s)
{
	return s->n;
}
