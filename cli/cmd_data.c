/*
 * cmd_data.c - `bphound data import|list|check|expand`: routing,
 * registry and deny-list files into the store as dated snapshots, what
 * the store holds, a file's validation without loading it, and the
 * prefixes AS targets stand for. The parsing is ranges/'s,
 * the joining cli/data_glue.c's; docs/guide.md ("From a cluster to its
 * networks") shows each.
 */
#include "cli/cli.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "cli/asn_targets.h"
#include "cli/data_glue.h"
#include "fingerprints/err.h"
#include "fingerprints/text.h"
#include "store/data_store.h"
#include "store/store.h"

static struct bph_data_file_opts file_opts(const struct bph_opts *o)
{
	return (struct bph_data_file_opts){
	    .kind =
		o->data_kind ? bph_kind_from_name(o->data_kind) : BPH_KIND_NONE,
	    .name = o->data_name,
	    .date = o->data_date,
	    .strict = o->strict,
	    .errout = stderr};
}

/* One line per file: what was found. */
static void summary(FILE *out, const char *path,
		    const struct bph_parse_result *r, const char *name)
{
	fprintf(out, "%s: %s", path, bph_kind_name(r->kind));
	if (name)
		fprintf(out, " '%s'", name);
	fprintf(out,
		", dated %s (%s), %" PRIu64 " records, %" PRIu64
		" malformed lines",
		r->date[0] ? r->date : "unknown",
		bph_date_source_name(r->date_source), r->records, r->rejected);
	if (r->warnings)
		fprintf(out, ", %" PRIu64 " warnings", r->warnings);
	fputc('\n', out);
}

static int data_import(const struct bph_opts *o)
{
	struct bph_data_file_opts fo = file_opts(o);
	struct bph_store *st = NULL;
	int status = 0;

	if (o->n_args < 2) {
		fputs("bphound data import: at least one FILE is required\n",
		      stderr);
		return BPH_EXIT_USAGE;
	}
	if ((status = bph_cli_open_store(o, &st)))
		return status;
	for (size_t i = 1; i < o->n_args && status != BPH_EXIT_FAIL; i++) {
		struct bph_parse_result res;
		char err[512] = "", name[128];
		int64_t id = 0;
		int rc = bph_data_import_file(st, o->args[i], &fo, &res, &id,
					      err, sizeof(err));
		if (rc) {
			int s = bph_cli_fail("data import", rc, err);
			status = status ? status : s;
			continue;
		}
		if (o->quiet)
			continue;
		if (fo.name)
			snprintf(name, sizeof(name), "%s", fo.name);
		else
			bph_data_default_name(res.kind, o->args[i], res.origin,
					      name, sizeof(name));
		summary(stderr, o->args[i], &res, name);
	}
	bph_store_close(st);
	return status;
}

static int data_check(const struct bph_opts *o)
{
	struct bph_data_file_opts fo = file_opts(o);
	int status = 0;

	if (o->n_args < 2) {
		fputs("bphound data check: at least one FILE is required\n",
		      stderr);
		return BPH_EXIT_USAGE;
	}
	for (size_t i = 1; i < o->n_args; i++) {
		struct bph_parse_opts po = {
		    .kind = fo.kind, .strict = fo.strict, .errout = stderr};
		struct bph_parse_result res;
		char err[512] = "";
		int rc = bph_parse_file(o->args[i], &po, NULL, &res, err,
					sizeof(err));
		if (rc) {
			int s = bph_cli_fail("data check", rc, err);
			status = status == BPH_EXIT_FAIL ? status : s;
			continue;
		}
		summary(stdout, o->args[i], &res, NULL);
		if (res.licence[0])
			printf("  licence: %s\n", res.licence);
		if (res.rejected && !status)
			status = BPH_EXIT_USAGE;
	}
	return status;
}

static const char *parts_text(unsigned parts, char *buf, size_t len)
{
	static const char *const names[] = {"v4",  "v6",      "asn",
					    "org", "contact", "aut-num"};
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < 6; i++)
		if (parts & (1u << i))
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 used ? "," : "", names[i]);
	return buf[0] ? buf : "-";
}

static int list_row(void *arg, const struct bph_data_snapshot *s,
		    unsigned current)
{
	char parts[64], cur[64];
	(void)arg;

	printf("%4" PRId64 "  %-9s %-20s %s  %9" PRId64 " records %6" PRId64
	       " malformed  %s%s\n",
	       s->id, s->kind, s->name, s->date[0] ? s->date : "undated",
	       s->records, s->rejected,
	       parts_text((unsigned)s->parts, parts, sizeof(parts)),
	       current ? "" : "  (superseded)");
	if (current && current != (unsigned)s->parts)
		printf("        current for %s only\n",
		       parts_text(current, cur, sizeof(cur)));
	printf("        %s\n", s->file);
	if (s->licence[0]) {
		fputs("        licence: ", stdout);
		bph_print_text(stdout, s->licence);
		fputc('\n', stdout);
	}
	return 0;
}

static int data_list(const struct bph_opts *o)
{
	struct bph_store *st = NULL;
	int rc;

	if (o->n_args != 1) {
		fprintf(stderr, "bphound data list: unexpected argument '%s'\n",
			o->args[1]);
		return BPH_EXIT_USAGE;
	}
	if ((rc = bph_cli_open_store_ro(o, &st)))
		return rc;
	rc = bph_data_each_snapshot(st, list_row, NULL);
	bph_store_close(st);
	return rc ? bph_cli_fail("data list", rc, NULL) : 0;
}

/* `data expand TARGET...`: the targets a scan would get, AS numbers
 * replaced by their prefixes (cli/asn_targets.h), without scanning. */
static int data_expand(const struct bph_opts *o)
{
	struct bph_store *st = NULL;
	struct bph_scan_job job = {.kind = "expand",
				   .targets = o->args + 1,
				   .n_targets = o->n_args - 1,
				   .opts = o},
			    ex;
	struct bph_asn_expansion x;
	int status;

	if (o->n_args < 2) {
		fputs("bphound data expand: at least one TARGET is required\n",
		      stderr);
		return BPH_EXIT_USAGE;
	}
	if ((status = bph_cli_open_store_ro(o, &st)))
		return status;
	int rc = bph_cli_asn_expand(st, &job, &ex, &x);
	for (size_t i = 0; !rc && i < ex.n_targets; i++)
		printf("%s\n", ex.targets[i]);
	bph_cli_asn_expansion_free(&x);
	bph_store_close(st);
	return bph_cli_status(rc);
}

int bph_cmd_data(const struct bph_opts *o)
{
	const char *sub = o->n_args ? o->args[0] : "";

	if (o->data_kind && bph_kind_from_name(o->data_kind) == BPH_KIND_NONE) {
		fprintf(stderr, "bphound data: --kind: unknown kind '%s'\n",
			o->data_kind);
		return BPH_EXIT_USAGE;
	}
	if (!strcmp(sub, "import"))
		return data_import(o);
	if (!strcmp(sub, "list"))
		return data_list(o);
	if (!strcmp(sub, "check"))
		return data_check(o);
	if (!strcmp(sub, "expand"))
		return data_expand(o);
	fprintf(stderr,
		"bphound data: %s%s%s (import, list, check or expand)\n",
		sub[0] ? "unknown subcommand '" : "a subcommand is required",
		sub, sub[0] ? "'" : "");
	return BPH_EXIT_USAGE;
}
