/*
 * targets.c - the IPv4 target set: spec and file parsing, exclusions, the
 * reserved ranges, and indexing into the merged ranges. Contract and
 * design in targets.h.
 */
#include "scanner/targets.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/reserved.h"

struct bph_range {
	uint32_t lo, hi; /* inclusive */
};

struct bph_rvec {
	struct bph_range *r;
	size_t n, cap;
};

struct bph_targets {
	struct bph_rvec inc, exc;
	bool final;
	struct bph_range *set; /* disjoint, sorted, after finalize */
	uint64_t *before;      /* addresses in set[0..i-1] */
	size_t n_set;
	uint64_t count;
};

static uint32_t prefix_mask(unsigned len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

/* The special-purpose table is fingerprints/reserved.c (shared with the
 * deny lists of abuse/). */
bool bph_ip_is_reserved(uint32_t ip)
{
	return bph_reserved_v4_has(ip);
}

static int rvec_push(struct bph_rvec *v, uint32_t lo, uint32_t hi)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct bph_range *r = realloc(v->r, cap * sizeof(*r));
		if (!r)
			return BPH_ERR_NOMEM;
		v->r = r;
		v->cap = cap;
	}
	v->r[v->n].lo = lo;
	v->r[v->n].hi = hi;
	v->n++;
	return 0;
}

int bph_targets_new(struct bph_targets **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : BPH_ERR_NOMEM;
}

void bph_targets_free(struct bph_targets *t)
{
	if (!t)
		return;
	free(t->inc.r);
	free(t->exc.r);
	free(t->set);
	free(t->before);
	free(t);
}

/* Parse state: s[0..len) with the position of the first error. */
struct spec_cur {
	const char *s;
	size_t len, pos;
	size_t errpos;
	const char *msg;
};

static int spec_fail(struct spec_cur *c, size_t pos, const char *msg)
{
	c->errpos = pos;
	c->msg = msg;
	return BPH_ERR_USAGE;
}

static bool spec_digit(const struct spec_cur *c)
{
	return c->pos < c->len && isdigit((unsigned char)c->s[c->pos]);
}

/* Reads a decimal number of at most max; no leading zeros. */
static int spec_num(struct spec_cur *c, unsigned max, const char *what,
		    const char *toobig, unsigned *v)
{
	size_t start = c->pos;
	unsigned x = 0;

	if (!spec_digit(c))
		return spec_fail(c, c->pos, what);
	while (spec_digit(c)) {
		x = x * 10 + (unsigned)(c->s[c->pos] - '0');
		if (x > max)
			return spec_fail(c, start, toobig);
		c->pos++;
	}
	if (c->pos - start > 1 && c->s[start] == '0')
		return spec_fail(c, start, "leading zero is ambiguous");
	*v = x;
	return 0;
}

static int spec_ip(struct spec_cur *c, uint32_t *ip)
{
	uint32_t a = 0;
	unsigned o;

	for (int i = 0; i < 4; i++) {
		if (i > 0) {
			if (c->pos >= c->len || c->s[c->pos] != '.')
				return spec_fail(c, c->pos,
						 "expected '.' in address");
			c->pos++;
		}
		if (spec_num(c, 255, "expected an octet",
			     "octet greater than 255", &o))
			return BPH_ERR_USAGE;
		a = a << 8 | o;
	}
	*ip = a;
	return 0;
}

/* Parses a whole spec into an inclusive range. */
static int spec_parse(struct spec_cur *c, struct bph_range *r)
{
	uint32_t lo, hi;
	unsigned len;

	if (spec_ip(c, &lo))
		return BPH_ERR_USAGE;
	hi = lo;
	if (c->pos < c->len && c->s[c->pos] == '/') {
		c->pos++;
		if (spec_num(c, 32, "expected a prefix length",
			     "prefix length greater than 32", &len))
			return BPH_ERR_USAGE;
		lo &= prefix_mask(len);
		hi = lo | ~prefix_mask(len);
	} else if (c->pos < c->len && c->s[c->pos] == '-') {
		c->pos++;
		size_t at = c->pos;
		if (spec_ip(c, &hi))
			return BPH_ERR_USAGE;
		if (hi < lo)
			return spec_fail(c, at, "range end below its start");
	}
	if (c->pos != c->len)
		return spec_fail(c, c->pos, "unexpected character");
	r->lo = lo;
	r->hi = hi;
	return 0;
}

static int add_one(struct bph_targets *t, struct bph_rvec *v, const char *spec,
		   char *err, size_t errlen)
{
	struct spec_cur c = {spec, strlen(spec), 0, 0, NULL};
	struct bph_range r;

	if (t->final) {
		snprintf(err, errlen, "targets already finalized");
		return BPH_ERR_USAGE;
	}
	if (spec_parse(&c, &r)) {
		snprintf(err, errlen, "%s: column %zu: %s", spec, c.errpos + 1,
			 c.msg);
		return BPH_ERR_USAGE;
	}
	return rvec_push(v, r.lo, r.hi);
}

int bph_targets_add_spec(struct bph_targets *t, const char *spec, char *err,
			 size_t errlen)
{
	return add_one(t, &t->inc, spec, err, errlen);
}

int bph_targets_exclude_spec(struct bph_targets *t, const char *spec, char *err,
			     size_t errlen)
{
	return add_one(t, &t->exc, spec, err, errlen);
}

/* One file line: strips the comment and surrounding blanks, then parses. */
static int add_line(struct bph_rvec *v, const char *path, size_t lineno,
		    const char *line, size_t len, char *err, size_t errlen)
{
	size_t end = strcspn(line, "#\r\n");
	size_t start = 0;
	struct bph_range r;
	const char *nul = memchr(line, '\0', len);

	/* a NUL would hide the rest of the line from the parser: a target
	 * after it would be silently lost */
	if (nul && (size_t)(nul - line) <= end) {
		snprintf(err, errlen, "%s:%zu:%zu: NUL byte", path, lineno,
			 (size_t)(nul - line) + 1);
		return BPH_ERR_USAGE;
	}
	while (start < end && isspace((unsigned char)line[start]))
		start++;
	while (end > start && isspace((unsigned char)line[end - 1]))
		end--;
	if (start == end)
		return 0;
	struct spec_cur c = {line + start, end - start, 0, 0, NULL};
	if (spec_parse(&c, &r)) {
		snprintf(err, errlen, "%s:%zu:%zu: %s", path, lineno,
			 start + c.errpos + 1, c.msg);
		return BPH_ERR_USAGE;
	}
	return rvec_push(v, r.lo, r.hi);
}

static int add_file(struct bph_targets *t, struct bph_rvec *v, const char *path,
		    char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;
	FILE *f;

	if (t->final) {
		snprintf(err, errlen, "targets already finalized");
		return BPH_ERR_USAGE;
	}
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return BPH_ERR_IO;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		rc = add_line(v, path, ++lineno, line, (size_t)n, err, errlen);
		if (rc)
			goto out;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = BPH_ERR_IO;
	}
out:
	free(line);
	fclose(f);
	return rc;
}

int bph_targets_add_file(struct bph_targets *t, const char *path, char *err,
			 size_t errlen)
{
	return add_file(t, &t->inc, path, err, errlen);
}

int bph_targets_exclude_file(struct bph_targets *t, const char *path, char *err,
			     size_t errlen)
{
	return add_file(t, &t->exc, path, err, errlen);
}

static int range_cmp(const void *a, const void *b)
{
	const struct bph_range *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

/* Sorts and merges overlapping or adjacent ranges in place. */
static void rvec_normalize(struct bph_rvec *v)
{
	size_t w = 0;

	if (v->n == 0)
		return;
	qsort(v->r, v->n, sizeof(v->r[0]), range_cmp);
	for (size_t i = 1; i < v->n; i++) {
		struct bph_range *last = &v->r[w];
		if (last->hi == UINT32_MAX || v->r[i].lo <= last->hi + 1) {
			if (v->r[i].hi > last->hi)
				last->hi = v->r[i].hi;
		} else {
			v->r[++w] = v->r[i];
		}
	}
	v->n = w + 1;
}

/* set = inc minus exc; both normalized. */
static int subtract(const struct bph_rvec *inc, const struct bph_rvec *exc,
		    struct bph_rvec *set)
{
	size_t j = 0;

	for (size_t i = 0; i < inc->n; i++) {
		uint64_t lo = inc->r[i].lo, hi = inc->r[i].hi;
		while (j < exc->n && exc->r[j].hi < lo)
			j++;
		for (size_t k = j; k < exc->n && exc->r[k].lo <= hi; k++) {
			if (exc->r[k].lo > lo &&
			    rvec_push(set, (uint32_t)lo, exc->r[k].lo - 1))
				return BPH_ERR_NOMEM;
			lo = (uint64_t)exc->r[k].hi + 1;
			if (lo > hi)
				break;
		}
		if (lo <= hi && rvec_push(set, (uint32_t)lo, (uint32_t)hi))
			return BPH_ERR_NOMEM;
	}
	return 0;
}

int bph_targets_finalize(struct bph_targets *t, bool allow_reserved)
{
	struct bph_rvec set = {0};
	int rc;

	if (t->final)
		return 0;
	uint32_t reserved[32][2];
	size_t n_res = bph_reserved_v4(reserved, 32, false);
	for (size_t i = 0; !allow_reserved && i < n_res && i < 32; i++) {
		rc = rvec_push(&t->exc, reserved[i][0], reserved[i][1]);
		if (rc)
			return rc;
	}
	rvec_normalize(&t->inc);
	rvec_normalize(&t->exc);
	rc = subtract(&t->inc, &t->exc, &set);
	if (rc)
		goto out;
	t->before = calloc(set.n ? set.n : 1, sizeof(*t->before));
	if (!t->before) {
		rc = BPH_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < set.n; i++) {
		t->before[i] = t->count;
		t->count += (uint64_t)set.r[i].hi - set.r[i].lo + 1;
	}
	t->set = set.r;
	t->n_set = set.n;
	set.r = NULL;
	t->final = true;
out:
	free(set.r);
	return rc;
}

uint64_t bph_targets_count(const struct bph_targets *t)
{
	return t->count;
}

size_t bph_targets_n_ranges(const struct bph_targets *t)
{
	return t->final ? t->n_set : 0;
}

void bph_targets_range(const struct bph_targets *t, size_t i, uint32_t *lo,
		       uint32_t *hi)
{
	*lo = t->set[i].lo;
	*hi = t->set[i].hi;
}

uint32_t bph_targets_at(const struct bph_targets *t, uint64_t index)
{
	size_t lo = 0, hi = t->n_set;

	if (index >= t->count)
		return 0;
	/* last range whose before[] <= index */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->before[mid] <= index)
			lo = mid;
		else
			hi = mid;
	}
	return t->set[lo].lo + (uint32_t)(index - t->before[lo]);
}

bool bph_targets_index_of(const struct bph_targets *t, uint32_t ip,
			  uint64_t *index)
{
	size_t lo = 0, hi = t->n_set;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ip < t->set[mid].lo)
			hi = mid;
		else if (ip > t->set[mid].hi)
			lo = mid + 1;
		else {
			*index = t->before[mid] + (ip - t->set[mid].lo);
			return true;
		}
	}
	return false;
}

static int ports_fail(const struct spec_cur *c, char *err, size_t errlen)
{
	snprintf(err, errlen, "ports: column %zu: %s", c->errpos + 1, c->msg);
	return BPH_ERR_USAGE;
}

/* Reads one "p" or "p-q" item at c->pos into [*lo, *hi]. */
static int port_item(struct spec_cur *c, unsigned *lo, unsigned *hi)
{
	size_t at = c->pos;

	if (spec_num(c, 65535, "expected a port number", "port above 65535",
		     lo))
		return BPH_ERR_USAGE;
	if (*lo == 0)
		return spec_fail(c, at, "port 0 is not scannable");
	*hi = *lo;
	if (c->pos < c->len && c->s[c->pos] == '-') {
		c->pos++;
		at = c->pos;
		if (spec_num(c, 65535, "expected a port number",
			     "port above 65535", hi))
			return BPH_ERR_USAGE;
		if (*hi < *lo)
			return spec_fail(c, at, "range end below its start");
	}
	if (c->pos < c->len && c->s[c->pos] != ',')
		return spec_fail(c, c->pos, "unexpected character");
	return 0;
}

int bph_ports_parse(const char *spec, uint16_t **ports, size_t *n, char *err,
		    size_t errlen)
{
	struct spec_cur c = {spec, strlen(spec), 0, 0, NULL};
	uint8_t *seen = calloc(65536, 1);
	uint16_t *out = NULL;
	size_t cnt = 0;
	unsigned lo, hi;
	int rc = 0;

	if (!seen)
		return BPH_ERR_NOMEM;
	do {
		if (c.pos > 0)
			c.pos++; /* the ',' */
		if (port_item(&c, &lo, &hi)) {
			rc = ports_fail(&c, err, errlen);
			goto out;
		}
		for (unsigned p = lo; p <= hi; p++)
			seen[p] = 1;
	} while (c.pos < c.len);
	for (unsigned p = 1; p < 65536; p++)
		cnt += seen[p];
	out = malloc(cnt * sizeof(*out));
	if (!out) {
		rc = BPH_ERR_NOMEM;
		goto out;
	}
	cnt = 0;
	for (unsigned p = 1; p < 65536; p++)
		if (seen[p])
			out[cnt++] = (uint16_t)p;
	*ports = out;
	*n = cnt;
out:
	free(seen);
	return rc;
}
