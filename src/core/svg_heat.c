/*
 * svg_heat.c -- svg_heat_grid and its colours (see svg.h): a labelled grid of coloured cells
 * (RFM's R x FM grid, the segment profile, P(alive) over frequency x recency), drawn with the
 * writer of svg.c.  Pure C.
 */
#include "core/svg_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---------- heat grid ---------- */

static void
mix(char out[8], const int a[3], const int c[3], double t)
{
	int			v[3];

	for (int i = 0; i < 3; i++)
		v[i] = (int) lround(a[i] + (c[i] - a[i]) * t);
	snprintf(out, 8, "#%02X%02X%02X", v[0], v[1], v[2]);
}

void
svg_heat_colour(char out[8], double t, int diverging)
{
	static const int white[3] = {0xFF, 0xFF, 0xFF},
				blue[3] = {0x00, 0x72, 0xB2},
				verm[3] = {0xD5, 0x5E, 0x00};

	if (!isfinite(t))
	{
		snprintf(out, 8, "#EEEEEE");
		return;
	}
	if (diverging)
	{
		t = fmax(-1, fmin(1, t));
		mix(out, white, t < 0 ? verm : blue, fabs(t));
	}
	else
		mix(out, white, blue, fmax(0, fmin(1, t)));
}

/* black or white text, whichever reads better on the fill */
static const char *
ink(const char *fill)
{
	unsigned	r,
				g,
				bl;

	if (sscanf(fill, "#%2X%2X%2X", &r, &g, &bl) != 3)
		return SVG_BLACK;
	return 0.299 * r + 0.587 * g + 0.114 * bl < 140 ? "#FFFFFF" : SVG_BLACK;
}

void
svg_heat_cell(SvgBuf *b, double x, double y, double w, double h, double t, int diverging,
			  const char *line1, const char *line2)
{
	char		fill[8],
				c1[256],
				c2[256];
	double		font = fmin(13, fmax(8, fmin(h / (line2 ? 3.2 : 2.2), 14)));
	const char *tc;

	/* a long first line gets a smaller font (down to 8) before it is cut */
	if (line1 && svg_utf8_len(line1) > 0)
		font = fmax(fmin(font, (w - 6) / (svg_utf8_len(line1) * FONT_W)), fmin(font, 8));

	svg_heat_colour(fill, t, diverging);
	tc = ink(fill);
	svg_rect_at(b, x, y, w, h, fill, "stroke=\"#FFFFFF\" stroke-width=\"2\"");
	if (line1 && *line1)
		svg_text_at(b, x + w / 2, y + h / 2 + (line2 ? -font * 0.25 : font * 0.35), font, "middle", tc,
				"font-weight=\"bold\"", svg_fit(c1, sizeof c1, line1, w - 6, font));
	if (line2 && *line2)
		svg_text_at(b, x + w / 2, y + h / 2 + font * 1.05, font * 0.85, "middle", tc, NULL,
				svg_fit(c2, sizeof c2, line2, w - 6, font * 0.85));
}

int
svg_heat_grid(SvgBuf *b, int width, int height, const SvgHeatGrid *g)
{
	double		top = g->subtitle && *g->subtitle ? 58 : 42;
	double		left = 16,
				label_w = 0,
				bar_w = g->row_bar ? fmin(160, width * 0.18) : 0;
	double		bottom = 18 + (g->col_title ? 16 : 0) + 24 + (g->note ? 16 : 0);
	double		gx,
				gw,
				gh,
				cw,
				ch,
				bar_max = 0,
				mid = (g->vmin + g->vmax) / 2,
				half = (g->vmax - g->vmin) / 2;
	char		buf[256],
				vb[64];

	if (g->nrows < 1 || g->ncols < 1)
		return -1;
	for (int r = 0; r < g->nrows; r++)
		label_w = fmax(label_w, svg_utf8_len(g->row_labels[r]) * 11 * FONT_W);
	label_w = fmin(label_w, width * 0.3);
	if (g->row_title)
		left += 18;
	gx = left + label_w + 8;
	gw = width - gx - 16 - (bar_w > 0 ? bar_w + 12 : 0);
	gh = height - top - bottom;
	cw = gw / g->ncols;
	ch = gh / g->nrows;
	if (g->row_bar)
		for (int r = 0; r < g->nrows; r++)
			if (isfinite(g->row_bar[r]))
				bar_max = fmax(bar_max, g->row_bar[r]);

	svg_begin(b, width, height, g->title, g->subtitle);
	for (int r = 0; r < g->nrows; r++)
	{
		double		y = top + r * ch;

		svg_text_at(b, gx - 8, y + ch / 2 + 4, 11, "end", "#333333", NULL,
				svg_fit(buf, sizeof buf, g->row_labels[r], label_w, 11));
		for (int c = 0; c < g->ncols; c++)
		{
			double		v = g->value[r * g->ncols + c];
			double		t = !isfinite(v) ? NAN : g->diverging
				? (half > 0 ? (v - mid) / half : 0)
				: (g->vmax > g->vmin ? (v - g->vmin) / (g->vmax - g->vmin) : 0);
			const char *l1 = g->text ? g->text[r * g->ncols + c] : svg_short(vb, sizeof vb, v);

			svg_heat_cell(b, gx + c * cw, y, cw, ch, t, g->diverging, l1, g->sub ? g->sub[r * g->ncols + c] : NULL);
		}
		if (g->row_bar && isfinite(g->row_bar[r]))
		{
			double		bx = gx + gw + 12,
						len = bar_max > 0 ? g->row_bar[r] / bar_max * (bar_w - 50) : 0;

			svg_rect_at(b, bx, y + ch * 0.25, len, ch * 0.5, SVG_ORANGE, NULL);
			svg_text_at(b, bx + len + 4, y + ch / 2 + 4, 11, "start", "#333333", NULL,
					g->row_bar[r] == floor(g->row_bar[r]) ? svg_count(vb, sizeof vb, g->row_bar[r])
					: svg_short(vb, sizeof vb, g->row_bar[r]));
		}
	}
	if (g->row_bar && g->row_bar_title)
		svg_text_at(b, gx + gw + 12, top - 6, 11, "start", "#333333", "font-weight=\"bold\"",
				svg_fit(buf, sizeof buf, g->row_bar_title, bar_w, 11));
	if (g->row_title)
	{
		char		tr[96];
		char		xb[32],
					yb[32];

		snprintf(tr, sizeof tr, "transform=\"rotate(-90 %s %s)\"", svg_num(xb, sizeof xb, 22, 1),
				 svg_num(yb, sizeof yb, top + gh / 2, 1));
		svg_text_at(b, 22, top + gh / 2, 12, "middle", "#333333", tr, svg_fit(buf, sizeof buf, g->row_title, gh, 12));
	}
	for (int c = 0; c < g->ncols; c++)
	{
		/* long labels get a smaller font (down to 8) before they are cut */
		double		font = fmax(8, fmin(11, (cw - 4) / (fmax(svg_utf8_len(g->col_labels[c]), 1) * FONT_W)));

		svg_text_at(b, gx + (c + 0.5) * cw, top + gh + 15, font, "middle", "#333333", NULL,
				svg_fit(buf, sizeof buf, g->col_labels[c], cw - 4, font));
	}
	{
		double		y = top + gh + 18;

		if (g->col_title)
		{
			y += 16;
			svg_text_at(b, gx + gw / 2, y, 12, "middle", "#333333", NULL, svg_fit(buf, sizeof buf, g->col_title, gw, 12));
		}
		/* the colour scale: five swatches between the two legend texts */
		y += 20;
		{
			double		x = gx + gw,
						sw = 22;

			if (g->legend_hi)
			{
				x -= svg_utf8_len(g->legend_hi) * 11 * FONT_W;
				svg_text_at(b, x, y, 11, "start", "#333333", NULL, g->legend_hi);
				x -= 6;
			}
			for (int i = 4; i >= 0; i--)
			{
				char		fill[8];

				x -= sw;
				svg_heat_colour(fill, g->diverging ? -1 + i * 0.5 : i * 0.25, g->diverging);
				svg_rect_at(b, x, y - 10, sw, 12, fill, "stroke=\"#CCCCCC\" stroke-width=\"0.5\"");
			}
			if (g->legend_lo)
				svg_text_at(b, x - 6, y, 11, "end", "#333333", NULL, g->legend_lo);
		}
		if (g->note)
			svg_text_at(b, 16, y + 16, 11, "start", "#555555", NULL, svg_fit(buf, sizeof buf, g->note, width - 32, 11));
	}
	svg_end(b);
	return b->oom ? -1 : 0;
}
