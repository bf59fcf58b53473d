/*
 * cmd_store.c - the subcommands that work on the store alone, without a
 * packet: cluster, export, import, show. The clustering itself and the
 * reports are in report.c.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/export.h"
#include "fingerprints/err.h"
#include "store/store.h"

/* `cluster [SEED]`: the report of a pivot on what the store holds, with no
 * scan (imported data, or a second look with other options). */
int bph_cmd_cluster(const struct bph_opts *o)
{
	struct bph_store *st = NULL;
	if (o->n_args > 1) {
		fprintf(stderr, "bphound cluster: unexpected argument '%s'\n",
			o->args[1]);
		return BPH_EXIT_USAGE;
	}
	if (o->explain && !o->n_args) {
		fprintf(stderr, "bphound cluster: --explain HOST needs a SEED "
				"(bphound cluster SEED --explain HOST)\n");
		return BPH_EXIT_USAGE;
	}
	if (bph_cli_check_exports(o))
		return BPH_EXIT_USAGE;
	int status = bph_cli_open_store_ro(o, &st);
	if (status)
		return status;
	status = bph_cli_cluster_report(o, st, o->n_args ? o->args[0] : NULL);
	bph_store_close(st);
	return status;
}

int bph_cmd_export(const struct bph_opts *o)
{
	struct bph_store *st = NULL;
	if (bph_cli_deny_asked(o)) /* deny lists: deny.c */
		return bph_cli_deny_export(o);
	if (o->n_args > 1) {
		fprintf(stderr,
			"bphound export: unexpected argument '%s' (one SEED "
			"at most)\n",
			o->args[1]);
		return BPH_EXIT_USAGE;
	}
	if (!o->format || !o->out_file) {
		fprintf(stderr, "bphound export: --format FMT and -o FILE are "
				"required\n");
		return BPH_EXIT_USAGE;
	}
	if (bph_cli_check_output(o->cmd, o->format, o->out_file))
		return BPH_EXIT_USAGE;
	int status = bph_cli_open_store_ro(o, &st);
	if (status)
		return status;
	status = bph_cli_export(o, st, o->format, o->out_file,
				o->n_args ? o->args[0] : NULL);
	bph_store_close(st);
	return status;
}

static void import_summary(const struct bph_import_stats *s)
{
	fprintf(stderr,
		"bphound: imported %zu records (%zu new, %zu already in the "
		"store), skipped %zu bad lines\n",
		s->records, s->added, s->records - s->added, s->bad);
}

/* A store that does not exist yet is built apart and moved into place
 * when complete (bph_store_import_new): *done false when it was not. */
static int import_new(const struct bph_opts *o, const char *path,
		      const struct bph_import_opts *io,
		      struct bph_import_stats *s, bool *done, char *err,
		      size_t errlen)
{
	char *def;
	const char *where = bph_cli_store_where(o, &def);
	int rc =
	    where ? bph_store_import_new(where, path, io, s, done, err, errlen)
		  : 0;

	free(def);
	return rc;
}

/* `import FILE` ("-" or /dev/stdin: a pipe). Exit 2 when the file is at
 * fault (not importable, nothing but bad lines) or the disk is full; what
 * was committed before a failure stays and is counted. */
int bph_cmd_import(const struct bph_opts *o)
{
	struct bph_store *st = NULL;
	struct bph_import_stats s;
	char err[256] = "";
	if (o->n_args != 1) {
		fprintf(stderr,
			"bphound import: exactly one FILE is required\n");
		return BPH_EXIT_USAGE;
	}
	const char *path = o->args[0];
	if (strcmp(path, "-") && access(path, R_OK) != 0) {
		fprintf(stderr, "bphound import: %s: %s\n", path,
			strerror(errno));
		return BPH_EXIT_USAGE;
	}
	struct bph_import_opts io = {
	    .errout = stderr, .progress = !o->quiet && isatty(2), .threads = 0};
	bool done = false;
	int rc = import_new(o, path, &io, &s, &done, err, sizeof(err));
	if (!done) {
		int status = bph_cli_open_store(o, &st);
		if (status)
			return status;
		rc = bph_store_import_file(st, path, &io, &s, err, sizeof(err));
		bph_store_close(st);
	}
	if (!o->quiet || rc)
		import_summary(&s);
	if (!rc)
		return BPH_EXIT_OK;
	fprintf(stderr, "bphound import: %s: %s\n", path,
		err[0] ? err : bph_strerror(rc));
	return bph_store_err_is_input(rc) ? BPH_EXIT_USAGE : BPH_EXIT_FAIL;
}

int bph_cmd_show(const struct bph_opts *o)
{
	struct bph_store *st = NULL;
	size_t rows = 0;
	int rc, status;

	if (o->n_args != 1) {
		fprintf(stderr, "bphound show: exactly one HOST is required\n");
		return BPH_EXIT_USAGE;
	}
	if ((status = bph_cli_open_store_ro(o, &st)))
		return status;
	rc = bph_store_show_host(st, o->args[0], stdout, &rows);
	status = rc || !rows ? BPH_EXIT_OK
			     : bph_cli_show_cluster(o, st, o->args[0], stdout);
	bph_store_close(st);
	if (rc == BPH_ERR_USAGE) {
		fprintf(stderr, "bphound show: '%s' is not an IPv4 address\n",
			o->args[0]);
		return BPH_EXIT_USAGE;
	}
	if (rc)
		return bph_cli_fail("show", rc, NULL);
	if (!rows) {
		/* a typo'd address or the wrong --db: say so, like cluster
		 * SEED does */
		fprintf(stderr, "bphound show: %s is not in the store\n",
			o->args[0]);
		return BPH_EXIT_USAGE;
	}
	return status;
}
