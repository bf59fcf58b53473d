/*
 * synscan.c - the stateless SYN scan: route, sender threads, capture,
 * passes and retries, cooldown, checkpoints and signals. The design is in
 * synscan.h and docs/architecture.md; the pacing in docs/performance.md.
 */
#include "scanner/synscan.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "scanner/netroute.h"
#include "scanner/permute.h"
#include "scanner/progress.h"
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
	/* written by the capture thread, read after it is joined (replies
	 * also read racily for the progress line) */
	uint64_t replies, open, closed, unreach;
	struct worker *w; /* n_workers sender threads, w[0] the caller */
	unsigned n_workers;
	int stop; /* atomic: worker 0 tells the others to stop */
	/* calling thread (worker 0) only */
	int sfd;   /* signalfd of SIGINT/SIGTERM, or -1 */
	int signo; /* the signal that stopped the scan */
	bool tty;  /* progress line on */
	int64_t last_tick;
	uint64_t last_sent;
	int pass;     /* current pass */
	uint64_t pos; /* steps of the current pass consumed (all workers) */
	struct timespec origin; /* the SYNs' TSval clock (all senders) */
	uint32_t rtt_max_ms;	/* atomic: slowest echoed TSval so far */
};

/*
 * One sender thread: its own socket, pacer (rate / n_workers) and
 * sub-shard w of n_workers of the scan's shard. Sub-shard w of shard i/N
 * is shard i*W+w of N*W, and the W sub-slices of exponents make up shard
 * i's slice exactly (permute.h), so the pairs sent are the same.
 */
struct worker {
	struct scan *s;
	struct bph_sender *snd;
	struct bph_pacer pc;
	unsigned sub;
	uint64_t walked; /* pairs walked in pass 0 */
	uint64_t pos;	 /* atomic: steps of this pass consumed */
	uint64_t sent;	 /* atomic: copy of bph_sender_sent */
	int rc;
	pthread_t th;
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

/* Round trip of a SYN whose TSval the SYN-ACK echoes (send.c counts
 * milliseconds from s->origin, plus one); implausible values are ignored. */
static void note_rtt(struct scan *s, uint32_t tsecr)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	uint32_t now = (uint32_t)((t.tv_sec - s->origin.tv_sec) * 1000 +
				  (t.tv_nsec - s->origin.tv_nsec) / 1000000) +
		       1;
	uint32_t rtt = now - tsecr;
	if (tsecr == 0 || rtt > 60000)
		return;
	if (rtt > __atomic_load_n(&s->rtt_max_ms, __ATOMIC_RELAXED))
		__atomic_store_n(&s->rtt_max_ms, rtt, __ATOMIC_RELAXED);
}

int bph_synscan_auto_wait_ms(uint32_t rtt_max_ms, int wait_ms)
{
	uint64_t w = (uint64_t)rtt_max_ms * BPH_SYNSCAN_RTT_FACTOR;
	if (rtt_max_ms == 0 || w > (uint64_t)wait_ms)
		return wait_ms;
	return w < BPH_SYNSCAN_MIN_WAIT_MS ? (wait_ms < BPH_SYNSCAN_MIN_WAIT_MS
						  ? wait_ms
						  : BPH_SYNSCAN_MIN_WAIT_MS)
					   : (int)w;
}

/* The cooldown to use now: fixed, or adapted to the round trips. */
static int cooldown_ms(const struct scan *s)
{
	if (!s->cfg->wait_auto)
		return s->cfg->wait_ms;
	return bph_synscan_auto_wait_ms(
	    __atomic_load_n(&s->rtt_max_ms, __ATOMIC_RELAXED), s->cfg->wait_ms);
}

static void report(struct scan *s, uint32_t ip, uint16_t port,
		   enum bph_port_state st, const struct bph_tcp_traits *tcp)
{
	struct bph_service svc;

	memset(&svc, 0, sizeof(svc));
	svc.ip = ip;
	svc.port = port;
	svc.state = st;
	svc.seen = time(NULL);
	if (tcp)
		svc.tcp = *tcp;
	if (svc.tcp.has_ts)
		note_rtt(s, svc.tcp.tsecr);
	s->cb(s->ctx, &svc);
}

/* Reader thread: a reply the capture child found and the reader checked
 * (in the target set, a scanned port: recv.h); dedupe, report. */
static void on_reply(void *ctx, const struct bph_cap_msg *m)
{
	struct scan *s = ctx;
	uint64_t ti;

	if (!s->port_slot[m->port] ||
	    !bph_targets_index_of(s->cfg->targets, m->ip, &ti))
		return;
	s->replies++;
	if (!mark(s, ti * s->cfg->n_ports + s->port_slot[m->port] - 1))
		return;
	if (m->kind == BPH_REPLY_SYNACK) {
		s->open++;
		report(s, m->ip, m->port, BPH_STATE_OPEN, &m->tcp);
	} else if (m->kind == BPH_REPLY_RST) {
		s->closed++;
		report(s, m->ip, m->port, BPH_STATE_CLOSED, NULL);
	} else {
		s->unreach++;
		report(s, m->ip, m->port, BPH_STATE_FILTERED, NULL);
	}
}

/* Waits until the pacer's next probe is due (the caller takes it). */
static void pace(struct bph_pacer *p)
{
	int64_t now = now_ns(), due = bph_pacer_due(p, now);

	if (due - now > 200000) /* gaps over 0.2 ms: sleep, spin the rest */
		sleep_ns(due - now - 100000);
	while (now_ns() < due)
		;
}

/* True (and s->signo set) once SIGINT or SIGTERM has arrived. */
static bool stop_requested(struct scan *s)
{
	struct signalfd_siginfo si;

	if (s->signo)
		return true;
	if (s->sfd >= 0 && read(s->sfd, &si, sizeof(si)) == sizeof(si))
		s->signo = (int)si.ssi_signo;
	return s->signo != 0;
}

/* Sleeps ns in slices, returning early when a stop is requested. */
static void wait_or_stop(struct scan *s, int64_t ns)
{
	int64_t end = now_ns() + ns, t;

	while (!stop_requested(s) && (t = now_ns()) < end)
		sleep_ns(end - t < 50000000 ? end - t : 50000000);
}

/* Probes sent by all workers (published copies while sending). */
static uint64_t sent_all(const struct scan *s)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < s->n_workers; i++)
		n += __atomic_load_n(&s->w[i].sent, __ATOMIC_RELAXED);
	return n;
}

/* The least position of the workers: every step below it is sent. */
static uint64_t pos_all(const struct scan *s)
{
	uint64_t m = UINT64_MAX;

	for (unsigned i = 0; i < s->n_workers; i++) {
		uint64_t p = __atomic_load_n(&s->w[i].pos, __ATOMIC_RELAXED);
		m = p < m ? p : m;
	}
	return m;
}

static void show_progress(struct scan *s, const struct bph_perm *pm, int64_t t)
{
	struct bph_progress p = {0};
	char line[160];
	double frac = pm->total ? (double)pos_all(s) / (double)pm->total : 1;

	p.total = (uint64_t)((double)s->n_pairs * (double)pm->total *
			     s->n_workers / (double)(pm->p - 1));
	p.done = (uint64_t)(frac * (double)p.total);
	p.sent = sent_all(s);
	p.replies = __atomic_load_n(&s->replies, __ATOMIC_RELAXED);
	p.prev_sent = s->last_sent;
	p.prev_ns = s->last_tick;
	p.now_ns = t;
	p.pass = s->pass;
	bph_progress_format(&p, line, sizeof(line));
	fprintf(stderr, "\r%s\033[K", line);
}

/*
 * Every worker publishes its position and count. Worker 0 also, about
 * once a second, prints the progress line and checkpoints, and checks for
 * a stop on every call. Returns true when sending must stop.
 */
static bool tick(struct worker *w, const struct bph_perm *pm)
{
	struct scan *s = w->s;
	int64_t t;

	__atomic_store_n(&w->pos, bph_perm_pos(pm), __ATOMIC_RELAXED);
	__atomic_store_n(&w->sent, bph_sender_sent(w->snd), __ATOMIC_RELAXED);
	if (w->sub != 0)
		return __atomic_load_n(&s->stop, __ATOMIC_RELAXED);
	t = now_ns();
	if (t - s->last_tick >= 1000000000LL) {
		if (s->tty)
			show_progress(s, pm, t);
		s->last_tick = t;
		s->last_sent = sent_all(s);
		if (s->cfg->checkpoint)
			s->cfg->checkpoint(s->cfg->checkpoint_ctx, s->pass,
					   pos_all(s));
	}
	if (stop_requested(s))
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	return s->signo != 0;
}

/* Steps to re-walk on resume: the cooldown (the longest a reply is
 * waited for) at the full rate plus a batch, scaled by (p - 1) / n because
 * skipped group elements are steps too. */
static uint64_t resume_margin(const struct scan *s, const struct bph_perm *pm)
{
	const struct bph_synscan_cfg *c = s->cfg;
	uint64_t probes =
	    c->rate * (uint64_t)c->wait_ms / 1000 + BPH_SEND_BATCH;

	return (
	    uint64_t)(((unsigned __int128)probes * (pm->p - 1) + pm->n - 1) /
		      pm->n);
}

/* Ticks at least ~64 times a second at any rate. */
static uint64_t tick_mask(uint64_t rate)
{
	uint64_t m = 1;

	while (m * 2 <= rate / 64 && m < 1024)
		m *= 2;
	return m - 1;
}

/* Probes per sendmmsg batch: about 2 ms of the rate, 1 .. BPH_SEND_BATCH;
 * the pacer releases a whole batch at a time. */
static unsigned batch_of(uint64_t rate)
{
	uint64_t b = rate / 500;

	return b < 1 ? 1 : b > BPH_SEND_BATCH ? BPH_SEND_BATCH : (unsigned)b;
}

static int perm_of(const struct worker *w, struct bph_perm *pm)
{
	const struct bph_synscan_cfg *c = w->s->cfg;

	return bph_perm_init(pm, w->s->n_pairs, w->s->seed,
			     c->shard_index * w->s->n_workers + w->sub,
			     c->shard_count * w->s->n_workers);
}

/* Queues (and paces) the probe of one pair. */
static int send_pair(struct worker *w, uint64_t pair, unsigned batch)
{
	const struct scan *s = w->s;
	const struct bph_synscan_cfg *c = s->cfg;
	struct bph_probe_id id;
	uint64_t ti = c->n_ports == 1 ? pair : pair / c->n_ports;
	uint32_t ip = bph_targets_at(c->targets, ti);
	uint16_t port = c->ports[pair - ti * c->n_ports];
	int rc;

	bph_validate_gen(&s->key, s->route.source_ip, ip, port, &id);
	if (bph_sender_pending(w->snd) == 0)
		pace(&w->pc);
	bph_pacer_take(&w->pc);
	rc = bph_sender_queue(w->snd, ip, port, &id);
	if (rc == 0 && bph_sender_pending(w->snd) >= batch)
		rc = bph_sender_flush(w->snd);
	return rc;
}

/* One pass over the worker's pairs; pass > 0 skips answered ones. */
static int send_pass(struct worker *w, uint64_t skip)
{
	struct scan *s = w->s;
	uint64_t rate = w->pc.rate, pair, n = 0, mask = tick_mask(rate);
	unsigned batch = batch_of(rate);
	struct bph_perm pm;
	int rc = perm_of(w, &pm);

	if (rc == 0 && skip)
		bph_perm_seek(&pm, skip > resume_margin(s, &pm)
				       ? skip - resume_margin(s, &pm)
				       : 0);
	while (rc == 0 && bph_perm_next(&pm, &pair)) {
		if ((++n & mask) == 0 && tick(w, &pm))
			break;
		if (s->pass > 0 && is_marked(s, pair))
			continue;
		rc = send_pair(w, pair, batch);
	}
	if (rc == 0)
		rc = bph_sender_flush(w->snd);
	__atomic_store_n(&w->pos, bph_perm_pos(&pm), __ATOMIC_RELAXED);
	__atomic_store_n(&w->sent, bph_sender_sent(w->snd), __ATOMIC_RELAXED);
	if (s->pass == 0)
		w->walked = n;
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

/* Every target's route, not the first one's only (netroute.h). */
static int check_ways(const struct bph_synscan_cfg *c, char *err, size_t errlen)
{
	struct bph_route_plan plan;
	int rc = bph_netroute_plan(c->targets, &plan, err, errlen);

	return rc ? rc
		  : bph_route_plan_check(&plan, c->iface != NULL, err, errlen);
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
	rc = check_ways(c, err, errlen);
	if (rc == 0)
		rc = bph_netroute_detect(bph_targets_at(c->targets, 0),
					 c->iface, c->source_ip, c->gateway_mac,
					 &s->route, err, errlen);
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

struct pass_arg {
	struct worker *w;
	uint64_t skip;
};

/* With several senders, sender w runs on CPU w (mod the CPUs this
 * process may use), so that two senders never share one CPU while
 * another idles. The caller's affinity is restored after the pass. */
static void pin(const struct worker *w)
{
	cpu_set_t allowed, one;
	int k = 0, want;

	if (w->s->n_workers < 2 || getenv("BPH_NO_PIN") ||
	    sched_getaffinity(0, sizeof(allowed), &allowed))
		return;
	want = (int)(w->sub % (unsigned)CPU_COUNT(&allowed));
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed) || k++ != want)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
		return;
	}
}

static void *worker_main(void *arg)
{
	struct pass_arg *a = arg;

	pin(a->w);
	a->w->rc = send_pass(a->w, a->skip);
	return NULL;
}

/* One pass on every worker: 1..n-1 in threads, 0 in the caller. */
static int run_pass(struct scan *s, uint64_t skip)
{
	struct pass_arg a[BPH_SYNSCAN_MAX_SENDERS];
	int64_t t = now_ns();
	unsigned i, started = 1;
	int rc;

	for (i = 0; i < s->n_workers; i++) {
		struct worker *w = &s->w[i];
		bph_pacer_init(&w->pc,
			       s->cfg->rate / s->n_workers +
				   (i < s->cfg->rate % s->n_workers),
			       t, BEHIND_NS);
		w->pos = skip;
		a[i] = (struct pass_arg){w, skip};
	}
	for (i = 1; i < s->n_workers; i++, started++)
		if (pthread_create(&s->w[i].th, NULL, worker_main, &a[i]))
			break;
	if (started < s->n_workers)
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	cpu_set_t mine;
	bool saved =
	    !pthread_getaffinity_np(pthread_self(), sizeof(mine), &mine);
	worker_main(&a[0]);
	if (saved)
		pthread_setaffinity_np(pthread_self(), sizeof(mine), &mine);
	rc = s->w[0].rc;
	for (i = 1; i < started; i++) {
		pthread_join(s->w[i].th, NULL);
		rc = rc ? rc : s->w[i].rc;
	}
	s->pos = pos_all(s);
	return started < s->n_workers && rc == 0 ? BPH_ERR_IO : rc;
}

/* The send phase: passes with waits between them; returns sending time. */
static int run_passes(struct scan *s, uint64_t *in_shard, int64_t *send_ns)
{
	const struct bph_synscan_cfg *c = s->cfg;
	int rc = 0;

	*send_ns = 0;
	s->pos = c->start_pos;
	for (s->pass = c->start_pass; rc == 0 && s->pass <= c->retries;
	     s->pass++) {
		if (s->pass > c->start_pass) {
			int w = cooldown_ms(s) / 2;
			wait_or_stop(s, (int64_t)(w < 100    ? 100
						  : w > 1000 ? 1000
							     : w) *
					    1000000LL);
		}
		if (stop_requested(s)) { /* resume at the end of the last */
			s->pass -= s->pass > c->start_pass;
			break;
		}
		int64_t t = now_ns();
		s->last_tick = t;
		s->last_sent = sent_all(s);
		rc = run_pass(s, s->pass == c->start_pass ? c->start_pos : 0);
		*send_ns += now_ns() - t;
		if (s->pass == c->start_pass)
			for (unsigned i = 0; i < s->n_workers; i++)
				*in_shard += s->w[i].walked;
		if (s->signo)
			break;
	}
	if (!s->signo && s->pass > c->start_pass)
		s->pass--; /* the last pass run, for a stop in the cooldown */
	if (s->tty)
		fputs("\n", stderr);
	return rc;
}

/* Saved signal state, restored after the scan. */
struct sigsave {
	sigset_t mask;
	struct sigaction intr, term;
};

/*
 * Blocks SIGINT/SIGTERM (before any thread starts, so that all inherit
 * the mask) and opens a signalfd for them. Their disposition is set to the
 * default meanwhile: an ignored signal (as `cmd &` in a script leaves
 * SIGINT) would never reach the signalfd. Blocked, the default kills no one.
 */
static int block_signals(struct scan *s, struct sigsave *old, char *err,
			 size_t errlen)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &set, &old->mask) != 0)
		return BPH_ERR_IO;
	s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sfd < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		pthread_sigmask(SIG_SETMASK, &old->mask, NULL);
		return BPH_ERR_IO;
	}
	sigaction(SIGINT, &dfl, &old->intr);
	sigaction(SIGTERM, &dfl, &old->term);
	return 0;
}

static void restore_signals(struct scan *s, const struct sigsave *old)
{
	if (s->sfd < 0)
		return;
	close(s->sfd);
	sigaction(SIGINT, &old->intr, NULL);
	sigaction(SIGTERM, &old->term, NULL);
	pthread_sigmask(SIG_SETMASK, &old->mask, NULL);
}

/* After the receiver is joined: counters, final checkpoint, verdicts. */
static void finish(struct scan *s, int rc, struct bph_synscan_stats *st)
{
	const struct bph_synscan_cfg *c = s->cfg;

	if (c->checkpoint && rc == 0)
		c->checkpoint(c->checkpoint_ctx,
			      s->signo ? s->pass : c->retries + 1,
			      s->signo ? s->pos : 0);
	st->signo = s->signo;
	for (unsigned i = 0; i < s->n_workers; i++) {
		st->send_failed += bph_sender_failed(s->w[i].snd);
		st->sent += bph_sender_sent(s->w[i].snd);
	}
	st->filtered =
	    s->unreach + (rc == 0 && !s->signo && c->start_pass <= c->retries
			      ? report_unanswered(s)
			      : 0);
	st->replies = s->replies;
	st->open = s->open;
	st->closed = s->closed;
}

int bph_synscan_check(const struct bph_synscan_cfg *cfg, char *err,
		      size_t errlen)
{
	struct bph_synscan_cfg c = *cfg;

	normalize(&c);
	return check_cfg(&c, err, errlen);
}

unsigned bph_synscan_senders(uint64_t rate)
{
	return rate >= BPH_SYNSCAN_THREADED_RATE ? 2 : 1;
}

/* One socket per sender thread. */
static int open_workers(struct scan *s, struct worker *w, char *err,
			size_t errlen)
{
	const struct bph_synscan_cfg *c = s->cfg;
	unsigned n = c->senders ? c->senders : bph_synscan_senders(c->rate);
	int rc = 0;

	if (n > BPH_SYNSCAN_MAX_SENDERS)
		n = BPH_SYNSCAN_MAX_SENDERS;
	if (n > c->rate)
		n = (unsigned)c->rate; /* at least 1 pps each */
	s->w = w;
	s->n_workers = n;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		w[i].s = s;
		w[i].sub = i;
		rc = bph_sender_open(&w[i].snd, &s->route, err, errlen);
		if (rc == 0)
			bph_sender_set_clock(w[i].snd, &s->origin);
	}
	return rc;
}

/* The capture child (recv.h), after the secret and the route are known
 * and before any sender thread starts. */
static int start_capture(struct scan *s, struct bph_receiver **rcv, char *err,
			 size_t errlen)
{
	struct bph_recv_cfg rc = {
	    .iface = s->route.iface,
	    .our_ip = s->route.source_ip,
	    .key = &s->key,
	    .syn_mss = BPH_SYN_MSS,
	    .id = s->cfg->capture_id,
	    .scope = {s->cfg->targets, s->port_slot},
	};

	return bph_receiver_start(rcv, &rc, on_reply, s, err, errlen);
}

int bph_synscan_run(const struct bph_synscan_cfg *cfg, bph_synscan_cb cb,
		    void *ctx, struct bph_synscan_stats *stats, char *err,
		    size_t errlen)
{
	struct bph_synscan_cfg c = *cfg;
	struct scan s = {.cfg = &c, .cb = cb, .ctx = ctx, .sfd = -1};
	struct worker w[BPH_SYNSCAN_MAX_SENDERS] = {0};
	struct bph_receiver *rcv = NULL;
	struct bph_synscan_stats st = {0};
	struct bph_recv_stats rs = {0};
	int64_t t0 = now_ns(), send_ns = 0;
	struct sigsave old;
	char cerr[192] = "";
	int rc, crc;

	normalize(&c);
	clock_gettime(CLOCK_MONOTONIC, &s.origin);
	s.tty = !c.quiet && isatty(STDERR_FILENO);
	rc = check_cfg(&c, err, errlen);
	if (rc == 0 && c.stop_on_signal)
		rc = block_signals(&s, &old, err, errlen);
	if (rc == 0)
		rc = scan_setup(&s, &c, err, errlen);
	if (rc == 0)
		rc = open_workers(&s, w, err, errlen);
	if (rc == 0)
		rc = start_capture(&s, &rcv, err, errlen);
	if (rc)
		goto out;
	rc = run_passes(&s, &st.targets, &send_ns);
	if (rc)
		snprintf(err, errlen, "send failed on %s", s.route.iface);
	if (s.signo) /* drain briefly */
		sleep_ns((int64_t)(c.wait_ms < 1000 ? c.wait_ms : 1000) *
			 1000000LL);
	else if (c.start_pass <= c.retries)
		wait_or_stop(&s, (int64_t)cooldown_ms(&s) * 1000000LL);
	crc = bph_receiver_stop(rcv, &rs, cerr, sizeof(cerr));
	rcv = NULL;
	if (crc && rc == 0) {
		rc = crc;
		snprintf(err, errlen, "%s", cerr);
	}
	st.pcap_dropped = rs.dropped;
	st.capture_refused = rs.refused;
	finish(&s, rc, &st);
	st.seconds = (double)(now_ns() - t0) / 1e9;
	st.pps = send_ns > 0 ? (double)st.sent * 1e9 / (double)send_ns : 0;
	if (stats)
		*stats = st;
out:
	bph_receiver_stop(rcv, NULL, NULL, 0);
	for (unsigned i = 0; i < BPH_SYNSCAN_MAX_SENDERS; i++)
		bph_sender_close(w[i].snd);
	bph_validate_wipe(&s.key);
	free(s.port_slot);
	free(s.answered);
	restore_signals(&s, &old);
	return rc;
}
