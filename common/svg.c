/* svg.c: inline SVG charts (see svg.h). */
#include <math.h>
#include <string.h>

#include "svg.h"
#include "util.h"

#define FONT "font-family=\"sans-serif\""

/*
 * The length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF), or 0.
 */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void
svg_escape(FILE *fp, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		size_t n = utf8_len(u);

		if (n == 0 || (*u < 0x20 && *u != '\t' && *u != '\n' && *u != '\r') || *u == 0x7f) {
			/* not text a page can hold (XML 1.0's characters): U+FFFD shows where */
			fputs("\xef\xbf\xbd", fp);
			u++;
			continue;
		}
		switch (*u) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			fwrite(u, 1, n, fp);
		}
		u += n;
	}
}

double
svg_nice_step(double range, int nticks)
{
	double raw, mag, f;

	if (!(range > 0) || !isfinite(range) || nticks < 1)
		return 1;
	raw = range / nticks;
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

double
svg_x(const struct svg_plot *p, double x)
{
	double w = p->width - p->left - p->right;

	return p->left + (x - p->xmin) / (p->xmax - p->xmin) * w;
}

double
svg_y(const struct svg_plot *p, double y)
{
	double h = p->height - p->top - p->bottom;

	return p->top + (p->ymax - y) / (p->ymax - p->ymin) * h;
}

void
svg_begin(const struct svg_plot *p, const char *title)
{
	fprintf(p->fp,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %g %g\" width=\"%g\" "
	        "height=\"%g\" role=\"img\" aria-label=\"",
	        p->width, p->height, p->width, p->height);
	svg_escape(p->fp, title);
	fputs("\"><title>", p->fp);
	svg_escape(p->fp, title);
	fputs("</title>\n", p->fp);
}

void
svg_end(const struct svg_plot *p)
{
	fputs("</svg>\n", p->fp);
}

/* A tick label: %g of a value rounded to the step's precision (no 0.30000000000000004). */
static void
tick_label(char *buf, size_t size, double v, double step)
{
	int digits = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	if (fabs(v) < step * 1e-9)
		v = 0;
	snprintf(buf, size, "%.*f", digits, v);
}

void
svg_axes(const struct svg_plot *p, double xstep, double ystep, const char *xlabel,
         const char *ylabel)
{
	double x0 = p->left, x1 = p->width - p->right, y0 = p->height - p->bottom, y1 = p->top;
	char label[64];

	fputs("<g class=\"axes\" " FONT " font-size=\"12\" fill=\"#333\">\n", p->fp);
	for (double v = xstep > 0 ? ceil(p->xmin / xstep - 1e-9) * xstep : INFINITY;
	     v <= p->xmax + xstep * 1e-9; v += xstep) {
		double px = svg_x(p, v);

		fprintf(p->fp,
		        "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
		        "stroke=\"#e3e3e3\"/>\n",
		        px, y0, px, y1);
		tick_label(label, sizeof label, v, xstep);
		fprintf(p->fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>\n", px,
		        y0 + 16, label);
	}
	for (double v = ystep > 0 ? ceil(p->ymin / ystep - 1e-9) * ystep : INFINITY;
	     v <= p->ymax + ystep * 1e-9; v += ystep) {
		double py = svg_y(p, v);

		fprintf(p->fp,
		        "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
		        "stroke=\"#e3e3e3\"/>\n",
		        x0, py, x1, py);
		tick_label(label, sizeof label, v, ystep);
		fprintf(p->fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n",
		        x0 - 5, py + 4, label);
	}
	fprintf(p->fp,
	        "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
	        "stroke=\"#555\"/>\n",
	        x0, y1, x1 - x0, y0 - y1);
	if (xlabel != NULL) {
		fprintf(p->fp,
		        "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"13\">",
		        (x0 + x1) / 2, y0 + 34);
		svg_escape(p->fp, xlabel);
		fputs("</text>\n", p->fp);
	}
	if (ylabel != NULL) {
		fprintf(p->fp,
		        "<text transform=\"translate(14 %.2f) rotate(-90)\" text-anchor=\"middle\" "
		        "font-size=\"13\">",
		        (y0 + y1) / 2);
		svg_escape(p->fp, ylabel);
		fputs("</text>\n", p->fp);
	}
	fputs("</g>\n", p->fp);
}

static void
data_attr(FILE *fp, const char *name, const double *v, size_t n)
{
	char num[64];

	fprintf(fp, " %s=\"", name);
	for (size_t i = 0; i < n; i++) {
		format_f64(num, sizeof num, v[i]);
		fprintf(fp, "%s%s", i ? " " : "", num);
	}
	fputc('"', fp);
}

void
svg_polyline(const struct svg_plot *p, const double *x, const double *y, size_t n, int steps,
             const char *color, const char *dash, const char *attrs)
{
	double last_y = NAN;
	int first = 1;

	fprintf(p->fp, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"", color);
	if (dash != NULL)
		fprintf(p->fp, " stroke-dasharray=\"%s\"", dash);
	if (attrs != NULL)
		fprintf(p->fp, " %s", attrs);
	data_attr(p->fp, "data-x", x, n);
	data_attr(p->fp, "data-y", y, n);
	fputs(" points=\"", p->fp);
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i]))
			continue;
		if (steps && !first)
			fprintf(p->fp, " %.2f,%.2f", svg_x(p, x[i]), svg_y(p, last_y));
		fprintf(p->fp, "%s%.2f,%.2f", first ? "" : " ", svg_x(p, x[i]), svg_y(p, y[i]));
		last_y = y[i];
		first = 0;
	}
	fputs("\"/>\n", p->fp);
}

void
svg_line(const struct svg_plot *p, double x1, double y1, double x2, double y2, const char *color,
         double width, const char *dash)
{
	fprintf(p->fp,
	        "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
	        "stroke-width=\"%g\"",
	        svg_x(p, x1), svg_y(p, y1), svg_x(p, x2), svg_y(p, y2), color, width);
	if (dash != NULL)
		fprintf(p->fp, " stroke-dasharray=\"%s\"", dash);
	fputs("/>\n", p->fp);
}

void
svg_dot(const struct svg_plot *p, double x, double y, double r, const char *fill, const char *title)
{
	fprintf(p->fp, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%g\" fill=\"%s\"", svg_x(p, x),
	        svg_y(p, y), r, fill);
	if (title == NULL) {
		fputs("/>\n", p->fp);
		return;
	}
	fputs("><title>", p->fp);
	svg_escape(p->fp, title);
	fputs("</title></circle>\n", p->fp);
}

void
svg_rect(const struct svg_plot *p, double x1, double y1, double x2, double y2, const char *fill)
{
	double px = fmin(svg_x(p, x1), svg_x(p, x2)), py = fmin(svg_y(p, y1), svg_y(p, y2));

	fprintf(p->fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
	        px, py, fabs(svg_x(p, x2) - svg_x(p, x1)), fabs(svg_y(p, y2) - svg_y(p, y1)), fill);
}

void
svg_text(const struct svg_plot *p, double px, double py, const char *anchor, double size,
         const char *text)
{
	fprintf(p->fp,
	        "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" font-size=\"%g\" " FONT
	        " fill=\"#222\">",
	        px, py, anchor, size);
	svg_escape(p->fp, text);
	fputs("</text>\n", p->fp);
}

double
svg_legend_height(size_t n)
{
	return 8 + 18 * (double)n;
}

void
svg_legend(const struct svg_plot *p, size_t n, const char *const *names, const char *const *colors,
           const char *const *dashes, const char *corner)
{
	double longest = 0, w, h = svg_legend_height(n), x, y;

	for (size_t i = 0; i < n; i++)
		longest = fmax(longest, (double)strlen(names[i]));
	w = 40 + longest * 6.6; /* 12px sans-serif: about 6.6px a character */
	if (corner[0] == 'b') {
		x = p->left;
		y = p->height - h - 4;
	} else {
		x = corner[1] == 'l' ? p->left + 8 : p->width - p->right - w - 8;
		y = corner[0] == 'u' ? p->top + 8 : p->height - p->bottom - h - 8;
	}
	fprintf(p->fp,
	        "<g class=\"legend\"><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
	        "fill=\"#fff\" fill-opacity=\"0.9\" stroke=\"#999\"/>\n",
	        x, y, w, h);
	for (size_t i = 0; i < n; i++) {
		double ly = y + 15 + 18 * (double)i;

		fprintf(p->fp,
		        "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
		        "stroke-width=\"2.5\"",
		        x + 6, ly - 4, x + 30, ly - 4, colors[i]);
		if (dashes != NULL && dashes[i] != NULL)
			fprintf(p->fp, " stroke-dasharray=\"%s\"", dashes[i]);
		fputs("/>\n", p->fp);
		svg_text(p, x + 36, ly, "start", 12, names[i]);
	}
	fputs("</g>\n", p->fp);
}

/* The range of the finite points of every strip: 0, or -1 when there is none. */
static int
strip_range(const struct svg_strip *strips, size_t n, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < strips[i].npoints; k++)
			if (isfinite(strips[i].points[k])) {
				*lo = fmin(*lo, strips[i].points[k]);
				*hi = fmax(*hi, strips[i].points[k]);
			}
	if (!isfinite(*lo))
		return -1;
	if (*hi - *lo < 1e-6) {
		*lo -= 0.01;
		*hi += 0.01;
	}
	return 0;
}

static void
strip_draw(const struct svg_plot *p, const struct svg_strip *s, size_t i, double half,
           const struct svg_strip_style *st)
{
	int marked = (long)i == st->highlight;
	const char *color = marked ? st->hcolor : st->color;
	double x = (double)i + 1, lo = INFINITY, hi = -INFINITY;
	char tip[768];

	for (size_t k = 0; k < s->npoints; k++)
		if (isfinite(s->points[k])) {
			lo = fmin(lo, s->points[k]);
			hi = fmax(hi, s->points[k]);
		}
	if (isnan(s->mean) || !isfinite(lo)) {
		svg_text(p, svg_x(p, x), svg_y(p, p->ymin) - 4, "middle", 12, "\u00d7");
		return;
	}
	svg_line(p, x, lo, x, hi, color, marked ? 2 : 1, NULL);
	for (size_t k = 0; k < s->npoints; k++) {
		if (!isfinite(s->points[k]))
			continue;
		snprintf(tip, sizeof tip, "#%zu %s %zu: %.4f (%s)", i + 1, st->point_name, k + 1,
		         s->points[k], s->tip);
		svg_dot(p, x, s->points[k], 2.5, color, tip);
	}
	svg_line(p, x - half, s->mean, x + half, s->mean, marked ? st->hcolor : "#222", 2.5, NULL);
	if (marked)
		svg_text(p, svg_x(p, x), svg_y(p, hi) - 10, "middle", 12, st->mark);
}

int
svg_strip_chart(FILE *fp, double width, double height, const char *title,
                const struct svg_strip *strips, size_t n, const struct svg_strip_style *st)
{
	struct svg_plot p = {fp, width, height, 60, 16, 30, 44, 0.5, (double)n + 0.5, 0, 1};
	double lo, hi, half;

	if (strip_range(strips, n, &lo, &hi) < 0)
		return -1;
	p.ymin = lo - (hi - lo) * 0.08;
	p.ymax = hi + (hi - lo) * 0.08;
	/* the mean's bar: 0.6 of a group's width, at most 28 px */
	half = fmin(0.3, 14 / ((p.width - p.left - p.right) / (double)n));
	svg_begin(&p, title);
	svg_text(&p, p.width / 2, 18, "middle", 14, title);
	svg_axes(&p, n > 20 ? svg_nice_step((double)n, 20) : 1, svg_nice_step(hi - lo, 6),
	         st->xlabel, st->ylabel);
	for (size_t i = 0; i < n; i++)
		strip_draw(&p, &strips[i], i, half, st);
	svg_end(&p);
	return 0;
}

void
svg_bar_chart(FILE *fp, double width, const char *title, const char *xlabel,
              const char *const *labels, const double *values, size_t n, const char *color)
{
	struct svg_plot p = {fp, width, 0, 200, 50, 34, 44, 0, 1, 0, (double)n};
	double max = 0;
	char label[64];

	for (size_t i = 0; i < n; i++)
		max = fmax(max, values[i]);
	p.height = p.top + p.bottom + 20 * (double)n;
	p.xmax = max > 0 ? max * 1.05 : 1;
	svg_begin(&p, title);
	svg_text(&p, p.width / 2, 18, "middle", 14, title);
	svg_axes(&p, svg_nice_step(p.xmax, 5), 0, xlabel, NULL);
	for (size_t k = 0; k < n; k++) {
		double top = p.ymax - (double)k;

		svg_rect(&p, 0, top - 0.15, values[k], top - 0.85, color);
		snprintf(label, sizeof label, "%.28s", labels[k]);
		svg_text(&p, p.left - 6, svg_y(&p, top - 0.5) + 4, "end", 12, label);
		snprintf(label, sizeof label, "%.3g", values[k]);
		svg_text(&p, svg_x(&p, values[k]) + 4, svg_y(&p, top - 0.5) + 4, "start", 11,
		         label);
	}
	svg_end(&p);
}
