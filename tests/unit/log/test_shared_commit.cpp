// A shared producer's commit is a store of the length followed by a load of the shard's unblock epoch
// (docs/DESIGN.md §4.1), against the janitor's raise of the epoch, membarrier and padding CAS (§4.6). Both
// orders of the race, with and without the membarrier (FrameCommit::kSharedSeqCst), done step by step in one
// thread: whichever side wins, a reader sees the record exactly when the producer reports it written.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "log/frame_unblock.hpp"
#include "log/shard_appender.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"
#include "test_support.hpp"

using namespace shmstream;
using namespace shmstream::detail;

namespace {

class SharedCommit : public ::testing::TestWithParam<FrameCommit> {
 protected:
  void SetUp() override {
    stream_ = Stream::create("c", StreamOptions{}, root_.path());
    log_ = &StreamAccess::state(*stream_).log(0);
    appender_ = std::make_unique<ShardAppender>(*log_, GetParam(), clock_);
    append("first");  // the slow path attaches the segment; the fast path's claim works from here on
  }

  void append(const std::string& data) {
    uint64_t sequence = 0;
    ASSERT_TRUE(appender_->append("k", data, appender_->footprint(1, data.size()), sequence).is_ok());
  }

  // Claims and fills a frame as a shared producer's put does, stopping before the commit.
  uint8_t* claim_and_fill(const std::string& data) {
    length_ = layout::kFrameHeaderSize + 1 + data.size();
    claimed_ = ShardAppender::fast_state<false>(1, length_, true);
    uint64_t offset = 0;
    uint8_t* frame = nullptr;
    EXPECT_TRUE(appender_->reserve_fast<FrameCommit::kShared>(layout::align_frame(length_), claimed_, offset, frame));
    ShardAppender::copy_fast(frame, "k", data);
    return frame;
  }

  bool commit(uint8_t* frame) {
    auto& header = *reinterpret_cast<layout::FrameHeader*>(frame);
    header.arrival_ns = now_ns();
    return GetParam() == FrameCommit::kShared
               ? appender_->commit_shared<FrameCommit::kShared>(header, static_cast<uint32_t>(length_))
               : appender_->commit_shared<FrameCommit::kSharedSeqCst>(header, static_cast<uint32_t>(length_));
  }

  // What the janitor does to a claim it watched for the unblock timeout.
  bool janitor_pads(uint8_t* frame) {
    std::shared_ptr<MappedSegment> segment;
    EXPECT_TRUE(log_->map_segment(log_->active_segment(), segment).is_ok());
    return pad_claimed_frame(log_->entry(), *segment, static_cast<uint64_t>(frame - segment->bytes(0)), claimed_);
  }

  std::vector<std::string> read_all() {
    ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
    RecordBatch batch;
    std::vector<std::string> out;
    EXPECT_TRUE(reader.get_records(batch, 100).is_ok());
    for (const auto& record : batch.records) out.emplace_back(record.data);
    return out;
  }

  uint64_t state_of(const uint8_t* frame) const {
    return reinterpret_cast<const layout::FrameHeader*>(frame)->state.load();
  }

  test::TempRoot root_;
  std::shared_ptr<Stream> stream_;
  const ShardLog* log_ = nullptr;
  RealtimeClock clock_;
  std::unique_ptr<ShardAppender> appender_;
  uint64_t length_ = 0;
  uint64_t claimed_ = 0;
};

}  // namespace

TEST_P(SharedCommit, ACommitBeforeTheJanitorStandsAndTheJanitorBacksOff) {
  uint8_t* frame = claim_and_fill("second!");  // 24 bytes: a length that is not a multiple of 16
  EXPECT_TRUE(commit(frame));
  EXPECT_FALSE(janitor_pads(frame));
  EXPECT_EQ(layout::state_type(state_of(frame)), layout::FrameType::kData);
  append("third");
  EXPECT_EQ(read_all(), (std::vector<std::string>{"first", "second!", "third"}));
}

TEST_P(SharedCommit, ACommitAfterTheJanitorPaddedReportsAbortedAndTheFrameStaysPadding) {
  uint8_t* frame = claim_and_fill("second!");
  ASSERT_TRUE(janitor_pads(frame));
  const uint64_t padding = state_of(frame);
  EXPECT_EQ(layout::state_type(padding), layout::FrameType::kPad);
  EXPECT_EQ(layout::state_length(padding), static_cast<int32_t>(length_));  // the claim's own length
  EXPECT_FALSE(commit(frame));                                              // the stalled producer wakes up
  EXPECT_EQ(state_of(frame), padding) << "the late commit stored the length the padding already had";
  append("third");
  EXPECT_EQ(read_all(), (std::vector<std::string>{"first", "third"}));
}

TEST_P(SharedCommit, AnUnblockElsewhereCostsOneLookAndNoRecord) {
  // The janitor padded some other producer's claim in this shard: the epoch moved, this frame is still ours.
  log_->entry().unblock_epoch.fetch_add(1);
  uint8_t* frame = claim_and_fill("second!");
  EXPECT_TRUE(commit(frame));
  frame = claim_and_fill("third");
  EXPECT_TRUE(commit(frame));
  EXPECT_EQ(read_all(), (std::vector<std::string>{"first", "second!", "third"}));
}

INSTANTIATE_TEST_SUITE_P(Modes, SharedCommit, ::testing::Values(FrameCommit::kShared, FrameCommit::kSharedSeqCst),
                         [](const auto& info) {
                           return std::string(info.param == FrameCommit::kShared ? "Membarrier" : "SeqCstFence");
                         });
