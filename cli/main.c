/*
 * main.c - parses the command line and dispatches to one function per
 * subcommand. The only place in bphound that chooses an exit status.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/version.h"

struct subcommand {
	const char *name;
	int (*run)(const struct bph_opts *o);
};

static const struct subcommand subcommands[] = {
    {"scan", bph_cmd_scan},	  {"pivot", bph_cmd_pivot},
    {"cluster", bph_cmd_cluster}, {"export", bph_cmd_export},
    {"import", bph_cmd_import},	  {"show", bph_cmd_show},
};

int main(int argc, char **argv)
{
	struct bph_opts o;
	int rc = bph_opts_parse(argc, argv, &o);
	if (rc)
		return rc;
	if (!strcmp(o.cmd, "help")) {
		bph_usage(stdout);
		return BPH_EXIT_OK;
	}
	if (!strcmp(o.cmd, "version") || !strcmp(o.cmd, "--version")) {
		printf("bphound %s\n", bph_version());
		return BPH_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]);
	     i++)
		if (!strcmp(o.cmd, subcommands[i].name))
			return subcommands[i].run(&o);
	fprintf(stderr, "bphound: unknown command '%s' (try bphound --help)\n",
		o.cmd);
	return BPH_EXIT_USAGE;
}
