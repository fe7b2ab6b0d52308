/* sh_fail: how every check of the shadow reports a disagreement (the
 * check's name, the detail). A leaf of its own: the reader (shadow_walk.c)
 * and the model's files report through it without needing shadow.c. */
#include <stdarg.h>
#include <stdio.h>

#include "shadow_model.h"

int sh_fail(struct sh_fail *f, const char *check, const char *fmt, ...)
{
	va_list ap;

	if (!f)
		return -1;
	snprintf(f->check, sizeof(f->check), "%s", check);
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	return -1;
}
