/*
 * config_notify.c - the watch:, alerts: and notify: sections of a sweep
 * config (contract in sweep/config.h; every key in
 * docs/examples/sweep.yaml).
 */
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "fingerprints/err.h"
#include "sweep/coverage.h"
#include "sweep/sweep_int.h"
#include "sweep/watch.h"

static const char *const sev_names[] = {"info", "low",	    "medium",
					"high", "critical", NULL};

/* A list of event type names into flags (all cleared first). */
static int read_events(struct cfg_reader *r, const yaml_node_t *n,
		       const char *what, bool *flags)
{
	size_t count;
	int rc = bph_yconf_seq(r->y, n, what, &count);

	for (int i = 0; !rc && i < BPH_EV_COUNT; i++)
		flags[i] = false;
	for (size_t i = 0; !rc && i < count; i++) {
		const yaml_node_t *it = bph_yconf_item(r->y, n, i);
		const char *s;
		int t;
		if ((rc = bph_yconf_str(r->y, it, what, &s)))
			break;
		if ((t = bph_event_type_parse(s)) < 0)
			rc = bph_yconf_fail(r->y, it,
					    "%s: '%.40s' is not an event type "
					    "(docs/output.md lists them)",
					    what, s);
		else
			flags[t] = true;
	}
	return rc;
}

static int read_severity(struct cfg_reader *r, const yaml_node_t *n,
			 const char *what, enum bph_severity *out)
{
	int s, rc = bph_yconf_enum(r->y, n, what, sev_names, &s);

	if (!rc)
		*out = (enum bph_severity)s;
	return rc;
}

int cfg_read_alerts(struct cfg_reader *r, const yaml_node_t *n)
{
	static const char *const keys[] = {"events", "min_severity",
					   "notify_on_empty", NULL};
	const yaml_node_t *v;
	int rc = bph_yconf_mapping(r->y, n, "alerts", keys);

	if (!rc && (v = bph_yconf_get(r->y, n, "events")))
		rc = read_events(r, v, "events", r->c->alert_events);
	if (!rc && (v = bph_yconf_get(r->y, n, "min_severity")))
		rc = read_severity(r, v, "min_severity", &r->c->alert_min);
	if (!rc && (v = bph_yconf_get(r->y, n, "notify_on_empty")))
		rc = bph_yconf_bool(r->y, v, "notify_on_empty",
				    &r->c->notify_on_empty);
	return rc;
}

/* ---- watch ---- */

/* A pattern with glob characters may match nothing; a plain path must
 * exist. */
static int add_watch_files(struct cfg_reader *r, const yaml_node_t *it,
			   const char *pattern)
{
	glob_t g;
	int rc = 0, grc = glob(pattern, 0, NULL, &g);

	if (grc == GLOB_NOMATCH && !strpbrk(pattern, "*?["))
		return bph_yconf_fail(r->y, it, "files: %s: %s", pattern,
				      strerror(ENOENT));
	if (grc && grc != GLOB_NOMATCH)
		return bph_yconf_fail(r->y, it, "files: %s: cannot be read",
				      pattern);
	for (size_t i = 0; !grc && !rc && i < g.gl_pathc; i++)
		rc = access(g.gl_pathv[i], R_OK)
			 ? bph_yconf_fail(r->y, it, "files: %s: %s",
					  g.gl_pathv[i], strerror(errno))
			 : bph_strlist_add(&r->c->watch_files, g.gl_pathv[i]);
	if (!grc)
		globfree(&g);
	return rc;
}

static int read_watch_files(struct cfg_reader *r, const yaml_node_t *n)
{
	struct bph_strlist pats = {0};
	int rc = cfg_str_list(r, n, "files", true, &pats);

	for (size_t i = 0; !rc && i < pats.n; i++)
		rc = add_watch_files(r, bph_yconf_item(r->y, n, i), pats.v[i]);
	bph_strlist_clear(&pats);
	return rc;
}

static int read_anchor_arts(struct cfg_reader *r, const yaml_node_t *n,
			    struct bph_cluster_watch_cfg *w)
{
	static const char *const keys[] = {"kind", "value", NULL};
	size_t count;
	int rc = bph_yconf_seq(r->y, n, "artifacts", &count);

	for (size_t i = 0; !rc && i < count; i++) {
		const yaml_node_t *it = bph_yconf_item(r->y, n, i);
		const yaml_node_t *k = bph_yconf_get(r->y, it, "kind");
		const yaml_node_t *v = bph_yconf_get(r->y, it, "value");
		const char *ks, *vs;
		if ((rc = bph_yconf_mapping(r->y, it, "artifact", keys)))
			break;
		if (!k || !v)
			rc = bph_yconf_fail(r->y, it,
					    "artifact: needs kind and value");
		if (!rc && !(rc = bph_yconf_str(r->y, k, "kind", &ks)) &&
		    !bph_kind_lookup(ks))
			rc = bph_yconf_fail(r->y, k,
					    "kind: '%.40s' is not an artifact "
					    "kind the clustering links on",
					    ks);
		if (!rc && !(rc = bph_yconf_str(r->y, v, "value", &vs)) &&
		    !(rc = bph_strlist_add(&w->art_kinds, ks)))
			rc = bph_strlist_add(&w->art_values, vs);
	}
	return rc;
}

static int read_anchor(struct cfg_reader *r, const yaml_node_t *n,
		       struct bph_cluster_watch_cfg *w)
{
	static const char *const keys[] = {"hosts", "artifacts", NULL};
	const yaml_node_t *v;
	int rc = bph_yconf_mapping(r->y, n, "anchor", keys);

	if (!rc && (v = bph_yconf_get(r->y, n, "hosts")))
		rc = cfg_str_list(r, v, "hosts", false, &w->hosts);
	for (size_t i = 0; !rc && i < w->hosts.n; i++) {
		uint32_t ip;
		if (bph_ipv4_parse(w->hosts.v[i], strlen(w->hosts.v[i]), &ip))
			rc = bph_yconf_fail(r->y, bph_yconf_item(r->y, v, i),
					    "hosts: '%.40s' is not an IPv4 "
					    "address",
					    w->hosts.v[i]);
	}
	if (!rc && (v = bph_yconf_get(r->y, n, "artifacts")))
		rc = read_anchor_arts(r, v, w);
	if (!rc && !w->hosts.n && !w->art_kinds.n)
		rc =
		    bph_yconf_fail(r->y, n, "anchor: needs hosts or artifacts");
	return rc;
}

static int read_cluster_events(struct cfg_reader *r, const yaml_node_t *n,
			       struct bph_cluster_watch_cfg *w)
{
	static const char *const names[] = {"member_added", "member_removed",
					    NULL};
	size_t count;
	int k, rc = bph_yconf_seq(r->y, n, "events", &count);

	w->on_added = w->on_removed = false;
	for (size_t i = 0; !rc && i < count; i++)
		if (!(rc = bph_yconf_enum(r->y, bph_yconf_item(r->y, n, i),
					  "events", names, &k)))
			*(k ? &w->on_removed : &w->on_added) = true;
	return rc;
}

static int read_cluster(struct cfg_reader *r, const yaml_node_t *n,
			struct bph_cluster_watch_cfg *w)
{
	static const char *const keys[] = {"name", "anchor", "events",
					   "growth_pct", NULL};
	const yaml_node_t *v;
	long long x;
	int rc = bph_yconf_mapping(r->y, n, "cluster", keys);

	w->on_added = w->on_removed = true;
	if (!rc && (!bph_yconf_get(r->y, n, "name") ||
		    !bph_yconf_get(r->y, n, "anchor")))
		rc = bph_yconf_fail(r->y, n, "cluster: needs name and anchor");
	if (!rc)
		rc = bph_yconf_strdup(r->y, bph_yconf_get(r->y, n, "name"),
				      "name", &w->name);
	for (size_t i = 0; !rc && r->c->clusters + i < w; i++)
		if (!strcmp(r->c->clusters[i].name, w->name))
			rc =
			    bph_yconf_fail(r->y, bph_yconf_get(r->y, n, "name"),
					   "name: cluster '%s' twice", w->name);
	if (!rc)
		rc = read_anchor(r, bph_yconf_get(r->y, n, "anchor"), w);
	if (!rc && (v = bph_yconf_get(r->y, n, "events")))
		rc = read_cluster_events(r, v, w);
	if (!rc && (v = bph_yconf_get(r->y, n, "growth_pct")) &&
	    !(rc = bph_yconf_int(r->y, v, "growth_pct", 1, 100000, &x)))
		w->growth_pct = (unsigned)x;
	return rc;
}

static int read_clusters(struct cfg_reader *r, const yaml_node_t *n)
{
	size_t count;
	int rc = bph_yconf_seq(r->y, n, "clusters", &count);

	if (!rc && count &&
	    !(r->c->clusters = calloc(count, sizeof(*r->c->clusters))))
		rc = BPH_ERR_NOMEM;
	for (size_t i = 0; !rc && i < count; i++) {
		r->c->n_clusters = i + 1;
		rc = read_cluster(r, bph_yconf_item(r->y, n, i),
				  &r->c->clusters[i]);
	}
	return rc;
}

int cfg_read_watch(struct cfg_reader *r, const yaml_node_t *n)
{
	static const char *const keys[] = {"files", "clusters", NULL};
	const yaml_node_t *v;
	int rc = bph_yconf_mapping(r->y, n, "watch", keys);

	if (!rc && (v = bph_yconf_get(r->y, n, "files")))
		rc = read_watch_files(r, v);
	if (!rc && (v = bph_yconf_get(r->y, n, "clusters")))
		rc = read_clusters(r, v);
	return rc;
}

/* ---- notify ---- */

static const char *const types[] = {"webhook", "email", "syslog", "exec", NULL};

static const char *const common_keys[] = {
    "id",      "type",	  "min_severity", "events", "max_events_per_message",
    "timeout", "retries", "retry_delay",  NULL};

static const char *const *const type_keys[BPH_NT_COUNT] = {
    [BPH_NT_WEBHOOK] = (const char *const[]){"url", "secret", NULL},
    [BPH_NT_EMAIL] =
	(const char *const[]){"sendmail", "from", "to", "subject_prefix", NULL},
    [BPH_NT_SYSLOG] = (const char *const[]){"target", "facility", NULL},
    [BPH_NT_EXEC] = (const char *const[]){"command", NULL},
};

/* common_keys + the type's keys, into out (NULL-terminated). */
static void allowed_keys(enum bph_notify_type t, const char **out)
{
	size_t o = 0;

	for (size_t i = 0; common_keys[i]; i++)
		out[o++] = common_keys[i];
	for (size_t i = 0; type_keys[t][i]; i++)
		out[o++] = type_keys[t][i];
	out[o] = NULL;
}

static int read_secret(struct cfg_reader *r, const yaml_node_t *n,
		       struct bph_notify_cfg *c)
{
	static const char *const keys[] = {"file", "credential", NULL};
	const yaml_node_t *f = bph_yconf_get(r->y, n, "file");
	const yaml_node_t *cr = bph_yconf_get(r->y, n, "credential");
	int rc = n->type == YAML_SCALAR_NODE
		     ? bph_yconf_fail(r->y, n,
				      "secret: never in the config; use "
				      "{file: PATH} or {credential: NAME}")
		     : bph_yconf_mapping(r->y, n, "secret", keys);

	if (!rc && !f == !cr)
		rc = bph_yconf_fail(r->y, n,
				    "secret: give one of file or credential");
	if (!rc && f)
		rc = cfg_path(r, f, "file", &c->secret_file);
	if (!rc && cr)
		rc = bph_yconf_strdup(r->y, cr, "credential",
				      &c->secret_credential);
	if (!rc && cr && strchr(c->secret_credential, '/'))
		rc = bph_yconf_fail(r->y, cr, "credential: a name, not a path");
	return rc;
}

static int read_webhook(struct cfg_reader *r, const yaml_node_t *n,
			struct bph_notify_cfg *c)
{
	const yaml_node_t *v = bph_yconf_get(r->y, n, "url");
	int rc = v ? bph_yconf_strdup(r->y, v, "url", &c->url)
		   : bph_yconf_fail(r->y, n, "webhook: needs url");

	if (!rc && strncmp(c->url, "http://", 7) &&
	    strncmp(c->url, "https://", 8))
		rc =
		    bph_yconf_fail(r->y, v, "url: must be http:// or https://");
	if (!rc && strpbrk(c->url, " \r\n\t"))
		rc = bph_yconf_fail(r->y, v, "url: contains white space");
	if (!rc && (v = bph_yconf_get(r->y, n, "secret")))
		rc = read_secret(r, v, c);
	return rc;
}

/* One address: no white space or control characters, one '@'. */
static bool address_ok(const char *a)
{
	const char *at = strchr(a, '@');

	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == ',' || *p == '<' ||
		    *p == '>')
			return false;
	return at && at != a && at[1] && !strchr(at + 1, '@');
}

static int read_email(struct cfg_reader *r, const yaml_node_t *n,
		      struct bph_notify_cfg *c)
{
	const yaml_node_t *v = bph_yconf_get(r->y, n, "from");
	const yaml_node_t *to = bph_yconf_get(r->y, n, "to");
	int rc = !v || !to ? bph_yconf_fail(r->y, n, "email: needs from and to")
			   : bph_yconf_strdup(r->y, v, "from", &c->from);

	if (!rc && !address_ok(c->from))
		rc = bph_yconf_fail(r->y, v, "from: not an e-mail address");
	if (!rc)
		rc = cfg_str_list(r, to, "to", false, &c->to);
	for (size_t i = 0; !rc && i < c->to.n; i++)
		if (!address_ok(c->to.v[i]))
			rc = bph_yconf_fail(r->y, bph_yconf_item(r->y, to, i),
					    "to: not an e-mail address");
	if (!rc && !c->to.n)
		rc = bph_yconf_fail(r->y, to, "to: no address");
	if (!rc && (v = bph_yconf_get(r->y, n, "sendmail")))
		rc = cfg_path(r, v, "sendmail", &c->sendmail);
	if (!rc && (v = bph_yconf_get(r->y, n, "subject_prefix")))
		rc = bph_yconf_strdup(r->y, v, "subject_prefix",
				      &c->subject_prefix);
	if (!rc && c->subject_prefix && strpbrk(c->subject_prefix, "\r\n"))
		rc = bph_yconf_fail(r->y, v, "subject_prefix: line break");
	return rc;
}

static int read_syslog(struct cfg_reader *r, const yaml_node_t *n,
		       struct bph_notify_cfg *c)
{
	static const char *const fac[] = {
	    "kern",	"user",	  "mail",   "daemon", "auth",
	    "syslog",	"lpr",	  "news",   "uucp",   "cron",
	    "authpriv", "ftp",	  "ntp",    "audit",  "alert",
	    "clock",	"local0", "local1", "local2", "local3",
	    "local4",	"local5", "local6", "local7", NULL};
	const yaml_node_t *v = bph_yconf_get(r->y, n, "target");
	int rc = 0;

	c->facility = 1;
	if (v && !(rc = bph_yconf_strdup(r->y, v, "target", &c->target)) &&
	    strcmp(c->target, "stdout") &&
	    (strncmp(c->target, "unix:", 5) || c->target[5] != '/'))
		rc = bph_yconf_fail(r->y, v,
				    "target: stdout or unix:/absolute/path");
	if (!rc && (v = bph_yconf_get(r->y, n, "facility")))
		rc = bph_yconf_enum(r->y, v, "facility", fac, &c->facility);
	return rc;
}

static int read_exec(struct cfg_reader *r, const yaml_node_t *n,
		     struct bph_notify_cfg *c)
{
	const yaml_node_t *v = bph_yconf_get(r->y, n, "command");
	int rc = v ? cfg_str_list(r, v, "command", false, &c->argv)
		   : bph_yconf_fail(r->y, n, "exec: needs command");

	if (!rc && !c->argv.n)
		rc = bph_yconf_fail(r->y, v, "command: empty");
	if (!rc && c->argv.v[0][0] != '/') {
		char *abs = NULL;
		rc = cfg_path(r, bph_yconf_item(r->y, v, 0), "command", &abs);
		if (!rc) {
			free(c->argv.v[0]);
			c->argv.v[0] = abs;
		}
	}
	if (!rc && access(c->argv.v[0], X_OK))
		rc = bph_yconf_fail(r->y, bph_yconf_item(r->y, v, 0),
				    "command: %s: %s", c->argv.v[0],
				    strerror(errno));
	return rc;
}

static int read_channel_common(struct cfg_reader *r, const yaml_node_t *n,
			       struct bph_notify_cfg *c)
{
	const yaml_node_t *v;
	long long x;
	int rc = 0;

	c->min_severity = r->c->alert_min;
	memcpy(c->events, r->c->alert_events, sizeof(c->events));
	c->max_events = 50;
	c->timeout_ms = 10000;
	c->retries = 2;
	c->retry_delay_ms = 2000;
	if ((v = bph_yconf_get(r->y, n, "min_severity")))
		rc = read_severity(r, v, "min_severity", &c->min_severity);
	if (!rc && (v = bph_yconf_get(r->y, n, "events")))
		rc = read_events(r, v, "events", c->events);
	if (!rc && (v = bph_yconf_get(r->y, n, "max_events_per_message")) &&
	    !(rc = bph_yconf_int(r->y, v, "max_events_per_message", 1, 10000,
				 &x)))
		c->max_events = (unsigned)x;
	if (!rc && (v = bph_yconf_get(r->y, n, "retries")) &&
	    !(rc = bph_yconf_int(r->y, v, "retries", 0, 10, &x)))
		c->retries = (unsigned)x;
	if (!rc && (v = bph_yconf_get(r->y, n, "timeout")))
		rc = bph_yconf_duration(r->y, v, "timeout", 300000,
					&c->timeout_ms);
	if (!rc && (v = bph_yconf_get(r->y, n, "retry_delay")))
		rc = bph_yconf_duration(r->y, v, "retry_delay", 600000,
					&c->retry_delay_ms);
	return rc;
}

static int read_channel(struct cfg_reader *r, const yaml_node_t *n,
			struct bph_notify_cfg *c)
{
	static int (*const readers[BPH_NT_COUNT])(struct cfg_reader *,
						  const yaml_node_t *,
						  struct bph_notify_cfg *) = {
	    read_webhook, read_email, read_syslog, read_exec};
	const char *keys[24];
	const yaml_node_t *t = bph_yconf_get(r->y, n, "type");
	const yaml_node_t *id = bph_yconf_get(r->y, n, "id");
	int type, rc = n->type == YAML_MAPPING_NODE
			   ? 0
			   : bph_yconf_fail(r->y, n,
					    "notify: expected a "
					    "mapping per channel");

	if (!rc && (!t || !id))
		rc = bph_yconf_fail(r->y, n, "channel: needs id and type");
	if (!rc && !(rc = bph_yconf_enum(r->y, t, "type", types, &type)))
		c->type = (enum bph_notify_type)type;
	if (!rc) {
		allowed_keys(c->type, keys);
		rc = bph_yconf_mapping(r->y, n, types[c->type], keys);
	}
	if (!rc)
		rc = bph_yconf_strdup(r->y, id, "id", &c->id);
	if (!rc && !bph_sweep_name_ok(c->id))
		rc = bph_yconf_fail(r->y, id, "id: letters, digits, _ . -");
	for (size_t i = 0; !rc && r->c->notify + i < c; i++)
		if (!strcmp(r->c->notify[i].id, c->id))
			rc = bph_yconf_fail(r->y, id, "id: '%s' twice", c->id);
	if (!rc)
		rc = read_channel_common(r, n, c);
	return rc ? rc : readers[c->type](r, n, c);
}

int cfg_read_notify(struct cfg_reader *r, const yaml_node_t *n)
{
	size_t count;
	int rc = bph_yconf_seq(r->y, n, "notify", &count);

	if (!rc && count &&
	    !(r->c->notify = calloc(count, sizeof(*r->c->notify))))
		rc = BPH_ERR_NOMEM;
	for (size_t i = 0; !rc && i < count; i++) {
		r->c->n_notify = i + 1;
		rc = read_channel(r, bph_yconf_item(r->y, n, i),
				  &r->c->notify[i]);
	}
	return rc;
}
