/*
 * sweep_diff.c - writes the store bench/sweep_diff.sh times `bphound diff`
 * on: two complete runs of sweep "bench" over N hosts, stored and evaluated
 * the way `bphound sweep run` stores and evaluates a run (cli/sweep_run.c,
 * without the packets: each put feeds the run's collector, which the
 * evaluation then takes), the second with 1% of the hosts changed. The
 * data is heavy-tailed (bench/README.md "sweep_diff.sh"). Prints one JSON
 * object.
 */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fingerprints/err.h"
#include "store/store.h"
#include "store/sweep_store.h"
#include "sweep/config.h"
#include "sweep/coverage.h"
#include "sweep/hits.h"
#include "sweep/sweep.h"

#define BASE_IP 0x0A000000u /* 10.0.0.0: stored only, never sent to */
#define T0	1795000000
#define BATCH	20000

static const uint16_t ports[] = {80,   443,  22,   8080, 8443,
				 2222, 3389, 8000, 21,	 25};
#define N_PORTS (sizeof(ports) / sizeof(ports[0]))

/* What run 2 does to a host (1% of them get one, in turn). */
enum change {
	CH_NONE = 0,
	CH_GONE,
	CH_PORT_OPEN,
	CH_PORT_CLOSE,
	CH_CERT_REISSUE, /* new certificate, same key */
	CH_CERT_NEWKEY,
	CH_SSH_ROTATE,
	CH_TITLE,
	CH_JARM,
	CH_MOVE, /* gone here, its key and certificate at a new address */
	CH_N
};

struct host {
	uint32_t prov; /* 0: an unrelated host */
	uint32_t off;  /* index within its provider */
	uint8_t first, nports;
	uint8_t change;
	uint32_t zipf; /* its popular software and pages */
};

struct gen {
	uint64_t s;
	size_t n, n_new, n_moved;
	struct host *h;	 /* n hosts, then n_new new, then n_moved moved */
	uint32_t *moved; /* the host each moved one came from */
	size_t changed[CH_N];
	const char *xml_dir; /* also writes run1.xml and run2.xml there */
	bool records;	     /* evaluate each run from its records read back */
};

static uint64_t mix(uint64_t x) /* splitmix64 */
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static double unif(struct gen *g)
{
	g->s = mix(g->s);
	return (double)(g->s >> 11) / 9007199254740992.0;
}

/* Pareto with minimum xm and shape alpha, capped at max: the sizes of
 * providers and the number of ports of a host have long tails. */
static size_t pareto(struct gen *g, double xm, double alpha, size_t max)
{
	double v = xm / pow(1.0 - unif(g), 1.0 / alpha);
	return v > (double)max ? max : (size_t)v;
}

/* Zipf-like rank in [0, n): popular software, pages and CDNs. */
static uint32_t zipf(struct gen *g, uint32_t n)
{
	size_t r = pareto(g, 1.0, 0.8, n) - 1;
	return (uint32_t)(r < n ? r : n - 1);
}

/* ---- values: deterministic strings in each kind's format ---- */

static void hexv(char *out, size_t len, const char *tag, uint64_t a, uint64_t b)
{
	uint64_t x = mix(a * 0x100000001b3ull ^ mix(b) ^
			 (uint64_t)tag[0] << 56 ^ (uint64_t)tag[1] << 48);
	for (size_t i = 0; i < len; i++) {
		if (i % 16 == 0)
			x = mix(x + i);
		out[i] = "0123456789abcdef"[(x >> (4 * (i % 16))) & 15];
	}
	out[len] = '\0';
}

static void b64v(char *out, const char *tag, uint64_t a, uint64_t b)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	    "wxyz0123456789+/";
	char hex[44];
	hexv(hex, 43, tag, a, b);
	memcpy(out, "SHA256:", 7);
	for (size_t i = 0; i < 43; i++)
		out[7 + i] = al[(unsigned char)hex[i] * 7 % 64];
	out[50] = '\0';
}

static void md5v(char *out, const char *tag, uint64_t a, uint64_t b)
{
	char hex[33];
	hexv(hex, 32, tag, a, b);
	memcpy(out, "MD5:", 4);
	for (size_t i = 0; i < 16; i++) {
		out[4 + 3 * i] = hex[2 * i];
		out[5 + 3 * i] = hex[2 * i + 1];
		out[6 + 3 * i] = i < 15 ? ':' : '\0';
	}
}

/* ---- the hosts of both runs ---- */

static int plan(struct gen *g)
{
	size_t i = 0, k = 0;

	g->h = calloc(g->n + g->n / 50 + 2, sizeof(*g->h));
	g->moved = calloc(g->n / 100 + 1, sizeof(*g->moved));
	if (!g->h || !g->moved)
		return BPH_ERR_NOMEM;
	/* the first block is the tracked provider, 1 */
	for (uint32_t p = 1; i < g->n; p++) {
		size_t size = p == 1 ? 200 : pareto(g, 2.0, 1.1, 20000);
		bool prov = p == 1 || unif(g) < 0.06;
		for (size_t j = 0; j < (prov ? size : 1) && i < g->n; j++, i++)
			g->h[i] = (struct host){.prov = prov ? p : 0,
						.off = (uint32_t)j};
	}
	for (i = 0; i < g->n; i++) {
		g->h[i].first = (uint8_t)zipf(g, N_PORTS);
		g->h[i].nports = (uint8_t)pareto(g, 1.0, 1.6, N_PORTS);
		g->h[i].zipf = (uint32_t)(g->s >> 20);
		if (unif(g) < 0.01) {
			g->h[i].change = (uint8_t)(1 + k++ % (CH_N - 1));
			g->changed[g->h[i].change]++;
			if (g->h[i].change == CH_MOVE)
				g->moved[g->n_moved++] = (uint32_t)i;
		}
	}
	g->n_new = g->n / 1000 + 1; /* half of them join provider 1 */
	for (i = 0; i < g->n_new; i++)
		g->h[g->n + i] =
		    (struct host){.prov = i % 2 ? 0 : 1,
				  .off = (uint32_t)(i % 200),
				  .first = (uint8_t)zipf(g, N_PORTS),
				  .nports = 2,
				  .zipf = (uint32_t)(g->s >> 20)};
	for (i = 0; i < g->n_moved; i++) {
		g->h[g->n + g->n_new + i] = g->h[g->moved[i]];
		g->h[g->n + g->n_new + i].change = CH_NONE;
	}
	return 0;
}

/* Which host k's identity (keys, certificates) is: a moved host's is the
 * one it came from. */
static uint64_t src_of(const struct gen *g, size_t k)
{
	return k >= g->n + g->n_new ? g->moved[k - g->n - g->n_new] : k;
}

struct ids {
	uint64_t src;
	const struct host *h;
	int change; /* in this run */
};

static void ssh_values(const struct ids *d, struct bph_ssh_info *s)
{
	const char *tag = d->change == CH_SSH_ROTATE ? "sr"
			  : d->h->prov		     ? "st"
						     : "sh";
	uint64_t a =
	    d->h->prov && d->change != CH_SSH_ROTATE ? d->h->prov : d->src;
	uint64_t b = d->h->prov ? d->h->off / 20 : 0;

	s->hostkeys = calloc(1, sizeof(*s->hostkeys));
	if (s->hostkeys) {
		s->n_hostkeys = 1;
		s->hostkeys[0].type = strdup("ssh-ed25519");
		s->hostkeys[0].bits = 256;
		b64v(s->hostkeys[0].sha256, tag, a, b);
		md5v(s->hostkeys[0].md5, tag, a, b);
	}
	s->banner = strdup("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
	hexv(s->hassh_server, 32, "hh",
	     d->h->prov ? d->h->prov % 30 : d->h->zipf % 7, 0);
}

/* A certificate: a provider's per batch of 30, a CDN's shared by many
 * (one unrelated host in five, Zipf over 20 CDNs), else the host's own. */
static void cert_id(const struct ids *d, const char **tag, uint64_t *a,
		    uint64_t *b)
{
	*b = 0;
	if (d->h->prov) {
		*tag = "ct";
		*a = d->h->prov;
		*b = (d->h->off + 7) / 30;
	} else if (d->h->zipf % 5 == 0) {
		*tag = "cd";
		*a = d->h->zipf / 5 % 20 * (d->h->zipf / 100 % 3 ? 1 : 0);
	} else {
		*tag = "cs";
		*a = d->src;
	}
}

static void tls_values(const struct ids *d, struct bph_tls_info *t)
{
	const char *tag;
	uint64_t a, b;

	cert_id(d, &tag, &a, &b);
	hexv(t->spki_sha256, 64, d->change == CH_CERT_NEWKEY ? "kn" : tag + 1,
	     a, b);
	if (d->change == CH_CERT_REISSUE || d->change == CH_CERT_NEWKEY)
		b ^= 0x5a5a5a5aull << 20;
	hexv(t->cert_sha256, 64, tag, a, b);
	hexv(t->cert_sha1, 40, tag, a, b);
	hexv(t->jarm, 62, d->change == CH_JARM ? "jc" : "jz",
	     d->change == CH_JARM ? d->src : d->h->zipf % 50, 0);
	hexv(t->ja3s, 32, "ja", d->h->zipf % 12, 0);
	t->version = strdup("TLSv1.3");
	t->cipher = strdup("TLS_AES_256_GCM_SHA384");
	char subj[64];
	snprintf(subj, sizeof(subj), "CN=host-%llu.example",
		 (unsigned long long)a);
	t->subject = strdup(subj);
	t->issuer = strdup(subj);
}

static void http_values(const struct ids *d, struct bph_http_info *h)
{
	char title[64];

	if (d->change == CH_TITLE)
		snprintf(title, sizeof(title), "Changed %llu",
			 (unsigned long long)d->src);
	else if (d->h->prov)
		snprintf(title, sizeof(title), "Panel %u", d->h->prov);
	else
		snprintf(title, sizeof(title), "Welcome %u", d->h->zipf % 1000);
	h->title = strdup(title);
	h->status = 200;
	uint64_t fnv = 0xcbf29ce484222325ull;
	for (const char *c = title; *c; c++)
		fnv = (fnv ^ (unsigned char)*c) * 0x100000001b3ull;
	hexv(h->body_sha256, 64, "bo", fnv, 0);
	char server[32];
	snprintf(server, sizeof(server), "nginx/1.%u", d->h->zipf % 20);
	h->server = strdup(server);
}

static void tcp_values(const struct host *h, struct bph_tcp_traits *t)
{
	t->present = true;
	t->ttl = 52;
	t->ittl = 64;
	t->window = 64240;
	t->mss = 1460;
	snprintf(t->sig, sizeof(t->sig),
		 "4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:%u",
		 h->prov ? h->prov % 40 : h->zipf % 40);
}

static int fill(struct bph_service *s, const struct ids *d, uint32_t ip,
		uint16_t port, time_t seen)
{
	s->ip = ip;
	s->port = port;
	s->state = BPH_STATE_OPEN;
	s->seen = seen;
	tcp_values(d->h, &s->tcp);
	if (port == 22 || port == 2222) {
		s->proto = strdup("ssh");
		if ((s->ssh = bph_ssh_info_new()))
			ssh_values(d, s->ssh);
	} else if (port == 443 || port == 8443 || port == 3389) {
		s->proto = strdup("tls");
		if ((s->tls = bph_tls_info_new()))
			tls_values(d, s->tls);
	} else if (port == 80 || port == 8080 || port == 8000) {
		s->proto = strdup("http");
		if ((s->http = bph_http_info_new()))
			http_values(d, s->http);
	} else {
		s->proto = strdup("banner");
		if ((s->banner = bph_banner_info_new()))
			s->banner->text = strdup("220 mail ESMTP Postfix");
	}
	return s->proto && (s->ssh || s->tls || s->http || s->banner)
		   ? 0
		   : BPH_ERR_NOMEM;
}

struct batch {
	struct bph_store *st;
	FILE *xml; /* the run as nmap XML for ndiff, or NULL */
	struct bph_sweep_collector *fed; /* as sweep run; NULL: "records" */
	double feed_t0, feed_cpu;	 /* CPU from a put's first record fed */
	int64_t scan;
	struct bph_service v[BATCH + N_PORTS];
	size_t n;
	int64_t services;
};

/* The process's CPU time (user + system) so far. */
static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* As cli/sweep_run.c's gather(): each stored record to the collector;
 * the first of a put starts the clock of the feeding. */
static int gather(void *ctx, const struct bph_service *s)
{
	struct batch *b = ctx;

	if (b->feed_t0 < 0)
		b->feed_t0 = cpu_s();
	return bph_sweep_collector_feed(b->fed, s);
}

static int flush(struct batch *b)
{
	int rc = 0;

	b->feed_t0 = -1;
	if (b->n && b->fed)
		rc = bph_store_put_all_each(b->st, b->scan, b->v, b->n, gather,
					    b);
	else if (b->n)
		rc = bph_store_put_all(b->st, b->scan, b->v, b->n);
	if (b->feed_t0 >= 0)
		b->feed_cpu += cpu_s() - b->feed_t0;

	for (size_t i = 0; i < b->n; i++)
		bph_service_clear(&b->v[i]);
	b->services += (int64_t)b->n;
	b->n = 0;
	return rc;
}

/* ---- the same runs as nmap XML, for ndiff (what it compares: ports,
 * services and script output; the values are bphound's) ---- */

static void xml_host(FILE *f, uint32_t ip, bool start)
{
	if (!start) {
		fputs("</ports></host>\n", f);
		return;
	}
	fprintf(f,
		"<host><status state=\"up\"/><address addr=\"%u.%u.%u.%u\" "
		"addrtype=\"ipv4\"/><ports>",
		ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

static void xml_port(FILE *f, const struct bph_service *s)
{
	fprintf(f,
		"<port protocol=\"tcp\" portid=\"%u\"><state "
		"state=\"open\"/><service name=\"%s\"/>",
		s->port, s->proto);
	if (s->ssh && s->ssh->n_hostkeys)
		fprintf(f, "<script id=\"ssh-hostkey\" output=\"%s %s\"/>",
			s->ssh->hostkeys[0].sha256, s->ssh->hassh_server);
	if (s->tls)
		fprintf(f, "<script id=\"ssl-cert\" output=\"%s %s %s\"/>",
			s->tls->cert_sha256, s->tls->spki_sha256, s->tls->jarm);
	if (s->http)
		fprintf(f, "<script id=\"http-title\" output=\"%s %s\"/>",
			s->http->title, s->http->body_sha256);
	fputs("</port>", f);
}

static FILE *xml_open(const char *dir, int run)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/run%d.xml", dir, run);
	FILE *f = fopen(path, "w");
	if (f)
		fprintf(f,
			"<?xml version=\"1.0\"?>\n<nmaprun scanner=\"nmap\" "
			"args=\"bench\" start=\"%d\" version=\"7.93\" "
			"xmloutputversion=\"1.05\">\n",
			T0 + run * 86400);
	return f;
}

static int xml_close(FILE *f, int run)
{
	fprintf(f, "<runstats><finished time=\"%d\"/></runstats></nmaprun>\n",
		T0 + run * 86400 + 3600);
	return fclose(f) ? BPH_ERR_IO : 0;
}

/* Host k's services in run (1 or 2) into the batch. */
static int emit(const struct gen *g, size_t k, int run, struct batch *b)
{
	const struct host *h = &g->h[k];
	struct ids d = {src_of(g, k), h, run == 2 ? h->change : CH_NONE};
	size_t np = h->nports;
	int rc = 0;

	if (d.change == CH_GONE || d.change == CH_MOVE)
		return 0;
	if (d.change == CH_PORT_OPEN && np < N_PORTS)
		np++;
	else if (d.change == CH_PORT_CLOSE && np > 1)
		np--;
	if (b->xml)
		xml_host(b->xml, BASE_IP + (uint32_t)k, true);
	for (size_t j = 0; j < np && !rc; j++) {
		struct bph_service *s = &b->v[b->n++];
		memset(s, 0, sizeof(*s));
		rc = fill(s, &d, BASE_IP + (uint32_t)k,
			  ports[(h->first + j) % N_PORTS], T0 + run * 86400);
		if (!rc && b->xml)
			xml_port(b->xml, s);
	}
	if (b->xml)
		xml_host(b->xml, 0, false);
	return rc ? rc : b->n >= BATCH ? flush(b) : 0;
}

static int store_scan(const struct gen *g, int run, struct batch *b)
{
	size_t last = run == 1 ? g->n : g->n + g->n_new + g->n_moved;
	int rc = bph_store_scan_begin(b->st, "sweep", "bench", &b->scan);

	for (size_t k = 0; !rc && k < last; k++)
		rc = emit(g, k, run, b);
	if (!rc)
		rc = flush(b);
	return rc ? rc : bph_store_scan_end(b->st, b->scan);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- the run's own memory, apart from the generator's ---- */

/* VmRSS or VmHWM of this process in KiB (/proc/self/status); -1 when
 * unreadable. */
static long vm_kib(const char *key)
{
	char line[256];
	long v = -1;
	size_t k = strlen(key);
	FILE *f = fopen("/proc/self/status", "r");

	while (f && v < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, k) && line[k] == ':')
			v = strtol(line + k + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* Starts a new high-water mark at the current RSS (clear_refs "5",
 * Linux 4.0); false when the kernel refuses. */
static bool hwm_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	bool ok = f && fputs("5", f) >= 0;

	if (f && fclose(f))
		ok = false;
	return ok;
}

/* Bytes malloc has handed out and not had back (glibc). */
static double heap_mib(void)
{
	struct mallinfo2 m = mallinfo2();
	return (double)(m.uordblks + m.hblkhd) / 1048576.0;
}

/* Peak RSS since the last hwm_reset above base_kib, in MiB (-1: not
 * measurable), and a new mark started; *peak keeps the process's own
 * (the restart clears getrusage's and /usr/bin/time's too). */
static double peak_above(long base_kib, bool *ok, long *peak)
{
	long hwm = *ok ? vm_kib("VmHWM") : -1;

	if (hwm > *peak)
		*peak = hwm;
	*ok = hwm >= 0 && base_kib >= 0 && hwm_reset();
	return hwm >= 0 && base_kib >= 0 ? (double)(hwm - base_kib) / 1024.0
					 : -1;
}

/* The run's coverage: every address of both runs, every port. */
static int set_coverage(const struct gen *g, struct bph_store *st, int64_t run,
			int64_t scan, int r)
{
	struct bph_coverage c = {0};
	uint32_t hi = BASE_IP + (uint32_t)(g->n + g->n_new + g->n_moved);
	int rc = bph_coverage_add_range(&c, BASE_IP, hi);

	for (size_t i = 0; !rc && i < N_PORTS; i++)
		rc = bph_coverage_add_port(&c, ports[i]);
	bph_coverage_finish(&c);
	char *ranges = rc ? NULL : bph_coverage_ranges_str(&c);
	char *pl = rc ? NULL : bph_coverage_ports_str(&c);
	rc = rc ? rc
	     : !ranges || !pl
		 ? BPH_ERR_NOMEM
		 : bph_sweep_run_set_scan(st, run, scan, ranges, pl,
					  T0 + r * 86400 + 3600);
	free(ranges);
	free(pl);
	bph_coverage_clear(&c);
	return rc;
}

struct run_out {
	int64_t run, services;
	double store_s, store_cpu, feed_cpu, eval_s[2]; /* eval: wall, CPU */
	/* MiB: RSS before the run (the generator, the store's cache), the
	 * peaks above it while storing and feeding and while evaluating,
	 * and the heap the collector holds when its scan is done */
	double rss_before, store_peak, eval_peak, collector;
	long peak_kib; /* the process's peak RSS up to the run's end */
	size_t events;
	bool fed; /* the evaluation took what the store was fed */
};

/* As cli/sweep_run.c's complete(): evaluate the run against the last,
 * then commit its state and counts (the events are recomputed by diff). */
static int complete(struct bph_sweep_ctx *x, int64_t run, struct run_out *o,
		    char *err, size_t errlen)
{
	double *secs = o->eval_s;
	struct bph_eval ev;
	struct bph_eval_commit c = {0};
	double t0 = now_s(), c0 = cpu_s();
	int rc = bph_sweep_evaluate(x, 0, run, &ev, err, errlen);

	if (!rc)
		rc = bph_eval_commit(&ev, x, run, &c);
	secs[0] = now_s() - t0;
	secs[1] = cpu_s() - c0;
	if (!rc)
		rc = bph_sweep_commit(x->st, &c.c);
	o->events = rc ? 0 : ev.events.n;
	o->fed = !rc && ev.fed;
	bph_eval_commit_clear(&c);
	bph_eval_clear(&ev); /* evaluate zeroes it first */
	return rc;
}

/* DIR/bench.yaml and DIR/watch.yaml: provider 1 tracked by its first
 * host, its first SSH key watched, a CDN certificate and a weak JARM. */
static int write_config(const char *dir)
{
	char path[4096], key[64], cdn[65], jarm[63];
	FILE *f;

	b64v(key, "st", 1, 0);
	hexv(cdn, 64, "cd", 0, 0);
	hexv(jarm, 62, "jz", 0, 0);
	snprintf(path, sizeof(path), "%s/watch.yaml", dir);
	if (!(f = fopen(path, "w")))
		return BPH_ERR_IO;
	fprintf(f,
		"version: 1\nsource: bench\nentries:\n"
		"  - {kind: ssh_hostkey, value: \"%s\", severity: high}\n"
		"  - {kind: cert_sha256, value: \"%s\", severity: medium}\n"
		"  - {kind: jarm, value: \"%s\"}\n",
		key, cdn, jarm);
	fclose(f);
	snprintf(path, sizeof(path), "%s/bench.yaml", dir);
	if (!(f = fopen(path, "w")))
		return BPH_ERR_IO;
	fprintf(f,
		"name: bench\ndb: bench.db\n"
		"diff: {absent_after: 1}\n"
		"targets: {cidrs: [10.0.0.0/8]}\n"
		"ports: [21, 22, 25, 80, 443, 2222, 3389, 8000, 8080, 8443]\n"
		"watch:\n  files: [watch.yaml]\n  clusters:\n"
		"    - name: provider-1\n      anchor: {hosts: [10.0.0.0]}\n"
		"      growth_pct: 10\n");
	return fclose(f) ? BPH_ERR_IO : 0;
}

static int one_run(const struct gen *g, struct bph_sweep_ctx *x, int r,
		   struct run_out *o, char *err, size_t errlen)
{
	FILE *xml = g->xml_dir ? xml_open(g->xml_dir, r) : NULL;
	/* run 1's freed heap given back first, so as not to hide in it */
	long rss0 = malloc_trim(0) >= 0 ? vm_kib("VmRSS") : -1;
	bool hwm = (o->peak_kib = vm_kib("VmHWM")) >= 0 && hwm_reset();
	double heap0 = heap_mib();
	struct batch *b = calloc(1, sizeof(*b)); /* 20,000 records */
	int n_int = 0;
	double t0 = now_s(), c0 = cpu_s();
	int rc = b ? bph_sweep_run_begin(x->st, "bench", x->cfg->sha256, 1,
					 &o->run, &n_int)
		   : BPH_ERR_NOMEM;

	if (!rc && g->xml_dir && !xml)
		rc = BPH_ERR_IO;
	if (!rc && !g->records && !(b->fed = bph_sweep_collector_new(x)))
		rc = BPH_ERR_NOMEM;
	if (!rc) {
		b->st = x->st;
		b->xml = xml;
		rc = store_scan(g, r, b);
	}
	if (xml && xml_close(xml, r) && !rc)
		rc = BPH_ERR_IO;
	if (!rc)
		rc = set_coverage(g, x->st, o->run, b->scan, r);
	o->store_s = now_s() - t0;
	o->store_cpu = cpu_s() - c0;
	o->feed_cpu = b ? b->feed_cpu : 0;
	o->services = b ? b->services : 0;
	if (!rc && b->fed) { /* as sweep run, after set_scan */
		bph_sweep_collector_done(b->fed, b->scan);
		x->fed = b->fed;
	}
	/* the batch's records are cleared: what the heap grew by is the
	 * collector's (and the store's statement caches, small) */
	o->collector = b && b->fed ? heap_mib() - heap0 : 0;
	o->rss_before = (double)rss0 / 1024.0;
	o->store_peak = peak_above(rss0, &hwm, &o->peak_kib);
	if (!rc)
		rc = complete(x, o->run, o, err, errlen);
	o->eval_peak = peak_above(rss0, &hwm, &o->peak_kib);
	x->fed = NULL;
	if (b)
		bph_sweep_collector_free(b->fed);
	free(b);
	return rc;
}

static void print_json(const struct gen *g, const struct run_out *o)
{
	static const char *names[CH_N] = {
	    "",		  "gone",	  "port_open",
	    "port_close", "cert_reissue", "cert_newkey",
	    "ssh_rotate", "title",	  "jarm",
	    "move"};
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("{\"hosts\": %zu, \"new_hosts\": %zu, \"changed\": {", g->n,
	       g->n_new);
	for (int c = 1; c < CH_N; c++)
		printf("%s\"%s\": %zu", c > 1 ? ", " : "", names[c],
		       g->changed[c]);
	printf("}, \"runs\": [");
	for (int r = 0; r < 2; r++)
		printf("%s{\"run\": %lld, \"services\": %lld, \"store_s\": "
		       "%.2f, \"store_cpu_s\": %.2f, \"feed_cpu_s\": %.2f, "
		       "\"evaluate_s\": %.2f, \"evaluate_cpu_s\": %.2f, "
		       "\"evaluated_from\": \"%s\", \"events\": %zu, "
		       "\"rss_before_mib\": %.0f, \"store_peak_above_mib\": "
		       "%.0f, \"collector_heap_mib\": %.0f, "
		       "\"evaluate_peak_above_mib\": %.0f}",
		       r ? ", " : "", (long long)o[r].run,
		       (long long)o[r].services, o[r].store_s, o[r].store_cpu,
		       o[r].feed_cpu, o[r].eval_s[0], o[r].eval_s[1],
		       o[r].fed ? "fed" : "records", o[r].events,
		       o[r].rss_before, o[r].store_peak, o[r].collector,
		       o[r].eval_peak);
	long peak = ru.ru_maxrss; /* since the last restart of the mark */
	for (int r = 0; r < 2; r++)
		peak = o[r].peak_kib > peak ? o[r].peak_kib : peak;
	printf("], \"gen_max_rss_mib\": %ld}\n", peak / 1024);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: sweep_diff DIR HOSTS [SEED] [xml] [records]\n"
		"  writes DIR/bench.yaml, DIR/watch.yaml and the "
		"two runs into DIR/bench.db (with xml also as nmap XML, "
		"DIR/run1.xml and DIR/run2.xml; with records each run is "
		"evaluated from its records read back, as before the "
		"collector fed as the store writes)\n");
	return 2;
}

static int run_all(const char *dir, struct gen *g, struct run_out *o)
{
	char path[4096], err[512] = "";
	struct bph_sweep_config *cfg = NULL;
	struct bph_store *st = NULL;
	struct bph_sweep_ctx x;
	int rc = write_config(dir);

	snprintf(path, sizeof(path), "%s/bench.yaml", dir);
	if (!rc)
		rc = bph_sweep_config_load(path, &cfg, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	if (!rc)
		rc = bph_store_open(path, BPH_STORE_WRITE, &st, err,
				    sizeof(err));
	if (!rc && !(rc = bph_sweep_ctx_init(&x, st, cfg, err, sizeof(err)))) {
		x.now = T0 + 2 * 86400;
		x.keep_index = true; /* as sweep run commits a run */
		for (int r = 1; r <= 2 && !rc; r++)
			rc = one_run(g, &x, r, &o[r - 1], err, sizeof(err));
		bph_sweep_ctx_clear(&x);
	}
	if (rc)
		fprintf(stderr, "sweep_diff: %s: %s\n", bph_strerror(rc), err);
	bph_store_close(st);
	bph_sweep_config_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	struct gen g = {0};
	struct run_out o[2] = {{0}};

	if (argc < 3 || argc > 6 || (g.n = strtoul(argv[2], NULL, 10)) < 300)
		return usage();
	g.s = argc >= 4 ? strtoull(argv[3], NULL, 10) : 1;
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "xml"))
			g.xml_dir = argv[1];
		else if (!strcmp(argv[i], "records"))
			g.records = true;
		else
			return usage();
	}
	int rc = plan(&g);
	if (!rc)
		rc = run_all(argv[1], &g, o);
	if (!rc)
		print_json(&g, o);
	free(g.h);
	free(g.moved);
	return rc ? 1 : 0;
}
