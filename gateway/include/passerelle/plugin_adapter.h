/*
 * passerelle plugin SDK, C++ side: a plugin written as a C++ class gets its
 * psl_source_v1 / psl_sink_v1 table from these templates, which keep the
 * ABI's rules for it: no exception crosses the boundary (each becomes
 * PSL_FATAL with its message), a call without its handle or arguments is
 * refused, and the error report is always filled. Header only: a plugin still
 * links nothing of the gateway (docs/plugin-guide.md).
 *
 *   struct MySource {
 *       const std::vector<psl_str>& columns() const;
 *       int next(psl_row& row, psl_error& err);  // PSL_OK, PSL_END or PSL_ROW_ERROR
 *   };
 *   MySource* openMySource(passerelle::sdk::Settings settings, const psl_source_filter* filter);
 *
 *   extern "C" PSL_EXPORT const psl_source_v1* passerelle_source_v1(void) {
 *       static const psl_source_v1 table = passerelle::sdk::sourceTable<MySource, openMySource>("source.mine");
 *       return &table;
 *   }
 *
 * A sink class has begin(const psl_batch_info&), write(const psl_str*, size_t),
 * commit() and abort() noexcept, each throwing on failure, and is made by a
 * function taking Settings.
 */
#ifndef PASSERELLE_PLUGIN_ADAPTER_H
#define PASSERELLE_PLUGIN_ADAPTER_H

#include <passerelle/plugin.h>

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string_view>

namespace passerelle::sdk {

/* The settings the host gives, as (key, value) views; a NULL key or value reads as "". */
class Settings {
public:
    struct Item {
        std::string_view key;
        std::string_view value;
    };
    class Iterator {
    public:
        explicit Iterator(const psl_setting* at) : at_(at) {}
        Item operator*() const { return {at_->key ? at_->key : "", at_->value ? at_->value : ""}; }
        Iterator& operator++() {
            ++at_;
            return *this;
        }
        bool operator!=(const Iterator& other) const { return at_ != other.at_; }

    private:
        const psl_setting* at_;
    };

    Settings(const psl_setting* items, std::size_t count) : items_(items), count_(items ? count : 0) {
        if (items == nullptr && count != 0) throw std::invalid_argument("the host gave no settings");
    }
    Iterator begin() const { return Iterator(items_); }
    Iterator end() const { return Iterator(items_ + count_); }

private:
    const psl_setting* items_;
    std::size_t count_;
};

inline void setError(psl_error* err, const char* message) {
    if (err == nullptr) return;
    std::snprintf(err->message, sizeof err->message, "%s", message);
    err->line = 0;
    err->column = 0;
}

/* A malformed row: the message (printf-style) names the place, never a value —
 * the row may hold personal data, and the host logs the message. */
inline int rowError(psl_error& err, std::uint64_t line, std::uint64_t column, const char* format, ...)
    __attribute__((format(printf, 4, 5)));
inline int rowError(psl_error& err, std::uint64_t line, std::uint64_t column, const char* format, ...) {
    va_list args;
    va_start(args, format);
    std::vsnprintf(err.message, sizeof err.message, format, args);
    va_end(args);
    err.line = line;
    err.column = column;
    return PSL_ROW_ERROR;
}

/* Runs `body` (returning a PSL_ code); an exception becomes PSL_FATAL with its message. */
template <typename Body>
int guarded(psl_error* err, const char* during, Body&& body) noexcept {
    try {
        return body();
    } catch (const std::exception& e) {
        setError(err, e.what());
    } catch (...) {
        char message[96];
        std::snprintf(message, sizeof message, "unexpected internal error while %s", during);
        setError(err, message);
    }
    return PSL_FATAL;
}

template <typename Source, Source* (*Open)(Settings, const psl_source_filter*)>
struct SourceEntries {
    static void* open(const psl_setting* settings, size_t count, const psl_source_filter* filter,
                      psl_error* err) noexcept {
        Source* source = nullptr;
        guarded(err, "opening", [&] {
            source = Open(Settings(settings, count), filter);
            return PSL_OK;
        });
        return source;
    }
    static int columns(void* handle, const psl_str** names, size_t* count, psl_error* err) noexcept {
        if (handle == nullptr || names == nullptr || count == nullptr) {
            setError(err, "columns called without a handle");
            return PSL_FATAL;
        }
        return guarded(err, "listing the columns", [&] {
            const auto& columns = static_cast<Source*>(handle)->columns();
            *names = columns.data();
            *count = columns.size();
            return PSL_OK;
        });
    }
    static int nextRow(void* handle, psl_row* row, psl_error* err) noexcept {
        if (handle == nullptr || row == nullptr || err == nullptr) {
            setError(err, "next_row called without a handle, row or error");
            return PSL_FATAL;
        }
        return guarded(err, "reading", [&] { return static_cast<Source*>(handle)->next(*row, *err); });
    }
    static void close(void* handle) noexcept { delete static_cast<Source*>(handle); }
};

template <typename Source, Source* (*Open)(Settings, const psl_source_filter*)>
psl_source_v1 sourceTable(const char* name) {
    using E = SourceEntries<Source, Open>;
    return {PASSERELLE_PLUGIN_ABI_VERSION, name, E::open, E::columns, E::nextRow, E::close};
}

template <typename Sink, Sink* (*Open)(Settings)>
struct SinkEntries {
    static void* open(const psl_setting* settings, size_t count, psl_error* err) noexcept {
        Sink* sink = nullptr;
        guarded(err, "opening", [&] {
            sink = Open(Settings(settings, count));
            return PSL_OK;
        });
        return sink;
    }
    static int beginBatch(void* handle, const psl_batch_info* info, psl_error* err) noexcept {
        if (handle == nullptr || info == nullptr) {
            setError(err, "begin_batch called without a handle or batch");
            return PSL_FATAL;
        }
        return guarded(err, "beginning a batch", [&] {
            static_cast<Sink*>(handle)->begin(*info);
            return PSL_OK;
        });
    }
    static int writeRecord(void* handle, const psl_str* values, size_t count, psl_error* err) noexcept {
        if (handle == nullptr || (values == nullptr && count != 0)) {
            setError(err, "write_record called without a handle or values");
            return PSL_FATAL;
        }
        return guarded(err, "writing a record", [&] {
            static_cast<Sink*>(handle)->write(values, count);
            return PSL_OK;
        });
    }
    static int commitBatch(void* handle, psl_error* err) noexcept {
        if (handle == nullptr) {
            setError(err, "commit_batch called without a handle");
            return PSL_FATAL;
        }
        return guarded(err, "committing a batch", [&] {
            static_cast<Sink*>(handle)->commit();
            return PSL_OK;
        });
    }
    static void abortBatch(void* handle) noexcept {
        if (handle != nullptr) static_cast<Sink*>(handle)->abort();
    }
    static void close(void* handle) noexcept { delete static_cast<Sink*>(handle); }
};

template <typename Sink, Sink* (*Open)(Settings)>
psl_sink_v1 sinkTable(const char* name) {
    using E = SinkEntries<Sink, Open>;
    return {PASSERELLE_PLUGIN_ABI_VERSION, name,           E::open,       E::beginBatch,
            E::writeRecord,                E::commitBatch, E::abortBatch, E::close};
}

}  // namespace passerelle::sdk

#endif /* PASSERELLE_PLUGIN_ADAPTER_H */
