#ifndef BPH_CLI_VERSION_H
#define BPH_CLI_VERSION_H

#define BPH_VERSION_STRING "0.1.0"

/* Static string, e.g. "0.1.0". */
const char *bph_version(void);

#endif
