/*
 * svg.h: inline SVG charts for HTML reports — a plotting area mapped from data coordinates,
 * axes with grid, ticks and labels, polylines that carry their data, points, bars, text and
 * a legend. Everything is written to the plot's stream as it is drawn.
 */
#ifndef PIPEML_SVG_H
#define PIPEML_SVG_H

#include <stddef.h>
#include <stdio.h>

/* Set every field, then svg_begin. Sizes in px; the plotting area is inside the margins. */
struct svg_plot {
	FILE *fp;
	double width, height;
	double left, right, top, bottom; /* margins */
	double xmin, xmax, ymin, ymax;   /* the data range of the plotting area */
};

/*
 * s as HTML/SVG text or attribute value: & < > " ' escaped; each byte of invalid UTF-8 and
 * each control character but tab, CR and LF written as U+FFFD, so the page stays well formed.
 */
void svg_escape(FILE *fp, const char *s);
/* A round tick step (1, 2 or 5 × 10^k) giving about nticks ticks over range. */
double svg_nice_step(double range, int nticks);

/* <svg> with a viewBox, role="img", an aria-label and a <title> of title. */
void svg_begin(const struct svg_plot *p, const char *title);
void svg_end(const struct svg_plot *p);
/* Pixel coordinates of a data point. */
double svg_x(const struct svg_plot *p, double x);
double svg_y(const struct svg_plot *p, double y);

/*
 * The frame, grid lines and tick labels every xstep (ystep) from the first multiple of it
 * in the range (0: none on that axis), and the axis labels: xlabel under the area, ylabel
 * rotated on its left.
 */
void svg_axes(const struct svg_plot *p, double xstep, double ystep, const char *xlabel,
              const char *ylabel);
/*
 * A line through n points of data (non-finite points are skipped), colour color, dash
 * pattern dash (NULL: solid); with steps, as matplotlib's drawstyle "steps-post" (y[i]
 * held until x[i + 1], then the jump). The element carries the points as data-x and
 * data-y (numbers in shortest round-trip form, space-separated) and attrs (NULL or
 * attributes as text).
 */
void svg_polyline(const struct svg_plot *p, const double *x, const double *y, size_t n, int steps,
                  const char *color, const char *dash, const char *attrs);
/* A segment between two data points. */
void svg_line(const struct svg_plot *p, double x1, double y1, double x2, double y2,
              const char *color, double width, const char *dash);
/* A dot of radius r px at a data point, with a tooltip (title, may be NULL). */
void svg_dot(const struct svg_plot *p, double x, double y, double r, const char *fill,
             const char *title);
/* A rectangle between two data corners. */
void svg_rect(const struct svg_plot *p, double x1, double y1, double x2, double y2,
              const char *fill);
/* Text at pixel (px, py); anchor "start", "middle" or "end"; size in px. */
void svg_text(const struct svg_plot *p, double px, double py, const char *anchor, double size,
              const char *text);
/*
 * A legend box of n entries (a line sample in colors[i], dashed when dashes (may be NULL)
 * has dashes[i], then names[i]) in a corner of the area: corner is "ur", "ul", "lr" or
 * "ll" (upper/lower, right/left), or "b": below the axes, at the bottom of the plot,
 * whose bottom margin must leave svg_legend_height(n) for it.
 */
double svg_legend_height(size_t n);
void svg_legend(const struct svg_plot *p, size_t n, const char *const *names,
                const char *const *colors, const char *const *dashes, const char *corner);

/*
 * Charts drawn whole: a strip chart and a horizontal bar chart, each one <svg> of width px
 * with title above it.
 *
 * A strip chart: group i at x = i + 1 shows its points (dots, each with the tooltip
 * "#<i+1> <point_name> <k+1>: <value> (<tip>)"), a line over their range and a bar at its
 * mean; a group whose mean is NaN is drawn as a cross at the bottom. The group highlight
 * (or -1) is drawn in hcolor and labelled mark; the others in color.
 */
struct svg_strip {
	size_t npoints;
	const double *points; /* NaN points are left out */
	double mean;
	const char *tip; /* for the points' tooltips, may be "" */
};

struct svg_strip_style {
	const char *xlabel, *ylabel, *point_name;
	const char *color, *hcolor, *mark;
	long highlight;
};

/* 0, or -1 (nothing drawn) when no group has a finite point. */
int svg_strip_chart(FILE *fp, double width, double height, const char *title,
                    const struct svg_strip *strips, size_t n, const struct svg_strip_style *st);
/*
 * A horizontal bar chart of n bars, top to bottom: labels[i] (cut to 28 characters) on the
 * left, values[i] (>= 0) as a bar of colour color with its value at its end; the x axis
 * labelled xlabel. The height follows n.
 */
void svg_bar_chart(FILE *fp, double width, const char *title, const char *xlabel,
                   const char *const *labels, const double *values, size_t n, const char *color);

#endif
