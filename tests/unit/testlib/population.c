/*
 * population.c - the seeded synthetic population of population.h: every
 * choice comes from one splitmix64 stream, so a seed always gives the
 * same rows.
 */
#include "population.h"

#include <inttypes.h>
#include <stdio.h>

#define NGINX_TITLE "Welcome to nginx!" /* both on common.yaml */
#define NGINX_BODY                                                             \
	"fb47468a2cd3953c7131431991afcc6a2703f14640520102eea0a685a7e8d6de"
#define T0 1795000000

struct gen {
	uint64_t rng;
	bph_test_row_fn fn;
	void *arg;
	unsigned next_block; /* /24s handed out so far */
	unsigned next_solo;  /* solo addresses handed out so far */
};

static uint64_t next(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned below(struct gen *g, unsigned n)
{
	return n ? (unsigned)(next(g) % n) : 0;
}

static int chance(struct gen *g, unsigned percent)
{
	return below(g, 100) < percent;
}

/* Skewed pick in [0, n): the first values are much more frequent. */
static unsigned popular(struct gen *g, unsigned n)
{
	double u = (double)(next(g) >> 11) / 9007199254740992.0;

	return (unsigned)((double)n * u * u * u);
}

static void row(struct gen *g, const char *ip, const char *kind,
		const char *value, uint16_t port)
{
	g->fn(g->arg, ip, kind, value, port, T0 + below(g, 86400));
}

/* One software stack (TLS, SSH, HTTP) and one TCP stack. */
struct stack {
	char build[32], tcp[32];
};

static void stack_rows(struct gen *g, const char *ip, const struct stack *s,
		       int ssh, int tls, int http)
{
	char v[64];

	snprintf(v, sizeof(v), "%s-tcp", s->tcp);
	row(g, ip, "tcp_sig", v, ssh ? 22 : 443);
	snprintf(v, sizeof(v), "%s-hassh", s->build);
	if (ssh)
		row(g, ip, "hassh", v, 22);
	snprintf(v, sizeof(v), "%s-jarm", s->build);
	if (tls)
		row(g, ip, "jarm", v, 443);
	snprintf(v, sizeof(v), "%s-ja3s", s->build);
	if (tls)
		row(g, ip, "ja3s", v, 443);
	snprintf(v, sizeof(v), "%s-server", s->build);
	if (http)
		row(g, ip, "server", v, 80);
	snprintf(v, sizeof(v), "%s-headers", s->build);
	if (http)
		row(g, ip, "header_hash", v, 80);
}

static void popular_stack(struct gen *g, struct stack *s)
{
	snprintf(s->build, sizeof(s->build), "pop%u", popular(g, 12));
	snprintf(s->tcp, sizeof(s->tcp), "pop%u", popular(g, 8));
}

static void block_ip(unsigned block, unsigned h, char ip[32])
{
	snprintf(ip, 32, "20.%u.%u.%u", block / 256, block % 256, h);
}

/* An unrelated host: its own key, a popular build, maybe a default or
 * unique page; at ip. */
static void solo(struct gen *g, const char *ip)
{
	struct stack s;
	char v[64];
	int ssh = chance(g, 60), tls = chance(g, 40);

	popular_stack(g, &s);
	stack_rows(g, ip, &s, ssh, tls, 1);
	snprintf(v, sizeof(v), "key-%s", ip);
	if (ssh)
		row(g, ip, "ssh_hostkey", v, 22);
	snprintf(v, sizeof(v), "cert-%s", ip);
	if (tls)
		row(g, ip, "cert_sha256", v, 443);
	if (chance(g, 50)) {
		row(g, ip, "title", NGINX_TITLE, 80);
		row(g, ip, "body_sha256", NGINX_BODY, 80);
	} else {
		snprintf(v, sizeof(v), "site %s", ip);
		row(g, ip, "title", v, 80);
	}
}

/* Host i of provider p's n: SSH on a template key, TLS on a certificate
 * batch, HTTP with the panel; or re-installed (fresh key, default page). */
static void provider_host(struct gen *g, unsigned p, unsigned i, unsigned n,
			  const char *ip, const struct stack *s, int rotates)
{
	char v[64];
	int ssh = chance(g, 85), tls = chance(g, 60), http = chance(g, 70);
	unsigned tmpl = (chance(g, 30) ? below(g, n) : i) / 10;

	if (!ssh && !tls)
		http = 1;
	if (chance(g, 6)) { /* re-installed: nothing strong left */
		stack_rows(g, ip, s, 1, 0, 1);
		snprintf(v, sizeof(v), "key-%s", ip);
		row(g, ip, "ssh_hostkey", v, 22);
		row(g, ip, "title", NGINX_TITLE, 80);
		row(g, ip, "body_sha256", NGINX_BODY, 80);
		return;
	}
	stack_rows(g, ip, s, ssh, tls, http);
	snprintf(v, sizeof(v), "key-p%u-t%u", p, tmpl);
	if (ssh)
		row(g, ip, "ssh_hostkey", v, 22);
	snprintf(v, sizeof(v), "cert-p%u-b%u%s", p, i / 15,
		 rotates && i >= n / 2 ? "-new" : "");
	if (tls)
		row(g, ip, "cert_sha256", v, 443);
	v[0] = 's'; /* "sert-...": the batch's key */
	if (tls)
		row(g, ip, "spki_sha256", v, 443);
	snprintf(v, sizeof(v), "Provider %u :: Client Area", p);
	if (http)
		row(g, ip, "title", v, 80);
	snprintf(v, sizeof(v), "panel-body-p%u", p);
	if (http)
		row(g, ip, "body_sha256", v, 80);
	snprintf(v, sizeof(v), "panel-favicon-p%u", p);
	if (http)
		row(g, ip, "favicon", v, 80);
}

/* Provider p: its hosts in /24s of at most 40, with unrelated neighbours
 * among them; one stray host elsewhere carries its panel. */
static void provider(struct gen *g, unsigned p)
{
	unsigned n = p % 5 == 0 ? 25 + below(g, 36) : 3 + below(g, 20);
	int rotates = chance(g, 40);
	struct stack s;
	char ip[32], v[64];

	if (chance(g, 50)) {
		snprintf(s.build, sizeof(s.build), "prov%u", p);
		snprintf(s.tcp, sizeof(s.tcp), "prov%u", p);
	} else {
		popular_stack(g, &s);
	}
	for (unsigned i = 0; i < n; i += 40) {
		unsigned block = g->next_block++, h = 1;
		for (unsigned j = i; j < n && j < i + 40; j++, h += 2) {
			block_ip(block, h, ip);
			provider_host(g, p, j, n, ip, &s, rotates);
		}
		for (unsigned k = below(g, n / 2 + 1); k > 0; k--, h += 2) {
			block_ip(block, h, ip);
			solo(g, ip);
		}
	}
	snprintf(ip, sizeof(ip), "30.0.%u.%u", p / 200, 1 + p % 200);
	snprintf(v, sizeof(v), "panel-favicon-p%u", p);
	row(g, ip, "favicon", v, 8080);
	snprintf(v, sizeof(v), "panel-body-p%u", p);
	row(g, ip, "body_sha256", v, 8080);
	row(g, ip, "tcp_sig", "pop0-tcp", 8080);
}

static void next_solo_ip(struct gen *g, char ip[32])
{
	unsigned s = g->next_solo++;

	snprintf(ip, 32, "60.%u.%u.%u", s / 65536, (s / 256) % 256, s % 256);
}

/* v vendors (a key over the strong cap, a default certificate, a login
 * page) or c CDNs (a certificate on many sites of their own). */
static void shared_defaults(struct gen *g)
{
	char ip[32], v[64];

	for (unsigned k = 0; k < 3; k++)
		for (unsigned n = 55 + below(g, 30); n > 0; n--) {
			next_solo_ip(g, ip);
			snprintf(v, sizeof(v), "vendor-key-%u", k);
			row(g, ip, "ssh_hostkey", v, 22);
			snprintf(v, sizeof(v), "vendor-cert-%u", k);
			if (chance(g, 50))
				row(g, ip, "cert_sha256", v, 443);
			snprintf(v, sizeof(v), "Vendor%u Router Login", k);
			row(g, ip, "title", v, 80);
		}
	for (unsigned k = 0; k < 2; k++)
		for (unsigned n = 80 + below(g, 60); n > 0; n--) {
			next_solo_ip(g, ip);
			snprintf(v, sizeof(v), "cdn-cert-%u", k);
			row(g, ip, "cert_sha256", v, 443);
			snprintf(v, sizeof(v), "site %s", ip);
			row(g, ip, "title", v, 443);
		}
}

/* Small organisations: 2..5 hosts on one wildcard certificate. */
static void orgs(struct gen *g, unsigned n)
{
	char ip[32], v[64];
	struct stack s;

	for (unsigned k = 0; k < n; k++)
		for (unsigned m = 2 + below(g, 4); m > 0; m--) {
			next_solo_ip(g, ip);
			popular_stack(g, &s);
			stack_rows(g, ip, &s, 0, 1, 0);
			snprintf(v, sizeof(v), "org-wildcard-%u", k);
			row(g, ip, "cert_sha256", v, 443);
		}
}

void bph_test_population(const struct bph_test_pop *o, bph_test_row_fn fn,
			 void *arg)
{
	struct gen g = {o->seed * 0x100000001b3ULL + 1, fn, arg, 0, 0};
	char ip[32];

	for (unsigned p = 0; p < o->providers; p++)
		provider(&g, p);
	shared_defaults(&g);
	orgs(&g, o->providers);
	for (unsigned k = 0; k < o->solos; k++) {
		next_solo_ip(&g, ip);
		solo(&g, ip);
	}
}
