/*
 * event.c - the event type registry, event sets, stable ids and the
 * "bphound.event/1" JSON form (contract in sweep/event.h, fields in
 * docs/output.md "Sweep events").
 */
#include "sweep/event.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"
#include "fingerprints/record.h"

const struct bph_event_type_info bph_event_types[BPH_EV_COUNT] = {
    [BPH_EV_HOST_NEW] = {"host.new", BPH_SEV_MEDIUM,
			 "a host answers that no earlier run saw"},
    [BPH_EV_HOST_GONE] = {"host.gone", BPH_SEV_LOW,
			  "a host stopped answering (absent_after runs)"},
    [BPH_EV_HOST_BACK] = {"host.back", BPH_SEV_LOW,
			  "a host reported gone answers again"},
    [BPH_EV_PORT_OPEN] = {"port.open", BPH_SEV_MEDIUM,
			  "a port opened on a host"},
    [BPH_EV_PORT_CLOSED] = {"port.closed", BPH_SEV_LOW,
			    "a port closed on a host that still answers"},
    [BPH_EV_SERVICE_CHANGED] = {"service.changed", BPH_SEV_LOW,
				"the protocol detected on a port changed"},
    [BPH_EV_TLS_CERT_CHANGED] = {"tls.cert_changed", BPH_SEV_MEDIUM,
				 "the leaf certificate changed"},
    [BPH_EV_TLS_JARM_CHANGED] = {"tls.jarm_changed", BPH_SEV_LOW,
				 "the JARM fingerprint changed"},
    [BPH_EV_SSH_HOSTKEY_CHANGED] = {"ssh.hostkey_changed", BPH_SEV_MEDIUM,
				    "the SSH host keys changed"},
    [BPH_EV_SSH_HASSH_CHANGED] = {"ssh.hassh_changed", BPH_SEV_LOW,
				  "the HASSHServer fingerprint changed"},
    [BPH_EV_HTTP_CHANGED] = {"http.changed", BPH_SEV_LOW,
			     "the web page changed (details.fields)"},
    [BPH_EV_TCP_SIG_CHANGED] = {"tcp.sig_changed", BPH_SEV_LOW,
				"the TCP/IP stack signature changed"},
    [BPH_EV_IDENTITY_MOVED] = {"identity.moved", BPH_SEV_HIGH,
			       "a host key or certificate key left one "
			       "address and appeared at another"},
    [BPH_EV_WATCH_HIT] = {"watch.hit", BPH_SEV_MEDIUM,
			  "a watched artifact or address was seen"},
    [BPH_EV_CLUSTER_MEMBER_ADDED] = {"cluster.member_added", BPH_SEV_HIGH,
				     "a host joined a tracked cluster"},
    [BPH_EV_CLUSTER_MEMBER_REMOVED] = {"cluster.member_removed", BPH_SEV_MEDIUM,
				       "a host left a tracked cluster"},
    [BPH_EV_CLUSTER_GROWTH] = {"cluster.growth", BPH_SEV_HIGH,
			       "a tracked cluster grew past growth_pct"},
    [BPH_EV_SWEEP_COMPLETED] = {"sweep.completed", BPH_SEV_INFO,
				"a run completed (counts per type)"},
    [BPH_EV_SWEEP_FAILED] = {"sweep.failed", BPH_SEV_HIGH,
			     "a run failed or was interrupted"},
};

static const char *const sev_names[BPH_SEV_COUNT] = {"info", "low", "medium",
						     "high", "critical"};

const char *bph_severity_name(enum bph_severity s)
{
	return (unsigned)s < BPH_SEV_COUNT ? sev_names[s] : "info";
}

int bph_severity_parse(const char *s)
{
	for (int i = 0; s && i < BPH_SEV_COUNT; i++)
		if (!strcmp(sev_names[i], s))
			return i;
	return -1;
}

int bph_event_type_parse(const char *s)
{
	for (int i = 0; s && i < BPH_EV_COUNT; i++)
		if (!strcmp(bph_event_types[i].name, s))
			return i;
	return -1;
}

int bph_event_set_init(struct bph_event_set *s, const char *sweep,
		       int64_t run_from, int64_t run_to, time_t observed_at)
{
	memset(s, 0, sizeof(*s));
	s->sweep = strdup(sweep ? sweep : "");
	s->run_from = run_from;
	s->run_to = run_to;
	s->observed_at = observed_at;
	return s->sweep ? 0 : BPH_ERR_NOMEM;
}

static void event_clear(struct bph_event *e)
{
	free(e->field);
	json_decref(e->before);
	json_decref(e->after);
	json_decref(e->details);
	json_decref(e->evidence);
	json_decref(e->watch);
	json_decref(e->cluster);
}

void bph_event_set_clear(struct bph_event_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		event_clear(&s->v[i]);
	free(s->v);
	free(s->sweep);
	memset(s, 0, sizeof(*s));
}

static int grow(struct bph_event_set *s)
{
	if (s->n < s->cap)
		return 0;
	size_t cap = s->cap ? s->cap * 2 : 64;
	struct bph_event *v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return BPH_ERR_NOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

struct bph_event *bph_event_add(struct bph_event_set *s,
				enum bph_event_type type, bool has_ip,
				uint32_t ip, int port, const char *field,
				json_t *before, json_t *after, json_t *details)
{
	char *f = field ? strdup(field) : NULL;

	if ((field && !f) || grow(s)) {
		free(f);
		json_decref(before);
		json_decref(after);
		json_decref(details);
		return NULL;
	}
	struct bph_event *e = &s->v[s->n++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->severity = bph_event_types[type].severity;
	e->has_ip = has_ip;
	e->ip = ip;
	e->port = port;
	e->field = f;
	e->before = before;
	e->after = after;
	e->details = details;
	return e;
}

static int event_id(const struct bph_event_set *s, struct bph_event *e)
{
	char ip[16] = "", port[12] = "", run[24];
	char *after = e->after
			  ? json_dumps(e->after, JSON_COMPACT | JSON_SORT_KEYS |
						     JSON_ENCODE_ANY)
			  : NULL;
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (e->after && !after)
		return BPH_ERR_NOMEM;
	if (e->has_ip)
		bph_ip_str(e->ip, ip);
	if (e->port >= 0)
		snprintf(port, sizeof(port), "%d", e->port);
	snprintf(run, sizeof(run), "%lld", (long long)s->run_to);
	const char *parts[] = {s->sweep,
			       run,
			       bph_event_types[e->type].name,
			       ip,
			       port,
			       e->field ? e->field : "",
			       after ? after : ""};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (size_t i = 0; ok && i < sizeof(parts) / sizeof(parts[0]); i++)
		ok = (!i || EVP_DigestUpdate(ctx, "\x1f", 1)) &&
		     EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	free(after);
	if (!ok)
		return BPH_ERR_CRYPTO;
	bph_hex(md, 16, e->id);
	return 0;
}

int bph_event_set_finish(struct bph_event_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		int rc = event_id(s, &s->v[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_event(const void *x, const void *y)
{
	const struct bph_event *a = x, *b = y;

	if (a->has_ip != b->has_ip)
		return a->has_ip ? -1 : 1;
	if (a->ip != b->ip)
		return a->ip < b->ip ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	int d = cmp_str(a->field, b->field);
	return d ? d : strcmp(a->id, b->id);
}

void bph_event_set_sort(struct bph_event_set *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_event);
}

void bph_time_rfc3339(time_t t, char out[32])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		strcpy(out, "1970-01-01T00:00:00Z");
}

/* json_incref of v, or json null for NULL. */
static json_t *ref_or_null(json_t *v)
{
	return v ? json_incref(v) : json_null();
}

static int set_common(json_t *o, const struct bph_event_set *s,
		      const struct bph_event *e)
{
	char ip[16], when[32];

	bph_time_rfc3339(s->observed_at, when);
	if (e->has_ip)
		bph_ip_str(e->ip, ip);
	return json_object_set_new(o, "schema",
				   json_string(BPH_EVENT_SCHEMA)) ||
	       json_object_set_new(o, "id", json_string(e->id)) ||
	       json_object_set_new(
		   o, "type", json_string(bph_event_types[e->type].name)) ||
	       json_object_set_new(
		   o, "severity",
		   json_string(bph_severity_name(e->severity))) ||
	       json_object_set_new(o, "sweep", json_string(s->sweep)) ||
	       json_object_set_new(o, "run_from",
				   s->run_from ? json_integer(s->run_from)
					       : json_null()) ||
	       json_object_set_new(o, "run_to", json_integer(s->run_to)) ||
	       json_object_set_new(o, "observed_at", json_string(when)) ||
	       json_object_set_new(o, "ip",
				   e->has_ip ? json_string(ip) : json_null()) ||
	       json_object_set_new(o, "port",
				   e->port >= 0 ? json_integer(e->port)
						: json_null()) ||
	       json_object_set_new(
		   o, "field", e->field ? json_string(e->field) : json_null());
}

json_t *bph_event_to_json(const struct bph_event_set *s,
			  const struct bph_event *e)
{
	json_t *o = json_object();
	int bad = !o || set_common(o, s, e) ||
		  json_object_set_new(o, "before", ref_or_null(e->before)) ||
		  json_object_set_new(o, "after", ref_or_null(e->after)) ||
		  json_object_set_new(o, "details",
				      e->details ? json_incref(e->details)
						 : json_object());
	if (!bad && e->evidence)
		bad = json_object_set(o, "evidence", e->evidence);
	if (!bad && e->watch)
		bad = json_object_set(o, "watch", e->watch);
	if (!bad && e->cluster)
		bad = json_object_set(o, "cluster", e->cluster);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
