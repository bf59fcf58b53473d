/*
 * diff_events.c - the diff's host, port and field events, built from the
 * records read back through the source (rules in sweep/diff.h, fields in
 * docs/output.md "Sweep events").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "sweep/svcjson.h"
#include "sweep/sweep_int.h"

int diff_fail(struct diff_ctx *d, int rc, const char *what)
{
	if (d->err && d->errlen && !d->err[0])
		snprintf(d->err, d->errlen, "%s: %s", what, bph_strerror(rc));
	return rc;
}

int diff_get(struct diff_ctx *d, size_t j, uint32_t ip, uint16_t port,
	     struct bph_service *out)
{
	char what[64], a[16];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = d->src->get(d->src->ctx, d->runs[j].id, ip, port, out);
	if (rc) {
		bph_ip_str(ip, a);
		snprintf(what, sizeof(what), "reading %s:%u of run %lld", a,
			 port, (long long)d->runs[j].id);
		return diff_fail(d, rc, what);
	}
	return 0;
}

static json_t *ports_obj(const uint16_t *ports, size_t n)
{
	json_t *o = json_object(), *p = bph_sj_ports(ports, n);

	if (!o || !p || json_object_set_new(o, "ports", p)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int added(struct bph_event *e)
{
	return e ? 0 : BPH_ERR_NOMEM;
}

int diff_host_event(struct diff_ctx *d, const struct host_view *h,
		    enum bph_event_type type, size_t run, int64_t last_seen)
{
	json_t *ports = ports_obj(h->ports[run], h->n_ports[run]);
	json_t *det = json_object();
	bool gone = type == BPH_EV_HOST_GONE;

	if (!ports || !det)
		goto nomem;
	if (gone)
		last_seen = d->runs[run].id;
	if (last_seen &&
	    json_object_set_new(det, "last_seen_run", json_integer(last_seen)))
		goto nomem;
	if (gone && json_object_set_new(det, "absent_runs",
					json_integer(d->o->absent_after)))
		goto nomem;
	return added(bph_event_add(d->out, type, true, h->ip, -1, NULL,
				   gone ? ports : NULL, gone ? NULL : ports,
				   det));
nomem:
	json_decref(ports);
	json_decref(det);
	return BPH_ERR_NOMEM;
}

int diff_port_event(struct diff_ctx *d, uint32_t ip, uint16_t port,
		    enum bph_event_type type, size_t run)
{
	struct bph_service s;
	int rc = diff_get(d, run, ip, port, &s);
	json_t *v = rc ? NULL : bph_sj_service(&s);

	bph_service_clear(&s);
	if (rc)
		return rc;
	if (!v)
		return BPH_ERR_NOMEM;
	bool open = type == BPH_EV_PORT_OPEN;
	return added(bph_event_add(d->out, type, true, ip, port, NULL,
				   open ? NULL : v, open ? v : NULL, NULL));
}

/* Bit f set when field f is known in both and differs, and not ignored. */
static uint32_t changed_fields(const struct diff_ctx *d,
			       const struct bph_snap_svc *a,
			       const struct bph_snap_svc *b)
{
	uint32_t m = 0;

	for (int f = 0; f < BPH_SF_COUNT; f++)
		if (!d->o->ignore[f] && a->h[f] && b->h[f] &&
		    a->h[f] != b->h[f])
			m |= 1u << f;
	if (d->o->ignore[BPH_SF_CERT])
		m &= ~(1u << BPH_SF_SPKI);
	return m;
}

static int str_change(struct diff_ctx *d, enum bph_event_type type, uint32_t ip,
		      uint16_t port, enum bph_snap_field f, const char *before,
		      const char *after)
{
	return added(bph_event_add(d->out, type, true, ip, port,
				   bph_snap_field_name(f), bph_sj_str(before),
				   bph_sj_str(after), NULL));
}

static int cert_change(struct diff_ctx *d, uint32_t ip, uint16_t port,
		       const struct bph_tls_info *a,
		       const struct bph_tls_info *b)
{
	bool same =
	    a->spki_sha256[0] && !strcmp(a->spki_sha256, b->spki_sha256);
	json_t *det = json_pack("{s:b}", "same_spki", same);
	struct bph_event *e =
	    bph_event_add(d->out, BPH_EV_TLS_CERT_CHANGED, true, ip, port,
			  bph_snap_field_name(BPH_SF_CERT), bph_sj_cert(a),
			  bph_sj_cert(b), det);

	if (e && same)
		e->severity = BPH_SEV_LOW;
	return added(e);
}

/* sha256 values of a's keys that b lacks, as a JSON array. */
static json_t *keys_minus(const struct bph_ssh_info *a,
			  const struct bph_ssh_info *b)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < a->n_hostkeys; i++) {
		bool found = false;
		for (size_t j = 0; j < b->n_hostkeys && !found; j++)
			found = !strcmp(a->hostkeys[i].sha256,
					b->hostkeys[j].sha256);
		if (!found && a->hostkeys[i].sha256[0] &&
		    json_array_append_new(arr,
					  json_string(a->hostkeys[i].sha256))) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static int hostkey_change(struct diff_ctx *d, uint32_t ip, uint16_t port,
			  const struct bph_ssh_info *a,
			  const struct bph_ssh_info *b)
{
	json_t *det = json_object(), *add = keys_minus(b, a),
	       *rem = keys_minus(a, b);

	if (!det || !add || !rem || json_object_set_new(det, "added", add) ||
	    json_object_set_new(det, "removed", rem)) {
		json_decref(det);
		return BPH_ERR_NOMEM;
	}
	return added(bph_event_add(d->out, BPH_EV_SSH_HOSTKEY_CHANGED, true, ip,
				   port, bph_snap_field_name(BPH_SF_HOSTKEYS),
				   bph_sj_hostkeys(a), bph_sj_hostkeys(b),
				   det));
}

static int http_change(struct diff_ctx *d, uint32_t ip, uint16_t port,
		       uint32_t mask, const struct bph_http_info *a,
		       const struct bph_http_info *b)
{
	static const enum bph_snap_field fields[] = {
	    BPH_SF_TITLE, BPH_SF_BODY, BPH_SF_FAVICON, BPH_SF_SERVER};
	json_t *list = json_array();

	for (size_t i = 0; list && i < 4; i++)
		if (mask & (1u << fields[i]) &&
		    json_array_append_new(
			list, json_string(bph_snap_field_name(fields[i]) + 5)))
			goto nomem;
	json_t *det = list ? json_pack("{s:o}", "fields", list) : NULL;
	if (!det)
		return BPH_ERR_NOMEM;
	return added(bph_event_add(d->out, BPH_EV_HTTP_CHANGED, true, ip, port,
				   "http", bph_sj_http(a, d->o->ignore),
				   bph_sj_http(b, d->o->ignore), det));
nomem:
	json_decref(list);
	return BPH_ERR_NOMEM;
}

#define HTTP_MASK                                                              \
	((1u << BPH_SF_TITLE) | (1u << BPH_SF_BODY) | (1u << BPH_SF_FAVICON) | \
	 (1u << BPH_SF_SERVER))

static int emit_changes(struct diff_ctx *d, uint32_t ip, uint16_t port,
			uint32_t m, const struct bph_service *a,
			const struct bph_service *b)
{
	int rc = 0;

	if (m & 1u << BPH_SF_PROTO)
		rc = str_change(d, BPH_EV_SERVICE_CHANGED, ip, port,
				BPH_SF_PROTO, a->proto, b->proto);
	if (!rc && m & (1u << BPH_SF_CERT | 1u << BPH_SF_SPKI) && a->tls &&
	    b->tls)
		rc = cert_change(d, ip, port, a->tls, b->tls);
	if (!rc && m & 1u << BPH_SF_JARM && a->tls && b->tls)
		rc = str_change(d, BPH_EV_TLS_JARM_CHANGED, ip, port,
				BPH_SF_JARM, a->tls->jarm, b->tls->jarm);
	if (!rc && m & 1u << BPH_SF_HOSTKEYS && a->ssh && b->ssh)
		rc = hostkey_change(d, ip, port, a->ssh, b->ssh);
	if (!rc && m & 1u << BPH_SF_HASSH && a->ssh && b->ssh)
		rc = str_change(d, BPH_EV_SSH_HASSH_CHANGED, ip, port,
				BPH_SF_HASSH, a->ssh->hassh_server,
				b->ssh->hassh_server);
	if (!rc && m & HTTP_MASK && a->http && b->http)
		rc = http_change(d, ip, port, m, a->http, b->http);
	if (!rc && m & 1u << BPH_SF_TCPSIG)
		rc = str_change(d, BPH_EV_TCP_SIG_CHANGED, ip, port,
				BPH_SF_TCPSIG, a->tcp.sig, b->tcp.sig);
	return rc;
}

int diff_fields(struct diff_ctx *d, uint32_t ip, uint16_t port, size_t base)
{
	size_t k = d->n - 1;
	const struct bph_snap_svc *a =
	    bph_snap_find(d->runs[base].snap, ip, port);
	const struct bph_snap_svc *b = bph_snap_find(d->runs[k].snap, ip, port);
	struct bph_service sa, sb;
	uint32_t m = a && b ? changed_fields(d, a, b) : 0;
	int rc;

	if (!m)
		return 0;
	rc = diff_get(d, base, ip, port, &sa);
	if (!rc) {
		rc = diff_get(d, k, ip, port, &sb);
		if (!rc)
			rc = emit_changes(d, ip, port, m, &sa, &sb);
		bph_service_clear(&sb);
	}
	bph_service_clear(&sa);
	return rc;
}
