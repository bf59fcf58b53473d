/*
 * report_text.c - what an abuse desk reads: the plain-text summary of a
 * report (what, when, where, why linked, how to verify, who reports) and
 * the evidence CSV. Contracts in abuse/report.h; the layout is shown in
 * docs/output.md "Abuse reports".
 */
#include "abuse/report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/text.h"

/* How many links, shared values and commands the text lists at most:
 * evidence.csv has everything. */
#define MAX_LINKS    40
#define MAX_VALUES   30
#define MAX_VERIFY   3 /* hosts per shared value */
#define MAX_VALUE_TX 160

void bph_report_time(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t <= 0 || !gmtime_r(&tt, &tm) ||
	    !strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, outlen, "unknown");
}

static void put(struct bph_sbuf *b, const char *s)
{
	bph_sbuf_str(b, s);
}

static void putf(struct bph_sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(struct bph_sbuf *b, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	bph_sbuf_str(b, buf);
}

/* A value from the network or a registry, visible as it is but harmless:
 * valid UTF-8, control, separator and bidi characters as \u{XXXX}, a
 * backslash doubled, cut near max bytes. */
static void put_value(struct bph_sbuf *b, const char *s, size_t max)
{
	char *c = bph_text_clean(s ? s : "", BPH_TEXT_UTF8);
	size_t n = c ? strlen(c) : 0, used = 0;
	for (size_t i = 0; c && i < n;) {
		unsigned cp = 0;
		size_t k = bph_utf8_decode((unsigned char *)c + i, n - i, &cp);
		k = k ? k : 1;
		if (used >= max) {
			put(b, "...");
			break;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    cp == 0x2028 || cp == 0x2029 || cp == 0x200e ||
		    cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff)
			putf(b, "\\u{%04X}", cp);
		else if (cp == '\\')
			put(b, "\\\\");
		else
			bph_sbuf_put(b, c + i, k);
		used += k;
		i += k;
	}
	free(c);
}

/* Appends text (bphound's own words and already escaped values) wrapped
 * at 72 columns, then a blank line. */
static void paragraph(struct bph_sbuf *b, const char *text)
{
	size_t col = 0;
	for (const char *p = text; *p;) {
		size_t k = strcspn(p, " ");
		if (col && col + 1 + k > 72) {
			put(b, "\n");
			col = 0;
		} else if (col) {
			put(b, " ");
			col++;
		}
		bph_sbuf_put(b, p, k);
		col += k;
		p += k;
		p += strspn(p, " ");
	}
	put(b, "\n\n");
}

/* ---- the hosts of a recipient ---- */

static bool among(const size_t *v, size_t n, size_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static void host_ports(struct bph_sbuf *b, const struct bph_abuse_host *h)
{
	uint16_t seen[64];
	size_t n = 0;
	for (size_t i = 0; i < h->n_obs && n < 64; i++) {
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= seen[k] == h->obs[i].port;
		if (!dup && h->obs[i].port)
			seen[n++] = h->obs[i].port;
	}
	for (size_t i = 1; i < n; i++) /* insertion sort: a few ports */
		for (size_t k = i; k > 0 && seen[k - 1] > seen[k]; k--) {
			uint16_t t = seen[k];
			seen[k] = seen[k - 1];
			seen[k - 1] = t;
		}
	put(b, n > 1 ? "ports " : "port ");
	for (size_t i = 0; i < n; i++)
		putf(b, "%s%u", i ? ", " : "", seen[i]);
	if (!n)
		put(b, "(none recorded)");
}

/* The host's own labels (what a person sees of it): page titles,
 * server headers and certificate subjects, each value once, 3 a kind. */
static void host_labels(struct bph_sbuf *b, const struct bph_abuse_host *h)
{
	static const char *const kinds[][2] = {
	    {"title", "page title"},
	    {"server", "server"},
	    {"cert_subject", "certificate subject"},
	};
	for (size_t k = 0; k < 3; k++) {
		size_t shown = 0;
		for (size_t i = 0; i < h->n_obs && shown < 3; i++) {
			const struct bph_abuse_obs *o = &h->obs[i];
			bool dup = false;
			if (strcmp(o->kind, kinds[k][0]))
				continue;
			for (size_t j = 0; j < i && !dup; j++)
				dup = !strcmp(h->obs[j].kind, o->kind) &&
				      !strcmp(h->obs[j].value, o->value);
			if (dup)
				continue;
			putf(b, "    %s (port %u): \"", kinds[k][1], o->port);
			put_value(b, o->value, MAX_VALUE_TX);
			put(b, "\"\n");
			shown++;
		}
	}
}

static void host_block(struct bph_sbuf *b, const struct bph_abuse_host *h)
{
	char a[32], z[32];
	bph_report_time(h->first_seen, a, sizeof(a));
	bph_report_time(h->last_seen, z, sizeof(z));
	putf(b, "  %s  ", h->ip);
	host_ports(b, h);
	putf(b, "\n    seen from %s to %s\n", a, z);
	host_labels(b, h);
	if (h->contact.resource[0]) {
		put(b, "    registration: ");
		put_value(b, h->contact.resource, 200);
		if (h->contact.holder[0]) {
			put(b, " (");
			put_value(b, h->contact.holder, 100);
			put(b, ")");
		}
		put(b, "\n");
	}
	for (size_t i = 0; i < h->n_listed; i++) {
		const struct bph_abuse_listing *l = &h->listed[i];
		put(b, "    listed: ");
		put_value(b, l->list, 64);
		put(b, " ");
		put_value(b, l->entry, 96);
		if (l->id[0] || l->date[0]) {
			put(b, " (");
			put_value(b, l->id, 64);
			put(b, l->id[0] && l->date[0] ? ", " : "");
			put_value(b, l->date, 32);
			put(b, ")");
		}
		put(b, "\n");
	}
}

/* ---- why linked ---- */

static void links_block(struct bph_sbuf *b, const struct bph_abuse_case *k,
			const size_t *hs, size_t n)
{
	size_t shown = 0, total = 0;
	for (size_t i = 0; i < k->n_links; i++) {
		const struct bph_abuse_link *l = &k->links[i];
		if (!among(hs, n, l->a) && !among(hs, n, l->b))
			continue;
		if (total++ >= MAX_LINKS)
			continue;
		shown++;
		putf(b, "  %s and %s (rule %s, score %.2f):\n",
		     k->hosts[l->a].ip, k->hosts[l->b].ip, l->rule, l->score);
		for (size_t e = 0; e < l->n_ev; e++) {
			const struct bph_abuse_shared *s = &l->ev[e];
			putf(b, "    %s ", s->kind);
			put_value(b, s->value, MAX_VALUE_TX);
			if (s->port_a || s->port_b)
				putf(b, " on ports %u and %u", s->port_a,
				     s->port_b);
			putf(b, "; %u hosts show it\n", s->df);
		}
	}
	if (total > shown)
		putf(b,
		     "  ... and %zu more links (the XARF reports and "
		     "evidence.csv hold every value)\n",
		     total - shown);
	if (!total)
		put(b, "  (one host alone: it is linked to no other)\n");
}

/* ---- how to verify ---- */

static bool has_tls(const struct bph_abuse_host *h, uint16_t port)
{
	for (size_t i = 0; i < h->n_obs; i++)
		if (h->obs[i].port == port &&
		    (!strcmp(h->obs[i].kind, "cert_sha256") ||
		     !strcmp(h->obs[i].kind, "jarm")))
			return true;
	return false;
}

/* The command that shows kind's value for host h on port, or NULL. */
static void verify_cmd(struct bph_sbuf *b, const struct bph_abuse_host *h,
		       const char *kind, uint16_t port)
{
	const char *ip = h->ip, *scheme = has_tls(h, port) ? "https" : "http";
	if (!strcmp(kind, "ssh_hostkey"))
		putf(b, "ssh-keyscan -p %u %s | ssh-keygen -lf -", port, ip);
	else if (!strcmp(kind, "cert_sha256"))
		putf(b,
		     "openssl s_client -connect %s:%u </dev/null | openssl "
		     "x509 -noout -fingerprint -sha256   (upper case, with "
		     "colons)",
		     ip, port);
	else if (!strcmp(kind, "spki_sha256"))
		putf(b,
		     "openssl s_client -connect %s:%u </dev/null | openssl "
		     "x509 -noout -pubkey | openssl pkey -pubin -outform der "
		     "| sha256sum",
		     ip, port);
	else if (!strcmp(kind, "body_sha256"))
		putf(b, "curl -sk %s://%s:%u/ | sha256sum", scheme, ip, port);
	else if (!strcmp(kind, "title"))
		putf(b, "curl -sk %s://%s:%u/ | grep -io '<title>[^<]*'",
		     scheme, ip, port);
	else if (!strcmp(kind, "favicon"))
		putf(b,
		     "curl -sk %s://%s:%u/favicon.ico | python3 -c 'import "
		     "sys,base64,mmh3; print(mmh3.hash(base64.encodebytes("
		     "sys.stdin.buffer.read())))'   (Shodan's favicon hash)",
		     scheme, ip, port);
	else if (!strcmp(kind, "server") || !strcmp(kind, "header_hash"))
		putf(b, "curl -skI %s://%s:%u/", scheme, ip, port);
	else if (!strcmp(kind, "jarm"))
		putf(b,
		     "python3 jarm.py %s -p %u   (github.com/salesforce/jarm)",
		     ip, port);
	else if (!strcmp(kind, "ja3s"))
		putf(b,
		     "the JA3S of the ServerHello of any TLS handshake with "
		     "%s:%u (tshark field tls.handshake.ja3s)",
		     ip, port);
	else if (!strcmp(kind, "hassh"))
		putf(b,
		     "the HASSH of the server's SSH KEXINIT at %s:%u (tshark "
		     "field ssh.kex.hasshserver)",
		     ip, port);
	else
		putf(b, "observe %s:%u", ip, port);
}

static void verify_block(struct bph_sbuf *b, const struct bph_abuse_case *k,
			 const size_t *hs, size_t n)
{
	size_t values = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bph_abuse_host *h = &k->hosts[hs[i]];
		for (size_t o = 0; o < h->n_obs; o++) {
			const struct bph_abuse_obs *ob = &h->obs[o];
			if (!ob->shared || !ob->port)
				continue;
			if (values++ >= MAX_VALUES * MAX_VERIFY)
				continue;
			putf(b, "  %s port %u, %s ", h->ip, ob->port, ob->kind);
			put_value(b, ob->value, MAX_VALUE_TX);
			put(b, ":\n    ");
			verify_cmd(b, h, ob->kind, ob->port);
			put(b, "\n");
		}
	}
	if (values > MAX_VALUES * MAX_VERIFY)
		putf(b, "  ... and %zu more (evidence.csv)\n",
		     values - MAX_VALUES * MAX_VERIFY);
	if (!values)
		put(b, "  (no value links these hosts to others)\n");
}

/* ---- the letter ---- */

/* What a kind of evidence is, for a person. */
static const char *kind_phrase(const char *kind)
{
	static const char *const names[][2] = {
	    {"ssh_hostkey", "an SSH host key"},
	    {"cert_sha256", "a TLS certificate"},
	    {"spki_sha256", "a TLS public key"},
	    {"favicon", "a favicon"},
	    {"body_sha256", "a web page"},
	    {"title", "a page title"},
	    {"tcp_sig", "a TCP/IP stack"},
	    {"netblock", "a /24 network"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(kind, names[i][0]))
			return names[i][1];
	return "a server software build"; /* jarm ja3s hassh server ... */
}

/* ", "-joined phrases of the kinds linking hosts hs, each once. */
static void linking_kinds(struct bph_sbuf *b, const struct bph_abuse_case *k,
			  const size_t *hs, size_t n)
{
	const char *seen[16];
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bph_abuse_host *h = &k->hosts[hs[i]];
		for (size_t o = 0; o < h->n_obs && m < 16; o++) {
			const char *p = kind_phrase(h->obs[o].kind);
			bool dup = !h->obs[o].shared;
			for (size_t j = 0; j < m && !dup; j++)
				dup = seen[j] == p;
			if (!dup)
				seen[m++] = p;
		}
	}
	for (size_t j = 0; j < m; j++)
		putf(b, "%s%s",
		     j == 0	  ? ""
		     : j + 1 == m ? " and "
				  : ", ",
		     seen[j]);
	if (!m)
		put(b, "nothing shared with another host");
}

static void intro(struct bph_sbuf *b, const struct bph_rcpt *r,
		  const struct bph_abuse_case *k, const size_t *hs, size_t n,
		  const struct bph_report_opts *o)
{
	struct bph_sbuf t;
	putf(b, "To the abuse team at %s,\n\n", r->mailbox);
	bph_sbuf_init(&t);
	put(&t, "We are ");
	put_value(&t, o->org, 200);
	putf(&t,
	     " (%s). We scanned the network with bphound and found %zu "
	     "host%s that belong to one hosting operation (cluster %u, %zu "
	     "hosts in all). They share ",
	     o->contact, n, n == 1 ? "" : "s", k->cluster, k->n_hosts);
	linking_kinds(&t, k, hs, n);
	putf(&t,
	     ": server identities that independent customers of a provider "
	     "do not share. The report is about %s (XARF %s/%s, threat type "
	     "%s). Please look into these hosts.",
	     o->type->summary, o->type->category, o->type->type,
	     o->type->threat_type);
	bph_sbuf_u8(&t, 0);
	paragraph(b, t.err ? "" : (const char *)t.p);
	bph_sbuf_free(&t);
}

static void escalation(struct bph_sbuf *b, const struct bph_report_plan *p,
		       const struct bph_rcpt *r,
		       const struct bph_report_opts *o)
{
	struct bph_sbuf t;
	char when[32];
	bph_sbuf_init(&t);
	bph_report_time(o->now, when, sizeof(when));
	putf(&t,
	     "You receive this report as an upstream (transit) "
	     "provider: AS%u",
	     r->up_asn);
	if (r->up_name[0]) {
		put(&t, " (");
		put_value(&t, r->up_name, 100);
		put(&t, ")");
	}
	put(&t, " provides transit to ");
	for (size_t i = 0; i < r->n_customers; i++)
		putf(&t, "%sAS%u", i ? ", " : "", r->customers[i]);
	put(&t, ", which announces the address space of the hosts below.");
	for (size_t i = 0; i < r->n_cites; i++) {
		const struct bph_rcpt *c = &p->r[r->cites[i]];
		putf(&t,
		     " The network's own abuse contact, %s, was sent report "
		     "%s on %s about %zu of these hosts.",
		     c->mailbox, c->report_id, when, c->n_hosts);
	}
	if (!r->n_cites)
		put(&t, " We found no abuse contact of the network itself for "
			"these hosts.");
	put(&t, " We ask you to look into your customer's use of these "
		"addresses: a hosting operation of this kind may not act on "
		"reports of its own.");
	bph_sbuf_u8(&t, 0);
	paragraph(b, t.err ? "" : (const char *)t.p);
	bph_sbuf_free(&t);
}

void bph_report_text(struct bph_sbuf *b, const struct bph_report_plan *p,
		     size_t ri, const struct bph_abuse_case *k,
		     const struct bph_report_opts *o)
{
	const struct bph_rcpt *r = &p->r[ri];
	char when[32];
	size_t n = 0, *hs = bph_rcpt_hosts(r, &n);
	if (!hs) {
		b->err = -1;
		return;
	}
	bph_report_time(o->now, when, sizeof(when));
	putf(b, "Abuse report %s\nDate: %s\n\n", r->report_id, when);
	intro(b, r, k, hs, n, o);
	if (n > r->n_hosts) /* hosts it serves as an upstream only */
		escalation(b, p, r, o);
	putf(b, "HOSTS (%zu; all times UTC)\n", n);
	for (size_t i = 0; i < n; i++)
		host_block(b, &k->hosts[hs[i]]);
	put(b, "\nWHY THESE HOSTS ARE LINKED\n");
	links_block(b, k, hs, n);
	put(b, "\nHOW TO VERIFY (each command completes one handshake or "
	       "fetches one page)\n");
	verify_block(b, k, hs, n);
	put(b, "\nHOW WE OBSERVED THEM\n"
	       "  bphound sent TCP SYNs to the ports above and, on an open "
	       "port, completed TLS\n  or SSH handshakes (JARM takes ten TLS "
	       "ClientHellos) or made an HTTP request for\n  the page and its "
	       "favicon, then closed the connection. It did not log in,\n  "
	       "send exploits or try passwords. The times above are when the "
	       "values were\n  first and last seen.\n");
	put(b, "\nATTACHED\n  xarf-<address>.json: one XARF v4 report per "
	       "host (https://xarf.org)\n  evidence.csv: every observation "
	       "of these hosts (address, port, value, first\n  and last seen "
	       "in UTC, hosts sharing it)\n");
	put(b, "\nREPORTER\n  ");
	put_value(b, o->org, 200);
	putf(b, " <%s>\n  Generated by %s on %s. Please reply to %s.\n",
	     o->contact, o->generator, when, o->contact);
	free(hs);
}

/* ---- evidence.csv ---- */

/* RFC 4180 quoting; a field a spreadsheet would run as a formula (=, +,
 * -, @ first, after blanks too, or a leading TAB or CR: the OWASP CSV
 * injection rule, as cluster/export_csv.c) gets a leading '. */
static void csv_field(struct bph_sbuf *b, const char *s)
{
	char *c = bph_text_clean(s ? s : "", BPH_TEXT_UTF8);
	const char *first = c ? c + strspn(c, " ") : "";
	bph_sbuf_u8(b, '"');
	if (c && ((*first && strchr("=+-@", *first)) || c[0] == '\t' ||
		  c[0] == '\r'))
		bph_sbuf_u8(b, '\'');
	for (const char *p = c; p && *p; p++) {
		if (*p == '"')
			bph_sbuf_u8(b, '"');
		bph_sbuf_u8(b, (*p == '\r' || *p == '\n') ? ' ' : (uint8_t)*p);
	}
	bph_sbuf_u8(b, '"');
	free(c);
}

static void iso(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t <= 0 || !gmtime_r(&tt, &tm) ||
	    !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
		out[0] = '\0';
}

void bph_report_csv(struct bph_sbuf *b, const struct bph_abuse_case *k,
		    const size_t *hosts, size_t n_hosts)
{
	put(b, "ip,port,kind,value,first_seen,last_seen,hosts_sharing,"
	       "linking\r\n");
	for (size_t i = 0; i < n_hosts; i++) {
		const struct bph_abuse_host *h = &k->hosts[hosts[i]];
		for (size_t o = 0; o < h->n_obs; o++) {
			const struct bph_abuse_obs *ob = &h->obs[o];
			char a[32], z[32];
			iso(ob->first_seen, a, sizeof(a));
			iso(ob->last_seen, z, sizeof(z));
			putf(b, "%s,%u,", h->ip, ob->port);
			csv_field(b, ob->kind);
			put(b, ",");
			csv_field(b, ob->value);
			putf(b, ",%s,%s,%u,%s\r\n", a, z, ob->df,
			     ob->shared ? "yes" : "no");
		}
	}
}
