/*
 * args.c -- small helpers every SQL-callable trainer and reader shares:
 * NULL checks of arguments, and the cancel poll handed to the threaded cores.
 */
#include "mktdb.h"

#include "miscadmin.h"
#include "utils/builtins.h"

void
mk_arg_notnull(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

char *
mk_arg_text(FunctionCallInfo fcinfo, int n, const char *name)
{
	mk_arg_notnull(fcinfo, n, name);
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

int
mk_cancel_poll(void *arg)
{
	/*
	 * Only looks at the two requests that end the query (the flags are set by
	 * signal handlers); the error itself is raised on the backend's thread by
	 * CHECK_FOR_INTERRUPTS once the workers have stopped.
	 */
	return (QueryCancelPending || ProcDiePending) ? 1 : 0;
}
