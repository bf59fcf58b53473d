/*
 * config_print.c - `bphound sweep show` (the effective config with every
 * default, as YAML that loads back to the same config) and `bphound
 * sweep timer` (a systemd drop-in from schedule:). Strings are written as
 * JSON strings, which YAML reads as double-quoted scalars.
 */
#include "sweep/config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fingerprints/err.h"

static void q(FILE *f, const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	fputs(t ? t : "\"\"", f);
	free(t);
	json_decref(j);
}

static void list(FILE *f, const struct bph_strlist *l)
{
	fputc('[', f);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputs(", ", f);
		q(f, l->v[i]);
	}
	fputc(']', f);
}

static void key_str(FILE *f, const char *indent, const char *k, const char *v)
{
	if (!v)
		return;
	fprintf(f, "%s%s: ", indent, k);
	q(f, v);
	fputc('\n', f);
}

static const char *sev(enum bph_severity s)
{
	return bph_severity_name(s);
}

static void events(FILE *f, const bool *on)
{
	bool first = true;

	fputc('[', f);
	for (int i = 0; i < BPH_EV_COUNT; i++)
		if (on[i]) {
			fprintf(f, "%s%s", first ? "" : ", ",
				bph_event_types[i].name);
			first = false;
		}
	fputc(']', f);
}

static void print_scan(const struct bph_sweep_config *c, FILE *f)
{
	fputs("targets:\n  cidrs: ", f);
	list(f, &c->target_specs);
	fputs("\n  files: ", f);
	list(f, &c->target_files);
	fputs("\nexclude:\n  cidrs: ", f);
	list(f, &c->exclude_specs);
	fputs("\n  files: ", f);
	list(f, &c->exclude_files);
	fprintf(f, "\nallow_reserved: %s\nports: [",
		c->allow_reserved ? "true" : "false");
	for (size_t i = 0; i < c->n_ports; i++)
		fprintf(f, "%s%u", i ? ", " : "", c->ports[i]);
	fprintf(
	    f, "]\nrate: %llu\nprobes: [%s%s]\n", (unsigned long long)c->rate,
	    c->probes ? "tls, ssh, http, banner" : "", c->jarm ? ", jarm" : "");
	key_str(f, "", "iface", c->iface);
	key_str(f, "", "source_ip", c->source_ip);
	key_str(f, "", "gateway_mac", c->gateway_mac);
	if (c->retries >= 0)
		fprintf(f, "retries: %d\n", c->retries);
	if (c->cooldown_ms)
		fprintf(f, "cooldown: %llums\n",
			(unsigned long long)c->cooldown_ms);
	if (c->timeout_ms)
		fprintf(f, "timeout: %llums\n",
			(unsigned long long)c->timeout_ms);
	if (c->max_connections)
		fprintf(f, "max_connections: %d\n", c->max_connections);
	if (c->max_runtime_ms)
		fprintf(f, "max_runtime: %llums\n",
			(unsigned long long)c->max_runtime_ms);
	key_str(f, "", "schedule", c->schedule);
	key_str(f, "", "common", c->common);
}

static void print_diff(const struct bph_diff_opts *d, FILE *f)
{
	bool first = true;

	fprintf(f, "diff:\n  absent_after: %u\n  ignore_fields: [",
		d->absent_after);
	for (int i = 0; i < BPH_SF_COUNT; i++)
		if (d->ignore[i]) {
			fprintf(f, "%s%s", first ? "" : ", ",
				bph_snap_field_name(i));
			first = false;
		}
	fprintf(f, "]\n  identity: [%s%s%s]\n  identity_max_hosts: %u\n",
		d->identity_ssh ? "ssh_hostkey" : "",
		d->identity_ssh && d->identity_spki ? ", " : "",
		d->identity_spki ? "spki_sha256" : "", d->identity_max_hosts);
}

static void print_cluster(const struct bph_cluster_watch_cfg *w, FILE *f)
{
	fputs("    - name: ", f);
	q(f, w->name);
	fputs("\n      anchor:\n        hosts: ", f);
	list(f, &w->hosts);
	fputs("\n        artifacts: [", f);
	for (size_t i = 0; i < w->art_kinds.n; i++) {
		fputs(i ? ", {kind: " : "{kind: ", f);
		q(f, w->art_kinds.v[i]);
		fputs(", value: ", f);
		q(f, w->art_values.v[i]);
		fputc('}', f);
	}
	fprintf(f, "]\n      events: [%s%s%s]\n",
		w->on_added ? "member_added" : "",
		w->on_added && w->on_removed ? ", " : "",
		w->on_removed ? "member_removed" : "");
	if (w->growth_pct)
		fprintf(f, "      growth_pct: %u\n", w->growth_pct);
}

static void print_watch(const struct bph_sweep_config *c, FILE *f)
{
	fputs("watch:\n  files: ", f);
	list(f, &c->watch_files);
	fputs("\n  clusters:", f);
	fputs(c->n_clusters ? "\n" : " []\n", f);
	for (size_t i = 0; i < c->n_clusters; i++)
		print_cluster(&c->clusters[i], f);
	fputs("alerts:\n  events: ", f);
	events(f, c->alert_events);
	fprintf(f, "\n  min_severity: %s\n  notify_on_empty: %s\n",
		sev(c->alert_min), c->notify_on_empty ? "true" : "false");
}

static void print_channel_kind(const struct bph_notify_cfg *n, FILE *f)
{
	static const char *const fac[] = {
	    "kern",   "user",	"mail",	  "daemon", "auth",	"syslog",
	    "lpr",    "news",	"uucp",	  "cron",   "authpriv", "ftp",
	    "ntp",    "audit",	"alert",  "clock",  "local0",	"local1",
	    "local2", "local3", "local4", "local5", "local6",	"local7"};

	key_str(f, "    ", "url", n->url);
	if (n->secret_file || n->secret_credential) {
		fputs(n->secret_file ? "    secret: {file: "
				     : "    secret: {credential: ",
		      f);
		q(f, n->secret_file ? n->secret_file : n->secret_credential);
		fputs("}\n", f);
	}
	if (n->type == BPH_NT_EMAIL) {
		key_str(f, "    ", "sendmail",
			n->sendmail ? n->sendmail : "/usr/sbin/sendmail");
		key_str(f, "    ", "from", n->from);
		fputs("    to: ", f);
		list(f, &n->to);
		fputc('\n', f);
		key_str(f, "    ", "subject_prefix",
			n->subject_prefix ? n->subject_prefix : "[bphound]");
	}
	if (n->type == BPH_NT_SYSLOG)
		fprintf(f, "    target: \"%s\"\n    facility: %s\n",
			n->target ? n->target : "stdout", fac[n->facility]);
	if (n->type == BPH_NT_EXEC) {
		fputs("    command: ", f);
		list(f, &n->argv);
		fputc('\n', f);
	}
}

static void print_notify(const struct bph_sweep_config *c, FILE *f)
{
	static const char *const types[] = {"webhook", "email", "syslog",
					    "exec"};

	fputs(c->n_notify ? "notify:\n" : "notify: []\n", f);
	for (size_t i = 0; i < c->n_notify; i++) {
		const struct bph_notify_cfg *n = &c->notify[i];
		fputs("  - id: ", f);
		q(f, n->id);
		fprintf(f, "\n    type: %s\n    min_severity: %s\n    events: ",
			types[n->type], sev(n->min_severity));
		events(f, n->events);
		fprintf(
		    f,
		    "\n    max_events_per_message: %u\n    timeout: %llums\n"
		    "    retries: %u\n    retry_delay: %llums\n",
		    n->max_events, (unsigned long long)n->timeout_ms,
		    n->retries, (unsigned long long)n->retry_delay_ms);
		print_channel_kind(n, f);
	}
}

int bph_sweep_config_print(const struct bph_sweep_config *c, FILE *out)
{
	fprintf(out, "# sweep %s: effective configuration of %s\n", c->name,
		c->path);
	fputs("version: 1\nname: ", out);
	q(out, c->name);
	fputc('\n', out);
	key_str(out, "", "description", c->description);
	if (c->db)
		key_str(out, "", "db", c->db);
	else
		fputs("# db: --db, else $STATE_DIRECTORY/bphound.db, else the "
		      "default store\n",
		      out);
	print_scan(c, out);
	print_diff(&c->diff, out);
	print_watch(c, out);
	print_notify(c, out);
	return fflush(out) || ferror(out) ? BPH_ERR_IO : 0;
}

int bph_sweep_timer_dropin(const struct bph_sweep_config *c, FILE *out)
{
	if (!c->schedule)
		return BPH_ERR_USAGE;
	fprintf(out,
		"# /etc/systemd/system/bphound-sweep@%s.timer.d/schedule.conf\n"
		"# from schedule: in %s\n"
		"[Timer]\n"
		"OnCalendar=\n"
		"OnCalendar=%s\n",
		c->name, c->path, c->schedule);
	return fflush(out) || ferror(out) ? BPH_ERR_IO : 0;
}
