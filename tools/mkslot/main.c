/* SPDX-License-Identifier: MIT */
/*
 * mkslot: puts the switcher and slots onto disks and machines, and checks
 * them on the host with the switcher's own code.  Verbs in bootctl's style:
 * `mkslot VERB [OPTIONS] ARGS`, each with --help, --json where the output
 * is data, exit 0 on success and 1 (or 2 for usage) with a message.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argp.h>
#include <progname.h>

#include "mkslot.h"

static const struct verb verbs[] = {
        { "image", "pack a kernel, initrds and a command line into a verified slot image", cmd_image },
        { "inspect", "show what a slot image holds and whether its hashes verify", cmd_inspect },
        { "check", "check partitions.conf as the switcher will at boot", cmd_check },
        { "plan", "print the memory plan the switcher would make on a machine", cmd_plan },
        { "disk", "write a bootable GPT disk image: ESP, switcher, config, slots, partitions", cmd_disk },
        { "install", "install the switcher and slots into a mounted EFI system partition", cmd_install },
        { "snapshot", "inspect, save or restore a slot's snapshot (its RAM and partition)", cmd_snapshot },
};

static void usage(FILE *f)
{
        fprintf(f, "Usage: %s VERB [OPTION...] [ARG...]\n\nVerbs:\n", program_name);
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
        fprintf(f, "\n`%s VERB --help` describes a verb, e.g. check --esp DIR and plan --memmap FILE.\n"
                   "Exit status: 0 on success, 1 when the input is bad or the work failed, 2 on usage errors.\n",
                program_name);
}

int main(int argc, char **argv)
{
        const char *slash = strrchr(argv[0], '/');
        static char name[64];

        /* Messages start with "mkslot:", however it was invoked. */
        set_program_name(slash ? slash + 1 : argv[0]);
        argp_err_exit_status = EXIT_USAGE;
        if (argc < 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
                usage(stdout);
                return 0;
        }
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
                if (strcmp(argv[1], verbs[i].name) != 0)
                        continue;
                /* argp names the verb in its usage and errors: "mkslot check: ...". */
                snprintf(name, sizeof(name), "%s %s", program_name, verbs[i].name);
                argv[1] = name;
                return verbs[i].run(argc - 1, argv + 1);
        }
        fprintf(stderr, "%s: unknown command '%s' (try --help)\n", program_name, argv[1]);
        return EXIT_USAGE;
}
