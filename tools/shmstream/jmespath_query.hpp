// --query: JMESPath through Debian's `jp` (package jp), a maintained implementation, instead of a hand-written
// subset. The document goes to jp on a pipe, the result comes back as JSON.
#pragma once

#include <string>

#include "json_output.hpp"

namespace shmstream::cli {

// Throws UsageError when jp is missing or refuses the expression (the aws CLI's "Bad value for --query").
Json run_jmespath_query(const std::string& expression, const Json& document);

}  // namespace shmstream::cli
