/* text_wrap.h — word-wrapped paragraphs for the terminal (`vqsim run -v`, `vqsim explain`). */
#ifndef TEXT_WRAP_H
#define TEXT_WRAP_H

#include <stdbool.h>
#include <stdio.h>

/* Print `text` wrapped at `width` columns and end the line. `col` columns of the current line
 * are already used (a label, say); with `space_first` the first word is set off from them by a
 * space. Later lines start with `indent` spaces. Runs of white space (YAML folding) become one
 * space; a word longer than a line is printed whole. */
void text_wrap(FILE *out, const char *text, int width, int col, int indent, bool space_first);

#endif /* TEXT_WRAP_H */
