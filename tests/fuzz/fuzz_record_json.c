/*
 * fuzz_record_json.c - libFuzzer target for bph_service_from_json() and
 * the writer: any accepted input must write, re-read and re-write to the
 * same bytes (the writer's output is always valid JSON jansson accepts),
 * and the text written without the tree (bph_service_json_text) must be
 * those bytes too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fingerprints/record_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *write_once(const struct bph_service *s)
{
	json_t *j = bph_service_to_json(s);
	char *out =
	    j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	return out;
}

/* The direct text of s is byte for byte what the tree's dump wrote. */
static void check_direct(const struct bph_service *s, const char *want)
{
	struct bph_sbuf b;

	bph_sbuf_init(&b);
	if (bph_service_json_text(&b, s) || b.len != strlen(want) ||
	    memcmp(b.p, want, b.len))
		abort();
	bph_sbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bph_service a = {0}, b = {0};
	char err[256];
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	char *first = NULL, *second = NULL;

	if (!j)
		return 0;
	if (bph_service_from_json(j, &a, err, sizeof(err)) == 0) {
		first = write_once(&a);
		if (first)
			check_direct(&a, first);
		json_t *again = first ? json_loads(first, 0, NULL) : NULL;
		if (first && !again)
			abort(); /* the writer produced invalid JSON */
		if (again && bph_service_from_json(again, &b, err, sizeof(err)))
			abort(); /* the reader rejects the writer's output */
		second = again ? write_once(&b) : NULL;
		if (first && second && strcmp(first, second))
			abort(); /* not a fixed point */
		json_decref(again);
	}
	free(first);
	free(second);
	bph_service_clear(&a);
	bph_service_clear(&b);
	json_decref(j);
	return 0;
}
