/*
 * report_write.c - the files of abuse reports: per recipient an .eml
 * (headers through abuse/mime.h, the text of report_text.c, the XARF
 * reports of xarf.c, evidence.csv) and a JSON beside it. Contract in
 * abuse/report.h; fields in docs/output.md "Abuse reports".
 */
#include "abuse/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "abuse/mime.h"
#include "abuse/uuid.h"
#include "abuse/xarf.h"
#include "fingerprints/err.h"
#include "fingerprints/text.h"

/* Hosts of one message that get their own XARF attachment. */
#define MAX_XARF 200

static void rfc5322_date(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, outlen, "%a, %d %b %Y %H:%M:%S +0000", &tm))
		snprintf(out, outlen, "Thu, 01 Jan 1970 00:00:00 +0000");
}

static void iso(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t <= 0 || !gmtime_r(&tt, &tm) ||
	    !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
		out[0] = '\0';
}

/* "NN-provider-abuse_at_example.net": the mailbox's letters, digits, '.'
 * and '-' only. */
static void file_name(struct bph_rcpt *r, size_t i)
{
	size_t n = (size_t)snprintf(
	    r->file, sizeof(r->file), "%02zu-%s-", i + 1,
	    r->roles & BPH_RCPT_PROVIDER ? "provider" : "upstream");
	for (const char *p = r->mailbox; *p && n + 4 < sizeof(r->file); p++) {
		char c = *p;
		if (c == '@') {
			memcpy(r->file + n, "_at_", 4);
			n += 4;
			continue;
		}
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '-';
		r->file[n++] = ok ? c : '_';
	}
	r->file[n] = '\0';
}

/* A label a person recognises: the network's holder, else its AS. */
static void subject(struct bph_sbuf *b, const struct bph_rcpt *r,
		    const struct bph_abuse_case *k, size_t n,
		    const struct bph_report_opts *o)
{
	char s[600];
	const char *holder = "";
	for (size_t i = 0; i < r->n_hosts && !holder[0]; i++)
		holder = k->hosts[r->hosts[i]].contact.holder;
	if (r->roles & BPH_RCPT_PROVIDER)
		snprintf(s, sizeof(s), "Abuse report (%s): %zu host%s%s%s",
			 o->type->summary, n, n == 1 ? "" : "s",
			 holder[0] ? " in " : "", holder);
	else
		snprintf(s, sizeof(s),
			 "Abuse report (%s) to the upstream of AS%u: %zu "
			 "host%s behind your customer",
			 o->type->summary, r->customers[0], n,
			 n == 1 ? "" : "s");
	bph_mime_header_text(b, "Subject", s);
}

static int headers(struct bph_sbuf *b, const struct bph_rcpt *r,
		   const struct bph_abuse_case *k, size_t n,
		   const struct bph_report_opts *o, const char *boundary)
{
	char date[64], mid[128], ct[96];
	const char *domain = strchr(o->contact, '@') + 1;
	if (bph_mime_header_addr(b, "From", o->org, o->contact) ||
	    bph_mime_header_addr(b, "To", NULL, r->mailbox))
		return BPH_ERR_FORMAT;
	subject(b, r, k, n, o);
	rfc5322_date(o->now, date, sizeof(date));
	bph_mime_header_raw(b, "Date", date);
	snprintf(mid, sizeof(mid), "<%s@%s>", r->report_id, domain);
	bph_mime_header_raw(b, "Message-ID", mid);
	bph_mime_header_raw(b, "MIME-Version", "1.0");
	/* folded: the boundary alone is 42 characters */
	snprintf(ct, sizeof(ct), "multipart/mixed;\r\n boundary=\"%s\"",
		 boundary);
	bph_sbuf_str(b, "Content-Type: ");
	bph_sbuf_str(b, ct);
	bph_sbuf_str(b, "\r\n");
	bph_sbuf_str(b, "\r\nThis is a MIME message: a text summary, one "
			"XARF v4 report per host and evidence.csv.\r\n");
	return 0;
}

/* The XARF reports of the hosts (one id each), as a JSON array. */
static json_t *xarf_all(const struct bph_abuse_case *k, const size_t *hs,
			size_t n, const struct bph_report_opts *o)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n && i < MAX_XARF; i++) {
		char id[BPH_UUID_STRLEN];
		json_t *x =
		    bph_uuid4(id) ? NULL : bph_xarf_host(k, hs[i], o, id);
		if (!x || json_array_append_new(a, x)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static int eml(struct bph_sbuf *b, const struct bph_report_plan *p, size_t ri,
	       const struct bph_abuse_case *k, const struct bph_report_opts *o,
	       json_t *xarf)
{
	const struct bph_rcpt *r = &p->r[ri];
	struct bph_sbuf text, csv;
	char boundary[48];
	size_t n, *hs = bph_rcpt_hosts(r, &n);
	int rc = hs ? bph_mime_boundary(boundary) : BPH_ERR_NOMEM;
	if (!rc)
		rc = headers(b, r, k, n, o, boundary);
	bph_sbuf_init(&text);
	bph_sbuf_init(&csv);
	if (!rc) {
		bph_report_text(&text, p, ri, k, o);
		bph_sbuf_u8(&text, 0);
		bph_mime_part_text(b, boundary,
				   text.err ? "" : (const char *)text.p);
		for (size_t i = 0; i < json_array_size(xarf); i++) {
			json_t *x = json_array_get(xarf, i);
			char name[96],
			    *js = json_dumps(x, JSON_INDENT(1) |
						    JSON_PRESERVE_ORDER);
			snprintf(name, sizeof(name), "xarf-%s.json",
				 json_string_value(
				     json_object_get(x, "source_identifier")));
			bph_mime_part_file(b, boundary, "application/json",
					   name, js ? js : "",
					   js ? strlen(js) : 0);
			free(js);
		}
		bph_report_csv(&csv, k, hs, n);
		bph_mime_part_file(b, boundary, "text/csv", "evidence.csv",
				   csv.p, csv.len);
		bph_mime_end(b, boundary);
		rc = b->err || text.err || csv.err ? BPH_ERR_NOMEM : 0;
	}
	bph_sbuf_free(&text);
	bph_sbuf_free(&csv);
	free(hs);
	return rc;
}

/* ---- the JSON beside the .eml ---- */

static json_t *str(const char *s)
{
	char *c = bph_text_clean(s ? s : "", BPH_TEXT_UTF8);
	json_t *j = c ? json_string(c) : NULL;
	free(c);
	return j;
}

static json_t *contact_json(const struct bph_abuse_contact *c)
{
	return json_pack("{s:o, s:o, s:o, s:o}", "mailbox", str(c->mailbox),
			 "how", str(c->how), "resource", str(c->resource),
			 "holder", str(c->holder));
}

static json_t *host_json(const struct bph_abuse_host *h, bool in_network)
{
	char a[32], z[32];
	json_t *ports = json_array(), *up = json_array(), *li = json_array();
	iso(h->first_seen, a, sizeof(a));
	iso(h->last_seen, z, sizeof(z));
	for (size_t i = 0; i < h->n_obs; i++) {
		bool dup = !h->obs[i].port;
		for (size_t k = 0; k < json_array_size(ports) && !dup; k++)
			dup = json_integer_value(json_array_get(ports, k)) ==
			      h->obs[i].port;
		if (!dup)
			json_array_append_new(ports,
					      json_integer(h->obs[i].port));
	}
	for (size_t i = 0; i < h->n_up; i++)
		json_array_append_new(
		    up, json_pack("{s:I, s:o, s:I, s:b, s:o}", "asn",
				  (json_int_t)h->up[i].asn, "name",
				  str(h->up[i].name), "customer",
				  (json_int_t)h->up[i].customer, "asndrop",
				  h->up[i].asndrop, "abuse",
				  contact_json(&h->up[i].contact)));
	for (size_t i = 0; i < h->n_listed; i++) {
		const struct bph_abuse_listing *l = &h->listed[i];
		json_array_append_new(
		    li,
		    json_pack("{s:o, s:o, s:o, s:o, s:o, s:b}", "list",
			      str(l->list), "entry", str(l->entry), "id",
			      str(l->id), "date", str(l->date), "licence",
			      str(l->licence), "restricted", l->restricted));
	}
	return json_pack("{s:s, s:b, s:o, s:s, s:s, s:o, s:o, s:o}", "ip",
			 h->ip, "in_network", in_network, "ports", ports,
			 "first_seen", a, "last_seen", z, "registration",
			 contact_json(&h->contact), "upstreams", up, "listed",
			 li);
}

static json_t *recipient_json(const struct bph_report_plan *p,
			      const struct bph_rcpt *r,
			      const struct bph_abuse_case *k)
{
	json_t *roles = json_array(), *found = json_array();
	(void)p;
	if (r->roles & BPH_RCPT_PROVIDER)
		json_array_append_new(roles, json_string("provider"));
	if (r->roles & BPH_RCPT_UPSTREAM)
		json_array_append_new(roles, json_string("upstream"));
	for (size_t w = 0; w < r->n_ways; w++) {
		json_t *hs = json_array();
		for (size_t i = 0; i < r->ways[w].n_hosts; i++)
			json_array_append_new(
			    hs, json_string(k->hosts[r->ways[w].hosts[i]].ip));
		json_array_append_new(found, json_pack("{s:o, s:o}", "how",
						       str(r->ways[w].how),
						       "hosts", hs));
	}
	json_t *j = json_pack("{s:s, s:o, s:o}", "mailbox", r->mailbox, "roles",
			      roles, "found", found);
	if (j && (r->roles & BPH_RCPT_UPSTREAM)) {
		json_t *c = json_array();
		for (size_t i = 0; i < r->n_customers; i++)
			json_array_append_new(c, json_integer(r->customers[i]));
		json_object_set_new(j, "upstream",
				    json_pack("{s:I, s:o, s:b, s:o}", "asn",
					      (json_int_t)r->up_asn, "name",
					      str(r->up_name), "asndrop",
					      r->up_asndrop, "customers", c));
	}
	return j;
}

static json_t *cites_json(const struct bph_report_plan *p,
			  const struct bph_rcpt *r, const char *date)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->n_cites; i++) {
		const struct bph_rcpt *c = &p->r[r->cites[i]];
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:s, s:s+}", "report_id",
				 c->report_id, "date", date, "recipient",
				 c->mailbox, "file", c->file, ".eml"));
	}
	return a;
}

static json_t *sidecar(const struct bph_report_plan *p, size_t ri,
		       const struct bph_abuse_case *k,
		       const struct bph_report_opts *o, json_t *xarf)
{
	const struct bph_rcpt *r = &p->r[ri];
	char date[32];
	size_t n, *hs = bph_rcpt_hosts(r, &n);
	json_t *hosts = json_array();
	iso(o->now, date, sizeof(date));
	for (size_t i = 0; hs && hosts && i < n; i++) {
		bool in = false;
		for (size_t j = 0; j < r->n_hosts; j++)
			in |= r->hosts[j] == hs[i];
		json_array_append_new(hosts, host_json(&k->hosts[hs[i]], in));
	}
	free(hs);
	json_t *j = json_pack(
	    "{s:s, s:s, s:s+, s:o, s:{s:o, s:s}, s:{s:s, s:s, s:s, s:s}, "
	    "s:{s:I, s:I, s:o}, s:o, s:o, s:O}",
	    "report_id", r->report_id, "date", date, "eml", r->file, ".eml",
	    "recipient", recipient_json(p, r, k), "reporter", "org",
	    str(o->org), "contact", o->contact, "type", "name", o->type->name,
	    "category", o->type->category, "type", o->type->type, "threat_type",
	    o->type->threat_type, "cluster", "id", (json_int_t)k->cluster,
	    "hosts", (json_int_t)k->n_hosts, "seed",
	    o->seed ? json_string(o->seed) : json_null(), "cites",
	    cites_json(p, r, date), "hosts", hosts, "xarf", xarf);
	return j;
}

/* ---- files ---- */

/* Writes len bytes to dir/name, refusing to replace a report already
 * there (a report is a record of what was sent). */
static int write_new(const char *dir, const char *name, const char *data,
		     size_t len, char *err, size_t errlen)
{
	char path[4096];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wx");
	if (!f) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
			 errno == EEXIST ? " (reports are never replaced: "
					   "choose another --outdir)"
					 : "");
		return errno == EEXIST ? BPH_ERR_USAGE : BPH_ERR_IO;
	}
	if (fwrite(data, 1, len, f) != len || fclose(f)) {
		snprintf(err, errlen, "%s: write failed", path);
		return BPH_ERR_IO;
	}
	return 0;
}

static int write_one(struct bph_report_plan *p, size_t ri,
		     const struct bph_abuse_case *k,
		     const struct bph_report_opts *o, const char *outdir,
		     FILE *log, char *err, size_t errlen)
{
	struct bph_rcpt *r = &p->r[ri];
	struct bph_sbuf b;
	size_t n, *hs = bph_rcpt_hosts(r, &n);
	json_t *xarf = hs ? xarf_all(k, hs, n, o) : NULL, *side = NULL;
	char name[160], *js = NULL;
	int rc = xarf ? 0 : BPH_ERR_NOMEM;
	free(hs);
	bph_sbuf_init(&b);
	if (!rc)
		rc = eml(&b, p, ri, k, o, xarf);
	if (!rc && !(side = sidecar(p, ri, k, o, xarf)))
		rc = BPH_ERR_NOMEM;
	if (!rc &&
	    !(js = json_dumps(side, JSON_INDENT(1) | JSON_PRESERVE_ORDER)))
		rc = BPH_ERR_NOMEM;
	snprintf(name, sizeof(name), "%s.eml", r->file);
	if (!rc)
		rc = write_new(outdir, name, (const char *)b.p, b.len, err,
			       errlen);
	snprintf(name, sizeof(name), "%s.json", r->file);
	if (!rc)
		rc = write_new(outdir, name, js, strlen(js), err, errlen);
	if (!rc && log)
		fprintf(log, "wrote %s/%s.eml and .json (%s, %zu host%s)\n",
			outdir, r->file, r->mailbox, n, n == 1 ? "" : "s");
	free(js);
	json_decref(side);
	json_decref(xarf);
	bph_sbuf_free(&b);
	return rc;
}

int bph_report_write(struct bph_report_plan *p, const struct bph_abuse_case *k,
		     const struct bph_report_opts *o, const char *outdir,
		     FILE *log, char *err, size_t errlen)
{
	if (!bph_mime_addr_ok(o->contact)) {
		snprintf(err, errlen, "'%s' is not a plain e-mail address",
			 o->contact);
		return BPH_ERR_USAGE;
	}
	for (size_t i = 0; i < p->n; i++) {
		if (bph_uuid4(p->r[i].report_id))
			return BPH_ERR_CRYPTO;
		file_name(&p->r[i], i);
	}
	/* providers first: the upstream reports cite their ids */
	for (size_t i = 0; i < p->n; i++) {
		int rc = write_one(p, i, k, o, outdir, log, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}
