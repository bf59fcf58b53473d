/*
 * config_util.c - helpers the config readers share (sweep/config.c and
 * sweep/config_notify.c): string lists and paths relative to the config.
 */
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "sweep/sweep_int.h"

void bph_strlist_clear(struct bph_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int bph_strlist_add(struct bph_strlist *l, const char *s)
{
	char **v = realloc(l->v, (l->n + 2) * sizeof(*v));

	if (!v)
		return BPH_ERR_NOMEM;
	l->v = v;
	l->v[l->n + 1] = NULL; /* argv-ready */
	if (!(l->v[l->n] = strdup(s)))
		return BPH_ERR_NOMEM;
	l->n++;
	return 0;
}

int cfg_path(struct cfg_reader *r, const yaml_node_t *n, const char *what,
	     char **out)
{
	const char *s;
	int rc = bph_yconf_str(r->y, n, what, &s);

	if (rc)
		return rc;
	free(*out);
	if (s[0] == '/') {
		*out = strdup(s);
	} else {
		size_t len = strlen(r->dir) + strlen(s) + 2;
		if ((*out = malloc(len)))
			snprintf(*out, len, "%s/%s", r->dir, s);
	}
	return *out ? 0 : BPH_ERR_NOMEM;
}

int cfg_str_list(struct cfg_reader *r, const yaml_node_t *n, const char *what,
		 bool paths, struct bph_strlist *out)
{
	size_t count;
	int rc = bph_yconf_seq(r->y, n, what, &count);

	for (size_t i = 0; !rc && i < count; i++) {
		char *s = NULL;
		const yaml_node_t *it = bph_yconf_item(r->y, n, i);
		rc = paths ? cfg_path(r, it, what, &s)
			   : bph_yconf_strdup(r->y, it, what, &s);
		if (!rc)
			rc = bph_strlist_add(out, s);
		free(s);
	}
	return rc;
}

bool bph_sweep_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (!n || n > BPH_SWEEP_NAME_MAX ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_.-") != n)
		return false;
	return name[0] != '.' && name[0] != '-' && name[0] != '_';
}
