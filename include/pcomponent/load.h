/*
 * The pComponent's load report to GPM on gmon (pcomponent/load.c): its CPUs, ExCache
 * lines and process limit, and its user threads and live processes, once a second.
 */
#ifndef PCOMPONENT_LOAD_H
#define PCOMPONENT_LOAD_H

struct node_config;

/* Start the reporter thread (after excache_init); 0 without a gmon in the map, or -errno. */
int load_report_start(const struct node_config *cfg);

#endif
