/*
 * svg.c: the progress chart of svg.h.  Fixed size with a viewBox, so it
 * scales to the screen; colours meet AA contrast on white; no script, no
 * external references (the CSP allows neither).  A chart has at most a
 * few hundred points, so it is drawn in one pass into a buffer.
 */
#include "web/svg.h"

#include "kd.h"
#include "util/buf.h"

#include <stdio.h>
#include <string.h>

enum { W = 640, H = 260, LEFT = 44, RIGHT = 12, TOP = 14, BOTTOM = 34 };

static const char *const band_fill[] = {"#eef3f1", "#f7f3ea", "#f3ecec", "#ece9f3", "#e9f0f5"};

static double y_of(double v, double min, double max)
{
	double span = max > min ? max - min : 1;

	return TOP + (H - TOP - BOTTOM) * (1.0 - (v - min) / span);
}

/* Time decides where a point sits; points all within an hour (a first
 * day's answers) are spread evenly instead of stacked. */
static double x_of(const json_t *p, size_t i, size_t n, double t0, double span)
{
	double inner = W - LEFT - RIGHT - 16;

	if (n < 2)
		return LEFT + (W - LEFT - RIGHT) / 2.0;
	if (span < 3600)
		return LEFT + 8 + inner * (double)i / (double)(n - 1);
	return LEFT + 8 + inner * ((double)json_integer_value(json_object_get(p, "t")) - t0) / span;
}

static void put_text(buf *b, const char *s)
{
	buf_put_html(b, s ? s : "", s ? strlen(s) : 0);
}

char *svg_chart(const char *id, const json_t *points, double min, double max,
		const json_t *bands, const char *title, const char *desc)
{
	size_t n = json_array_size(points), i;
	double t0 = 0, t1 = 0, x, y, span;
	const json_t *p, *band;
	buf b;

	buf_init(&b);
	buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		       "role=\"img\" aria-labelledby=\"",
		   W, H);
	put_text(&b, id);
	buf_puts(&b, "-t ");
	put_text(&b, id);
	buf_puts(&b, "-d\" class=\"chart\"><title id=\"");
	put_text(&b, id);
	buf_puts(&b, "-t\">");
	put_text(&b, title);
	buf_puts(&b, "</title><desc id=\"");
	put_text(&b, id);
	buf_puts(&b, "-d\">");
	put_text(&b, desc);
	buf_puts(&b, "</desc>");
	/* Bands first, under everything else. */
	json_array_foreach(bands, i, band) {
		double lo = json_number_value(json_object_get(band, "min"));
		double hi = json_number_value(json_object_get(band, "max"));
		double ytop = y_of(hi + 0.5 > max ? max : hi + 0.5, min, max);
		double ybot = y_of(lo - 0.5 < min ? min : lo - 0.5, min, max);
		buf_printf(&b, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>",
			   LEFT, ytop, W - LEFT - RIGHT, ybot - ytop,
			   band_fill[i % KD_ARRAY_LEN(band_fill)]);
		buf_printf(&b, "<text x=\"%d\" y=\"%.1f\" class=\"band\">", W - RIGHT - 4,
			   ytop + 12);
		put_text(&b, json_string_value(json_object_get(band, "label")));
		buf_puts(&b, "</text>");
	}
	/* Axes with the range's ends. */
	buf_printf(&b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>", LEFT, TOP,
		   LEFT, H - BOTTOM);
	buf_printf(&b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>", LEFT,
		   H - BOTTOM, W - RIGHT, H - BOTTOM);
	buf_printf(&b, "<text x=\"%d\" y=\"%.1f\" class=\"tick\">%g</text>", LEFT - 6,
		   y_of(max, min, max) + 4, max);
	buf_printf(&b, "<text x=\"%d\" y=\"%.1f\" class=\"tick\">%g</text>", LEFT - 6,
		   y_of(min, min, max) + 4, min);
	if (n > 0) {
		t0 = (double)json_integer_value(json_object_get(json_array_get(points, 0), "t"));
		t1 = (double)json_integer_value(json_object_get(json_array_get(points, n - 1), "t"));
	}
	span = t1 - t0;
	if (n > 1) {
		buf_puts(&b, "<polyline class=\"line\" fill=\"none\" points=\"");
		json_array_foreach(points, i, p) {
			x = x_of(p, i, n, t0, span);
			y = y_of(json_number_value(json_object_get(p, "value")), min, max);
			buf_printf(&b, "%s%.1f,%.1f", i ? " " : "", x, y);
		}
		buf_puts(&b, "\"/>");
	}
	json_array_foreach(points, i, p) {
		x = x_of(p, i, n, t0, span);
		y = y_of(json_number_value(json_object_get(p, "value")), min, max);
		buf_printf(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" class=\"point\"/>", x, y);
	}
	if (n > 0) {
		buf_printf(&b, "<text x=\"%d\" y=\"%d\" class=\"date\">", LEFT, H - 12);
		put_text(&b, json_string_value(json_object_get(json_array_get(points, 0), "when")));
		buf_puts(&b, "</text>");
		if (n > 1) {
			buf_printf(&b, "<text x=\"%d\" y=\"%d\" class=\"date end\">", W - RIGHT,
				   H - 12);
			put_text(&b, json_string_value(
					     json_object_get(json_array_get(points, n - 1), "when")));
			buf_puts(&b, "</text>");
		}
	}
	buf_puts(&b, "</svg>");
	return buf_steal(&b, NULL);
}
