/*
 * Every limit kqlite applies to input it does not control: query text, rule
 * files, log files and the memory one query may use. Each limit turns a crafted
 * or runaway input into a clear error or a counted skip, never a crash, a hang
 * or a silent loss. Other headers keep a few limits beside the code they guard
 * (rules/rule.h, table/builder.c, sources/load.c). This header names them too.
 */
#ifndef KQ_BASE_LIMITS_H
#define KQ_BASE_LIMITS_H

#include <stdint.h>

#define KQ_STRINGIFY_INNER(x) #x
#define KQ_STRINGIFY(x) KQ_STRINGIFY_INNER(x)

/* ---- query text (kql/parser.c, kql/bind_expr.c, exec/eval.c, exec/value_set.c) ---- */

/* Longest query text accepted (bytes). Real rules are a few KB; 1 MB leaves room for
 * generated queries with long literal lists. */
#define KQ_MAX_QUERY_BYTES (1 << 20)

/* Deepest nesting of parentheses and operators the recursive-descent parser follows.
 * A chain of `and`/`or` terms counts one level per term, because it binds and evaluates as a
 * left-deep tree. Each level costs well under 1 KB of stack in the parser, binder and
 * evaluator, so 1,000 levels stay far below the usual 8 MB stack. A query of 10,000 nested
 * parentheses is rejected with an error instead of overflowing the stack. */
#define KQ_MAX_EXPRESSION_DEPTH 1000

/* Most arguments one function call may take (pack_array and strcat lists in real rules run
 * to a few hundred). */
#define KQ_MAX_CALL_ARGS 1024

/* Most values an in/has_any list may hold after expanding sets (Kusto's has_any limit).
 * NOTE: exec/value_set.c fails a run only when a list passes 10 times this (100,000 values). */
#define KQ_MAX_LIST_VALUES 10000

/* ---- rule files (rules/rule.h keeps the values) ----
 * KQ_RULE_FILE_MAX_BYTES (4 MiB): a stray log file or crafted YAML file in a rule folder costs
 * the YAML parser at most this much input. KQ_RULE_DIR_MAX_DEPTH (32): a rule folder tree is
 * walked at most this deep. KQ_RULE_MAX_REPAIRS (16): re-indentation repairs per file. */

/* ---- log files (sources/csv.c, sources/json.c) ---- */

/*
 * Maximum CSV field size kept (bytes, after unquoting). A record with a longer field is
 * skipped and counted as "field longer than 16 MiB". Kusto's ingestion cuts string values
 * at 1 MB by default. kqlite keeps fields 16 times that long so a long command line or
 * script block still loads whole. The bound stops one crafted cell from making the table
 * builder copy an arbitrarily large string.
 */
#define KQ_MAX_FIELD_BYTES (16u * 1024 * 1024)

/*
 * Maximum record size a reader parses (bytes): one CSV record, or one line of a JSON-lines
 * file. A longer record is skipped and counted. jansson builds a tree several times the
 * size of its input, so a 64 MiB JSON line can already cost hundreds of MB; the bound keeps
 * one line from multiplying memory beyond that. Deep nesting inside a record is bounded
 * separately by jansson (JSON_PARSER_MAX_DEPTH, 2048 levels in jansson 2.14), which reports
 * the line as malformed.
 * NOTE: a JSON array file or a file of concatenated objects is parsed as whole values, so
 * only the file size bounds those.
 */
#define KQ_MAX_RECORD_BYTES (64u * 1024 * 1024)

/* Columns per table: table/builder.c (BUILDER_MAX_COLUMNS, 10,000, Kusto's limit) drops
 * further distinct column names, so a CSV header of 100,000 names builds 10,000 columns. */

/* ---- memory and rows per query (exec/budget.c) ---- */

/*
 * Default --max-memory: this fraction of physical memory (1/2). The loaded tables live
 * outside the budget and usually take comparable memory, so half leaves room for them
 * and for the output. When the size of physical memory cannot be read,
 * KQ_DEFAULT_MAX_MEMORY_FALLBACK applies.
 */
#define KQ_DEFAULT_MAX_MEMORY_DIVISOR 2
#define KQ_DEFAULT_MAX_MEMORY_FALLBACK (UINT64_C(2) * 1024 * 1024 * 1024)

/*
 * Maximum rows one operator may hold at once: summarize groups, sort rows, the right side of a
 * join, the output of one mv-apply slice. summarize numbers groups in 32-bit hash slots, join
 * links its bucket chains with 32-bit signed indexes and mv-apply doubles a 32-bit batch
 * capacity, so 2^31 rows would wrap an index. The operators check once per input batch (or
 * per doubling), so the limit sits at 2^30, far enough below 2^31 that no single step past
 * a check can wrap. A query over a crafted file with more distinct keys gets an error naming
 * the operator instead.
 */
#define KQ_MAX_OPERATOR_ROWS (UINT64_C(1) << 30)

/*
 * A folder walk decodes consecutive EVTX files as one job, so that small logs
 * of a few 64 KiB chunks share the worker threads. A job reads its files into
 * memory first, so it takes files only until their sizes add up to this much.
 * A larger file is a job of its own.
 */
#define KQ_EVTX_BATCH_BYTES (UINT64_C(256) * 1024 * 1024)
#define KQ_EVTX_BATCH_FILES 4096

/*
 * A CSV file larger than this is read through a window of this size instead of
 * being read whole, so loading an export of gigabytes keeps in memory the
 * columns the queries read, not the file. The first window also decides the format and
 * the date order (day or month first), so it is larger than the 5,000 records
 * that decision samples at the usual 1-2 KB per record.
 */
#define KQ_CSV_WINDOW_BYTES (16u * 1024 * 1024)

/*
 * Bytes of a CSV file that one thread parses as one piece when a file is
 * loaded on several threads. Smaller pieces balance the threads better at the
 * end of each window, but each piece costs a table builder of its own. When
 * the thread builds the piece's batches itself (kq_table_builder_seal_part),
 * a batch ends where its piece ends.
 */
#define KQ_CSV_CHUNK_BYTES (2u * 1024 * 1024)
/*
 * Batches of records that a CSV piece aims at after the first round of a
 * file read with pread. The piece size then follows the record size seen so
 * far, between half and eight times KQ_CSV_CHUNK_BYTES. Over the 1 M row
 * export, batches went from 1,680 rows on average to 1,972.
 */
#define KQ_CSV_PIECE_BATCHES 2

/*
 * Largest read of a CSV file after its first window, on one thread or in a
 * piece. The bytes are parsed right after the read copies them, so they are
 * still in the processor's cache. A 16 MiB read would push its own start out
 * of it, and a whole 2 MiB piece read at once made the pieces parse 8% slower.
 */
#define KQ_CSV_READ_BYTES (256u * 1024)

/*
 * Pieces of a regular CSV file that the threads read with pread and parse in
 * one round. Each thread reads its own piece, plus up to the slack bytes past
 * its end to finish its last record without a second read.
 */
#define KQ_CSV_ROUND_CHUNKS 16
#define KQ_CSV_CHUNK_SLACK_BYTES (64u * 1024)

/* Bytes of a JSON lines file that one thread parses as one piece. */
#define KQ_JSON_CHUNK_BYTES (1u * 1024 * 1024)

#endif
