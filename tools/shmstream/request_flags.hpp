// The command line as an AWS request: what the aws CLI does between its flags and the service.
//  - expand_arguments() before parsing: --cli-input-json members become the flags they stand for (flags given
//    on the command line win), and --stream-arn supplies --stream-name where the model accepts a StreamARN.
//  - request_from_flags() after parsing: the parsed flags of a command as the operation's request document,
//    which ServiceModel::validate_input checks before the command touches any stream.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli_errors.hpp"
#include "command_table.hpp"
#include "json_output.hpp"

namespace shmstream::cli {

// Throws UsageError for a --cli-input-json that cannot be read, parsed or has members the operation lacks;
// ServiceError for a StreamARN that breaks the model or names a stream of another region or account.
std::vector<std::string> expand_arguments(const std::vector<std::string>& arguments, const CommandTable& table);

Json request_from_flags(const Command& command);

}  // namespace shmstream::cli
