/*
 * recv.c - the capture thread of the SYN scan: libpcap in immediate mode
 * with the BPF filter of recv.h, handing each frame to the callback.
 * Contract and design in recv.h.
 */
#include "scanner/recv.h"

#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

#define SNAPLEN	     256
#define BUFFER_BYTES (64 * 1024 * 1024)

struct bph_receiver {
	pcap_t *pc;
	pthread_t thread;
	atomic_bool stop;
	bph_frame_cb cb;
	void *ctx;
	enum bph_linktype link;
	uint64_t frames;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
		      const u_char *bytes)
{
	struct bph_receiver *r = (struct bph_receiver *)user;

	r->frames++;
	r->cb(r->ctx, bytes, h->caplen, r->link);
}

static void *run(void *arg)
{
	struct bph_receiver *r = arg;
	struct pollfd pfd = {.fd = pcap_get_selectable_fd(r->pc),
			     .events = POLLIN};

	while (!atomic_load(&r->stop)) {
		if (poll(&pfd, 1, 50) < 0)
			continue;
		/* drain everything buffered; non-blocking returns 0 at once */
		while (pcap_dispatch(r->pc, -1, on_packet, (u_char *)r) > 0)
			;
	}
	while (pcap_dispatch(r->pc, -1, on_packet, (u_char *)r) > 0)
		;
	return NULL;
}

static int set_filter(pcap_t *pc, uint32_t our_ip, char *err, size_t errlen)
{
	struct bpf_program prog;
	char expr[320];

	snprintf(expr, sizeof(expr),
		 "dst host %u.%u.%u.%u and ((tcp and "
		 "(tcp[tcpflags] & tcp-rst != 0 or "
		 "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack))) or "
		 "(icmp and icmp[icmptype] == icmp-unreach))",
		 our_ip >> 24, (our_ip >> 16) & 255, (our_ip >> 8) & 255,
		 our_ip & 255);
	if (pcap_compile(pc, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(pc, &prog) < 0) {
		snprintf(err, errlen, "pcap filter: %s", pcap_geterr(pc));
		return BPH_ERR_IO;
	}
	pcap_freecode(&prog);
	return 0;
}

static int open_pcap(struct bph_receiver *r, const char *iface, uint32_t our_ip,
		     char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int rc, dlt;

	r->pc = pcap_create(iface, ebuf);
	if (!r->pc) {
		snprintf(err, errlen, "pcap %s: %s", iface, ebuf);
		return BPH_ERR_IO;
	}
	pcap_set_snaplen(r->pc, SNAPLEN);
	pcap_set_immediate_mode(r->pc, 1);
	pcap_set_buffer_size(r->pc, BUFFER_BYTES);
	pcap_set_timeout(r->pc, 50);
	rc = pcap_activate(r->pc);
	if (rc < 0) {
		snprintf(err, errlen, "pcap %s: %s", iface, pcap_geterr(r->pc));
		return rc == PCAP_ERROR_PERM_DENIED ? BPH_ERR_PERM : BPH_ERR_IO;
	}
	dlt = pcap_datalink(r->pc);
	if (dlt != DLT_EN10MB && dlt != DLT_RAW) {
		snprintf(err, errlen, "pcap %s: unsupported link type %s",
			 iface, pcap_datalink_val_to_name(dlt));
		return BPH_ERR_IO;
	}
	r->link = dlt == DLT_RAW ? BPH_LINK_RAW : BPH_LINK_ETHERNET;
	pcap_setdirection(r->pc, PCAP_D_IN);
	if (pcap_setnonblock(r->pc, 1, ebuf) < 0) {
		snprintf(err, errlen, "pcap %s: %s", iface, ebuf);
		return BPH_ERR_IO;
	}
	return set_filter(r->pc, our_ip, err, errlen);
}

int bph_receiver_start(struct bph_receiver **out, const char *iface,
		       uint32_t our_ip, bph_frame_cb cb, void *ctx, char *err,
		       size_t errlen)
{
	struct bph_receiver *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return BPH_ERR_NOMEM;
	r->cb = cb;
	r->ctx = ctx;
	atomic_init(&r->stop, false);
	rc = open_pcap(r, iface, our_ip, err, errlen);
	if (rc)
		goto out;
	if (pthread_create(&r->thread, NULL, run, r) != 0) {
		snprintf(err, errlen, "pthread_create failed");
		rc = BPH_ERR_IO;
		goto out;
	}
	*out = r;
	return 0;
out:
	if (r->pc)
		pcap_close(r->pc);
	free(r);
	return rc;
}

void bph_receiver_stop(struct bph_receiver *r, struct bph_recv_stats *st)
{
	struct pcap_stat ps;

	if (!r)
		return;
	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
	if (st) {
		memset(st, 0, sizeof(*st));
		st->frames = r->frames;
		if (pcap_stats(r->pc, &ps) == 0)
			st->dropped = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
	}
	pcap_close(r->pc);
	free(r);
}
