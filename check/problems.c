// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reporting: the problem table turned into text lines on stderr or JSON
 * objects on stdout.  Reports of a later phase than the one whose line was
 * printed wait in a queue, so that output reads in phase order even though
 * one walk of the trees finds problems of several phases.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "check/problems.h"

static const struct problem_desc problem_table[PR_NR] = {
#define PR_DESC(e, pid, sev, ph, t) [e] = { .id = pid, .severity = sev, \
					     .phase = ph, .tmpl = t },
	CHECK_PROBLEMS(PR_DESC)
#undef PR_DESC
};

static const char *const severity_names[SEV_NR] = {
	[SEV_INFO] = "info",
	[SEV_WARNING] = "warning",
	[SEV_ERROR] = "error",
};

static const char *const severity_prefix[SEV_NR] = {
	[SEV_INFO] = "INFO: ",
	[SEV_WARNING] = "WARNING: ",
	[SEV_ERROR] = "ERROR: ",
};

struct problem_pending {
	enum problem_id id;
	struct problem_ctx ctx;
};

enum field_kind { F_U64, F_HEX, F_INT, F_STR, F_KEY };

struct field_desc {
	const char *name;
	enum field_kind kind;
	size_t off;
};

#define FIELD(n, k) { #n, k, offsetof(struct problem_ctx, n) }

static const struct field_desc fields[] = {
	FIELD(bytenr, F_U64), FIELD(len, F_U64), FIELD(root, F_U64),
	FIELD(ino, F_U64), FIELD(offset, F_U64), FIELD(parent, F_U64),
	FIELD(owner, F_U64), FIELD(devid, F_U64), FIELD(physical, F_U64),
	FIELD(have, F_U64), FIELD(want, F_U64), FIELD(count, F_U64),
	FIELD(flags, F_HEX), FIELD(chunk_flags, F_HEX), FIELD(level, F_INT),
	FIELD(index, F_INT), FIELD(mirror, F_INT), FIELD(key, F_KEY),
	FIELD(dev, F_STR), FIELD(str, F_STR),
};

const struct problem_desc *problem_desc(enum problem_id id)
{
	if ((unsigned int)id >= PR_NR)
		return NULL;
	return &problem_table[id];
}

void problem_log_init(struct problem_log *log, bool json)
{
	memset(log, 0, sizeof(*log));
	log->json = json;
	log->max_per_id = 100;
}

static void pending_free_strings(struct problem_pending *p)
{
	free((char *)p->ctx.dev);
	free((char *)p->ctx.str);
}

void problem_log_free(struct problem_log *log)
{
	size_t i;

	for (i = 0; i < log->nr_queued; i++)
		pending_free_strings(&log->queue[i]);
	free(log->queue);
	log->queue = NULL;
	log->nr_queued = log->alloc_queued = 0;
}

/* Finds the field named by the placeholder [name, name + len). */
static const struct field_desc *field_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strlen(fields[i].name) == len &&
		    !strncmp(fields[i].name, name, len))
			return &fields[i];
	return NULL;
}

/* Formats one field's value as text. */
static void field_format(const struct field_desc *f,
			 const struct problem_ctx *pctx, char *buf, size_t len)
{
	const char *base = (const char *)pctx + f->off;
	const struct btrfs_key *key = (const struct btrfs_key *)base;
	const char *s;

	switch (f->kind) {
	case F_U64:
		snprintf(buf, len, "%llu", *(const unsigned long long *)base);
		break;
	case F_HEX:
		snprintf(buf, len, "0x%llx", *(const unsigned long long *)base);
		break;
	case F_INT:
		snprintf(buf, len, "%d", *(const int *)base);
		break;
	case F_KEY:
		snprintf(buf, len, "(%llu %u %llu)",
			 (unsigned long long)key->objectid, key->type,
			 (unsigned long long)key->offset);
		break;
	case F_STR:
		s = *(const char *const *)base;
		snprintf(buf, len, "%s", s ? s : "");
		break;
	}
}

/* Fills the template in; unknown placeholders are copied as they are. */
static void message_expand(const char *tmpl, const struct problem_ctx *pctx,
			   char *out, size_t out_len)
{
	size_t n = 0;
	char val[512];

	while (*tmpl && n + 1 < out_len) {
		const char *end = *tmpl == '{' ? strchr(tmpl, '}') : NULL;
		const struct field_desc *f = end ? field_find(tmpl + 1,
						(size_t)(end - tmpl - 1)) : NULL;
		size_t vlen;

		if (!f) {
			out[n++] = *tmpl++;
			continue;
		}
		field_format(f, pctx, val, sizeof(val));
		vlen = strlen(val);
		if (vlen > out_len - 1 - n)
			vlen = out_len - 1 - n;
		memcpy(out + n, val, vlen);
		n += vlen;
		tmpl = end + 1;
	}
	out[n] = '\0';
}

void json_print_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_field(FILE *out, const struct field_desc *f,
		       const struct problem_ctx *pctx)
{
	const char *base = (const char *)pctx + f->off;
	const struct btrfs_key *key = (const struct btrfs_key *)base;

	fprintf(out, ",\"%s\":", f->name);
	switch (f->kind) {
	case F_U64:
	case F_HEX:
		fprintf(out, "%llu", *(const unsigned long long *)base);
		break;
	case F_INT:
		fprintf(out, "%d", *(const int *)base);
		break;
	case F_KEY:
		fprintf(out, "{\"objectid\":%llu,\"type\":%u,\"offset\":%llu}",
			(unsigned long long)key->objectid, key->type,
			(unsigned long long)key->offset);
		break;
	case F_STR:
		json_print_string(out, *(const char *const *)base);
		break;
	}
}

/* Emits every field the template names, each once, in template order. */
static void json_fields(FILE *out, const char *tmpl,
			const struct problem_ctx *pctx)
{
	const struct field_desc *seen[sizeof(fields) / sizeof(fields[0])];
	size_t nseen = 0, i;
	const char *p = tmpl;

	while ((p = strchr(p, '{')) != NULL) {
		const char *end = strchr(p, '}');
		const struct field_desc *f;

		if (!end)
			break;
		f = field_find(p + 1, (size_t)(end - p - 1));
		p = end + 1;
		if (!f)
			continue;
		for (i = 0; i < nseen && seen[i] != f; i++)
			;
		if (i < nseen)
			continue;
		seen[nseen++] = f;
		json_field(out, f, pctx);
	}
}

static void problem_print(const struct problem_log *log, enum problem_id id,
			  const struct problem_ctx *pctx)
{
	const struct problem_desc *d = &problem_table[id];
	char msg[2048];

	if (log->quiet)
		return;
	message_expand(d->tmpl, pctx, msg, sizeof(msg));
	if (!log->json) {
		fflush(stdout);
		fprintf(stderr, "%s%s [%s]\n", severity_prefix[d->severity],
			msg, d->id);
		return;
	}
	printf("{\"type\":\"problem\",\"id\":\"%s\",\"severity\":\"%s\",\"phase\":%d,\"message\":",
	       d->id, severity_names[d->severity], (int)d->phase);
	json_print_string(stdout, msg);
	json_fields(stdout, d->tmpl, pctx);
	printf("}\n");
}

static char *str_copy(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Keeps a report for later; when memory runs out it is printed now. */
static void problem_queue(struct problem_log *log, enum problem_id id,
			  const struct problem_ctx *pctx)
{
	struct problem_pending *p;

	if (log->nr_queued == log->alloc_queued) {
		size_t n = log->alloc_queued ? log->alloc_queued * 2 : 64;
		struct problem_pending *q = realloc(log->queue, n * sizeof(*q));

		if (!q) {
			problem_print(log, id, pctx);
			return;
		}
		log->queue = q;
		log->alloc_queued = n;
	}
	p = &log->queue[log->nr_queued++];
	p->id = id;
	p->ctx = *pctx;
	p->ctx.dev = str_copy(pctx->dev);
	p->ctx.str = str_copy(pctx->str);
}

void problem_report(struct problem_log *log, enum problem_id id,
		    const struct problem_ctx *pctx)
{
	const struct problem_desc *d = problem_desc(id);

	if (!d)
		return;
	log->counts[id]++;
	log->by_severity[d->severity]++;
	if (log->counts[id] > log->max_per_id)
		return;
	if (d->phase <= log->phase)
		problem_print(log, id, pctx);
	else
		problem_queue(log, id, pctx);
}

/* Prints the queued reports of phases up to 'upto', keeping the rest. */
static void queue_flush(struct problem_log *log, enum check_phase upto)
{
	size_t i, kept = 0;

	for (i = 0; i < log->nr_queued; i++) {
		struct problem_pending *p = &log->queue[i];

		if (problem_table[p->id].phase > upto) {
			log->queue[kept++] = *p;
			continue;
		}
		problem_print(log, p->id, &p->ctx);
		pending_free_strings(p);
	}
	log->nr_queued = kept;
}

void problem_phase_begin(struct problem_log *log, enum check_phase phase)
{
	log->phase = phase;
	queue_flush(log, phase);
}

void problem_log_flush(struct problem_log *log)
{
	int id;

	queue_flush(log, PH_QUOTA);
	if (log->json || log->quiet)
		return;
	for (id = 0; id < PR_NR; id++) {
		if (log->counts[id] <= log->max_per_id)
			continue;
		fprintf(stderr, "NOTE: %llu more problems of kind [%s] not shown\n",
			(unsigned long long)(log->counts[id] - log->max_per_id),
			problem_table[id].id);
	}
}

void problem_json_counts(const struct problem_log *log, FILE *out)
{
	bool first = true;
	int id;

	fprintf(out, "\"errors\":%llu,\"warnings\":%llu,\"infos\":%llu,\"problems\":{",
		(unsigned long long)log->by_severity[SEV_ERROR],
		(unsigned long long)log->by_severity[SEV_WARNING],
		(unsigned long long)log->by_severity[SEV_INFO]);
	for (id = 0; id < PR_NR; id++) {
		if (!log->counts[id])
			continue;
		fprintf(out, "%s\"%s\":%llu", first ? "" : ",",
			problem_table[id].id,
			(unsigned long long)log->counts[id]);
		first = false;
	}
	fputc('}', out);
}
