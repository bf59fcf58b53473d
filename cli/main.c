/*
 * main.c - parses the command line (cli_opts.c) and dispatches to one
 * function per command of bph_commands[]. The only place in bphound that
 * chooses an exit status, and the only place that sets process-wide
 * behaviour (SIGPIPE).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/version.h"

/* help [COMMAND] | completion SHELL | version: the commands about
 * bphound itself. Returns an exit status, or -1 for another command. */
static int about(const struct bph_opts *o)
{
	const char *arg = o->n_args ? o->args[0] : NULL;

	if (!strcmp(o->cmd, "help") || !strcmp(o->cmd, "--help") ||
	    !strcmp(o->cmd, "-h")) {
		if (arg && !strcmp(arg, "--man")) {
			bph_cli_man(stdout);
			return bph_cli_flush_stdout();
		}
		const struct bph_command *c =
		    arg ? bph_command_find(arg) : NULL;
		if (arg && !c) {
			fprintf(stderr, "bphound help: unknown command '%s'\n",
				arg);
			return BPH_EXIT_USAGE;
		}
		bph_cli_help(stdout, c);
		return bph_cli_flush_stdout();
	}
	if (!strcmp(o->cmd, "version") || !strcmp(o->cmd, "--version")) {
		printf("bphound %s\n", bph_version());
		return bph_cli_flush_stdout();
	}
	if (!strcmp(o->cmd, "completion")) {
		if (o->n_args != 1 || bph_cli_completion(stdout, arg)) {
			fputs("bphound completion: bash or zsh\n", stderr);
			return BPH_EXIT_USAGE;
		}
		return bph_cli_flush_stdout();
	}
	return -1;
}

/* The command o names, after the parse. */
static int dispatch(struct bph_opts *o)
{
	const struct bph_command *cmd;
	int rc;

	/* A closed pipe (bphound ... | head) is an error on write, reported
	 * like any other, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	if ((rc = about(o)) >= 0)
		return rc;
	cmd = bph_command_find(o->cmd);
	if (o->help) {
		bph_cli_help(stdout, cmd);
		return bph_cli_flush_stdout();
	}
	rc = cmd->run(o);
	if (bph_cli_flush_stdout() && rc == BPH_EXIT_OK)
		rc = BPH_EXIT_FAIL;
	return rc;
}

int main(int argc, char **argv)
{
	struct bph_opts o;
	int rc = bph_opts_parse(argc, argv, &o);

	if (rc == 0)
		rc = dispatch(&o);
	/* --export's FMT copies (parse_export); freed so that a sanitizer
	 * build's leak check sees none */
	for (size_t i = 0; i < o.n_exports; i++)
		free((char *)o.exports[i].format);
	return rc;
}
