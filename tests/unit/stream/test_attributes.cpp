// Tags, registered consumers, stream mode, enhanced monitoring and DescribeLimits of the library.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "shmstream/stream.hpp"
#include "test_support.hpp"

using namespace shmstream;
using test::code_of;

namespace {

std::shared_ptr<Stream> make_stream(const test::TempRoot& root, const std::string& name, StreamOptions options = {}) {
  options.segment_size = 65536;
  return Stream::create(name, options, root.path());
}

}  // namespace

TEST(Tags, AddListPageAndRemove) {
  test::TempRoot root;
  auto stream = make_stream(root, "tagged");
  EXPECT_TRUE(stream->list_tags().tags.empty());
  stream->add_tags({{"b", "2"}, {"a", "1"}, {"c", ""}});
  stream->add_tags({{"a", "one"}});  // a key again: its value is replaced
  const TagPage all = stream->list_tags();
  EXPECT_EQ(all.tags, (std::vector<Tag>{{"a", "one"}, {"b", "2"}, {"c", ""}}));
  EXPECT_FALSE(all.has_more);
  const TagPage first = stream->list_tags("", 2);
  EXPECT_EQ(first.tags.size(), 2u);
  EXPECT_TRUE(first.has_more);
  const TagPage rest = stream->list_tags(first.tags.back().key, 2);
  EXPECT_EQ(rest.tags, (std::vector<Tag>{{"c", ""}}));
  EXPECT_FALSE(rest.has_more);
  stream->remove_tags({"b", "not-there"});
  EXPECT_EQ(stream->list_tags().tags, (std::vector<Tag>{{"a", "one"}, {"c", ""}}));
  // Another handle (another process) sees them: they live in the stream's directory.
  EXPECT_EQ(Stream::open("tagged", root.path())->list_tags().tags.size(), 2u);
}

TEST(Tags, AwsLimitsRefuseTheWholeRequest) {
  test::TempRoot root;
  auto stream = make_stream(root, "limits");
  std::vector<Tag> fifty;
  for (int i = 0; i < 50; ++i) fifty.push_back({"key" + std::to_string(i), "v"});
  stream->add_tags(fifty);
  EXPECT_EQ(code_of([&] { stream->add_tags({{"one-too-many", "v"}}); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(stream->list_tags().tags.size(), 50u);
  stream->add_tags({{"key0", "replaced"}});  // replacing is not adding
  EXPECT_EQ(code_of([&] { stream->list_tags("", 51); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { stream->list_tags("", 0); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { stream->remove_tags({}); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { stream->add_tags({}); }), StatusCode::kInvalidArgument);
}

TEST(Tags, KeysAndValuesAreCheckedAsAws) {
  test::TempRoot root;
  auto stream = make_stream(root, "text");
  // Unicode letters, digits, white space and _ . / = + - % @ are allowed; lengths count characters.
  const std::string key128_in_two_byte_letters = [] {
    std::string key;
    for (int i = 0; i < 128; ++i) key += "\xc3\xa9";  // é
    return key;
  }();
  stream->add_tags({{"Team_1 ./=+-%@", "Value with spaces 2"}, {key128_in_two_byte_letters, std::string(256, 'v')}});
  EXPECT_EQ(stream->list_tags().tags.size(), 2u);
  const auto refused = [&](const std::string& key, const std::string& value) {
    return code_of([&] { stream->add_tags({{key, value}}); });
  };
  EXPECT_EQ(refused("", "v"), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused(std::string(129, 'k'), "v"), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused("k", std::string(257, 'v')), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused("semi;colon", "v"), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused("k", "star*"), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused("bad\xff", "v"), StatusCode::kInvalidArgument);
  EXPECT_EQ(stream->list_tags().tags.size(), 2u);
}

TEST(Tags, FileHasTheStreamsModeAndDamageIsReported) {
  test::TempRoot root;
  StreamOptions options;
  options.file_mode = 0640;
  auto stream = make_stream(root, "mode", options);
  stream->add_tags({{"a", "1"}});
  const std::string path = root.path() + "/mode/attributes.json";
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0640u);
  std::ofstream(path, std::ios::trunc) << "{\"Version\": 1, \"Tags\": {\"a\": 7}}";
  EXPECT_EQ(code_of([&] { stream->list_tags(); }), StatusCode::kCorrupted);
  EXPECT_EQ(code_of([&] { stream->add_tags({{"b", "2"}}); }), StatusCode::kCorrupted);  // nothing overwritten
  std::ofstream(path, std::ios::trunc) << "{\"Version\": 2}";
  EXPECT_EQ(code_of([&] { stream->list_tags(); }), StatusCode::kCorrupted);
  std::ofstream(path, std::ios::trunc) << "{\"Version\": 1, \"Tags\": {\"a\"";  // truncated
  EXPECT_EQ(code_of([&] { stream->describe(); }), StatusCode::kCorrupted);
}

TEST(Consumers, RegisterDescribeListDeregister) {
  test::TempRoot root;
  auto stream = make_stream(root, "fanout");
  const ConsumerInfo app = stream->register_consumer("my-kcl-app");
  EXPECT_EQ(app.status, "ACTIVE");
  EXPECT_EQ(app.arn, "arn:aws:kinesis:local:000000000000:stream/fanout/consumer/my-kcl-app:" +
                         std::to_string(app.creation_ns / 1'000'000'000));
  EXPECT_EQ(stream->describe_consumer("my-kcl-app").arn, app.arn);
  EXPECT_EQ(code_of([&] { stream->register_consumer("my-kcl-app"); }), StatusCode::kResourceInUse);
  stream->register_consumer("second");
  const auto listed = stream->list_consumers();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "my-kcl-app");
  EXPECT_EQ(stream->describe().consumer_count, 2u);
  stream->deregister_consumer("my-kcl-app");
  EXPECT_EQ(code_of([&] { stream->describe_consumer("my-kcl-app"); }), StatusCode::kResourceNotFound);
  EXPECT_EQ(code_of([&] { stream->deregister_consumer("my-kcl-app"); }), StatusCode::kResourceNotFound);
  EXPECT_EQ(code_of([&] { stream->register_consumer("bad name"); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { stream->register_consumer(std::string(129, 'c')); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(stream->list_consumers().size(), 1u);
}

TEST(Consumers, AtMostTwentyPerStream) {
  test::TempRoot root;
  auto stream = make_stream(root, "many");
  for (int i = 0; i < 20; ++i) stream->register_consumer("c" + std::to_string(i));
  EXPECT_EQ(code_of([&] { stream->register_consumer("c20"); }), StatusCode::kLimitExceeded);
  stream->deregister_consumer("c3");
  stream->register_consumer("c20");
  EXPECT_EQ(stream->list_consumers().size(), 20u);
}

TEST(StreamModes, CreateUpdateAndDescribe) {
  test::TempRoot root;
  StreamOptions options;
  options.stream_mode = StreamMode::kOnDemand;
  options.shard_count = kOnDemandInitialShardCount;
  auto stream = make_stream(root, "od", options);
  EXPECT_EQ(stream->describe().stream_mode, StreamMode::kOnDemand);
  // UpdateShardCount is for PROVISIONED streams (as AWS); split and merge are not.
  EXPECT_EQ(code_of([&] { stream->update_shard_count(8); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(stream->open_shards().size(), 4u);
  stream->split_shard(0, HashKey{1} << 120);
  stream->update_stream_mode(StreamMode::kProvisioned);
  EXPECT_EQ(Stream::open("od", root.path())->describe().stream_mode, StreamMode::kProvisioned);
  EXPECT_EQ(stream->update_shard_count(8), 5u);
  stream->update_stream_mode(StreamMode::kProvisioned);  // the same mode again is accepted
  EXPECT_EQ(parse_stream_mode("ON_DEMAND"), StreamMode::kOnDemand);
  EXPECT_EQ(parse_stream_mode("on_demand"), std::nullopt);
  EXPECT_STREQ(stream_mode_name(StreamMode::kOnDemand), "ON_DEMAND");
}

TEST(EnhancedMonitoring, EnableDisableReturnTheMaskBefore) {
  test::TempRoot root;
  auto stream = make_stream(root, "metrics");
  const uint32_t incoming = *shard_level_metric_bits("IncomingBytes") | *shard_level_metric_bits("IncomingRecords");
  EXPECT_EQ(stream->enable_enhanced_monitoring(incoming), 0u);
  EXPECT_EQ(stream->describe().shard_level_metrics, incoming);
  EXPECT_EQ(stream->enable_enhanced_monitoring(kAllShardLevelMetrics), incoming);
  EXPECT_EQ(shard_level_metric_names(stream->describe().shard_level_metrics).size(), 7u);
  EXPECT_EQ(stream->disable_enhanced_monitoring(*shard_level_metric_bits("ALL")), kAllShardLevelMetrics);
  EXPECT_EQ(stream->describe().shard_level_metrics, 0u);
  EXPECT_EQ(code_of([&] { stream->enable_enhanced_monitoring(0); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { stream->enable_enhanced_monitoring(1u << 7); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(shard_level_metric_bits("Nope"), std::nullopt);
}

TEST(DescribeLimits, CountsOpenShardsAndOnDemandStreams) {
  test::TempRoot root;
  StreamLimits limits = Stream::describe_limits(root.path());
  EXPECT_EQ(limits.shard_limit, kMaxShardsPerStream);
  EXPECT_EQ(limits.open_shard_count, 0u);
  StreamOptions options;
  options.shard_count = 3;
  make_stream(root, "three", options);
  options.shard_count = 4;
  options.stream_mode = StreamMode::kOnDemand;
  make_stream(root, "four", options);
  limits = Stream::describe_limits(root.path());
  EXPECT_EQ(limits.open_shard_count, 7u);
  EXPECT_EQ(limits.on_demand_stream_count, 1u);
  EXPECT_EQ(limits.on_demand_stream_count_limit, kOnDemandStreamCountLimit);
}

// A writer killed between writing attributes.json.next and renaming it leaves the old tags; the next change
// replaces the leftover.
TEST(Tags, AWriterKilledMidWayLosesNothing) {
  test::TempRoot root;
  auto stream = make_stream(root, "killed");
  stream->add_tags({{"kept", "1"}});
  const std::string leftover = root.path() + "/killed/attributes.json.next";
  std::ofstream(leftover) << "{\"Version\": 1, \"Tags\": {\"half";
  EXPECT_EQ(stream->list_tags().tags, (std::vector<Tag>{{"kept", "1"}}));
  stream->add_tags({{"next", "2"}});
  EXPECT_EQ(stream->list_tags().tags, (std::vector<Tag>{{"kept", "1"}, {"next", "2"}}));
  EXPECT_EQ(test::inode_of(leftover), 0u);  // renamed into place, not left behind
}

// Only ever-valid names and counts are read back: a hand-made file with too many consumers is damage.
TEST(Consumers, AFileWithMoreThanTwentyIsCorruption) {
  test::TempRoot root;
  auto stream = make_stream(root, "crowded");
  std::string consumers;
  for (int i = 0; i < 21; ++i) {
    consumers += std::string(i ? "," : "") + "{\"Name\": \"c" + std::to_string(i) + "\", \"CreationNs\": 1}";
  }
  std::ofstream(root.path() + "/crowded/attributes.json") << "{\"Version\": 1, \"Consumers\": [" + consumers + "]}";
  EXPECT_EQ(code_of([&] { stream->list_consumers(); }), StatusCode::kCorrupted);
}
