// add-tags-to-stream, remove-tags-from-stream, list-tags-for-stream.
#include "attribute_commands.hpp"
#include "operation_command.hpp"
#include "stream_target.hpp"

namespace shmstream::cli {
namespace {

void add_add_tags(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "add-tags-to-stream", "AddTagsToStream", "Add or update tags of a stream");
  CLI::App& sub = *command.subcommand;
  add_stream_target_flags(sub);
  sub.add_option("--tags", "Key=Value,Key2=Value2 or a JSON object (at most 50 tags per stream)")->required();
  run_as_operation(command, global);
}

void add_remove_tags(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "remove-tags-from-stream", "RemoveTagsFromStream", "Remove tags from a stream");
  CLI::App& sub = *command.subcommand;
  add_stream_target_flags(sub);
  sub.add_option("--tag-keys", "Tag keys to remove (1..50); keys the stream does not have are ignored")
      ->required();
  run_as_operation(command, global);
}

void add_list_tags(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "list-tags-for-stream", "ListTagsForStream", "List the tags of a stream");
  CLI::App& sub = *command.subcommand;
  add_stream_target_flags(sub);
  sub.add_option("--exclusive-start-tag-key", "List tags whose keys sort after this");
  integer_as_given(sub.add_option("--limit", "Maximum number of tags to list (1..50, default 50)")
                       ->check(CLI::TypeValidator<long long>()));
  run_as_operation(command, global);
}

}  // namespace

void add_tags_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_add_tags(app, table, global);
  add_remove_tags(app, table, global);
  add_list_tags(app, table, global);
}

}  // namespace shmstream::cli
