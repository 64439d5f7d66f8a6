/* text_wrap.c — see text_wrap.h. */
#include "util/text_wrap.h"

#include <ctype.h>

void text_wrap(FILE *out, const char *text, int width, int col, int indent, bool space_first)
{
    bool line_empty = !space_first;
    const char *p = text;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        int len = (int)(p - w);
        if (!line_empty && col + 1 + len > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
            line_empty = true;
        }
        if (!line_empty) {
            fputc(' ', out);
            col++;
        }
        fwrite(w, 1, (size_t)len, out);
        col += len;
        line_empty = false;
    }
    fputc('\n', out);
}
