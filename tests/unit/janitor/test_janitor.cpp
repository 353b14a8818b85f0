// Janitor behaviour driven with a fake clock: trimming, unblocking dead producers' frames, helping a
// roll, expiring closed shards and removing orphans. Dead producers are simulated by doing exactly the
// steps of the append protocol a killed producer would have done, through the shared structures.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "log/frame_unblock.hpp"
#include "log/frame_walk.hpp"
#include "log/segment_roll.hpp"
#include "segment/segment_file.hpp"
#include "shmstream/janitor.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"
#include "dead_producers.hpp"
#include "test_support.hpp"

using namespace shmstream;

namespace {

constexpr int64_t kSecond = 1'000'000'000;

class JanitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StreamOptions options;
    options.segment_size = 4096;
    options.retention = std::chrono::seconds(90);
    stream_ = Stream::create("j", options, root_.path());
    producer_ = std::make_unique<Producer>(stream_);
    JanitorOptions janitor_options;
    janitor_options.root = root_.path();
    janitor_options.log = [this](const std::string& line) { log_.push_back(line); };
    janitor_ = std::make_unique<Janitor>(janitor_options);
  }
  PutResult put(const std::string& data) {
    PutResult result;
    EXPECT_TRUE(producer_->put_record("k", data, result).is_ok());
    return result;
  }
  std::vector<std::string> read_all(ShardReader& reader, Status* last = nullptr) {
    std::vector<std::string> out;
    RecordBatch batch;
    for (;;) {
      Status status = reader.get_records(batch, 1000);
      if (last != nullptr) *last = status;
      if (!status || batch.records.empty()) return out;
      for (const auto& record : batch.records) out.emplace_back(record.data);
    }
  }
  size_t segment_files() const {
    size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(root_.path() + "/j/shards/0")) {
      count += entry.path().extension() == ".seg";
    }
    return count;
  }
  uint64_t reserve_and_die(uint64_t bytes, bool claim) { return test::reserve_and_die(*stream_, bytes, claim); }
  uint64_t claim_at_the_hint_and_die(int32_t bytes) { return test::claim_at_the_hint_and_die(*stream_, bytes); }
  test::TempRoot root_;
  std::shared_ptr<Stream> stream_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<Janitor> janitor_;
  std::vector<std::string> log_;
};

}  // namespace

TEST_F(JanitorTest, TrimsSegmentsPastRetentionAndReadersSeeExpiry) {
  for (int i = 0; i < 800; ++i) put("old" + std::to_string(i));  // ~10 segments
  ShardReader early(stream_, 0, {IteratorType::kTrimHorizon});
  RecordBatch held;
  ASSERT_TRUE(early.get_records(held, 5).is_ok());
  const std::string first_data(held.records[0].data);
  const size_t before = segment_files();
  ASSERT_GE(before, 5u);

  janitor_->do_work(now_ns());  // nothing is old yet (it may create the next segment ahead)
  EXPECT_EQ(janitor_->counters().segments_trimmed, 0u);
  EXPECT_GE(segment_files(), before);
  EXPECT_GT(janitor_->do_work(now_ns() + 100 * kSecond), 0);
  // Everything below the active segment goes; the active one (and the next, made ahead) stay.
  const uint64_t active = shmstream::detail::StreamAccess::state(*stream_).shard(0).active_segment.load();
  EXPECT_EQ(janitor_->counters().segments_trimmed, active);
  EXPECT_LE(segment_files(), 2u);  // the active one, and perhaps the next (made ahead in the background)
  EXPECT_TRUE(std::filesystem::exists(root_.path() + "/j/shards/0/" + detail::segment_file_name(active * 4096)));
  EXPECT_FALSE(log_.empty());
  // Views into an unlinked segment stay valid while held.
  EXPECT_EQ(std::string(held.records[0].data), first_data);

  // A reader left behind the trim horizon: ExpiredIterator, or skip ahead when it asked to.
  ShardReader lagging(stream_, 0, {IteratorType::kAtSequenceNumber, held.records[0].sequence_number});
  RecordBatch batch;
  EXPECT_EQ(lagging.get_records(batch).code(), StatusCode::kExpiredIterator);
  ReaderOptions skip;
  skip.skip_to_trim_horizon_when_expired = true;
  ShardReader skipping(stream_, 0, {IteratorType::kAtSequenceNumber, held.records[0].sequence_number}, skip);
  const auto rest = read_all(skipping);
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back(), "old799");
  ShardReader horizon(stream_, 0, {IteratorType::kTrimHorizon});
  EXPECT_EQ(read_all(horizon), rest);
}

TEST_F(JanitorTest, ProducersEnforceTheByteCapWhenRolling) {
  stream_->set_retention_bytes(3 * 4096);
  for (int i = 0; i < 1000; ++i) put(std::string(100, 'x'));
  EXPECT_LE(segment_files(), 4u);  // cap of 3 segments + the one being created ahead
  ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
  const auto kept = read_all(reader);
  EXPECT_GT(kept.size(), 40u);
  EXPECT_LT(kept.size(), 200u);
  EXPECT_THROW(stream_->set_retention_bytes(4096), Error);
}

TEST_F(JanitorTest, UnblocksAClaimedFrameOfADeadProducer) {
  put("before");
  const uint64_t dead = reserve_and_die(64, true);
  put("after");  // committed behind the dead frame
  ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
  EXPECT_EQ(read_all(reader), std::vector<std::string>{"before"});  // stuck at the dead frame
  const int64_t start = now_ns();
  janitor_->do_work(start);
  janitor_->do_work(start + kSecond);  // before the 2 s unblock timeout
  EXPECT_EQ(janitor_->counters().frames_unblocked, 0u);
  EXPECT_EQ(read_all(reader), std::vector<std::string>{});
  EXPECT_GT(janitor_->do_work(start + 3 * kSecond), 0);
  EXPECT_EQ(janitor_->counters().frames_unblocked, 1u);
  EXPECT_EQ(read_all(reader), std::vector<std::string>{"after"});
  EXPECT_EQ(stream_->describe_shard(0).unblocked_frames, 1u);
  EXPECT_GT(reader.position(), dead);
}

// A shared producer's claim is its reservation; the tail is only a hint. Producers step over a claimed frame
// the hint lags, the reader waits at it, and the janitor unblocks it although it lies past the tail.
TEST_F(JanitorTest, AClaimPastTheTailHintIsSteppedOverAndUnblocked) {
  put("before");
  const uint64_t dead = claim_at_the_hint_and_die(48);
  const PutResult after = put("after");
  EXPECT_EQ(after.sequence_number, dead + 48);  // right behind the dead claim, not over it
  ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
  EXPECT_EQ(read_all(reader), std::vector<std::string>{"before"});  // stuck at the dead claim
  const int64_t start = now_ns();
  janitor_->do_work(start);
  EXPECT_EQ(janitor_->counters().frames_unblocked, 0u);
  EXPECT_GT(janitor_->do_work(start + 3 * kSecond), 0);
  EXPECT_EQ(janitor_->counters().frames_unblocked, 1u);
  EXPECT_EQ(read_all(reader), std::vector<std::string>{"after"});
}

// A stream whose writers lock the janitor cannot take is never unblocked; the janitor says so, once.
TEST_F(JanitorTest, LogsAStreamItCannotUnblockOnce) {
  const std::string lock = root_.path() + "/j/writers.lock";
  std::filesystem::remove(lock);
  test::UnixSocket socket(lock);  // open() fails with ENXIO, for root too
  janitor_->do_work(now_ns());
  janitor_->do_work(now_ns() + kSecond);
  size_t lines = 0;
  for (const std::string& line : log_) lines += line.find("cannot unblock frames of stream j") != std::string::npos;
  EXPECT_EQ(lines, 1u);
  EXPECT_EQ(janitor_->counters().problems, 1u);
}

// A committed frame damaged in place (a flipped state word, or a zeroed one) would stop every reader for
// good: the janitor says so once and, after the unblock timeout, pads over it; the records after it are read.
TEST_F(JanitorTest, PadsOverDamagedFramesAfterTheTimeoutAndSaysSoOnce) {
  for (const bool zeroed : {false, true}) {
    SCOPED_TRACE(zeroed ? "zeroed state word" : "flipped type bit");
    const std::string name = zeroed ? "z" : "f";
    StreamOptions options;
    options.segment_size = 4096;
    auto stream = Stream::create(name, options, root_.path());
    Producer producer(stream);
    PutResult first, damaged, last;
    ASSERT_TRUE(producer.put_record("k", "first", first).is_ok());
    ASSERT_TRUE(producer.put_record("k", "damaged record", damaged).is_ok());
    ASSERT_TRUE(producer.put_record("k", "last", last).is_ok());
    auto& state = shmstream::detail::StreamAccess::state(*stream);
    std::shared_ptr<detail::MappedSegment> segment;
    ASSERT_TRUE(state.log(0).map_segment(0, segment).is_ok());
    auto& word = segment->frame(damaged.sequence_number).state;
    word.store(zeroed ? 0 : word.load() ^ (uint64_t{0x40} << 32));
    ShardReader reader(stream, 0, {IteratorType::kTrimHorizon});
    EXPECT_EQ(read_all(reader), std::vector<std::string>{"first"});  // stuck at the damage
    log_.clear();
    const int64_t start = now_ns();
    for (int64_t pass = 0; pass < 12; ++pass) janitor_->do_work(start + pass * kSecond);  // 4 timeouts
    EXPECT_EQ(read_all(reader), std::vector<std::string>{"last"});
    size_t said = 0;
    size_t padded = 0;
    for (const std::string& line : log_) {
      said += line.find("padded over after the unblock timeout") != std::string::npos;
      padded += line.find("padded damaged bytes") != std::string::npos;
    }
    EXPECT_EQ(said, 1u);  // once, not on every pass
    EXPECT_EQ(padded, 1u);
  }
}

TEST_F(JanitorTest, UnblocksReservedButUnclaimedBytes) {
  put("before");
  reserve_and_die(160, false);
  put("after");
  ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
  EXPECT_EQ(read_all(reader), std::vector<std::string>{"before"});
  const int64_t start = now_ns();
  janitor_->do_work(start);
  EXPECT_GT(janitor_->do_work(start + 3 * kSecond), 0);
  EXPECT_EQ(read_all(reader), std::vector<std::string>{"after"});
}

TEST_F(JanitorTest, AStalledFrameThatCommitsIsLeftAlone) {
  const uint64_t position = reserve_and_die(64, true);
  const int64_t start = now_ns();
  janitor_->do_work(start);
  // The "stalled" producer commits after all, before the timeout.
  auto& state = shmstream::detail::StreamAccess::state(*stream_);
  std::shared_ptr<detail::MappedSegment> segment;
  ASSERT_TRUE(state.log(0).map_segment(0, segment).is_ok());
  segment->frame(position).state.store(layout::make_state(32, layout::FrameType::kPad, 0, 0));
  janitor_->do_work(start + 10 * kSecond);
  EXPECT_EQ(janitor_->counters().frames_unblocked, 0u);
}

TEST_F(JanitorTest, HelpsARollADeadProducerLeftHalfDone) {
  put("first");
  // A producer reserved past the end of the segment and died before padding and rolling.
  reserve_and_die(4096, false);
  ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
  EXPECT_EQ(read_all(reader), std::vector<std::string>{"first"});
  const int64_t start = now_ns();
  janitor_->do_work(start);
  EXPECT_GT(janitor_->do_work(start + 3 * kSecond), 0);
  EXPECT_EQ(janitor_->counters().rolls_helped, 1u);
  EXPECT_EQ(shmstream::detail::StreamAccess::state(*stream_).shard(0).active_segment.load(), 1u);
  put("second");
  EXPECT_EQ(read_all(reader), std::vector<std::string>{"second"});
}

// The walk that finds the active segment settled and full names that segment; a roll made for it after a
// producer rolled already does nothing. Rolling the active segment read again instead (the next one, just
// started) would leave its free end to no one, and readers would stop there for good.
TEST_F(JanitorTest, ARollForAWalkRollsTheSegmentTheWalkFoundFull) {
  put("first");
  auto& state = shmstream::detail::StreamAccess::state(*stream_);
  const detail::ShardLog& log = state.log(0);
  std::shared_ptr<detail::MappedSegment> segment;
  ASSERT_TRUE(log.map_segment(0, segment).is_ok());
  detail::pad_from_first_free_frame(*segment, layout::kSegmentHeaderSize);  // full, not rolled yet
  const detail::WalkResult walk = detail::walk_unsettled_frames(
      log, 0, 1000, [](const detail::UnsettledFrame&) { return detail::UnsettledAction::kStop; });
  ASSERT_EQ(walk.end, detail::WalkEnd::kPastActive);
  EXPECT_EQ(walk.full_segment, 0u);
  ASSERT_TRUE(detail::roll_segment(log, 0).is_ok());  // a producer rolls first
  put("second");                                       // and writes into segment 1
  bool published = true;
  ASSERT_TRUE(detail::roll_segment(log, walk.full_segment, &published).is_ok());
  EXPECT_FALSE(published);
  EXPECT_EQ(log.active_segment(), 1u);
  put("third");
  ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
  EXPECT_EQ(read_all(reader), (std::vector<std::string>{"first", "second", "third"}));
}

TEST_F(JanitorTest, PreparesTheNextSegmentAheadOfProducers) {
  EXPECT_EQ(segment_files(), 1u);
  EXPECT_EQ(janitor_->do_work(now_ns()), 1);
  EXPECT_EQ(segment_files(), 2u);
  EXPECT_EQ(janitor_->counters().segments_prepared, 1u);
  EXPECT_EQ(janitor_->do_work(now_ns()), 0);  // already there
}

// Mappings this process holds of files under `root` that no longer exist under any name (their memory
// stays allocated until unmapped). By inode: /proc/self/maps names a mapping by the path it was opened
// under, so a file made with O_TMPFILE or renamed since shows as "(deleted)" while it lives on.
size_t unlinked_files_still_mapped(const std::string& root) {
  std::set<ino_t> live;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) live.insert(test::inode_of(entry.path()));
  }
  std::ifstream maps("/proc/self/maps");
  size_t count = 0;
  for (std::string line; std::getline(maps, line);) {
    std::istringstream fields(line);
    std::string range, permissions, offset, device;
    unsigned long inode = 0;
    fields >> range >> permissions >> offset >> device >> inode;
    count += line.find(root) != std::string::npos && live.count(static_cast<ino_t>(inode)) == 0;
  }
  return count;
}

TEST_F(JanitorTest, KeepsNoMappingOfASegmentUnlinkedElsewhere) {
  ASSERT_EQ(janitor_->do_work(now_ns()), 1);  // creates segment 1 ahead, and keeps the mapping it made it with
  // Another process unlinks that file (as a producer's byte cap or a retention change trims segments; no
  // producer of this process touches it, so any mapping of it left here is the janitor's).
  ASSERT_TRUE(detail::retire_segment_file(root_.path() + "/j/shards/0", 4096, false));
  janitor_->do_work(now_ns());  // makes segment 1 again: a new file
  EXPECT_EQ(unlinked_files_still_mapped(root_.path()), 0u) << "an unlinked segment's memory stays pinned";
}

TEST_F(JanitorTest, RemovesOrphansOfCrashedCreatesAndDeletes) {
  const std::string orphan = root_.path() + "/+staging/creating-x-1-2";
  std::filesystem::create_directories(orphan + "/shards/0");
  const std::string young = root_.path() + "/+staging/deleted-y-1-2";
  std::filesystem::create_directories(young);
  const std::string temporary = root_.path() + "/j/shards/0/.tmp-123-0";
  { std::ofstream(temporary) << "x"; }
  janitor_->do_work(now_ns() + 30 * kSecond);
  EXPECT_TRUE(std::filesystem::exists(orphan));  // may still be in progress
  janitor_->do_work(now_ns() + 61 * kSecond);
  EXPECT_FALSE(std::filesystem::exists(orphan));
  EXPECT_FALSE(std::filesystem::exists(young));
  EXPECT_FALSE(std::filesystem::exists(temporary));
  EXPECT_EQ(janitor_->counters().orphans_removed, 3u);
  EXPECT_EQ(Stream::list(root_.path()), std::vector<std::string>{"j"});
}

// Stream names the project once used as markers are streams like any other: listed, never taken for the
// orphan of a crashed create or delete, deleted with their data.
TEST_F(JanitorTest, StreamsNamedLikeMarkersAreStreams) {
  StreamOptions options;
  options.segment_size = 4096;
  const std::vector<std::string> names = {".", "..", ".creating-a-1-2", ".deleted-b-1-2", ".hidden", ".tmp-1-0"};
  for (const std::string& name : names) {
    Producer producer(Stream::create(name, options, root_.path()));
    PutResult result;
    EXPECT_TRUE(producer.put_record("k", "kept", result).is_ok()) << name;
  }
  janitor_->do_work(now_ns() + 3600 * kSecond);  // long past the orphan age
  EXPECT_EQ(Stream::list(root_.path()),
            (std::vector<std::string>{".", "..", ".creating-a-1-2", ".deleted-b-1-2", ".hidden", ".tmp-1-0", "j"}));
  for (const std::string& name : names) {
    ShardReader reader(Stream::open(name, root_.path()), 0, {IteratorType::kTrimHorizon});
    EXPECT_EQ(read_all(reader), std::vector<std::string>{"kept"}) << name;
    Stream::remove(name, root_.path());
  }
  EXPECT_EQ(Stream::list(root_.path()), std::vector<std::string>{"j"});
}

TEST_F(JanitorTest, ExpiresClosedShardsPastRetention) {
  put("x");
  auto& entry = shmstream::detail::StreamAccess::state(*stream_).shard(0);
  // What a reshard leaves: the parent closed, its end settled (children are tested with resharding).
  entry.closed_ns.store(now_ns());
  entry.status.store(static_cast<uint32_t>(layout::ShardStatus::kClosed));
  janitor_->do_work(now_ns() + 10 * kSecond);
  EXPECT_EQ(janitor_->counters().shards_expired, 0u);
  janitor_->do_work(now_ns() + 100 * kSecond);
  EXPECT_EQ(janitor_->counters().shards_expired, 1u);
  EXPECT_EQ(stream_->describe_shard(0).status, layout::ShardStatus::kExpired);
  EXPECT_FALSE(std::filesystem::exists(root_.path() + "/j/shards/0"));
}

TEST(Retention, KinesisRetentionPeriodRules) {
  test::TempRoot root;
  StreamOptions options;
  options.segment_size = 4096;
  auto stream = Stream::create("r", options, root.path());
  const auto code = test::code_of;
  EXPECT_EQ(code([&] { stream->increase_retention_period(23); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code([&] { stream->increase_retention_period(8761); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code([&] { stream->increase_retention_period(48); }), StatusCode::kOk);
  EXPECT_EQ(code([&] { stream->increase_retention_period(24); }), StatusCode::kInvalidArgument);  // shorter
  EXPECT_EQ(code([&] { stream->decrease_retention_period(72); }), StatusCode::kInvalidArgument);  // longer
  EXPECT_EQ(code([&] { stream->decrease_retention_period(24); }), StatusCode::kOk);
  EXPECT_EQ(stream->describe().retention_ns, int64_t{24} * 3600 * kSecond);
  EXPECT_EQ(code([&] { stream->set_retention(std::chrono::seconds(90)); }), StatusCode::kOk);
  EXPECT_EQ(stream->describe().retention_ns, 90 * kSecond);
  EXPECT_EQ(code([&] { stream->set_retention(std::chrono::milliseconds(5)); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code([&] { stream->increase_retention_period(24); }), StatusCode::kOk);  // 90 s -> 24 h is longer
  EXPECT_EQ(code([&] { stream->set_unblock_timeout(std::chrono::milliseconds(250)); }), StatusCode::kOk);
  EXPECT_EQ(code([&] { stream->set_retention_bytes(0); }), StatusCode::kOk);  // back to the default cap
  EXPECT_GE(stream->describe().retention_bytes, 2u * 4096u);
}

TEST_F(JanitorTest, ReportsEachStreamAndShardOfAPassInOrder) {
  StreamOptions options;
  options.shard_count = 3;
  Stream::create("k", options, root_.path());
  std::vector<JanitorProgress> seen;
  JanitorOptions janitor_options;
  janitor_options.root = root_.path();
  janitor_options.progress = [&seen](const JanitorProgress& progress) { seen.push_back(progress); };
  Janitor janitor(janitor_options);
  janitor.do_work(1000 * kSecond);
  // "j" (one shard): before, after shard 1; "k" (three shards): before, after each.
  std::vector<std::tuple<std::string, uint32_t, uint32_t, uint32_t, uint32_t>> expected = {
      {"j", 1, 2, 0, 1}, {"j", 1, 2, 1, 1}, {"k", 2, 2, 0, 3}, {"k", 2, 2, 1, 3}, {"k", 2, 2, 2, 3}, {"k", 2, 2, 3, 3}};
  std::vector<std::tuple<std::string, uint32_t, uint32_t, uint32_t, uint32_t>> reported;
  for (const JanitorProgress& p : seen) {
    reported.emplace_back(p.stream_name, p.stream_number, p.stream_count, p.shards_done, p.shard_count);
  }
  EXPECT_EQ(reported, expected);
}
