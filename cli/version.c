/* version.c - the version string every output names. */
#include "cli/version.h"

const char *bph_version(void)
{
	return BPH_VERSION_STRING;
}
