/* libFuzzer: watch files (sweep/watch_load.c) on arbitrary bytes: YAML
 * watch files and Zeek intel files (told apart by a "#fields" line), as a
 * user's or a feed's files may be. Every loaded value is already
 * normalised (validating it again gives it back), the lookup index is
 * sorted, and an error names the file. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "sweep/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct bph_watchlist *w)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct bph_watch_entry *e = &w->v[i];
		const char *why;
		char *again = NULL;
		if (bph_watch_value(e->kind, e->value, &again, &why) ||
		    strcmp(again, e->value) || !e->source || !e->source[0] ||
		    strlen(e->key) != 32)
			abort();
		free(again);
		if (i && (w->v[i - 1].kind > e->kind ||
			  (w->v[i - 1].kind == e->kind &&
			   strcmp(w->v[i - 1].value, e->value) > 0)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bph_watchlist w = {0};
	char err[512] = "";
	int rc = bph_watch_load_mem(&w, "fuzz.watch", (const char *)data, size,
				    err, sizeof(err));

	if (rc == BPH_ERR_FORMAT && !strstr(err, "fuzz.watch:"))
		abort();
	if (!rc) {
		if (bph_watch_finish(&w))
			abort();
		check(&w);
	} else if (w.n) {
		abort(); /* a failed load keeps nothing of the file */
	}
	bph_watch_clear(&w);
	return 0;
}
