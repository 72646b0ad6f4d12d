/* SPDX-License-Identifier: MIT */
/*
 * mkslot: the host side of the switcher.  Each verb lives in its own file
 * (cmd-*.c); what they share is here.  Every decision that the switcher
 * also makes comes from switcher/ (libswitcher.a), so what mkslot says is
 * what the switcher will do at boot.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "diag.h"
#include "slotimg.h"

/* Exit statuses: 0 done, 1 the input or the work failed, 2 usage. */
enum { EXIT_USAGE = 2 };

/* One verb: its name, a line for `mkslot --help`, and its main. */
struct verb {
        const char *name;
        const char *summary;
        int (*run)(int argc, char **argv);
};

int cmd_image(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_disk(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);

/* util.c */

/* The core's diagnostics on stderr: "warning: ..." / "error: ...". */
extern struct sw_diag stderr_diag;

/* Reads a whole file (at most max bytes) with safe_read; NULL with errno
 * set (EFBIG beyond max). The buffer gets one extra NUL byte. */
char *slurp(const char *path, size_t max, size_t *len);
/* slurp() that says "mkslot: cannot read PATH: REASON" on failure. */
char *slurp_or_say(const char *path, size_t max, size_t *len);

/* A JSON string literal for s on f. */
void json_str(FILE *f, const char *s);

struct argp_state;
/*
 * The one CONF argument of check, plan, disk and install, for their argp
 * parsers: on ARGP_KEY_ARG stores arg in *conf, on ARGP_KEY_END insists
 * there was one (argp_error otherwise).  Other keys are left alone.
 */
void conf_arg(int key, char *arg, struct argp_state *state, const char **conf);

/*
 * Parses CONF (path) into c.  With esp_root (a directory standing for the
 * root of the EFI system partition), also does what the switcher does with
 * the files: drops slots whose files are missing, and loads, verifies and
 * applies every slot image (sw_slotimg_for_slot).  Returns 0, or -1 when
 * CONF cannot be read (said).
 */
int load_config(const char *path, const char *esp_root, struct sw_config *c, struct sw_diag *d);

/* ESP_ROOT + PATH (PATH starts with '/'), allocated. */
char *esp_file(const char *esp_root, const char *path);

/*
 * Runs argv[0] from PATH with the rest as arguments, stdin from /dev/null,
 * stdout and stderr into log (appended; NULL: inherited).  Returns the exit
 * status, or -1 if it could not be started or died of a signal (said).
 */
int run_tool(const char *const argv[], const char *log);
/* Prints the last lines of log to stderr, indented. */
void show_log(const char *log);

/* Copies src into the open fd at offset; regular-file targets get holes
 * for all-zero MiB chunks.  Returns 0 or -1 with errno. */
int copy_into(const char *src, int fd, uint64_t offset, bool sparse);
/* Copies a file; mode 0644; via DEST.tmp + rename. 0 or -1 (said). */
int install_file(const char *src, const char *dest);
/* mkdir -p. 0 or -1 (said). */
int make_dirs(const char *path);
/* Rename tmp to out; without force, refuse when out exists (link+unlink, so
 * the check and the rename are one step).  0 or -1 (said, tmp removed). */
int commit_output(const char *tmp, const char *out, bool force);

