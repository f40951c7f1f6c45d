// SPDX-License-Identifier: GPL-2.0
/*
 * pagemove - turn pagemove event logs into tables, A/B comparisons, plots
 * and timelines.  The command line; the work is in analysis.c.
 * Exit status: 0 success, 1 runtime or data error (a damaged log: the
 * message names the file offset), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis.h"

extern char **environ;

/* Open and read @path into @m; 0, or -1 with the reason printed. */
static int load(const char *path, struct model *m)
{
	char err[PM_ERR_LEN];
	struct pm_log_reader *r = pm_log_open(path, err);
	int rc;

	if (!r) {
		fprintf(stderr, "pagemove: %s\n", err);
		return -1;
	}
	rc = pm_model_load(r, path, m, stderr);
	pm_log_free(r);
	return rc;
}

/* Open @out for writing ("-": stdout); NULL with the reason printed. */
static FILE *create(const char *out)
{
	FILE *f = strcmp(out, "-") ? fopen(out, "w") : stdout;

	if (!f)
		fprintf(stderr, "pagemove: cannot create %s: %s\n", out, strerror(errno));
	return f;
}

/* Close what create() opened; 0, or 1 with the reason printed. */
static int finish(FILE *f, const char *out)
{
	if (ferror(f) | (f == stdout ? fflush(f) : fclose(f))) {
		fprintf(stderr, "pagemove: cannot write %s: %s\n", out, strerror(errno));
		return 1;
	}
	return 0;
}

static int timeline(const char *path, const char *out, enum fmt fmt)
{
	char err[PM_ERR_LEN];
	struct pm_log_reader *r = pm_log_open(path, err);
	uint64_t n = 0;
	FILE *f;
	int rc, bad;

	if (!r) {
		fprintf(stderr, "pagemove: %s\n", err);
		return 1;
	}
	f = create(out);
	if (!f) {
		pm_log_free(r);
		return 1;
	}
	rc = pm_timeline(r, path, f, fmt, stderr, &n);
	pm_log_free(r);
	bad = finish(f, out);
	if (rc || bad)
		return 1;
	fprintf(stderr, "pagemove: %llu slices and spans written to %s%s\n", (unsigned long long)n,
		out, fmt == FMT_CSV ? "" : " (load it in ui.perfetto.dev)");
	return 0;
}

/* Text of a memory stream, or NULL. */
static char *render(int (*fn)(const struct model *, FILE *, const char *), const struct model *m,
		    const char *arg, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fn(m, f, arg);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int datafile_fn(const struct model *m, FILE *f, const char *unused)
{
	(void)unused;
	return pm_plot_datafile(m, f);
}

/*
 * gnuplot, run without a shell on a script that passed the whitelist
 * (pm_plot_script_check), its SVG on stdout going to @out.
 */
static int run_gnuplot(const char *script, const char *out)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "gnuplot", NULL };
	int in[2], ofd = STDOUT_FILENO, st, rc;
	size_t len = strlen(script), off = 0;
	pid_t pid;

	if (strcmp(out, "-")) {
		ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (ofd < 0) {
			fprintf(stderr, "pagemove: cannot create %s: %s\n", out, strerror(errno));
			return 1;
		}
	}
	if (pipe2(in, O_CLOEXEC)) {
		fprintf(stderr, "pagemove: pipe: %s\n", strerror(errno));
		return 1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, ofd, STDOUT_FILENO);
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	if (ofd != STDOUT_FILENO)
		close(ofd);
	if (rc) {
		close(in[1]);
		fprintf(stderr, "pagemove: cannot run gnuplot: %s\n", strerror(rc));
		return 1;
	}
	while (off < len) {
		ssize_t n = write(in[1], script + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(in[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (off < len || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "pagemove: gnuplot failed (status %d)\n", st);
		return 1;
	}
	return 0;
}

/*
 * Per stage, its latency CDF and its histogram (log2 buckets, as in the
 * report), drawn by gnuplot as SVG; or, with --json/--csv, the CDF points.
 */
static int plot(const struct model *m, const char *out, enum fmt fmt)
{
	char data[] = "/tmp/pagemove-plot.XXXXXX";
	char *text = NULL, *script = NULL;
	const char *why;
	size_t len = 0;
	int fd, rc = 1;
	FILE *f;

	if (!pm_plot_count(m)) {
		fprintf(stderr, "pagemove: %s has no stage to plot\n", m->path);
		return 1;
	}
	if (fmt != FMT_TEXT) {
		f = create(out);
		return f ? pm_plot_data(m, f, fmt) | finish(f, out) : 1;
	}
	text = render(datafile_fn, m, NULL, &len);
	script = NULL;
	fd = mkstemp(data);
	if (!text || fd < 0) {
		fprintf(stderr, "pagemove: cannot create a temporary file: %s\n", strerror(errno));
		goto out;
	}
	script = render(pm_plot_script, m, data, &len);
	if (!script)
		goto out;
	/* What goes to gnuplot is checked, whatever the code above did. */
	why = pm_plot_data_check(text);
	if (!why)
		why = pm_plot_script_check(script, data);
	if (why) {
		fprintf(stderr, "pagemove: refusing to run gnuplot: %s\n", why);
		goto out;
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd)) {
		fprintf(stderr, "pagemove: cannot write %s: %s\n", data, strerror(errno));
		goto out;
	}
	rc = run_gnuplot(script, out);
	if (!rc)
		fprintf(stderr, "pagemove: wrote %s\n", out);
out:
	if (fd >= 0) {
		close(fd);
		unlink(data);
	}
	free(text);
	free(script);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pagemove report [--json|--csv] FILE\n"
		"       pagemove diff [--json|--csv] BASE NEW\n"
		"       pagemove timeline [--json|--csv] FILE -o OUT\n"
		"       pagemove plot [--json|--csv] FILE -o OUT\n"
		"\n"
		"Reads event logs written by the pagemove tracers (-w FILE; - is stdin),\n"
		"versions 2 and 3; everything shown comes from what the log declares.\n"
		"  report    per-stage table (count, mean, p50, p90, p99, p99.9, max, share),\n"
		"            other histograms and counters with their units, each declared\n"
		"            event/span kind by field, log2 charts; lost and skipped records\n"
		"  diff      stages side by side: median ratio with a bootstrap 95%% interval\n"
		"  timeline  slices, spans and events: Chrome/Perfetto trace-event JSON\n"
		"            (default), or --csv, one row per slice or span\n"
		"  plot      per stage, latency histogram and CDF as SVG (gnuplot), or\n"
		"            --json/--csv: the CDF points\n"
		"  -o OUT    output file of timeline and plot; - is stdout\n"
		"\n"
		"exit status: 0 success, 1 runtime or data error (a damaged or inconsistent\n"
		"log is refused with its file offset), 2 usage\n"
		"\n"
		"examples:\n"
		"  migratevma -w mv.log -- hmmbench -s 64 && pagemove report mv.log\n"
		"  pagemove diff stock.log patched.log\n"
		"  pagemove report --json mv.log | jq '.stages[] | {name, p99_ns}'\n"
		"  pagemove timeline mv.log -o mv.json   # open in ui.perfetto.dev\n"
		"  pagemove plot mv.log -o mv.svg\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct model *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	enum fmt fmt = FMT_TEXT;
	const char *cmd, *out = NULL;
	int c, rc;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "jco:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			fmt = FMT_JSON;
			break;
		case 'c':
			fmt = FMT_CSV;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (!a || !b) {
		fprintf(stderr, "pagemove: out of memory\n");
		return 1;
	}
	if (!strcmp(cmd, "report") && argc == 1) {
		rc = load(argv[0], a) ? 1 : pm_report(a, stdout, fmt);
		rc |= finish(stdout, "stdout");
	} else if (!strcmp(cmd, "diff") && argc == 2) {
		rc = load(argv[0], a) || load(argv[1], b) ? 1 : pm_diff(a, b, stdout, fmt, stderr);
		rc |= finish(stdout, "stdout");
	} else if (!strcmp(cmd, "timeline") && argc == 1 && out) {
		rc = timeline(argv[0], out, fmt);
	} else if (!strcmp(cmd, "plot") && argc == 1 && out) {
		rc = load(argv[0], a) ? 1 : plot(a, out, fmt);
	} else {
		fprintf(stderr, "pagemove: bad command line for '%s'\n", cmd);
		usage(stderr);
		rc = 2;
	}
	pm_model_free(a);
	pm_model_free(b);
	free(a);
	free(b);
	return rc;
}
