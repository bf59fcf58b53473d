#include "scanner/synscan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "fingerprints/err.h"
#include "fingerprints/tcp_sig.h"
#include "scanner/netroute.h"
#include "scanner/permute.h"
#include "scanner/recv.h"
#include "scanner/send.h"
#include "scanner/validate.h"

#define MAX_PAIR_BITS (1ULL << 33) /* 1 GiB of answered-bitmap */
#define BEHIND_NS     100000000LL /* bucket depth: a longer backlog is dropped */

struct scan {
	const struct bph_synscan_cfg *cfg;
	uint64_t n_pairs, seed;
	uint32_t *port_slot; /* port -> index + 1, 0 if not scanned */
	uint64_t *answered;  /* one bit per pair, set by the capture thread */
	struct bph_validate key;
	struct bph_netroute route;
	bph_synscan_cb cb;
	void *ctx;
	/* written by the capture thread, read after it is joined */
	uint64_t replies, open, closed, unreach;
};

void bph_synscan_cfg_default(struct bph_synscan_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->rate = 10000;
	c->retries = 1;
	c->wait_ms = 2000;
	c->shard_count = 1;
}

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	struct timespec t = {ns / 1000000000LL, ns % 1000000000LL};
	while (ns > 0 && nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* Sets the pair's bit; true if it was clear (first answer). */
static bool mark(struct scan *s, uint64_t pair)
{
	uint64_t bit = 1ULL << (pair & 63);
	uint64_t old =
	    __atomic_fetch_or(&s->answered[pair >> 6], bit, __ATOMIC_RELAXED);
	return !(old & bit);
}

static bool is_marked(const struct scan *s, uint64_t pair)
{
	uint64_t w = __atomic_load_n(&s->answered[pair >> 6], __ATOMIC_RELAXED);
	return (w >> (pair & 63)) & 1;
}

static void report(struct scan *s, uint32_t ip, uint16_t port,
		   enum bph_port_state st, const struct bph_frame *f)
{
	struct bph_service svc;

	memset(&svc, 0, sizeof(svc));
	svc.ip = ip;
	svc.port = port;
	svc.state = st;
	svc.seen = time(NULL);
	if (f && bph_tcp_traits_parse(f->ip, f->ip_len, BPH_SYN_MSS, &svc.tcp))
		memset(&svc.tcp, 0, sizeof(svc.tcp));
	s->cb(s->ctx, &svc);
}

/* Capture thread: decode once, validate, dedupe, report. */
static void on_frame(void *ctx, const uint8_t *frame, size_t len,
		     enum bph_link link)
{
	struct scan *s = ctx;
	struct bph_frame f;
	enum bph_reply kind;
	uint64_t ti;
	uint32_t ip;
	uint16_t port;

	if (bph_frame_decode(frame, len, link, &f))
		return;
	kind = bph_validate_frame(&s->key, s->route.source_ip, &f, &ip, &port);
	if (kind == BPH_REPLY_NONE || !s->port_slot[port] ||
	    !bph_targets_index_of(s->cfg->targets, ip, &ti))
		return;
	s->replies++;
	if (!mark(s, ti * s->cfg->n_ports + s->port_slot[port] - 1))
		return;
	if (kind == BPH_REPLY_SYNACK) {
		s->open++;
		report(s, ip, port, BPH_STATE_OPEN, &f);
	} else if (kind == BPH_REPLY_RST) {
		s->closed++;
		report(s, ip, port, BPH_STATE_CLOSED, NULL);
	} else {
		s->unreach++;
		report(s, ip, port, BPH_STATE_FILTERED, NULL);
	}
}

/* Absolute-schedule token bucket: probe n is due at t0 + n / rate. */
struct pacer {
	double ns_per_pkt;
	int64_t t0;
	uint64_t n;
};

static void pace(struct pacer *p)
{
	int64_t due = p->t0 + (int64_t)((double)p->n * p->ns_per_pkt);
	int64_t now = now_ns();

	if (now - due > BEHIND_NS) { /* fell behind: drop the backlog */
		p->t0 = now - (int64_t)((double)p->n * p->ns_per_pkt);
		due = now;
	}
	if (due - now > 200000) /* gaps over 0.2 ms: sleep, spin the rest */
		sleep_ns(due - now - 100000);
	while (now_ns() < due)
		;
	p->n++;
}

static void progress(const struct scan *s, const struct bph_sender *snd,
		     int pass, int64_t start, int64_t *last)
{
	int64_t t = now_ns();

	if (s->cfg->quiet || t - *last < 1000000000LL)
		return;
	*last = t;
	fprintf(stderr, "synscan: pass %d, sent %llu, replies %llu, %.0f pps\n",
		pass, (unsigned long long)bph_sender_sent(snd),
		(unsigned long long)s->replies,
		(double)bph_sender_sent(snd) * 1e9 / (double)(t - start));
}

/* One pass over this shard's pairs; pass > 0 skips answered ones. */
static int send_pass(struct scan *s, struct bph_sender *snd, struct pacer *pc,
		     int pass, unsigned batch, uint64_t *in_shard)
{
	const struct bph_synscan_cfg *c = s->cfg;
	struct bph_probe_id id;
	struct bph_perm pm;
	uint64_t pair, n = 0;
	int64_t last = now_ns(), start = last;
	int rc = bph_perm_init(&pm, s->n_pairs, s->seed, c->shard_index,
			       c->shard_count);

	while (rc == 0 && bph_perm_next(&pm, &pair)) {
		n++;
		if (pass > 0 && is_marked(s, pair))
			continue;
		uint32_t ip = bph_targets_at(c->targets, pair / c->n_ports);
		uint16_t port = c->ports[pair % c->n_ports];
		bph_validate_gen(&s->key, s->route.source_ip, ip, port, &id);
		pace(pc);
		rc = bph_sender_queue(snd, ip, port, &id);
		if (rc == 0 && bph_sender_pending(snd) >= batch)
			rc = bph_sender_flush(snd);
		if ((n & 1023) == 0)
			progress(s, snd, pass, start, &last);
	}
	if (rc == 0)
		rc = bph_sender_flush(snd);
	if (pass == 0)
		*in_shard = n;
	return rc;
}

/* Final verdicts: every pair of the shard nobody answered is filtered. */
static uint64_t report_unanswered(struct scan *s)
{
	const struct bph_synscan_cfg *c = s->cfg;
	struct bph_perm pm;
	uint64_t pair, n = 0;

	if (bph_perm_init(&pm, s->n_pairs, s->seed, c->shard_index,
			  c->shard_count))
		return 0;
	while (bph_perm_next(&pm, &pair)) {
		if (is_marked(s, pair))
			continue;
		report(s, bph_targets_at(c->targets, pair / c->n_ports),
		       c->ports[pair % c->n_ports], BPH_STATE_FILTERED, NULL);
		n++;
	}
	return n;
}

static int check_cfg(const struct bph_synscan_cfg *c, char *err, size_t errlen)
{
	uint64_t nt = c->targets ? bph_targets_count(c->targets) : 0;

	if (nt == 0 || !c->ports || c->n_ports == 0) {
		snprintf(err, errlen, "nothing to scan (no targets or ports)");
		return BPH_ERR_USAGE;
	}
	if (c->shard_count > 1 && !c->seed_set) {
		snprintf(err, errlen, "sharding needs an explicit --seed");
		return BPH_ERR_USAGE;
	}
	if (c->shard_index >= (c->shard_count ? c->shard_count : 1)) {
		snprintf(err, errlen, "shard %u/%u out of range",
			 c->shard_index, c->shard_count);
		return BPH_ERR_USAGE;
	}
	if (c->n_ports > 65535 || nt > MAX_PAIR_BITS / c->n_ports) {
		snprintf(err, errlen, "too many (address, port) pairs");
		return BPH_ERR_USAGE;
	}
	for (size_t i = 0; i < c->n_ports; i++) {
		if (c->ports[i] == 0) {
			snprintf(err, errlen, "port 0 is not scannable");
			return BPH_ERR_USAGE;
		}
	}
	return 0;
}

/* Everything before the first packet: tables, secret, route. */
static int scan_setup(struct scan *s, struct bph_synscan_cfg *c, char *err,
		      size_t errlen)
{
	int rc;

	s->n_pairs = bph_targets_count(c->targets) * c->n_ports;
	s->port_slot = calloc(65536, sizeof(*s->port_slot));
	s->answered = calloc((s->n_pairs + 63) / 64, sizeof(*s->answered));
	if (!s->port_slot || !s->answered)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < c->n_ports; i++) {
		if (s->port_slot[c->ports[i]]) {
			snprintf(err, errlen, "port %u listed twice",
				 c->ports[i]);
			return BPH_ERR_USAGE;
		}
		s->port_slot[c->ports[i]] = (uint32_t)i + 1;
	}
	s->seed = c->seed;
	if (!c->seed_set && getrandom(&s->seed, sizeof(s->seed), 0) !=
				(ssize_t)sizeof(s->seed)) {
		snprintf(err, errlen, "getrandom failed");
		return BPH_ERR_IO;
	}
	if (bph_validate_init(&s->key)) {
		snprintf(err, errlen, "getrandom failed");
		return BPH_ERR_IO;
	}
	rc = bph_netroute_detect(bph_targets_at(c->targets, 0), c->iface,
				 c->source_ip, c->gateway_mac, &s->route, err,
				 errlen);
	return rc;
}

static void normalize(struct bph_synscan_cfg *c)
{
	if (c->rate == 0)
		c->rate = 10000;
	if (c->retries < 0)
		c->retries = 1;
	if (c->wait_ms < 0)
		c->wait_ms = 2000;
	if (c->shard_count == 0)
		c->shard_count = 1;
}

/* The send phase: passes with waits between them; returns sending time. */
static int run_passes(struct scan *s, struct bph_sender *snd,
		      uint64_t *in_shard, int64_t *send_ns)
{
	const struct bph_synscan_cfg *c = s->cfg;
	struct pacer pc = {1e9 / (double)c->rate, now_ns(), 0};
	unsigned batch = (unsigned)(c->rate / 500);
	int rc = 0;

	if (batch < 1)
		batch = 1;
	if (batch > BPH_SEND_BATCH)
		batch = BPH_SEND_BATCH;
	*send_ns = 0;
	for (int pass = 0; rc == 0 && pass <= c->retries; pass++) {
		int64_t t = now_ns();
		if (pass > 0) {
			int w = c->wait_ms / 2;
			sleep_ns((int64_t)(w < 100    ? 100
					   : w > 1000 ? 1000
						      : w) *
				 1000000LL);
			t = now_ns();
			pc.t0 = t;
			pc.n = 0;
		}
		rc = send_pass(s, snd, &pc, pass, batch, in_shard);
		*send_ns += now_ns() - t;
	}
	return rc;
}

int bph_synscan_run(const struct bph_synscan_cfg *cfg, bph_synscan_cb cb,
		    void *ctx, struct bph_synscan_stats *stats, char *err,
		    size_t errlen)
{
	struct bph_synscan_cfg c = *cfg;
	struct scan s = {.cfg = &c, .cb = cb, .ctx = ctx};
	struct bph_sender *snd = NULL;
	struct bph_receiver *rcv = NULL;
	struct bph_synscan_stats st = {0};
	struct bph_recv_stats rs = {0};
	int64_t t0 = now_ns(), send_ns = 0;
	int rc;

	normalize(&c);
	rc = check_cfg(&c, err, errlen);
	if (rc == 0)
		rc = scan_setup(&s, &c, err, errlen);
	if (rc == 0)
		rc = bph_sender_open(&snd, &s.route, err, errlen);
	if (rc == 0)
		rc = bph_receiver_start(&rcv, s.route.iface, s.route.source_ip,
					on_frame, &s, err, errlen);
	if (rc)
		goto out;
	rc = run_passes(&s, snd, &st.targets, &send_ns);
	if (rc)
		snprintf(err, errlen, "send failed on %s", s.route.iface);
	sleep_ns((int64_t)c.wait_ms * 1000000LL);
	bph_receiver_stop(rcv, &rs);
	rcv = NULL;
	st.pcap_dropped = rs.dropped;
	st.send_failed = bph_sender_failed(snd);
	st.filtered = s.unreach + (rc == 0 ? report_unanswered(&s) : 0);
	st.sent = bph_sender_sent(snd);
	st.replies = s.replies;
	st.open = s.open;
	st.closed = s.closed;
	st.seconds = (double)(now_ns() - t0) / 1e9;
	st.pps = send_ns > 0 ? (double)st.sent * 1e9 / (double)send_ns : 0;
	if (stats)
		*stats = st;
out:
	bph_receiver_stop(rcv, NULL);
	bph_sender_close(snd);
	bph_validate_wipe(&s.key);
	free(s.port_slot);
	free(s.answered);
	return rc;
}
