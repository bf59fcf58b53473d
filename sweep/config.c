/*
 * config.c - finding and loading a sweep's YAML config: the top level,
 * targets, ports, scan options and diff settings (contract in
 * sweep/config.h; every key in docs/examples/sweep.yaml). Watches,
 * alerts and channels are read by sweep/config_notify.c.
 */
#include "sweep/config.h"

#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"
#include "sweep/calendar.h"
#include "sweep/coverage.h"
#include "sweep/sweep_int.h"

int bph_sweep_config_dirs(struct bph_strlist *dirs)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char buf[4096];
	int rc = 0;

	if (!home || !home[0]) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (xdg && xdg[0] == '/')
		snprintf(buf, sizeof(buf), "%s/bphound/sweeps", xdg);
	else if (home)
		snprintf(buf, sizeof(buf), "%s/.config/bphound/sweeps", home);
	else
		buf[0] = '\0';
	if (buf[0])
		rc = bph_strlist_add(dirs, buf);
	return rc ? rc : bph_strlist_add(dirs, "/etc/bphound/sweeps");
}

int bph_sweep_config_find(const char *name, char **path, char *err,
			  size_t errlen)
{
	struct bph_strlist dirs = {0};
	char buf[4200];
	int rc;

	*path = NULL;
	if (!bph_sweep_name_ok(name)) {
		snprintf(err, errlen,
			 "'%.80s' is not a sweep name (letters, digits, _ . -)",
			 name);
		return BPH_ERR_USAGE;
	}
	if ((rc = bph_sweep_config_dirs(&dirs)))
		return rc;
	for (size_t i = 0; i < dirs.n && !*path; i++) {
		snprintf(buf, sizeof(buf), "%s/%s.yaml", dirs.v[i], name);
		if (access(buf, F_OK) == 0 && !(*path = strdup(buf)))
			rc = BPH_ERR_NOMEM;
	}
	if (!*path && !rc) {
		snprintf(err, errlen,
			 "no sweep '%s': looked for %s/%s.yaml%s%s", name,
			 dirs.v[0], name, dirs.n > 1 ? " and " : "",
			 dirs.n > 1 ? "/etc/bphound/sweeps/NAME.yaml" : "");
		rc = BPH_ERR_USAGE;
	}
	bph_strlist_clear(&dirs);
	return rc;
}

/* ---- targets and ports ---- */

/* "AS<n>" (any case, n at most 4294967295): an AS the run expands to the
 * prefixes it originates (cli/asn_targets.h; docs/guide.md "Scoping a
 * pivot by AS"). Only the syntax is checked here. */
static bool asn_spec(const char *s)
{
	size_t d;

	if ((s[0] != 'A' && s[0] != 'a') || (s[1] != 'S' && s[1] != 's'))
		return false;
	d = strspn(s + 2, "0123456789");
	return d && d <= 10 && !s[2 + d] &&
	       strtoull(s + 2, NULL, 10) <= UINT32_MAX;
}

static int read_specs(struct cfg_reader *r, const yaml_node_t *n,
		      const char *what, bool asn_ok, struct bph_strlist *out)
{
	size_t count;
	int rc = bph_yconf_seq(r->y, n, what, &count);

	for (size_t i = 0; !rc && i < count; i++) {
		const yaml_node_t *it = bph_yconf_item(r->y, n, i);
		const char *s, *why;
		uint32_t lo, hi;
		if ((rc = bph_yconf_str(r->y, it, what, &s)))
			break;
		if (asn_ok && asn_spec(s))
			rc = bph_strlist_add(out, s);
		else if (bph_spec_parse(s, &lo, &hi, &why))
			rc = bph_yconf_fail(r->y, it, "%s: '%.64s': %s", what,
					    s, why);
		else
			rc = bph_strlist_add(out, s);
	}
	return rc;
}

static int read_files(struct cfg_reader *r, const yaml_node_t *n,
		      const char *what, struct bph_strlist *out)
{
	size_t start = out->n;
	int rc = cfg_str_list(r, n, what, true, out);

	for (size_t i = start; !rc && i < out->n; i++)
		if (access(out->v[i], R_OK))
			rc = bph_yconf_fail(
			    r->y, bph_yconf_item(r->y, n, i - start),
			    "%s: %s: %s", what, out->v[i], strerror(errno));
	return rc;
}

/* targets: / exclude: {cidrs: [...], files: [...]} */
static int read_set(struct cfg_reader *r, const yaml_node_t *n,
		    const char *what, struct bph_strlist *specs,
		    struct bph_strlist *files)
{
	static const char *const keys[] = {"cidrs", "files", NULL};
	const yaml_node_t *v;
	int rc = bph_yconf_mapping(r->y, n, what, keys);

	if (!rc && (v = bph_yconf_get(r->y, n, "cidrs")))
		rc = read_specs(r, v, "cidrs", !strcmp(what, "targets"), specs);
	if (!rc && (v = bph_yconf_get(r->y, n, "files")))
		rc = read_files(r, v, "files", files);
	return rc;
}

static int add_port_range(struct cfg_reader *r, const yaml_node_t *n,
			  const char *s)
{
	unsigned long lo, hi;
	char *end;

	lo = strtoul(s, &end, 10);
	hi = lo;
	if (end != s && *end == '-')
		hi = strtoul(end + 1, &end, 10);
	if (*end || s[0] < '0' || s[0] > '9' || lo < 1 || hi > 65535 || lo > hi)
		return bph_yconf_fail(r->y, n,
				      "ports: '%.40s' is not a port (1-65535) "
				      "or a range a-b",
				      s);
	for (unsigned long p = lo; p <= hi; p++) {
		uint16_t *v =
		    realloc(r->c->ports, (r->c->n_ports + 1) * sizeof(*v));
		if (!v)
			return BPH_ERR_NOMEM;
		r->c->ports = v;
		r->c->ports[r->c->n_ports++] = (uint16_t)p;
	}
	return 0;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* ports: [22, 80, "8000-8010"] or "22,80,8000-8010" */
static int read_ports(struct cfg_reader *r, const yaml_node_t *n)
{
	size_t count = 0, o = 0;
	int rc = 0;

	if (n->type == YAML_SEQUENCE_NODE) {
		rc = bph_yconf_seq(r->y, n, "ports", &count);
		for (size_t i = 0; !rc && i < count; i++) {
			const yaml_node_t *it = bph_yconf_item(r->y, n, i);
			const char *s;
			if (!(rc = bph_yconf_str(r->y, it, "ports", &s)))
				rc = add_port_range(r, it, s);
		}
	} else {
		const char *s;
		char *copy = NULL, *save = NULL;
		if (!(rc = bph_yconf_str(r->y, n, "ports", &s)) &&
		    !(copy = strdup(s)))
			rc = BPH_ERR_NOMEM;
		for (char *t = copy ? strtok_r(copy, ",", &save) : NULL;
		     t && !rc; t = strtok_r(NULL, ",", &save))
			rc = add_port_range(r, n, t);
		free(copy);
	}
	if (!rc && !r->c->n_ports)
		rc = bph_yconf_fail(r->y, n, "ports: no port given");
	if (!rc)
		qsort(r->c->ports, r->c->n_ports, sizeof(uint16_t), cmp_u16);
	for (size_t i = 0; !rc && i < r->c->n_ports; i++)
		if (!o || r->c->ports[o - 1] != r->c->ports[i])
			r->c->ports[o++] = r->c->ports[i];
	r->c->n_ports = rc ? r->c->n_ports : o;
	return rc;
}

/* probes: [tls, ssh, http, banner, jarm]; all or none of the first four
 * (they run as one engine), jarm optional. [] turns probing off. */
static int read_probes(struct cfg_reader *r, const yaml_node_t *n)
{
	static const char *const names[] = {"tls",    "ssh",  "http",
					    "banner", "jarm", NULL};
	bool seen[5] = {false};
	size_t count;
	int k, rc = bph_yconf_seq(r->y, n, "probes", &count);

	for (size_t i = 0; !rc && i < count; i++)
		if (!(rc = bph_yconf_enum(r->y, bph_yconf_item(r->y, n, i),
					  "probes", names, &k)))
			seen[k] = true;
	int base = seen[0] + seen[1] + seen[2] + seen[3];
	if (!rc && base != 0 && base != 4)
		rc = bph_yconf_fail(r->y, n,
				    "probes: tls, ssh, http and banner run "
				    "together: list all four, or none");
	if (!rc && !base && seen[4])
		rc = bph_yconf_fail(r->y, n, "probes: jarm needs tls");
	r->c->probes = base == 4;
	r->c->jarm = seen[4];
	return rc;
}

/* ---- diff ---- */

static int read_ignore(struct cfg_reader *r, const yaml_node_t *n)
{
	size_t count;
	int rc = bph_yconf_seq(r->y, n, "ignore_fields", &count);

	for (size_t i = 0; !rc && i < count; i++) {
		const yaml_node_t *it = bph_yconf_item(r->y, n, i);
		const char *s;
		int f;
		if ((rc = bph_yconf_str(r->y, it, "ignore_fields", &s)))
			break;
		f = bph_snap_field_parse(s);
		if (f < 0 || f == BPH_SF_SPKI)
			rc = bph_yconf_fail(
			    r->y, it,
			    "ignore_fields: '%.40s' is not one of proto, "
			    "tls.cert_sha256, tls.jarm, ssh.hostkeys, "
			    "ssh.hassh_server, http.title, http.body_sha256, "
			    "http.favicon_mmh3, http.server, tcp.sig",
			    s);
		else
			r->c->diff.ignore[f] = true;
	}
	return rc;
}

static int read_identity(struct cfg_reader *r, const yaml_node_t *n)
{
	static const char *const names[] = {"ssh_hostkey", "spki_sha256", NULL};
	size_t count;
	int k, rc = bph_yconf_seq(r->y, n, "identity", &count);

	r->c->diff.identity_ssh = r->c->diff.identity_spki = false;
	for (size_t i = 0; !rc && i < count; i++)
		if (!(rc = bph_yconf_enum(r->y, bph_yconf_item(r->y, n, i),
					  "identity", names, &k)))
			*(k ? &r->c->diff.identity_spki
			    : &r->c->diff.identity_ssh) = true;
	return rc;
}

static int read_diff(struct cfg_reader *r, const yaml_node_t *n)
{
	static const char *const keys[] = {"absent_after", "ignore_fields",
					   "identity", "identity_max_hosts",
					   NULL};
	const yaml_node_t *v;
	long long x;
	int rc = bph_yconf_mapping(r->y, n, "diff", keys);

	if (!rc && (v = bph_yconf_get(r->y, n, "absent_after")) &&
	    !(rc = bph_yconf_int(r->y, v, "absent_after", 1, 30, &x)))
		r->c->diff.absent_after = (unsigned)x;
	if (!rc && (v = bph_yconf_get(r->y, n, "ignore_fields")))
		rc = read_ignore(r, v);
	if (!rc && (v = bph_yconf_get(r->y, n, "identity")))
		rc = read_identity(r, v);
	if (!rc && (v = bph_yconf_get(r->y, n, "identity_max_hosts")) &&
	    !(rc =
		  bph_yconf_int(r->y, v, "identity_max_hosts", 1, 1000000, &x)))
		r->c->diff.identity_max_hosts = (unsigned)x;
	return rc;
}

/* ---- top level ---- */

static const char *const top_keys[] = {"version",
				       "name",
				       "description",
				       "db",
				       "targets",
				       "exclude",
				       "allow_reserved",
				       "ports",
				       "rate",
				       "probes",
				       "iface",
				       "source_ip",
				       "gateway_mac",
				       "retries",
				       "cooldown",
				       "timeout",
				       "max_connections",
				       "max_runtime",
				       "schedule",
				       "common",
				       "diff",
				       "watch",
				       "alerts",
				       "notify",
				       NULL};

static int read_name(struct cfg_reader *r, const yaml_node_t *root)
{
	const yaml_node_t *v = bph_yconf_get(r->y, root, "name");
	char *stem = strdup(r->y->path), *dot, *base;
	int rc = stem ? 0 : BPH_ERR_NOMEM;

	base = stem ? basename(stem) : NULL;
	if (base && (dot = strrchr(base, '.')) && !strcmp(dot, ".yaml"))
		*dot = '\0';
	if (!rc && v)
		rc = bph_yconf_strdup(r->y, v, "name", &r->c->name);
	if (!rc && !v && !(r->c->name = strdup(base)))
		rc = BPH_ERR_NOMEM;
	if (!rc && !bph_sweep_name_ok(r->c->name))
		rc = bph_yconf_fail(r->y, v ? v : root,
				    "name: '%.64s' is not a sweep name "
				    "(letters, digits, _ . -; the file is "
				    "NAME.yaml)",
				    r->c->name);
	if (!rc && v && strcmp(r->c->name, base))
		rc = bph_yconf_fail(r->y, v,
				    "name: '%s' differs from the file name "
				    "'%s.yaml'",
				    r->c->name, base);
	free(stem);
	return rc;
}

static int read_strs(struct cfg_reader *r, const yaml_node_t *root)
{
	static const char *const keys[] = {"description", "iface", "source_ip",
					   "gateway_mac", NULL};
	char **dst[] = {&r->c->description, &r->c->iface, &r->c->source_ip,
			&r->c->gateway_mac};
	const yaml_node_t *v;
	int rc = 0;

	for (size_t i = 0; !rc && keys[i]; i++)
		if ((v = bph_yconf_get(r->y, root, keys[i])))
			rc = bph_yconf_strdup(r->y, v, keys[i], dst[i]);
	if (!rc && (v = bph_yconf_get(r->y, root, "db"))) {
		const char *s;
		rc = bph_yconf_str(r->y, v, "db", &s);
		if (!rc)
			rc = strncmp(s, "postgresql://", 13)
				 ? cfg_path(r, v, "db", &r->c->db)
				 : bph_yconf_strdup(r->y, v, "db", &r->c->db);
	}
	if (!rc && (v = bph_yconf_get(r->y, root, "common")))
		rc = cfg_path(r, v, "common", &r->c->common);
	return rc;
}

static int read_numbers(struct cfg_reader *r, const yaml_node_t *root)
{
	const yaml_node_t *v;
	long long x;
	int rc = 0;

	if ((v = bph_yconf_get(r->y, root, "rate")) &&
	    !(rc = bph_yconf_int(r->y, v, "rate", 1, 100000000, &x)))
		r->c->rate = (uint64_t)x;
	if (!rc && (v = bph_yconf_get(r->y, root, "retries")) &&
	    !(rc = bph_yconf_int(r->y, v, "retries", 0, 10, &x)))
		r->c->retries = (int)x;
	if (!rc && (v = bph_yconf_get(r->y, root, "max_connections")) &&
	    !(rc = bph_yconf_int(r->y, v, "max_connections", 1, 100000, &x)))
		r->c->max_connections = (int)x;
	if (!rc && (v = bph_yconf_get(r->y, root, "cooldown")))
		rc = bph_yconf_duration(r->y, v, "cooldown", 600000,
					&r->c->cooldown_ms);
	if (!rc && (v = bph_yconf_get(r->y, root, "timeout")))
		rc = bph_yconf_duration(r->y, v, "timeout", 600000,
					&r->c->timeout_ms);
	if (!rc && (v = bph_yconf_get(r->y, root, "max_runtime")))
		rc =
		    bph_yconf_duration(r->y, v, "max_runtime", 30ull * 86400000,
				       &r->c->max_runtime_ms);
	if (!rc && (v = bph_yconf_get(r->y, root, "allow_reserved")))
		rc = bph_yconf_bool(r->y, v, "allow_reserved",
				    &r->c->allow_reserved);
	return rc;
}

static int read_schedule(struct cfg_reader *r, const yaml_node_t *v)
{
	const char *why;
	int rc = bph_yconf_strdup(r->y, v, "schedule", &r->c->schedule);

	if (!rc && bph_calendar_check(r->c->schedule, &why))
		rc = bph_yconf_fail(r->y, v,
				    "schedule: '%.80s' is not a systemd "
				    "calendar expression: %s",
				    r->c->schedule, why);
	return rc;
}

static int read_scan(struct cfg_reader *r, const yaml_node_t *root)
{
	const yaml_node_t *v;
	int rc = 0;

	if (!(v = bph_yconf_get(r->y, root, "targets")))
		return bph_yconf_fail(r->y, root, "targets: missing");
	rc =
	    read_set(r, v, "targets", &r->c->target_specs, &r->c->target_files);
	if (!rc && !r->c->target_specs.n && !r->c->target_files.n)
		rc = bph_yconf_fail(r->y, v, "targets: no cidrs or files");
	if (!rc && (v = bph_yconf_get(r->y, root, "exclude")))
		rc = read_set(r, v, "exclude", &r->c->exclude_specs,
			      &r->c->exclude_files);
	if (!rc && !(v = bph_yconf_get(r->y, root, "ports")))
		rc = bph_yconf_fail(r->y, root, "ports: missing");
	if (!rc)
		rc = read_ports(r, v);
	if (!rc && (v = bph_yconf_get(r->y, root, "probes")))
		rc = read_probes(r, v);
	if (!rc && (v = bph_yconf_get(r->y, root, "schedule")))
		rc = read_schedule(r, v);
	return rc ? rc : read_numbers(r, root);
}

static void defaults(struct bph_sweep_config *c)
{
	c->rate = 10000;
	c->probes = true;
	c->jarm = true;
	c->retries = -1;
	bph_diff_opts_default(&c->diff);
	for (int i = 0; i < BPH_EV_COUNT; i++)
		c->alert_events[i] = true;
	c->alert_min = BPH_SEV_LOW;
}

struct bph_sweep_config *bph_sweep_config_default(const char *name)
{
	struct bph_sweep_config *c = calloc(1, sizeof(*c));

	if (c) {
		defaults(c);
		c->name = strdup(name);
		c->path = strdup("(defaults)");
	}
	if (c && (!c->name || !c->path)) {
		bph_sweep_config_free(c);
		c = NULL;
	}
	return c;
}

static int read_root(struct cfg_reader *r)
{
	yaml_node_t *root = bph_yconf_root(r->y);
	const yaml_node_t *v;
	long long version;
	int rc = bph_yconf_mapping(r->y, root, "sweep config", top_keys);

	if (!rc && (v = bph_yconf_get(r->y, root, "version")))
		rc = bph_yconf_int(r->y, v, "version", 1, 1, &version);
	if (!rc)
		rc = read_name(r, root);
	if (!rc)
		rc = read_strs(r, root);
	if (!rc)
		rc = read_scan(r, root);
	if (!rc && (v = bph_yconf_get(r->y, root, "diff")))
		rc = read_diff(r, v);
	if (!rc && (v = bph_yconf_get(r->y, root, "alerts")))
		rc = cfg_read_alerts(r, v);
	if (!rc && (v = bph_yconf_get(r->y, root, "watch")))
		rc = cfg_read_watch(r, v);
	if (!rc && (v = bph_yconf_get(r->y, root, "notify")))
		rc = cfg_read_notify(r, v);
	return rc;
}

static int slurp_hash(const char *path, unsigned char **buf, size_t *len,
		      char sha[65], char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	unsigned char md[32];

	*buf = NULL;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return BPH_ERR_IO;
	}
	*buf = malloc(BPH_YCONF_MAX_BYTES + 1);
	*len = *buf ? fread(*buf, 1, BPH_YCONF_MAX_BYTES + 1, f) : 0;
	int bad = ferror(f);
	fclose(f);
	if (!*buf)
		return BPH_ERR_NOMEM;
	if (bad) {
		snprintf(err, errlen, "%s: read error", path);
		return BPH_ERR_IO;
	}
	if (!EVP_Digest(*buf, *len, md, NULL, EVP_sha256(), NULL))
		return BPH_ERR_CRYPTO;
	bph_hex(md, 32, sha);
	return 0;
}

int bph_sweep_config_load(const char *path, struct bph_sweep_config **out,
			  char *err, size_t errlen)
{
	struct bph_yconf y = {0};
	struct cfg_reader r = {.y = &y};
	unsigned char *buf = NULL;
	size_t len = 0;
	char *abs = realpath(path, NULL), *dir = abs ? strdup(abs) : NULL;
	int rc;

	*out = NULL;
	r.c = calloc(1, sizeof(*r.c));
	if (!abs) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = BPH_ERR_IO;
	} else if (!r.c || !dir) {
		rc = BPH_ERR_NOMEM;
	} else {
		defaults(r.c);
		r.c->path = abs;
		abs = NULL;
		r.dir = dirname(dir);
		rc = slurp_hash(path, &buf, &len, r.c->sha256, err, errlen);
		if (!rc)
			rc =
			    bph_yconf_load_mem(&y, path, buf, len, err, errlen);
		if (!rc)
			rc = read_root(&r);
	}
	bph_yconf_free(&y);
	free(buf);
	free(dir);
	free(abs);
	if (rc)
		bph_sweep_config_free(r.c);
	else
		*out = r.c;
	return rc;
}

static void notify_free(struct bph_notify_cfg *n)
{
	free(n->id);
	free(n->url);
	free(n->secret_file);
	free(n->secret_credential);
	free(n->sendmail);
	free(n->from);
	bph_strlist_clear(&n->to);
	free(n->subject_prefix);
	free(n->target);
	bph_strlist_clear(&n->argv);
}

void bph_sweep_config_free(struct bph_sweep_config *c)
{
	if (!c)
		return;
	char **strs[] = {&c->path,	  &c->name,	&c->description,
			 &c->db,	  &c->iface,	&c->source_ip,
			 &c->gateway_mac, &c->schedule, &c->common};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	struct bph_strlist *lists[] = {&c->target_specs, &c->target_files,
				       &c->exclude_specs, &c->exclude_files,
				       &c->watch_files};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		bph_strlist_clear(lists[i]);
	free(c->ports);
	for (size_t i = 0; i < c->n_clusters; i++) {
		free(c->clusters[i].name);
		bph_strlist_clear(&c->clusters[i].hosts);
		bph_strlist_clear(&c->clusters[i].art_kinds);
		bph_strlist_clear(&c->clusters[i].art_values);
	}
	free(c->clusters);
	for (size_t i = 0; i < c->n_notify; i++)
		notify_free(&c->notify[i]);
	free(c->notify);
	free(c);
}
