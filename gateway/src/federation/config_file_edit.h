#pragma once
// Adding a section to a gateway's INI file in place, the way an administrator would,
// and atomically: the new text goes to a temporary file next to it, which must pass
// `check` (the configuration loads) before it is renamed over the file. Every byte
// already there is kept as it was.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace passerelle::federation {

// True when the file's text has a line `[section]` (spaces around it ignored).
bool hasSection(std::string_view text, std::string_view section);

// The text of `file` with `[section]` and `body` (lines ending in '\n') appended
// after a blank line.
std::string withSection(std::string_view text, std::string_view section, std::string_view body);

// Appends the section to `file` atomically, keeping its mode. EnrolmentError
// naming the file, with the file untouched, when the section exists already, when
// `check` throws on the new text (the temporary file is given), or when it cannot
// be written.
void appendSection(const std::filesystem::path& file, std::string_view section, std::string_view body,
                   const std::function<void(const std::filesystem::path&)>& check);

// The text with the section `[section]` (its header and every line up to the next
// header, blank lines before that header kept) replaced by `[section]` and `body`;
// every other byte kept. The text must have the section (hasSection).
std::string withSectionReplaced(std::string_view text, std::string_view section, std::string_view body);

// Replaces the section in `file` atomically, as appendSection adds one; EnrolmentError,
// the file untouched, when it has no such section or `check` throws.
void replaceSection(const std::filesystem::path& file, std::string_view section, std::string_view body,
                    const std::function<void(const std::filesystem::path&)>& check);

}  // namespace passerelle::federation
