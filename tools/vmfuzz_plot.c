/* vmfuzz plot: coverage and exec/s of a fuzzing job over time, as SVG.
 *
 * Reads either the JSON-lines stats file a job writes
 * (tools/fuzz-job.sh: one {"time":..,"execs":..,"execs_per_sec":..,
 * "edges":..,"features":..,"corpus":..,"crashes":..,"crash_groups":..}
 * per interval) or AFL++'s plot_data (a "# relative_time, ..." header
 * naming comma-separated columns). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmfuzz.h"

#define MAX_POINTS 100000
#define STATS_MAX (64u << 20)

struct series {
	double *t, *cov, *eps;
	size_t n;
	const char *cov_name;
};

/* A number after "key": in a JSON object line; false if absent. */
static bool json_num(const char *line, const char *key, double *v)
{
	char pat[48];
	const char *p;
	char *end;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p != ':')
		return false;
	p++;
	errno = 0;
	*v = strtod(p, &end);
	return end != p && !errno && isfinite(*v);
}

static bool add_point(struct series *s, double t, double cov, double eps)
{
	if (s->n == MAX_POINTS)
		return false;
	s->t[s->n] = t;
	s->cov[s->n] = cov;
	s->eps[s->n] = eps;
	s->n++;
	return true;
}

static void parse_json(char *text, struct series *s)
{
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		double t, cov, eps;

		if (!json_num(line, "time", &t) ||
		    !json_num(line, "execs_per_sec", &eps))
			continue;
		if (!json_num(line, "edges", &cov))
			continue;
		if (!add_point(s, t, cov, eps))
			break;
	}
	s->cov_name = "edges";
}

/* Column index of name in a "# a, b, c" header; -1 if absent. */
static int column(const char *header, const char *name)
{
	const char *p = header;
	int col = 0;

	while (*p == '#' || *p == ' ')
		p++;
	while (*p) {
		size_t n = strcspn(p, ",\n");
		const char *w = p;

		while (*w == ' ')
			w++, n--;
		while (n && w[n - 1] == ' ')
			n--;
		if (n == strlen(name) && memcmp(w, name, n) == 0)
			return col;
		p += strcspn(p, ",\n");
		if (*p != ',')
			break;
		p++;
		col++;
	}
	return -1;
}

static bool field_num(const char *line, int col, double *v)
{
	const char *p = line;
	char *end;

	for (int i = 0; i < col; i++) {
		p = strchr(p, ',');
		if (!p)
			return false;
		p++;
	}
	errno = 0;
	*v = strtod(p, &end);
	return end != p && !errno && isfinite(*v);
}

static int parse_afl(char *text, struct series *s)
{
	char *header = text, *body = strchr(text, '\n');
	int ct, cc, ce;
	bool rel;
	double t0 = 0;

	if (!body)
		return -1;
	*body++ = 0;
	rel = column(header, "relative_time") >= 0;
	ct = rel ? column(header, "relative_time") : column(header, "unix_time");
	cc = column(header, "edges_found");
	s->cov_name = "edges";
	if (cc < 0) {
		cc = column(header, "map_size");
		s->cov_name = "map %";
	}
	ce = column(header, "execs_per_sec");
	if (ct < 0 || cc < 0 || ce < 0)
		return -1;
	for (char *line = strtok(body, "\n"); line; line = strtok(NULL, "\n")) {
		double t, cov, eps;

		if (line[0] == '#' || !field_num(line, ct, &t) ||
		    !field_num(line, cc, &cov) || !field_num(line, ce, &eps))
			continue;
		if (!rel && !s->n)
			t0 = t;
		if (!add_point(s, t - t0, cov, eps))
			break;
	}
	return 0;
}

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
				fputc(*s, f);
			else
				fputc('?', f);
		}
	}
}

static double max_of(const double *v, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/* One panel: y over t, at vertical offset y0. */
static void panel(FILE *f, const struct series *s, const double *y,
		  const char *label, const char *colour, int y0)
{
	const int x0 = 70, w = 620, h = 170;
	double tmax = max_of(s->t, s->n), ymax = max_of(y, s->n);

	if (tmax <= 0)
		tmax = 1;
	if (ymax <= 0)
		ymax = 1;
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		   "fill=\"none\" stroke=\"#888\"/>\n", x0, y0, w, h);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\">", x0, y0 - 6);
	xml_text(f, label);
	fprintf(f, " (max %.0f)</text>\n", ymax);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">"
		   "%.0f</text>\n", x0 - 4, y0 + 10, ymax);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">"
		   "0</text>\n", x0 - 4, y0 + h);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">"
		   "%.0f s</text>\n", x0 + w, y0 + h + 14, tmax);
	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
		   "points=\"", colour);
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%s%.1f,%.1f", i ? " " : "",
			x0 + w * s->t[i] / tmax, y0 + h - h * y[i] / ymax);
	fputs("\"/>\n", f);
}

static int write_svg(const char *path, const struct series *s,
		     const char *title)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char label[64];
	int rc = 0;

	if (!f)
		return -1;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" "
	      "height=\"480\" viewBox=\"0 0 720 480\" font-family=\"sans-serif\">\n"
	      "<title>", f);
	xml_text(f, title);
	fputs("</title>\n<rect width=\"720\" height=\"480\" fill=\"white\"/>\n"
	      "<text x=\"360\" y=\"20\" font-size=\"14\" text-anchor=\"middle\">", f);
	xml_text(f, title);
	fprintf(f, " (%zu points)</text>\n", s->n);
	snprintf(label, sizeof(label), "coverage (%s)", s->cov_name);
	panel(f, s, s->cov, label, "#1f77b4", 50);
	panel(f, s, s->eps, "exec/s", "#d62728", 275);
	fputs("</svg>\n", f);
	if (fclose(f))
		rc = -1;
	if (!rc && vmft_write_file(path, buf, len))
		rc = -1;
	free(buf);
	return rc;
}

int vmft_cmd_plot(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *title = NULL;
	struct series s = {0};
	uint8_t *buf = NULL;
	size_t len;
	bool cut;
	int rc = 2;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--title") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "vmfuzz plot: %s wants a value\n",
					argv[i]);
				return 2;
			}
			if (argv[i][1] == 'o')
				out = argv[++i];
			else
				title = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vmfuzz plot: unknown option %s\n", argv[i]);
			return 2;
		} else if (in) {
			fprintf(stderr, "vmfuzz plot: one STATS file\n");
			return 2;
		} else {
			in = argv[i];
		}
	}
	if (!in || !out) {
		vmft_print_help("plot", stderr);
		return 2;
	}
	if (vmft_read_file(in, STATS_MAX, &buf, &len, &cut)) {
		fprintf(stderr, "vmfuzz plot: %s: %s\n", in, strerror(errno));
		return 2;
	}
	if (cut)
		fprintf(stderr, "vmfuzz plot: %s: only its first %u MiB read\n",
			in, STATS_MAX >> 20);
	s.t = calloc(MAX_POINTS, sizeof(double));
	s.cov = calloc(MAX_POINTS, sizeof(double));
	s.eps = calloc(MAX_POINTS, sizeof(double));
	if (!s.t || !s.cov || !s.eps)
		goto out;
	if (memchr(buf, 0, len)) {
		fprintf(stderr, "vmfuzz plot: %s is not a text file\n", in);
		goto out;
	}
	if (buf[0] == '#') {
		if (parse_afl((char *)buf, &s)) {
			fprintf(stderr, "vmfuzz plot: %s: a '#' header without "
					"time, coverage and execs_per_sec "
					"columns (not AFL++'s plot_data?)\n", in);
			goto out;
		}
	} else {
		parse_json((char *)buf, &s);
	}
	if (!s.n) {
		fprintf(stderr, "vmfuzz plot: %s: no data points (want JSON "
				"lines with time, execs_per_sec and edges, or "
				"AFL++'s plot_data)\n", in);
		goto out;
	}
	if (write_svg(out, &s, title ? title : in)) {
		fprintf(stderr, "vmfuzz plot: %s: %s\n", out, strerror(errno));
		goto out;
	}
	printf("plot: %zu points, %.0f s, coverage up to %.0f %s, exec/s up to "
	       "%.0f: wrote %s\n", s.n, max_of(s.t, s.n), max_of(s.cov, s.n),
	       s.cov_name, max_of(s.eps, s.n), out);
	rc = 0;
out:
	free(s.t);
	free(s.cov);
	free(s.eps);
	free(buf);
	return rc;
}
