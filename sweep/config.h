/*
 * config.h - a sweep's configuration: NAME.yaml, read with libyaml
 * through sweep/yconf.h. Every key is documented, with its default, in
 * docs/examples/sweep.yaml; an unknown key, a wrong type or a bad value
 * is an error naming file:line:column, found before any packet is sent.
 *
 * NAME resolves to $XDG_CONFIG_HOME/bphound/sweeps/NAME.yaml (or
 * ~/.config/bphound/sweeps/NAME.yaml), then /etc/bphound/sweeps/NAME.yaml.
 * Relative paths inside a config are relative to the config's directory.
 */
#ifndef BPH_SWEEP_CONFIG_H
#define BPH_SWEEP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sweep/diff.h"
#include "sweep/event.h"

#define BPH_SWEEP_NAME_MAX 64

enum bph_notify_type {
	BPH_NT_WEBHOOK = 0,
	BPH_NT_EMAIL,
	BPH_NT_SYSLOG,
	BPH_NT_EXEC,
	BPH_NT_COUNT
};

/* Strings; v[n] is NULL once one was added (an argv). */
struct bph_strlist {
	char **v;
	size_t n;
};

/* One notification channel (notify: list). */
struct bph_notify_cfg {
	char *id;
	enum bph_notify_type type;
	enum bph_severity min_severity; /* default: alerts.min_severity */
	bool events[BPH_EV_COUNT];	/* default: alerts.events */
	unsigned max_events;		/* per message (+N more); default 50 */
	uint64_t timeout_ms;		/* default 10 s */
	unsigned retries;		/* extra attempts in a run; default 2 */
	uint64_t retry_delay_ms; /* first backoff, doubled; default 2 s */
	/* webhook */
	char *url;
	char *secret_file;	 /* secret: {file: PATH} */
	char *secret_credential; /* secret: {credential: NAME} */
	/* email */
	char *sendmail; /* default /usr/sbin/sendmail */
	char *from;
	struct bph_strlist to;
	char *subject_prefix; /* default "[bphound]" */
	/* syslog */
	char *target; /* "stdout" (default) or "unix:PATH" */
	int facility; /* RFC 5424 facility number; default 1 (user) */
	/* exec */
	struct bph_strlist argv;
};

/* A tracked provider cluster (watch.clusters). */
struct bph_cluster_watch_cfg {
	char *name;
	struct bph_strlist hosts;      /* anchor hosts (IPv4) */
	struct bph_strlist art_kinds;  /* anchor artifacts, by kind ... */
	struct bph_strlist art_values; /* ... and value */
	bool on_added, on_removed;
	unsigned growth_pct; /* 0: no cluster.growth */
};

struct bph_sweep_config {
	char *path; /* the file read (absolute) */
	char *name;
	char *description;
	char *db; /* NULL: --db, $STATE_DIRECTORY/bphound.db, the default */
	struct bph_strlist target_specs, target_files;
	struct bph_strlist exclude_specs, exclude_files;
	bool allow_reserved;
	uint16_t *ports;
	size_t n_ports;
	uint64_t rate;
	bool probes; /* application probes at all */
	bool jarm;
	char *iface, *source_ip, *gateway_mac;
	int retries;		 /* -1: the scanner's default */
	uint64_t cooldown_ms;	 /* 0: the scanner's default */
	uint64_t timeout_ms;	 /* probes' I/O timeout; 0: default */
	int max_connections;	 /* 0: default */
	uint64_t max_runtime_ms; /* 0: none */
	char *schedule;		 /* systemd calendar expression, or NULL */
	char *common;		 /* extra common-artifact list, or NULL */
	struct bph_diff_opts diff;
	struct bph_strlist watch_files; /* after glob expansion */
	struct bph_cluster_watch_cfg *clusters;
	size_t n_clusters;
	bool alert_events[BPH_EV_COUNT];
	enum bph_severity alert_min;
	bool notify_on_empty;
	struct bph_notify_cfg *notify;
	size_t n_notify;
	char sha256[65]; /* of the file's bytes */
};

/*
 * Finds the config of sweep name (see above) into a new string (caller
 * frees). Returns 0, BPH_ERR_USAGE (bad name, or no such file: the
 * places looked in are named in err) or BPH_ERR_NOMEM.
 */
int bph_sweep_config_find(const char *name, char **path, char *err,
			  size_t errlen);

/* The directories searched, in order (for `sweep list`); each a new
 * string in *dirs (caller frees them and the array). */
int bph_sweep_config_dirs(struct bph_strlist *dirs);

/*
 * Loads and validates path into a new config (*out; free with
 * bph_sweep_config_free). Returns 0, BPH_ERR_IO (cannot read),
 * BPH_ERR_FORMAT ("file:line:column: message" in err) or BPH_ERR_NOMEM.
 */
int bph_sweep_config_load(const char *path, struct bph_sweep_config **out,
			  char *err, size_t errlen);
void bph_sweep_config_free(struct bph_sweep_config *c); /* NULL-safe */

/* A config holding only name and the defaults (no targets, watches or
 * channels): what `bphound diff` uses for a sweep whose file is gone.
 * NULL on ENOMEM. */
struct bph_sweep_config *bph_sweep_config_default(const char *name);

/* Whether name is a valid sweep name ([A-Za-z0-9][A-Za-z0-9_.-]*, at
 * most 64 characters: it becomes a systemd instance name). */
bool bph_sweep_name_ok(const char *name);

/* Writes the effective config, every default filled in, as YAML that
 * loads back to the same config. Returns 0 or BPH_ERR_IO. */
int bph_sweep_config_print(const struct bph_sweep_config *c, FILE *out);

/* Writes a systemd timer drop-in for c's schedule. Returns 0,
 * BPH_ERR_USAGE (no schedule) or BPH_ERR_IO. */
int bph_sweep_timer_dropin(const struct bph_sweep_config *c, FILE *out);

void bph_strlist_clear(struct bph_strlist *l);
/* Appends a copy of s. Returns 0 or BPH_ERR_NOMEM. */
int bph_strlist_add(struct bph_strlist *l, const char *s);

#endif
