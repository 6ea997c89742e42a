/*
 * config.h: loading kindred's configuration (struct config in web.h).
 * Settings: port, bind, data_dir, database, locale, access_log, threads,
 * secure_cookies, max_body.  See README.md.
 */
#ifndef KD_CONFIG_H
#define KD_CONFIG_H

#include "web/web.h"

void config_defaults(config *c);
/* Sets one key; *err gets a malloc'd message on KD_ECONFIG. */
int config_set(config *c, const char *key, const char *value, char **err);
/* Reads "key = value" lines ('#' starts a comment); a line over 4096
 * bytes or holding a NUL byte is refused, never cut. */
int config_load(config *c, const char *path, char **err);
/* Derives what was not given (the database path from data_dir). */
void config_finish(config *c);

#endif
