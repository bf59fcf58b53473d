/*
 * store_show.c - `bphound show HOST`: a host's history as the store holds
 * it, one block per scan, every fingerprint of every service flattened to
 * "name: value" lines (strings printed through bph_print_text, so nothing
 * from the network reaches the terminal raw). Contract in store/store.h.
 */
#include "store/store.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fingerprints/err.h"
#include "fingerprints/text.h"
#include "store/db_int.h"

static void print_json_value(FILE *out, const json_t *v);
static void print_flat(FILE *out, const char *prefix, const json_t *obj);

/* An array reads as one line ("Server, Date") when no element holds a
 * comma or an object; otherwise one line per element, named name[i]
 * (KEXINIT name-lists, host keys). */
static bool one_line_array(const json_t *a)
{
	size_t i;
	json_t *e;

	json_array_foreach((json_t *)a, i, e)
	{
		if (!json_is_string(e) || strchr(json_string_value(e), ','))
			return false;
	}
	return true;
}

static void print_array(FILE *out, const char *name, const json_t *a)
{
	size_t i;
	json_t *e;

	json_array_foreach((json_t *)a, i, e)
	{
		char item[160];
		snprintf(item, sizeof(item), "%s[%zu]", name, i);
		if (json_is_object(e)) {
			print_flat(out, item, e);
			continue;
		}
		fprintf(out, "      %s: ", item);
		print_json_value(out, e);
		fputc('\n', out);
	}
}

/* Prints obj as "prefix.key: value" lines, recursing into objects. */
static void print_flat(FILE *out, const char *prefix, const json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		char name[128];
		snprintf(name, sizeof(name), "%s%s%s", prefix,
			 prefix[0] ? "." : "", key);
		if (json_is_object(v)) {
			print_flat(out, name, v);
			continue;
		}
		if (json_is_array(v) && !one_line_array(v)) {
			print_array(out, name, v);
			continue;
		}
		fprintf(out, "      %s: ", name);
		print_json_value(out, v);
		fputc('\n', out);
	}
}

static void print_json_value(FILE *out, const json_t *v)
{
	size_t i;
	json_t *e;

	if (json_is_string(v)) {
		bph_print_text(out, json_string_value(v));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			fputs(i ? ", " : "", out);
			print_json_value(out, e);
		}
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY);
		fputs(s ? s : "?", out);
		free(s);
	}
}

static void print_service_row(FILE *out, struct bph_db_stmt *q,
			      int64_t *last_scan)
{
	int64_t scan = bph_db_column_int64(q, 0);
	time_t seen = (time_t)bph_db_column_int64(q, 4);
	const char *record = bph_db_column_text(q, 5);
	json_t *j = record ? json_loads(record, 0, NULL) : NULL;
	char when[32];
	struct tm tm;

	if (scan != *last_scan) {
		time_t started = (time_t)bph_db_column_int64(q, 2);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
			 gmtime_r(&started, &tm));
		fprintf(out, "scan %lld (%s, %s)\n", (long long)scan,
			bph_db_column_text(q, 1), when);
		*last_scan = scan;
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
		 gmtime_r(&seen, &tm));
	fprintf(out, "  port %lld %s, seen %s\n",
		(long long)bph_db_column_int64(q, 3), bph_db_column_text(q, 6),
		when);
	if (j) {
		json_object_del(j, "ip");
		json_object_del(j, "port");
		json_object_del(j, "state");
		json_object_del(j, "seen");
		print_flat(out, "", j);
	}
	json_decref(j);
}

static int print_history(struct bph_store *st, uint32_t ip, FILE *out,
			 size_t *rows)
{
	struct bph_db_stmt *q = NULL;
	int64_t last_scan = -1;
	int rc = bph_db_prepare_stream(
	    st->db,
	    "SELECT s.scan_id, c.kind, c.started, s.port, s.seen,"
	    " s.record, s.state FROM services s JOIN scans c"
	    " ON c.id = s.scan_id WHERE s.ip = ?"
	    " ORDER BY s.scan_id, s.port, s.seen",
	    &q);

	if (!rc)
		rc = bph_db_bind_int64(q, 1, ip);
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		print_service_row(out, q, &last_scan);
		(*rows)++;
		rc = 0;
	}
	bph_db_finalize(q);
	return rc;
}

int bph_store_show_host(struct bph_store *st, const char *ip, FILE *out,
			size_t *rows)
{
	struct in_addr a;
	char norm[16];
	int rc;

	*rows = 0;
	if (inet_pton(AF_INET, ip, &a) != 1)
		return BPH_ERR_USAGE;
	bph_ip_str(ntohl(a.s_addr), norm);
	fprintf(out, "host %s\n", norm);
	if ((rc = print_history(st, ntohl(a.s_addr), out, rows)))
		return rc;
	if (!*rows)
		fputs("  no records in the store\n", out);
	return 0;
}
