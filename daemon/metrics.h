/* metrics.h - the daemon's numbers as Prometheus-style metrics. */
#ifndef RG_METRICS_H
#define RG_METRICS_H

#include <stddef.h>
#include "control.h"
#include "prometheus.h"

/* Every metric, in a stable order, to cb. */
void metrics_collect(struct control_env *env, metric_cb cb, void *arg);
/* Rewrite path atomically in the text format (node_exporter's textfile
 * collector). */
int metrics_write_textfile(struct control_env *env, const char *path, char *err, size_t errlen);

#endif
