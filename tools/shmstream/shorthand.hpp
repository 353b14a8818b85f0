// The aws CLI's shorthand syntax for structure parameters: `Key=Value,Key2=Value2`, values optionally quoted
// ('...' or "..."), a list value as `Key=[a,b]`, a nested structure as `Key={K=V}`. Values stay strings; the
// command decides what a member's text means, as the aws CLI does with the model's types.
#pragma once

#include <string>
#include <string_view>

#include "json_output.hpp"

namespace shmstream::cli {

// Whether a parameter value is JSON rather than shorthand (it starts with '{', '[' or '"').
bool looks_like_json(std::string_view text);

// Throws UsageError ("Error parsing parameter '<flag>': ...") on malformed shorthand.
Json parse_shorthand(std::string_view flag, std::string_view text);

}  // namespace shmstream::cli
