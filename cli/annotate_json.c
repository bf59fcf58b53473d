/*
 * annotate_json.c - the two JSON helpers the annotation files share
 * (cli/annotate_int.h): strings from data files are cleaned to valid
 * UTF-8 before jansson sees them.
 */
#include "cli/annotate_int.h"

#include <stdlib.h>

#include "fingerprints/text.h"

json_t *bph_annot_js(const char *s)
{
	char *clean = bph_text_clean(s ? s : "", BPH_TEXT_UTF8);
	json_t *j = clean ? json_string(clean) : NULL;
	free(clean);
	return j;
}

void bph_annot_set(json_t *o, const char *key, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, key, v))
		(*bad)++;
}
