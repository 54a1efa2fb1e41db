#pragma once
// An independent reader of the text exposition format, strict enough to catch
// what Prometheus would reject. Every rendered text in these tests goes
// through it.

#include "metrics/registry.h"

#include <string>

namespace passerelle::metrics::testing {

// "" when the text is well formed, else what is wrong and on which line.
std::string expositionProblem(const std::string& text);

// registry.render(), with a test failure if the checker finds a problem.
std::string renderChecked(const Registry& scraped);

}  // namespace passerelle::metrics::testing
