// Worker in one process (docs/APPLICATIONS.md): delivery from checkpoints, the Checkpointer's rules, restarts
// of a failing processor, initial positions, and a deleted lease table. Many processes: tests/multiprocess/
// test_applications.cpp.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "application/lease_table.hpp"
#include "stream/stream_state.hpp"
#include "shmstream/application.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/stream.hpp"
#include "shmstream/worker.hpp"
#include "test_support.hpp"
#include "client/worker_support.hpp"

using namespace shmstream;
using test::eventually;
using test::Journal;
using test::JournalProcessor;
using test::RunningWorker;

namespace {

std::vector<uint64_t> put(const std::shared_ptr<Stream>& stream, int count, int first = 0) {
  Producer producer(stream);
  std::vector<uint64_t> sequences;
  for (int i = first; i < first + count; ++i) {
    PutResult result;
    EXPECT_TRUE(producer.put_record("key" + std::to_string(i % 7), "r" + std::to_string(i), result));
    sequences.push_back(result.sequence_number);
  }
  return sequences;
}

RecordProcessorFactory journal_factory(Journal& journal) {
  return [&journal] { return std::make_unique<JournalProcessor>(journal); };
}

WorkerOptions fast_options() {
  WorkerOptions options;
  options.failover_time = std::chrono::milliseconds(300);
  options.lease_pass_interval = std::chrono::milliseconds(5);
  options.restart_delay = std::chrono::milliseconds(1);
  return options;
}

// Another worker of application "app" (a live process: ours, with the id "thief") takes every lease.
void give_every_lease_to_a_thief(const Stream& stream) {
  auto table = detail::LeaseTableFile::open(stream.directory(), "app", 0600, true);  // read-write
  table.update([](detail::LeaseTableImage& image) {
    for (auto& row : image.rows) std::strcpy(row.owner_worker_id, "thief");
    return true;
  });
}

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StreamOptions options;
    options.shard_count = 2;
    options.segment_size = 1 << 16;
    stream = Stream::create("s", options, root.path());
  }
  test::TempRoot root;
  std::shared_ptr<Stream> stream;
};

}  // namespace

TEST_F(WorkerTest, EveryRecordOnceAndARestartResumesFromTheCheckpoints) {
  put(stream, 600);
  Journal journal;
  {
    RunningWorker running(stream, "app", journal_factory(journal), fast_options());
    ASSERT_TRUE(eventually([&] { return journal.count() >= 600; }));
  }
  put(stream, 400, 600);
  Journal second;
  {
    RunningWorker running(stream, "app", journal_factory(second), fast_options());
    ASSERT_TRUE(eventually([&] { return second.count() >= 400; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::set<std::string> first_data;
  for (const auto& delivery : journal.deliveries()) first_data.insert(delivery.data);
  EXPECT_EQ(first_data.size(), 600u);
  EXPECT_EQ(journal.count(), 600u);  // nothing twice
  std::set<std::string> second_data;
  for (const auto& delivery : second.deliveries()) second_data.insert(delivery.data);
  EXPECT_EQ(second.count(), 400u);  // graceful shutdown checkpointed: only the new records
  EXPECT_EQ(second_data.count("r600"), 1u);
  EXPECT_EQ(second_data.count("r0"), 0u);
  const ApplicationInfo info = describe_application(stream, "app");
  ASSERT_EQ(info.leases.size(), 2u);
  for (const LeaseInfo& lease : info.leases) {
    EXPECT_EQ(lease.checkpoint.kind, Checkpoint::Kind::kSequenceNumber);
    EXPECT_TRUE(lease.lease_owner.empty());  // released at shutdown
    EXPECT_EQ(lease.bytes_behind_latest, 0u);
  }
}

TEST_F(WorkerTest, PerShardOrderAndStartingCheckpointGiven) {
  const auto sequences = put(stream, 200);
  Journal journal;
  RunningWorker running(stream, "app", journal_factory(journal), fast_options());
  ASSERT_TRUE(eventually([&] { return journal.count() >= 200; }));
  std::map<uint32_t, uint64_t> last;
  for (const auto& delivery : journal.deliveries()) {
    EXPECT_GT(delivery.sequence_number + 1, last[delivery.shard] + 1);
    last[delivery.shard] = delivery.sequence_number;
  }
  const auto events = journal.events();
  EXPECT_NE(std::find(events.begin(), events.end(), "initialize shardId-000000000000 TRIM_HORIZON"), events.end());
}

TEST_F(WorkerTest, CheckpointingALeaseNoLongerHeldThrowsShutdownException) {
  put(stream, 50);
  Journal journal;
  std::atomic<int> shutdown_exceptions{0};
  std::atomic<bool> stolen{false};
  auto factory = [&]() -> std::unique_ptr<RecordProcessor> {
    auto processor = std::make_unique<JournalProcessor>(journal);
    processor->checkpoint_every_batch = false;
    processor->before_record = [&, stream = stream](const RecordView&, Checkpointer& checkpointer) {
      if (stolen.exchange(true)) return;
      // Both processors initialized (a lease taken before its processor starts is never lease_lost).
      ASSERT_TRUE(eventually([&] { return journal.events().size() >= 2; }));
      give_every_lease_to_a_thief(*stream);
      try {
        checkpointer.checkpoint();
      } catch (const ShutdownException& error) {
        EXPECT_NE(std::string(error.what()).find("ShutdownException"), std::string::npos);
        EXPECT_NE(std::string(error.what()).find("thief"), std::string::npos) << error.what();
        ++shutdown_exceptions;
      }
    };
    return processor;
  };
  WorkerOptions options = fast_options();
  options.failover_time = std::chrono::seconds(30);  // the thief's lease does not expire during the test
  RunningWorker running(stream, "app", factory, options);
  ASSERT_TRUE(eventually([&] { return shutdown_exceptions.load() == 1; }));
  ASSERT_TRUE(eventually([&] {
    const auto events = journal.events();
    return std::count_if(events.begin(), events.end(), [](const std::string& e) { return e.starts_with("lease_lost"); }) >= 1;
  }));
}

TEST_F(WorkerTest, CheckpointArgumentsAreChecked) {
  const auto sequences = put(stream, 20);
  Journal journal;
  std::atomic<int> refused{0};
  auto factory = [&]() -> std::unique_ptr<RecordProcessor> {
    auto processor = std::make_unique<JournalProcessor>(journal);
    processor->checkpoint_every_batch = false;
    processor->before_record = [&](const RecordView& record, Checkpointer& checkpointer) {
      try {
        checkpointer.checkpoint(record.sequence_number + (uint64_t{1} << 40));  // not delivered yet
      } catch (const Error& error) {
        if (error.code() == StatusCode::kInvalidArgument) ++refused;
      }
      checkpointer.checkpoint(record.sequence_number);
      EXPECT_EQ(checkpointer.current(), Checkpoint::at(record.sequence_number));
    };
    return processor;
  };
  RunningWorker running(stream, "app", factory, fast_options());
  ASSERT_TRUE(eventually([&] { return journal.count() >= 20; }));
  EXPECT_EQ(refused.load(), 20);  // every checkpoint past the last record delivered was refused
}

TEST_F(WorkerTest, AThrowingProcessorRestartsFromTheLastCheckpointWhileOthersGoOn) {
  put(stream, 300);
  Journal journal;
  std::atomic<bool> thrown{false};
  std::vector<std::string> errors;
  std::mutex errors_mutex;
  auto factory = [&]() -> std::unique_ptr<RecordProcessor> {
    auto processor = std::make_unique<JournalProcessor>(journal);
    processor->checkpoint_every_batch = false;
    processor->before_record = [&](const RecordView& record, Checkpointer& checkpointer) {
      if (record.data == "r100") checkpointer.checkpoint(record.sequence_number);  // r100 is processed...
      if (record.data == "r150" && !thrown.exchange(true)) throw std::runtime_error("boom");
    };
    return processor;
  };
  WorkerOptions options = fast_options();
  options.max_records = 10;
  options.on_processor_error = [&](std::string_view shard, const std::exception& error) {
    const std::lock_guard<std::mutex> lock(errors_mutex);
    errors.push_back(std::string(shard) + ": " + error.what());
  };
  RunningWorker running(stream, "app", factory, options);
  ASSERT_TRUE(eventually([&] {
    std::set<std::string> seen;
    for (const auto& delivery : journal.deliveries()) seen.insert(delivery.data);
    return seen.size() == 300;
  }));
  {
    const std::lock_guard<std::mutex> lock(errors_mutex);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("boom"), std::string::npos);
  }
  // Redelivered: exactly the records of r100's shard after r100 up to r150, by a new instance.
  const auto deliveries = journal.deliveries();
  const auto r100 = std::find_if(deliveries.begin(), deliveries.end(), [](auto& d) { return d.data == "r100"; });
  ASSERT_NE(r100, deliveries.end());
  std::map<std::string, int> times;
  for (const auto& delivery : deliveries) ++times[delivery.data];
  for (const auto& delivery : deliveries) {
    const bool in_window = delivery.shard == r100->shard && delivery.sequence_number > r100->sequence_number &&
                           delivery.sequence_number < std::find_if(deliveries.begin(), deliveries.end(), [](auto& d) {
                                                        return d.data == "r150";
                                                      })->sequence_number;
    EXPECT_EQ(times[delivery.data], in_window ? 2 : 1) << delivery.data;
  }
  const auto events = journal.events();
  const std::string restart = "initialize " + shard_id_text(r100->shard) + " " + std::to_string(r100->sequence_number);
  EXPECT_NE(std::find(events.begin(), events.end(), restart), events.end());
}

TEST_F(WorkerTest, InitialPositionLatestAndAtTimestamp) {
  put(stream, 50);
  Journal latest;
  WorkerOptions options = fast_options();
  options.initial_position = Checkpoint::Kind::kLatest;
  {
    RunningWorker running(stream, "latest", journal_factory(latest), options);
    ASSERT_TRUE(eventually([&] { return running.worker().held_shards().size() == 2; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the readers have started at LATEST
    put(stream, 10, 50);
    ASSERT_TRUE(eventually([&] { return latest.count() >= 10; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(latest.count(), 10u);
  for (const auto& delivery : latest.deliveries()) EXPECT_GE(std::stoi(delivery.data.substr(1)), 50);

  const auto now = std::chrono::system_clock::now().time_since_epoch();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  put(stream, 5, 60);
  Journal at_timestamp;
  options.initial_position = Checkpoint::Kind::kAtTimestamp;
  options.initial_timestamp_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  RunningWorker running(stream, "at-timestamp", journal_factory(at_timestamp), options);
  ASSERT_TRUE(eventually([&] { return at_timestamp.count() >= 5; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(at_timestamp.count(), 5u);
  EXPECT_EQ(describe_application(stream, "at-timestamp").initial_position.kind, Checkpoint::Kind::kAtTimestamp);
}

TEST_F(WorkerTest, DeletingTheApplicationStopsItsWorkers) {
  put(stream, 10);
  Journal journal;
  RunningWorker running(stream, "app", journal_factory(journal), fast_options());
  ASSERT_TRUE(eventually([&] { return journal.count() >= 10; }));
  EXPECT_EQ(list_applications(*stream), std::vector<std::string>{"app"});
  delete_application(*stream, "app");
  ASSERT_TRUE(eventually([&] { return !running.failure().empty(); }));
  EXPECT_NE(running.failure().find("InvalidStateException"), std::string::npos) << running.failure();
  EXPECT_TRUE(list_applications(*stream).empty());
  EXPECT_THROW(describe_application(stream, "app"), Error);
}

TEST_F(WorkerTest, BadOptionsAreRefused) {
  Journal journal;
  WorkerOptions options;
  options.worker_id = std::string(32, 'w');
  EXPECT_THROW(Worker(stream, "app", journal_factory(journal), options), Error);
  options = {};
  options.initial_position = Checkpoint::Kind::kShardEnd;
  EXPECT_THROW(Worker(stream, "app", journal_factory(journal), options), Error);
  options = {};
  options.max_records = 0;
  EXPECT_THROW(Worker(stream, "app", journal_factory(journal), options), Error);
  EXPECT_THROW(Worker(stream, "bad/name", journal_factory(journal)), Error);
  EXPECT_THROW(Worker(stream, "app", nullptr), Error);
}

TEST_F(WorkerTest, ACheckpointRefusedForALeaseTakenMeansLeaseLost) {
  put(stream, 30);
  Journal journal;
  std::atomic<bool> stolen{false};
  auto factory = [&]() -> std::unique_ptr<RecordProcessor> {
    auto processor = std::make_unique<JournalProcessor>(journal);  // checkpoints after each batch, uncaught
    processor->before_record = [&, stream = stream](const RecordView&, Checkpointer&) {
      if (stolen.exchange(true)) return;
      ASSERT_TRUE(eventually([&] { return journal.events().size() >= 2; }));
      give_every_lease_to_a_thief(*stream);
    };
    return processor;
  };
  std::vector<std::string> errors;
  std::mutex errors_mutex;
  WorkerOptions options = fast_options();
  options.failover_time = std::chrono::seconds(30);
  options.lease_pass_interval = std::chrono::seconds(5);  // the checkpoint, not a lease pass, finds the theft
  options.on_processor_error = [&](std::string_view, const std::exception& error) {
    const std::lock_guard<std::mutex> lock(errors_mutex);
    errors.push_back(error.what());
  };
  RunningWorker running(stream, "app", factory, options);
  ASSERT_TRUE(eventually([&] {
    const auto events = journal.events();
    return std::any_of(events.begin(), events.end(), [](const std::string& e) { return e.starts_with("lease_lost"); });
  }));
  const std::lock_guard<std::mutex> lock(errors_mutex);
  EXPECT_TRUE(errors.empty()) << errors.front();  // not a processor failure: no restart
}

TEST_F(WorkerTest, PendingCheckpointAndOwnerSwitchesAreRecorded) {
  const auto sequences = put(stream, 4);
  Journal journal;
  std::atomic<int> step{0};
  auto factory = [&]() -> std::unique_ptr<RecordProcessor> {
    auto processor = std::make_unique<JournalProcessor>(journal);
    processor->checkpoint_every_batch = false;
    processor->before_record = [&](const RecordView& record, Checkpointer& checkpointer) {
      if (step.exchange(1) == 0) checkpointer.prepare_checkpoint(record.sequence_number);
    };
    return processor;
  };
  WorkerOptions options = fast_options();
  options.worker_id = "first";
  {
    RunningWorker running(stream, "app", factory, options);
    ASSERT_TRUE(eventually([&] { return journal.count() == 4; }));
    const auto leases = describe_application(stream, "app").leases;
    const auto pending = std::count_if(leases.begin(), leases.end(), [](const LeaseInfo& l) {
      return l.pending_checkpoint.has_value() && l.pending_checkpoint->kind == Checkpoint::Kind::kSequenceNumber;
    });
    EXPECT_EQ(pending, 1);
    for (const LeaseInfo& lease : leases) EXPECT_EQ(lease.lease_owner, "first");
  }
  // The graceful shutdown checkpointed (clearing the pending one) and released: no owner switch counted.
  for (const LeaseInfo& lease : describe_application(stream, "app").leases) {
    EXPECT_FALSE(lease.pending_checkpoint.has_value());
    EXPECT_EQ(lease.owner_switches_since_checkpoint, 0u);
    EXPECT_GE(lease.lease_counter, 2u);
  }
  // A lease taken from another owner counts as a switch until the next checkpoint. This owner's pid now
  // belongs to another process (init), so it is dead and its leases are taken at once, not after expiry.
  auto table = detail::LeaseTableFile::open(stream->directory(), "app", 0600, true);  // read-write
  table.update([](detail::LeaseTableImage& image) {
    for (auto& row : image.rows) {
      std::strcpy(row.owner_worker_id, "gone");
      row.owner_pid = 1;
      row.owner_start_time = 12345;
      timespec now{};
      ::clock_gettime(CLOCK_BOOTTIME, &now);
      row.renewed_boottime_ns = static_cast<uint64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;  // fresh
    }
    return true;
  });
  Journal second;
  options.worker_id = "second";
  options.failover_time = std::chrono::seconds(30);  // only the owner's death can free the leases in time
  auto idle = [&]() -> std::unique_ptr<RecordProcessor> {
    auto processor = std::make_unique<JournalProcessor>(second);
    processor->checkpoint_every_batch = false;
    return processor;
  };
  RunningWorker running(stream, "app", idle, options);
  ASSERT_TRUE(eventually([&] { return running.worker().held_shards().size() == 2; }));
  for (const LeaseInfo& lease : describe_application(stream, "app").leases) {
    EXPECT_EQ(lease.lease_owner, "second");
    EXPECT_EQ(lease.owner_switches_since_checkpoint, 1u);
  }
}

// 4 leases, 3 workers: the target is 2. Two workers at 2 each leave the third none to take unless it steals
// from a worker at the target when it needs more than one (the KCL's rule): it gets 1, and 2, 1, 1 is stable.
TEST_F(WorkerTest, AWorkerShortOfTheTargetByTwoStealsFromOneAtTheTarget) {
  StreamOptions stream_options;
  stream_options.shard_count = 4;
  stream_options.segment_size = 1 << 16;
  auto four = Stream::create("four", stream_options, root.path());
  Journal journal;
  WorkerOptions options = fast_options();
  options.failover_time = std::chrono::seconds(30);  // the other two workers' leases do not expire meanwhile
  RunningWorker running(four, "app", journal_factory(journal), options);
  ASSERT_TRUE(eventually([&] { return running.worker().held_shards().size() == 4; }));
  // Two other live workers ("a", "b": this process) take two leases each.
  auto table = detail::LeaseTableFile::open(four->directory(), "app", 0600, true);
  table.update([](detail::LeaseTableImage& image) {
    for (size_t i = 0; i < image.rows.size(); ++i) {
      std::strcpy(image.rows[i].owner_worker_id, i < 2 ? "a" : "b");
      ++image.rows[i].lease_counter;
    }
    return true;
  });
  ASSERT_TRUE(eventually([&] { return running.worker().held_shards().size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // twenty lease passes
  EXPECT_EQ(running.worker().held_shards().size(), 1u);
  std::map<std::string, int> owners;
  for (const LeaseInfo& lease : describe_application(four, "app").leases) ++owners[lease.lease_owner];
  EXPECT_EQ(owners.size(), 3u);
  EXPECT_EQ(owners["a"] + owners["b"], 3);
}

TEST_F(WorkerTest, AShardTheRetentionExpiredBeforeItWasFinishedLosesItsLeaseSoItsChildrenStart) {
  Producer producer(stream);
  PutResult result;
  const HashKey low = 1;  // shard 0, then its first child
  ASSERT_TRUE(producer.put_record("parent", "in shard 0", result, &low));
  ASSERT_EQ(result.shard_index, 0u);
  // A processor that never gets past shard 0 (it fails on every batch there).
  struct Stuck : JournalProcessor {
    explicit Stuck(Journal& journal) : JournalProcessor(journal) {}
    void process_records(std::span<const RecordView> records, Checkpointer& checkpointer, int64_t lag) override {
      if (shard_ == 0) throw std::runtime_error("stuck on shard 0");
      JournalProcessor::process_records(records, checkpointer, lag);
    }
  };
  Journal journal;
  WorkerOptions options = fast_options();
  options.restart_delay = std::chrono::milliseconds(5);
  options.on_processor_error = [](std::string_view, const std::exception&) {};
  RunningWorker running(stream, "app", [&] { return std::make_unique<Stuck>(journal); }, options);
  ASSERT_TRUE(eventually([&] { return running.worker().held_shards().size() == 2; }));
  stream->split_shard(0, HashKey{1} << 126);  // children 2 and 3 wait for shard 0's SHARD_END
  ASSERT_TRUE(producer.put_record("child", "in a child", result, &low));
  ASSERT_EQ(result.shard_index, 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(journal.count(), 0u);  // the child waits
  // The retention expires shard 0 (what the janitor does once a closed shard is past the retention window).
  detail::StreamAccess::state(*stream).shard(0).status.store(static_cast<uint32_t>(layout::ShardStatus::kExpired));
  ASSERT_TRUE(eventually([&] {
    const auto deliveries = journal.deliveries();
    return std::any_of(deliveries.begin(), deliveries.end(), [](const auto& d) { return d.data == "in a child"; });
  }));
  // Its lease was deleted (the KCL's cleanup of leases whose shard no longer exists); the others remain.
  std::vector<uint32_t> leased;
  for (const LeaseInfo& lease : describe_application(stream, "app").leases) leased.push_back(lease.shard_index);
  EXPECT_EQ(leased, (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(running.worker().held_shards(), (std::vector<uint32_t>{1, 2, 3}));
}
