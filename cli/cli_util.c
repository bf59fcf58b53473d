/*
 * cli_util.c - helpers every command file of cli/ shares: opening the
 * store named by --db (or the default one).
 */
#include "cli/cli.h"

#include <stdlib.h>

#include "fingerprints/err.h"
#include "store/store.h"

int bph_cli_open_store(const struct bph_opts *o, struct bph_store **st)
{
	char err[256] = "";
	char *def = o->db ? NULL : bph_store_default_path();
	const char *path = o->db ? o->db : def;
	int rc =
	    path ? bph_store_open(path, st, err, sizeof(err)) : BPH_ERR_NOMEM;
	if (rc)
		fprintf(stderr, "bphound: store %s: %s\n", path ? path : "?",
			err[0] ? err : bph_strerror(rc));
	free(def);
	return rc;
}
