/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The JSON emitter of every --json output (analysis/, tools/): strings;
 * numbers and punctuation are printed by the callers.
 */
#ifndef PAGEMOVE_JSON_H
#define PAGEMOVE_JSON_H

#include <stddef.h>
#include <stdio.h>

/*
 * @s as a JSON string: quotes, backslashes and control characters escaped,
 * valid UTF-8 kept, any other byte replaced by U+FFFD.
 */
void pm_json_str(FILE *f, const char *s);
/* Bytes in the valid UTF-8 sequence (RFC 3629) at @p, 0 if it is not one. */
int pm_utf8_len(const unsigned char *p);

#endif /* PAGEMOVE_JSON_H */
