/*
 * svg_impl.h -- what the SVG files of src/core share beyond svg.h: the text primitives of
 * svg.c that the chart bodies draw with.  The files:
 *   svg.c           buffer, escaping, number formats, nice and calendar ticks, text
 *                   primitives, the document (svg_begin / svg_end)
 *   svg_forecast.c  svg_forecast: history, forecast line, 80 % / 95 % bands
 *   svg_heat.c      svg_heat_grid: a labelled grid of coloured cells
 */
#ifndef MKTDB_SVG_IMPL_H
#define MKTDB_SVG_IMPL_H

#include "core/svg.h"

#define FONT_W 0.6				/* average glyph width of sans-serif text, in font sizes */

/* characters (not bytes) of a UTF-8 string */
int			svg_utf8_len(const char *s);
/* s cut to at most max_chars characters (an ellipsis marks a cut), into out */
const char *svg_fit(char *out, size_t size, const char *s, double width, double font);
/* <text> with escaped content; anchor "start" | "middle" | "end" */
void		svg_text_at(SvgBuf *b, double x, double y, double font, const char *anchor, const char *fill,
						const char *extra, const char *s);
void		svg_line_at(SvgBuf *b, double x1, double y1, double x2, double y2, const char *stroke,
						const char *extra);
void		svg_rect_at(SvgBuf *b, double x, double y, double w, double h, const char *fill,
						const char *extra);

#endif
