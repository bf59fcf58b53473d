/*
 * report.c - who receives an abuse report: the plan of recipients
 * (providers by abuse mailbox, upstreams by AS), deduplicated, with how
 * each address was found, and the --dry-run listing. The rules are in
 * abuse/report.h; the files are written by report_write.c.
 */
#include "abuse/report.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "abuse/mime.h"
#include "fingerprints/err.h"

const struct bph_report_type bph_report_types[] = {
    {"bph", "reputation", "threat_intelligence", "bulletproof_hosting",
     "bulletproof hosting"},
    {"c2", "reputation", "threat_intelligence", "command_and_control",
     "command-and-control servers"},
    {"malware", "reputation", "threat_intelligence", "malware_distribution",
     "malware distribution"},
    {"phishing", "reputation", "threat_intelligence", "phishing",
     "phishing sites"},
    {"blocklist", "reputation", "blocklist", "bulletproof_hosting",
     "bulletproof hosting, for blocklists"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct bph_report_type *bph_report_type_find(const char *name)
{
	for (size_t i = 0; name && bph_report_types[i].name; i++)
		if (!strcmp(bph_report_types[i].name, name))
			return &bph_report_types[i];
	return NULL;
}

static int push_index(size_t **v, size_t *n, size_t x)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return 0;
	size_t *p = realloc(*v, (*n + 1) * sizeof(*p));
	if (!p)
		return BPH_ERR_NOMEM;
	p[(*n)++] = x;
	*v = p;
	return 0;
}

/* The recipient with mailbox m (any case), added when new; NULL on
 * ENOMEM. */
static struct bph_rcpt *rcpt_of(struct bph_report_plan *p, const char *m)
{
	struct bph_rcpt *r;
	for (size_t i = 0; i < p->n; i++)
		if (!strcasecmp(p->r[i].mailbox, m))
			return &p->r[i];
	r = realloc(p->r, (p->n + 1) * sizeof(*r));
	if (!r)
		return NULL;
	p->r = r;
	r = &r[p->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->mailbox, sizeof(r->mailbox), "%s", m);
	return r;
}

static int add_way(struct bph_rcpt *r, const char *how, size_t host)
{
	struct bph_rcpt_way *w = NULL;
	for (size_t i = 0; i < r->n_ways && !w; i++)
		if (!strcmp(r->ways[i].how, how))
			w = &r->ways[i];
	if (!w) {
		w = realloc(r->ways, (r->n_ways + 1) * sizeof(*w));
		if (!w)
			return BPH_ERR_NOMEM;
		r->ways = w;
		w = &w[r->n_ways++];
		memset(w, 0, sizeof(*w));
		snprintf(w->how, sizeof(w->how), "%s", how);
	}
	return push_index(&w->hosts, &w->n_hosts, host);
}

static int skip(struct bph_report_plan *p, size_t host, const char *what)
{
	struct bph_report_skip *s =
	    realloc(p->skipped, (p->n_skipped + 1) * sizeof(*s));
	if (!s)
		return BPH_ERR_NOMEM;
	p->skipped = s;
	s = &s[p->n_skipped++];
	s->host = host;
	snprintf(s->what, sizeof(s->what), "%s", what);
	return 0;
}

/* Why m cannot be written, cleaned for a terminal, into out. */
static void bad_mailbox(const char *role, const char *m, char *out,
			size_t outlen)
{
	char *t = bph_mime_text(m, 120);
	snprintf(out, outlen,
		 "%s mailbox '%s' is not a plain address bphound writes into "
		 "a mail header; left out",
		 role, t ? t : "?");
	free(t);
}

static int plan_provider(struct bph_report_plan *p,
			 const struct bph_abuse_case *k, size_t h)
{
	const struct bph_abuse_contact *c = &k->hosts[h].contact;
	char why[600];
	struct bph_rcpt *r;
	if (!c->mailbox[0])
		return skip(p, h,
			    "no abuse mailbox found (no inetnum, organisation "
			    "or parent with an abuse-c covers it)");
	if (!bph_mime_addr_ok(c->mailbox)) {
		bad_mailbox("provider", c->mailbox, why, sizeof(why));
		return skip(p, h, why);
	}
	if (!(r = rcpt_of(p, c->mailbox)))
		return BPH_ERR_NOMEM;
	r->roles |= BPH_RCPT_PROVIDER;
	if (push_index(&r->hosts, &r->n_hosts, h))
		return BPH_ERR_NOMEM;
	return add_way(r, c->how, h);
}

static int plan_upstream(struct bph_report_plan *p, size_t h,
			 const struct bph_abuse_upstream *u)
{
	char why[600], how[600];
	struct bph_rcpt *r;
	if (!u->contact.mailbox[0]) {
		snprintf(why, sizeof(why),
			 "upstream AS%u (of AS%u) has no abuse mailbox in the "
			 "data",
			 u->asn, u->customer);
		return skip(p, h, why);
	}
	if (!bph_mime_addr_ok(u->contact.mailbox)) {
		bad_mailbox("upstream", u->contact.mailbox, why, sizeof(why));
		return skip(p, h, why);
	}
	if (!(r = rcpt_of(p, u->contact.mailbox)))
		return BPH_ERR_NOMEM;
	if (!(r->roles & BPH_RCPT_UPSTREAM)) {
		r->up_asn = u->asn;
		snprintf(r->up_name, sizeof(r->up_name), "%s", u->name);
	}
	r->roles |= BPH_RCPT_UPSTREAM;
	r->up_asndrop |= u->asndrop;
	if (push_index(&r->up_hosts, &r->n_up_hosts, h))
		return BPH_ERR_NOMEM;
	size_t cust = u->customer;
	bool seen = false;
	for (size_t i = 0; i < r->n_customers; i++)
		seen |= r->customers[i] == cust;
	if (!seen) {
		uint32_t *c =
		    realloc(r->customers, (r->n_customers + 1) * sizeof(*c));
		if (!c)
			return BPH_ERR_NOMEM;
		r->customers = c;
		c[r->n_customers++] = u->customer;
	}
	snprintf(how, sizeof(how), "upstream AS%u of AS%u: %s", u->asn,
		 u->customer, u->contact.how);
	return add_way(r, how, h);
}

/* Providers first: recipients that hold space before pure upstreams. */
static int cmp_role(const void *a, const void *b)
{
	const struct bph_rcpt *x = a, *y = b;
	bool px = x->roles & BPH_RCPT_PROVIDER,
	     py = y->roles & BPH_RCPT_PROVIDER;
	if (px != py)
		return px ? -1 : 1;
	return strcasecmp(x->mailbox, y->mailbox);
}

/* An upstream cites the provider reports of the hosts behind it. */
static int plan_cites(struct bph_report_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; j < p->n; j++) {
			struct bph_rcpt *u = &p->r[i], *v = &p->r[j];
			if (i == j || !u->n_up_hosts ||
			    !(v->roles & BPH_RCPT_PROVIDER))
				continue;
			for (size_t a = 0; a < u->n_up_hosts; a++)
				for (size_t b = 0; b < v->n_hosts; b++)
					if (u->up_hosts[a] == v->hosts[b] &&
					    push_index(&u->cites, &u->n_cites,
						       j))
						return BPH_ERR_NOMEM;
		}
	return 0;
}

size_t *bph_rcpt_hosts(const struct bph_rcpt *r, size_t *n)
{
	size_t *v = malloc((r->n_hosts + r->n_up_hosts + 1) * sizeof(*v));
	*n = 0;
	for (size_t i = 0; v && i < r->n_hosts; i++)
		v[(*n)++] = r->hosts[i];
	for (size_t i = 0; v && i < r->n_up_hosts; i++) {
		bool dup = false;
		for (size_t j = 0; j < r->n_hosts; j++)
			dup |= r->hosts[j] == r->up_hosts[i];
		if (!dup)
			v[(*n)++] = r->up_hosts[i];
	}
	return v;
}

int bph_report_plan(const struct bph_abuse_case *k, bool provider,
		    bool upstreams, struct bph_report_plan *out)
{
	int rc = 0;
	memset(out, 0, sizeof(*out));
	for (size_t h = 0; !rc && provider && h < k->n_hosts; h++)
		rc = plan_provider(out, k, h);
	for (size_t h = 0; !rc && upstreams && h < k->n_hosts; h++) {
		if (!k->hosts[h].n_up)
			rc = skip(out, h,
				  "no upstream known (no route, or no "
				  "provider of its origin AS in the data)");
		for (size_t u = 0; !rc && u < k->hosts[h].n_up; u++)
			rc = plan_upstream(out, h, &k->hosts[h].up[u]);
	}
	if (!rc && out->n)
		qsort(out->r, out->n, sizeof(*out->r), cmp_role);
	if (!rc)
		rc = plan_cites(out);
	if (rc)
		bph_report_plan_free(out);
	return rc;
}

void bph_report_plan_free(struct bph_report_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct bph_rcpt *r = &p->r[i];
		for (size_t w = 0; w < r->n_ways; w++)
			free(r->ways[w].hosts);
		free(r->ways);
		free(r->hosts);
		free(r->up_hosts);
		free(r->customers);
		free(r->cites);
	}
	free(p->r);
	free(p->skipped);
	memset(p, 0, sizeof(*p));
}

/* ---- --dry-run ---- */

static void print_hosts(FILE *out, const struct bph_abuse_case *k,
			const size_t *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? " " : "", k->hosts[h[i]].ip);
}

static void print_clean(FILE *out, const char *s)
{
	char *t = bph_mime_text(s, 600);
	fputs(t ? t : "?", out);
	free(t);
}

void bph_report_dry_run(const struct bph_report_plan *p,
			const struct bph_abuse_case *k, FILE *out)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct bph_rcpt *r = &p->r[i];
		fprintf(out, "%s (%s%s%s): ", r->mailbox,
			r->roles & BPH_RCPT_PROVIDER ? "provider" : "",
			r->roles == (BPH_RCPT_PROVIDER | BPH_RCPT_UPSTREAM)
			    ? " and "
			    : "",
			r->roles & BPH_RCPT_UPSTREAM ? "upstream" : "");
		size_t n = r->n_hosts;
		for (size_t u = 0; u < r->n_up_hosts; u++) {
			bool dup = false;
			for (size_t j = 0; j < r->n_hosts && !dup; j++)
				dup = r->hosts[j] == r->up_hosts[u];
			n += !dup;
		}
		fprintf(out, "%zu host%s\n", n, n == 1 ? "" : "s");
		for (size_t w = 0; w < r->n_ways; w++) {
			fputs("  found: ", out);
			print_clean(out, r->ways[w].how);
			fputs("\n    for ", out);
			print_hosts(out, k, r->ways[w].hosts,
				    r->ways[w].n_hosts);
			fputc('\n', out);
		}
		if (r->n_cites)
			fprintf(out, "  cites the report to %s%s\n",
				p->r[r->cites[0]].mailbox,
				r->n_cites > 1 ? " and others" : "");
	}
	for (size_t i = 0; i < p->n_skipped; i++) {
		fprintf(out, "no recipient for %s: ",
			k->hosts[p->skipped[i].host].ip);
		print_clean(out, p->skipped[i].what);
		fputc('\n', out);
	}
	if (!p->n)
		fputs("no recipients\n", out);
}
