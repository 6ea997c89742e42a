/*
 * svg.h: charts drawn by the server as accessible SVG — a title and a
 * description for assistive technology, band shading, the points joined
 * by a line — always shown beside a data table, which is the chart's text
 * alternative.  The result is pre-rendered markup, the only kind the
 * templates print raw ({{{...}}}); every string put into it is escaped
 * here.
 */
#ifndef KD_SVG_H
#define KD_SVG_H

#include <jansson.h>

/* Draws points ([{t, value, when}], oldest first) on a y range [min,
 * max] with bands ([{min, max, label}], may be empty).  id makes the
 * chart's element ids unique on its page.  Returns a malloc'd SVG string
 * (the caller frees). */
char *svg_chart(const char *id, const json_t *points, double min, double max,
		const json_t *bands, const char *title, const char *desc);

#endif
