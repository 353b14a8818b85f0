// The stream a command of the newer Kinesis operations names: --stream-name or --stream-arn (the ARN as
// shmstream builds it, arn:aws:kinesis:local:000000000000:stream/<name>; docs/CLI.md "Stream ARNs").
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace shmstream::cli {

struct StreamTarget {
  std::string stream_name;
  std::string stream_arn;

  // The stream's name; InvalidArgumentException when neither flag is given, when the ARN does not match the
  // service model's pattern, or when both are given and disagree; ResourceNotFoundException for an ARN of
  // another region or account (no stream of this host lives there).
  std::string resolve() const;
};

// Adds --stream-name and --stream-arn to `command`. Where the model requires StreamARN (RegisterStreamConsumer,
// UpdateStreamMode, ...) --stream-name is accepted too, as a shmstream convenience.
void add_stream_target_flags(CLI::App& command);
// The same flags, read into the returned target as they are parsed.
std::shared_ptr<StreamTarget> add_stream_target(CLI::App& command);

// The stream name inside a StreamARN (see StreamTarget::resolve).
std::string stream_name_from_arn(const std::string& arn);

}  // namespace shmstream::cli
