// The checker itself: it must refuse what Prometheus would refuse, or the
// other tests prove nothing.

#include "exposition_checker.h"

#include <gtest/gtest.h>

#include <string>

namespace passerelle::metrics::testing {
namespace {

const std::string kGood =
    "# HELP a_total A\n"
    "# TYPE a_total counter\n"
    "a_total{peer=\"x\\\"y\"} 1\n"
    "# HELP b B\n"
    "# TYPE b histogram\n"
    "b_bucket{le=\"+Inf\"} 1\n"
    "b_sum 0.5\n"
    "b_count 1\n";

TEST(ExpositionChecker, AcceptsWellFormedText) { EXPECT_EQ(expositionProblem(kGood), ""); }

TEST(ExpositionChecker, RefusesWhatPrometheusWouldRefuse) {
    const std::string bad[] = {
        "a_total 1\n",                                               // no HELP/TYPE
        "# HELP a A\n# TYPE a gauge\na 1",                           // no final newline
        "# HELP a A\n# TYPE a gauge\na 1e\n",                        // not a number
        "# HELP a A\n# TYPE a gauge\na inf\n",                       // Prometheus writes +Inf
        "# HELP a A\n# TYPE a gauge\na{p=\"x\\t\"} 1\n",             // unknown escape
        "# HELP a A\n# TYPE a gauge\na{p=\"x} 1\n",                  // unterminated value
        "# HELP a A\n# TYPE a gauge\na{p-q=\"x\"} 1\n",              // bad label name
        "# HELP a A\n# TYPE a gauge\na  1\n",                        // two spaces
        "# HELP a A\n# TYPE a gauge\nb 1\n",                         // sample of another family
        "# HELP b B\n# TYPE b gauge\n# HELP a A\n# TYPE a gauge\n",  // not sorted
        "# HELP a A\n# TYPE a gauge\n# HELP a A\n# TYPE a gauge\n",  // twice
        "# HELP a A\n",                                              // HELP without TYPE
        "# HELP a A\n# TYPE a summary\n",                            // type we never write
        "# HELP a A\\t\n# TYPE a gauge\n",                           // bad HELP escape
        "# HELP a A\n# TYPE a histogram\na_bucket 1\n",              // bucket without le
        "# HELP a A\n# TYPE a histogram\na_count{le=\"1\"} 1\n",     // le off a bucket
        "# HELP a A\n# TYPE a gauge\n\na 1\n",                       // empty line
    };
    for (const std::string& text : bad) EXPECT_NE(expositionProblem(text), "") << text;
}

}  // namespace
}  // namespace passerelle::metrics::testing
