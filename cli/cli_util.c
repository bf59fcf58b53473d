/*
 * cli_util.c - helpers every command file of cli/ shares: opening the
 * store named by --db (or the default one).
 */
#include "cli/cli.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abuse/denylist.h"
#include "cluster/export.h"

#include "fingerprints/err.h"
#include "store/store.h"

const char *bph_cli_store_where(const struct bph_opts *o, char **def)
{
	*def = o->db ? NULL : bph_store_default_path();
	return o->db ? o->db : *def;
}

static int open_store(const struct bph_opts *o, bool write,
		      struct bph_store **st)
{
	char err[512] = "";
	char *def;
	const char *path = bph_cli_store_where(o, &def);
	/* the default store's folder is created for a writer, as a new user
	 * expects; a --db folder never is (a typo would give an empty store) */
	unsigned flags = write ? BPH_STORE_WRITE | (def ? BPH_STORE_MKDIR : 0)
			       : BPH_STORE_READ;
	int rc = path ? bph_store_open(path, flags, st, err, sizeof(err))
		      : BPH_ERR_NOMEM;
	char shown[512] = "(no home directory)";
	if (path)
		bph_store_redact(path, shown, sizeof(shown));
	if (rc)
		fprintf(stderr, "bphound: store %s: %s\n", shown,
			err[0] ? err : bph_strerror(rc));
	free(def);
	return !rc			    ? BPH_EXIT_OK
	       : bph_store_err_is_input(rc) ? BPH_EXIT_USAGE
					    : BPH_EXIT_FAIL;
}

int bph_cli_open_store(const struct bph_opts *o, struct bph_store **st)
{
	return open_store(o, true, st);
}

int bph_cli_open_store_ro(const struct bph_opts *o, struct bph_store **st)
{
	return open_store(o, false, st);
}

int bph_cli_status(int rc)
{
	switch (rc) {
	case BPH_OK:
		return BPH_EXIT_OK;
	case BPH_ERR_USAGE:
	case BPH_ERR_FORMAT:
	/* the environment, not bphound: no right (a read-only store, no
	 * CAP_NET_RAW), a full disk, a store server that refused or went */
	case BPH_ERR_PERM:
	case BPH_ERR_NOSPACE:
	case BPH_ERR_REFUSED:
		return BPH_EXIT_USAGE;
	default:
		return BPH_EXIT_FAIL;
	}
}

int bph_cli_fail(const char *what, int rc, const char *err)
{
	fprintf(stderr, "bphound: %s: %s\n", what,
		err && err[0] ? err : bph_strerror(rc));
	return bph_cli_status(rc);
}

int bph_cli_flush_stdout(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return BPH_EXIT_OK;
	perror("bphound: standard output");
	return BPH_EXIT_FAIL;
}

/* Whether path could be written without creating folders: an existing
 * writable file, or a new name in a writable folder. */
static int path_writable(const char *path)
{
	char *copy;
	int ok;

	struct stat st;

	if (!strcmp(path, "-"))
		return 0;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (access(path, W_OK) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	copy = strdup(path);
	if (!copy)
		return -1;
	ok = access(dirname(copy), W_OK);
	free(copy);
	return ok ? -1 : 0;
}

/* The one list of export formats: the graph exporters of cluster/ first,
 * then the deny lists of abuse/ (cluster/ knows nothing of abuse/). */
const char *bph_cli_format_at(size_t i, bool *deny)
{
	size_t n = 0;

	while (bph_exporters[n])
		n++;
	if (deny)
		*deny = i >= n;
	if (i < n)
		return bph_exporters[i]->name;
	for (size_t k = 0; bph_deny_formats[k]; k++)
		if (k == i - n)
			return bph_deny_formats[k]->name;
	return NULL;
}

void bph_cli_list_formats(FILE *out, const char *sep)
{
	const char *name;

	for (size_t i = 0; (name = bph_cli_format_at(i, NULL)); i++)
		fprintf(out, "%s%s", i ? sep : "", name);
}

enum bph_cli_fmt bph_cli_format_kind(const char *fmt)
{
	const char *name;
	bool deny;

	for (size_t i = 0; fmt && (name = bph_cli_format_at(i, &deny)); i++)
		if (!strcmp(name, fmt))
			return deny ? BPH_FMT_DENY : BPH_FMT_GRAPH;
	return BPH_FMT_NONE;
}

int bph_cli_check_output(const char *cmd, const char *fmt, const char *path)
{
	if (bph_cli_format_kind(fmt) == BPH_FMT_NONE) {
		fprintf(stderr, "bphound %s: unknown format '%s' (", cmd, fmt);
		bph_cli_list_formats(stderr, " ");
		fputs(")\n", stderr);
		return BPH_EXIT_USAGE;
	}
	if (path_writable(path)) {
		fprintf(stderr, "bphound %s: cannot write %s: %s\n", cmd, path,
			strerror(errno));
		return BPH_EXIT_USAGE;
	}
	return 0;
}

int bph_cli_check_writable(const char *cmd, const char *path)
{
	if (path_writable(path)) {
		fprintf(stderr, "bphound %s: cannot write %s: %s\n", cmd, path,
			strerror(errno));
		return BPH_EXIT_USAGE;
	}
	return 0;
}

int bph_cli_check_exports(const struct bph_opts *o)
{
	for (size_t i = 0; i < o->n_exports; i++) {
		const char *fmt = o->exports[i].format;
		if (bph_cli_format_kind(fmt) == BPH_FMT_DENY) {
			fprintf(stderr,
				"bphound %s: --export %s: a deny list is "
				"written by bphound export --format %s SEED "
				"-o FILE\n",
				o->cmd, fmt, fmt);
			return BPH_EXIT_USAGE;
		}
		if (bph_cli_check_output(o->cmd, fmt, o->exports[i].path))
			return BPH_EXIT_USAGE;
	}
	return 0;
}

bool bph_opt_given(const struct bph_opts *o, const char *name)
{
	for (size_t i = 0; i < o->n_given; i++)
		if (!strcmp(o->given[i], name))
			return true;
	return false;
}
