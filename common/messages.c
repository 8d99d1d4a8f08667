// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include "common/messages.h"

/*
 * The verbosity level is the one piece of process-wide state: it belongs to
 * the command line, not to any filesystem.
 */
static int verbose_level;

static void message_print(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message_print("ERROR: ", fmt, ap);
	va_end(ap);
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message_print("WARNING: ", fmt, ap);
	va_end(ap);
}

void pr_verbose(const char *fmt, ...)
{
	va_list ap;

	if (verbose_level <= 0)
		return;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
}

void messages_set_verbose(int level)
{
	verbose_level = level;
}

int messages_verbose(void)
{
	return verbose_level;
}
