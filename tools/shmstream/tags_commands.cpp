// add-tags-to-stream, remove-tags-from-stream, list-tags-for-stream.
#include "attribute_commands.hpp"
#include "attribute_parsers.hpp"
#include "command_helpers.hpp"
#include "json_output.hpp"
#include "stream_target.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

void add_add_tags(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "add-tags-to-stream", "AddTagsToStream", "Add or update tags of a stream");
  CLI::App& sub = *command.subcommand;
  auto target = add_stream_target(sub);
  auto tags = std::make_shared<std::string>();
  sub.add_option("--tags", *tags, "Key=Value,Key2=Value2 or a JSON object (at most 50 tags per stream)")->required();
  command.run = [target, tags, &global] {
    const std::vector<Tag> parsed = parse_tag_map("--tags", *tags);
    Stream::open(target->resolve(), global.resolved_root())->add_tags(parsed);
    return kExitSuccess;  // prints nothing, like the AWS CLI
  };
}

void add_remove_tags(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "remove-tags-from-stream", "RemoveTagsFromStream", "Remove tags from a stream");
  CLI::App& sub = *command.subcommand;
  auto target = add_stream_target(sub);
  auto keys = std::make_shared<std::string>();
  sub.add_option("--tag-keys", *keys, "Tag keys to remove (1..50); keys the stream does not have are ignored")
      ->required();
  command.run = [target, keys, &global] {
    Stream::open(target->resolve(), global.resolved_root())->remove_tags(parse_string_list("--tag-keys", *keys));
    return kExitSuccess;
  };
}

void add_list_tags(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "list-tags-for-stream", "ListTagsForStream", "List the tags of a stream");
  CLI::App& sub = *command.subcommand;
  auto target = add_stream_target(sub);
  struct Flags {
    std::string exclusive_start_tag_key;
    long long limit = kMaxTagsPerStream;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--exclusive-start-tag-key", flags->exclusive_start_tag_key, "List tags whose keys sort after this");
  integer_as_given(sub.add_option("--limit", flags->limit, "Maximum number of tags to list (1..50, default 50)"));
  command.run = [target, flags, &global] {
    check_range("limit", flags->limit, 1, kMaxTagsPerStream);
    const TagPage page = Stream::open(target->resolve(), global.resolved_root())
                             ->list_tags(flags->exclusive_start_tag_key, static_cast<uint32_t>(flags->limit));
    Json tags = Json::array();
    for (const Tag& tag : page.tags) tags.push_back(Json{{"Key", tag.key}, {"Value", tag.value}});
    print_json(Json{{"Tags", tags}, {"HasMoreTags", page.has_more}});
    return kExitSuccess;
  };
}

}  // namespace

void add_tags_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_add_tags(app, table, global);
  add_remove_tags(app, table, global);
  add_list_tags(app, table, global);
}

}  // namespace shmstream::cli
