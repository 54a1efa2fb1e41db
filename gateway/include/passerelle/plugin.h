/*
 * passerelle plugin SDK — the C ABI between the gateway and its plugins.
 *
 * A plugin is a shared library named after its registry key (source.csv.so,
 * sink.csv.so). It exports one C function per role it implements:
 *
 *   const psl_source_v1* passerelle_source_v1(void);
 *   const psl_sink_v1*   passerelle_sink_v1(void);
 *
 * The host calls it once after dlopen, checks abi_version against
 * PASSERELLE_PLUGIN_ABI_VERSION and refuses the plugin, naming the file and
 * both versions, when they differ. The ABI is plain C because a C++ class
 * crossing a dlopen boundary cannot say that it changed, and no exception may
 * cross it either: every function reports failure through its return code and
 * a psl_error the host provides.
 *
 * Strings are UTF-8 and carry their length; they need not be NUL-terminated.
 * Memory handed to the host stays owned by the plugin and is valid until the
 * next call on the same handle.
 */
#ifndef PASSERELLE_PLUGIN_H
#define PASSERELLE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PASSERELLE_PLUGIN_ABI_VERSION 1u

#if defined(__GNUC__)
#define PSL_EXPORT __attribute__((visibility("default")))
#else
#define PSL_EXPORT
#endif

/* A length-delimited UTF-8 string. */
typedef struct psl_str {
    const char* data;
    size_t size;
} psl_str;

/* One configuration setting given to a plugin (key without the plugin prefix). */
typedef struct psl_setting {
    const char* key;   /* NUL-terminated */
    const char* value; /* NUL-terminated */
} psl_setting;

/*
 * Error report filled by the plugin. The message must never contain a data
 * value from the export (it may be personal data): name the place instead.
 */
typedef struct psl_error {
    char message[512];  /* NUL-terminated, what went wrong and what to do */
    uint64_t line;      /* 1-based physical line in the source, 0 if unknown */
    uint64_t column;    /* 1-based column (field index), 0 if unknown */
} psl_error;

/* Return codes shared by every call. */
enum {
    PSL_OK = 0,        /* call succeeded (next_row: a row is in *row) */
    PSL_END = 1,       /* next_row: no more rows */
    PSL_ROW_ERROR = 2, /* next_row: this row is malformed, err says where; reading may go on */
    PSL_FATAL = 3      /* the handle cannot go on; err says why */
};

/* ---------------------------------------------------------------- source -- */

/* One row as read from the source: cells in the order of the column names. */
typedef struct psl_row {
    uint64_t line;      /* 1-based line (or record number) where the row starts */
    const psl_str* cells;
    size_t cell_count;
} psl_row;

/* A filter the host asks the source to apply when it can (empty = none). */
typedef struct psl_source_filter {
    const char* exit_from; /* ISO date or "" */
    const char* exit_to;   /* ISO date or "" */
    const char* since;     /* opaque cursor or "" */
} psl_source_filter;

typedef struct psl_source_v1 {
    uint32_t abi_version; /* PASSERELLE_PLUGIN_ABI_VERSION */
    const char* name;     /* registry key, e.g. "source.csv" */

    /* Opens the source with its settings. Returns NULL and fills err on failure. */
    void* (*open)(const psl_setting* settings, size_t setting_count,
                  const psl_source_filter* filter, psl_error* err);

    /* The column names, valid for the life of the handle. */
    int (*columns)(void* handle, const psl_str** names, size_t* count, psl_error* err);

    /* Reads the next row. PSL_OK, PSL_END, PSL_ROW_ERROR or PSL_FATAL. */
    int (*next_row)(void* handle, psl_row* row, psl_error* err);

    void (*close)(void* handle);
} psl_source_v1;

/* ------------------------------------------------------------------ sink -- */

/* What the host knows of a batch it hands to a sink. */
typedef struct psl_batch_info {
    const char* batch_id;
    const char* sender;   /* party id of the institution */
    const char* purpose;  /* purpose id */
    const psl_str* fields; /* field names, in the order of every record's values */
    size_t field_count;
    uint64_t record_count;
} psl_batch_info;

typedef struct psl_sink_v1 {
    uint32_t abi_version;
    const char* name; /* e.g. "sink.csv" */

    void* (*open)(const psl_setting* settings, size_t setting_count, psl_error* err);

    /* Starts one batch. Nothing is visible to the sink's readers before commit. */
    int (*begin_batch)(void* handle, const psl_batch_info* info, psl_error* err);

    /* One record: values[i] belongs to info->fields[i]. */
    int (*write_record)(void* handle, const psl_str* values, size_t value_count, psl_error* err);

    /* Makes the batch durable and visible, atomically. Idempotent per batch id. */
    int (*commit_batch)(void* handle, psl_error* err);

    /* Drops a batch begun and not committed. */
    void (*abort_batch)(void* handle);

    void (*close)(void* handle);
} psl_sink_v1;

typedef const psl_source_v1* (*psl_source_entry_fn)(void);
typedef const psl_sink_v1* (*psl_sink_entry_fn)(void);

#define PASSERELLE_SOURCE_ENTRY "passerelle_source_v1"
#define PASSERELLE_SINK_ENTRY "passerelle_sink_v1"

#ifdef __cplusplus
}
#endif

#endif /* PASSERELLE_PLUGIN_H */
