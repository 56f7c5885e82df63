/* Translating an input of any length with bounded memory, for the flowseq program: the input is
 * read line by line through a callback and decoded one window of lines at a time
 * (decode/runner.h: fs_runner_decode_stream), so that a file of millions of lines needs the
 * memory of a few thousand. Not part of libflowseq's public interface (include/flowseq.h): the
 * shared library does not export it. */
#ifndef FLOWSEQ_API_STREAM_H
#define FLOWSEQ_API_STREAM_H

#include "core/status.h"
#include "flowseq.h"

/* Supplies the next input line: *line receives it (malloc'd; the translator frees it), or NULL
 * at the end of the input. A failure ends the translation with its status and message. */
typedef fs_status (*fs_translate_next_line)(void *line_ctx, char **line);

/* flowseq_translate_each over the lines next_line supplies: the same options, callback and
 * errors (0, or -1 with flowseq_last_error()), and an input that fits one window (4096 lines and
 * 2 MiB; decode/runner.h) is translated exactly as flowseq_translate_each translates it. Indices
 * count from the input's first line. */
int fs_translate_stream(flowseq_translator *t, fs_translate_next_line next_line, void *line_ctx,
                        const flowseq_options *options, flowseq_result_callback on_result, void *user_data);

#endif
