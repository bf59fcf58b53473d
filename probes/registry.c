/* registry.c - the probe registry (filled in as probes land). */
int bph_probes_placeholder(void);
int bph_probes_placeholder(void)
{
	return 0;
}
