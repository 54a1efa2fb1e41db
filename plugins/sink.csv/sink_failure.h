#pragma once

#include <stdexcept>

namespace passerelle::csv {

// What went wrong, naming the file, folder or setting and the system's reason;
// never a cell's value.
class SinkFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace passerelle::csv
