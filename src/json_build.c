/*
 * json_build.c -- a tiny JSON text builder for model specs and metrics
 * (stored as jsonb through a ::jsonb cast, so the text only has to be valid).
 */
#include "mktdb.h"

#include <math.h>

#include "utils/json.h"

static void
sep(MkJson *j)
{
	if (j->need_comma[j->depth])
		appendStringInfoChar(&j->buf, ',');
	j->need_comma[j->depth] = true;
}

void
mk_json_begin(MkJson *j)
{
	initStringInfo(&j->buf);
	appendStringInfoChar(&j->buf, '{');
	j->depth = 0;
	j->need_comma[0] = false;
}

void
mk_json_key(MkJson *j, const char *key)
{
	sep(j);
	escape_json(&j->buf, key);
	appendStringInfoChar(&j->buf, ':');
	/* the value that follows must not get its own comma */
	j->need_comma[j->depth] = false;
}

static void
value_done(MkJson *j)
{
	j->need_comma[j->depth] = true;
}

void
mk_json_str(MkJson *j, const char *v)
{
	sep(j);
	if (v)
		escape_json(&j->buf, v);
	else
		appendStringInfoString(&j->buf, "null");
	value_done(j);
}

void
mk_json_num(MkJson *j, double v)
{
	sep(j);
	if (isfinite(v))
		appendStringInfo(&j->buf, "%.17g", v);
	else
		appendStringInfoString(&j->buf, "null");
	value_done(j);
}

void
mk_json_int(MkJson *j, int64 v)
{
	sep(j);
	appendStringInfo(&j->buf, INT64_FORMAT, v);
	value_done(j);
}

void
mk_json_bool(MkJson *j, bool v)
{
	sep(j);
	appendStringInfoString(&j->buf, v ? "true" : "false");
	value_done(j);
}

void
mk_json_null(MkJson *j)
{
	sep(j);
	appendStringInfoString(&j->buf, "null");
	value_done(j);
}

void
mk_json_raw(MkJson *j, const char *json)
{
	sep(j);
	appendStringInfoString(&j->buf, json ? json : "null");
	value_done(j);
}

static void
open_nested(MkJson *j, char c)
{
	sep(j);
	appendStringInfoChar(&j->buf, c);
	if (j->depth + 1 >= (int) lengthof(j->need_comma))
		elog(ERROR, "JSON nesting too deep");
	j->depth++;
	j->need_comma[j->depth] = false;
}

static void
close_nested(MkJson *j, char c)
{
	appendStringInfoChar(&j->buf, c);
	j->depth--;
	j->need_comma[j->depth] = true;
}

void
mk_json_obj_open(MkJson *j)
{
	open_nested(j, '{');
}

void
mk_json_obj_close(MkJson *j)
{
	close_nested(j, '}');
}

void
mk_json_arr_open(MkJson *j)
{
	open_nested(j, '[');
}

void
mk_json_arr_close(MkJson *j)
{
	close_nested(j, ']');
}

char *
mk_json_end(MkJson *j)
{
	appendStringInfoChar(&j->buf, '}');
	return j->buf.data;
}
