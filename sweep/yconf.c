/*
 * yconf.c - the strict YAML tree reader behind sweep configs and watch
 * files (contract in sweep/yconf.h). libyaml builds the document; every
 * check here reports the node's own line and column.
 */
#include "sweep/yconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fingerprints/err.h"

int bph_yconf_fail(struct bph_yconf *y, const yaml_node_t *n, const char *fmt,
		   ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (y->err && y->errlen)
		snprintf(y->err, y->errlen, "%s:%zu:%zu: %s", y->path,
			 n ? n->start_mark.line + 1 : 1,
			 n ? n->start_mark.column + 1 : 1, msg);
	return BPH_ERR_FORMAT;
}

static int fail_mark(struct bph_yconf *y, yaml_mark_t m, const char *msg)
{
	if (y->err && y->errlen)
		snprintf(y->err, y->errlen, "%s:%zu:%zu: %s", y->path,
			 m.line + 1, m.column + 1, msg);
	return BPH_ERR_FORMAT;
}

/* Loads the first document and checks that no second one follows. */
static int load_doc(struct bph_yconf *y, yaml_parser_t *p)
{
	yaml_document_t extra;

	if (!yaml_parser_load(p, &y->doc))
		return fail_mark(y, p->problem_mark,
				 p->problem ? p->problem : "YAML syntax error");
	y->loaded = true;
	if (!yaml_document_get_root_node(&y->doc))
		return bph_yconf_fail(y, NULL, "empty file");
	if (!yaml_parser_load(p, &extra))
		return fail_mark(y, p->problem_mark,
				 p->problem ? p->problem : "YAML syntax error");
	bool more = yaml_document_get_root_node(&extra) != NULL;
	yaml_mark_t m = extra.start_mark;
	yaml_document_delete(&extra);
	return more ? fail_mark(y, m, "only one YAML document is allowed") : 0;
}

int bph_yconf_load_mem(struct bph_yconf *y, const char *path,
		       const unsigned char *buf, size_t len, char *err,
		       size_t errlen)
{
	yaml_parser_t p;
	int rc;

	memset(y, 0, sizeof(*y));
	y->path = path;
	y->err = err;
	y->errlen = errlen;
	if (len > BPH_YCONF_MAX_BYTES)
		return bph_yconf_fail(y, NULL, "file larger than %u bytes",
				      BPH_YCONF_MAX_BYTES);
	if (!yaml_parser_initialize(&p))
		return BPH_ERR_NOMEM;
	yaml_parser_set_input_string(&p, buf, len);
	rc = load_doc(y, &p);
	yaml_parser_delete(&p);
	return rc;
}

/* Reads at most BPH_YCONF_MAX_BYTES + 1 bytes of path. */
static int slurp(const char *path, unsigned char **buf, size_t *len, char *err,
		 size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t cap = BPH_YCONF_MAX_BYTES + 1;

	*buf = NULL;
	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return BPH_ERR_IO;
	}
	*buf = malloc(cap);
	*len = *buf ? fread(*buf, 1, cap, f) : 0;
	int bad = ferror(f);
	fclose(f);
	if (!*buf)
		return BPH_ERR_NOMEM;
	if (bad) {
		if (err && errlen)
			snprintf(err, errlen, "%s: read error", path);
		return BPH_ERR_IO;
	}
	return 0;
}

int bph_yconf_load(struct bph_yconf *y, const char *path, char *err,
		   size_t errlen)
{
	unsigned char *buf;
	size_t len = 0;
	int rc = slurp(path, &buf, &len, err, errlen);

	if (!rc)
		rc = bph_yconf_load_mem(y, path, buf, len, err, errlen);
	else
		memset(y, 0, sizeof(*y));
	free(buf);
	return rc;
}

void bph_yconf_free(struct bph_yconf *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	y->loaded = false;
}

yaml_node_t *bph_yconf_root(struct bph_yconf *y)
{
	return yaml_document_get_root_node(&y->doc);
}

static yaml_node_t *node(struct bph_yconf *y, int id)
{
	return yaml_document_get_node(&y->doc, id);
}

static const char *type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return n->data.scalar.length ? "a scalar" : "nothing";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static bool listed(const char *const *allowed, const char *k)
{
	for (size_t i = 0; allowed[i]; i++)
		if (!strcmp(allowed[i], k))
			return true;
	return false;
}

/* "a, b, c" of allowed into out. */
static void join(const char *const *allowed, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; allowed[i] && o < len; i++)
		o += snprintf(out + o, len - o, "%s%s", i ? ", " : "",
			      allowed[i]);
}

static int check_key(struct bph_yconf *y, const yaml_node_pair_t *p,
		     const yaml_node_pair_t *first, const char *what,
		     const char *const *allowed)
{
	yaml_node_t *k = node(y, p->key);
	char names[512];

	if (!k || k->type != YAML_SCALAR_NODE || !k->data.scalar.length)
		return bph_yconf_fail(y, k, "%s: expected a key", what);
	const char *ks = (const char *)k->data.scalar.value;
	if (!listed(allowed, ks)) {
		join(allowed, names, sizeof(names));
		return bph_yconf_fail(y, k,
				      "%s: unknown key '%.64s' (expected %s)",
				      what, ks, names);
	}
	for (const yaml_node_pair_t *q = first; q < p; q++) {
		yaml_node_t *o = node(y, q->key);
		if (o && o->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)o->data.scalar.value, ks))
			return bph_yconf_fail(y, k, "%s: duplicate key '%s'",
					      what, ks);
	}
	return 0;
}

int bph_yconf_mapping(struct bph_yconf *y, const yaml_node_t *n,
		      const char *what, const char *const *allowed)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return bph_yconf_fail(y, n, "%s: expected a mapping, found %s",
				      what, n ? type_name(n) : "nothing");
	const yaml_node_pair_t *first = n->data.mapping.pairs.start;
	for (const yaml_node_pair_t *p = first; p < n->data.mapping.pairs.top;
	     p++) {
		int rc = check_key(y, p, first, what, allowed);
		if (rc)
			return rc;
	}
	return 0;
}

static const yaml_node_pair_t *find_pair(struct bph_yconf *y,
					 const yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (const yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(y, p->key);
		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return p;
	}
	return NULL;
}

yaml_node_t *bph_yconf_get(struct bph_yconf *y, const yaml_node_t *m,
			   const char *key)
{
	const yaml_node_pair_t *p = find_pair(y, m, key);
	return p ? node(y, p->value) : NULL;
}

const yaml_node_t *bph_yconf_key(struct bph_yconf *y, const yaml_node_t *m,
				 const char *key)
{
	const yaml_node_pair_t *p = find_pair(y, m, key);
	return p ? node(y, p->key) : m;
}

yaml_node_t *bph_yconf_item(struct bph_yconf *y, const yaml_node_t *s, size_t i)
{
	if (!s || s->type != YAML_SEQUENCE_NODE ||
	    i >= (size_t)(s->data.sequence.items.top -
			  s->data.sequence.items.start))
		return NULL;
	return node(y, s->data.sequence.items.start[i]);
}

int bph_yconf_seq(struct bph_yconf *y, const yaml_node_t *s, const char *what,
		  size_t *n)
{
	if (!s || s->type != YAML_SEQUENCE_NODE)
		return bph_yconf_fail(y, s, "%s: expected a list, found %s",
				      what, s ? type_name(s) : "nothing");
	*n =
	    (size_t)(s->data.sequence.items.top - s->data.sequence.items.start);
	return 0;
}

int bph_yconf_str(struct bph_yconf *y, const yaml_node_t *n, const char *what,
		  const char **out)
{
	if (!n || n->type != YAML_SCALAR_NODE || !n->data.scalar.length)
		return bph_yconf_fail(y, n, "%s: expected a value, found %s",
				      what, n ? type_name(n) : "nothing");
	if (memchr(n->data.scalar.value, '\0', n->data.scalar.length))
		return bph_yconf_fail(y, n, "%s: NUL byte in value", what);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

int bph_yconf_strdup(struct bph_yconf *y, const yaml_node_t *n,
		     const char *what, char **out)
{
	const char *s;
	int rc = bph_yconf_str(y, n, what, &s);

	if (rc)
		return rc;
	free(*out);
	*out = strdup(s);
	return *out ? 0 : BPH_ERR_NOMEM;
}

int bph_yconf_int(struct bph_yconf *y, const yaml_node_t *n, const char *what,
		  long long min, long long max, long long *out)
{
	const char *s;
	char *end;
	int rc = bph_yconf_str(y, n, what, &s);

	if (rc)
		return rc;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || end == s || errno ||
	    (s[0] != '-' && (s[0] < '0' || s[0] > '9')))
		return bph_yconf_fail(y, n, "%s: '%.64s' is not an integer",
				      what, s);
	if (v < min || v > max)
		return bph_yconf_fail(y, n,
				      "%s: %lld is out of range %lld-%lld",
				      what, v, min, max);
	*out = v;
	return 0;
}

int bph_yconf_bool(struct bph_yconf *y, const yaml_node_t *n, const char *what,
		   bool *out)
{
	static const char *const names[] = {"false", "true", "no", "yes",
					    "off",   "on",   NULL};
	const char *s;
	int rc = bph_yconf_str(y, n, what, &s);

	for (size_t i = 0; !rc && names[i]; i++)
		if (!strcasecmp(s, names[i])) {
			*out = i % 2;
			return 0;
		}
	return rc ? rc
		  : bph_yconf_fail(y, n, "%s: '%.64s' is not true or false",
				   what, s);
}

int bph_duration_parse(const char *s, uint64_t max_ms, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {{"", 1000},      {"ms", 1},       {"s", 1000},
		     {"m", 60000},    {"min", 60000},  {"h", 3600000},
		     {"d", 86400000}, {"w", 604800000}};
	char *end;

	if (!s || s[0] < '0' || s[0] > '9')
		return BPH_ERR_FORMAT;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || v > max_ms)
		return BPH_ERR_FORMAT;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit)) {
			if (v > max_ms / units[i].ms)
				return BPH_ERR_FORMAT;
			*out = v * units[i].ms;
			return 0;
		}
	return BPH_ERR_FORMAT;
}

int bph_yconf_duration(struct bph_yconf *y, const yaml_node_t *n,
		       const char *what, uint64_t max_ms, uint64_t *out)
{
	const char *s;
	int rc = bph_yconf_str(y, n, what, &s);

	if (!rc && bph_duration_parse(s, max_ms, out))
		rc = bph_yconf_fail(y, n,
				    "%s: '%.64s' is not a duration (e.g. 90s, "
				    "500ms, 10m, 4h, 1d; at most %llu s)",
				    what, s, (unsigned long long)max_ms / 1000);
	return rc;
}

int bph_yconf_enum(struct bph_yconf *y, const yaml_node_t *n, const char *what,
		   const char *const *names, int *out)
{
	const char *s;
	char list[512];
	int rc = bph_yconf_str(y, n, what, &s);

	if (rc)
		return rc;
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s)) {
			*out = i;
			return 0;
		}
	join(names, list, sizeof(list));
	return bph_yconf_fail(y, n, "%s: '%.64s' is not one of %s", what, s,
			      list);
}
