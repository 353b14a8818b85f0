#include "multilang_processor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "shmstream/hash_key.hpp"
#include "text_codecs.hpp"

namespace shmstream::cli {
namespace {

// The KCL's record shape: base64 data, arrival in ms since the epoch, a sub-sequence number (always 0: no
// KPL aggregation), and "action": "record" (the KCL libraries decode every object by its action).
Json record_json(const RecordView& record) {
  return Json{{"action", "record"},
              {"data", base64_encode(record.data)},
              {"partitionKey", std::string(record.partition_key)},
              {"sequenceNumber", format_sequence_number(record.sequence_number)},
              {"subSequenceNumber", 0},
              {"approximateArrivalTimestamp", record.arrival_ns / 1'000'000}};
}

}  // namespace

MultiLangProcessor::~MultiLangProcessor() { stop(); }

void MultiLangProcessor::start() {
  int input[2];
  int output[2];
  if (::pipe2(input, O_CLOEXEC) != 0 || ::pipe2(output, O_CLOEXEC) != 0) {
    throw Error(StatusCode::kInternalFailure, std::string("cannot make pipes: ") + std::strerror(errno));
  }
  std::vector<char*> argv;
  for (std::string& argument : command_) argv.push_back(argument.data());
  argv.push_back(nullptr);
  child_ = ::fork();
  if (child_ < 0) throw Error(StatusCode::kInternalFailure, std::string("cannot fork: ") + std::strerror(errno));
  if (child_ == 0) {
    // A process group of its own: Ctrl-C at a terminal signals consume only, which then shuts the
    // processors down gracefully (shutdownRequested, checkpoint) instead of having them killed mid-batch.
    // If consume dies, the processor reads the end of its input and exits.
    ::setpgid(0, 0);
    ::dup2(input[0], STDIN_FILENO);
    ::dup2(output[1], STDOUT_FILENO);
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(argv[0], argv.data());
    constexpr char kMessage[] = "shmstream consume: cannot run the record processor command\n";
    (void)!::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    ::_exit(127);
  }
  ::close(input[0]);
  ::close(output[1]);
  to_child_ = input[1];
  from_child_ = ::fdopen(output[0], "r");
}

void MultiLangProcessor::send(const Json& message) {
  const std::string line = message.dump() + "\n";
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t written = ::write(to_child_, line.data() + done, line.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      throw Error(StatusCode::kInternalFailure,
                  "the record processor of " + shard_id_ + " stopped reading its input: " + std::strerror(errno));
    }
    done += static_cast<size_t>(written);
  }
}

Json MultiLangProcessor::checkpoint(const Json& request, Checkpointer* checkpointer) {
  Json answer{{"action", "checkpoint"}, {"sequenceNumber", nullptr}, {"subSequenceNumber", nullptr}};
  if (checkpointer == nullptr) {
    answer["error"] = "ShutdownException";  // leaseLost: the lease is another worker's
    return answer;
  }
  try {
    const auto sequence = request.find("sequenceNumber");
    if (sequence == request.end() || sequence->is_null()) {
      checkpointer->checkpoint();
    } else {
      const auto number = sequence->is_string() ? parse_sequence_number(sequence->get<std::string>()) : std::nullopt;
      if (!number) throw Error(StatusCode::kInvalidArgument, "sequenceNumber is not a sequence number");
      checkpointer->checkpoint(*number);
    }
    const Checkpoint now = checkpointer->current();
    answer["sequenceNumber"] = now.text();
    answer["subSequenceNumber"] = 0;
  } catch (const ShutdownException&) {
    answer["error"] = "ShutdownException";
  } catch (const InvalidStateException&) {
    answer["error"] = "InvalidStateException";
  } catch (const Error& error) {
    answer["error"] = error.code() == StatusCode::kInvalidArgument ? "IllegalArgumentException" : "KinesisClientLibDependencyException";
  }
  return answer;
}

void MultiLangProcessor::await_status(const std::string& action, Checkpointer* checkpointer) {
  char* buffer = nullptr;
  size_t capacity = 0;
  for (;;) {
    const ssize_t length = ::getline(&buffer, &capacity, from_child_);
    if (length < 0) {
      std::free(buffer);
      throw Error(StatusCode::kInternalFailure,
                  "the record processor of " + shard_id_ + " exited before answering " + action);
    }
    const Json message = Json::parse(std::string_view(buffer, static_cast<size_t>(length)), nullptr, false);
    if (!message.is_object() || !message.contains("action") || !message["action"].is_string()) continue;
    const std::string kind = message["action"].get<std::string>();
    if (kind == "status" && message.value("responseFor", "") == action) break;
    if (kind == "checkpoint") send(checkpoint(message, checkpointer));
  }
  std::free(buffer);
}

void MultiLangProcessor::stop() {
  if (child_ < 0) return;
  if (to_child_ >= 0) ::close(to_child_);
  to_child_ = -1;
  if (from_child_ != nullptr) std::fclose(from_child_);
  from_child_ = nullptr;
  // A processor gets a moment to exit on the end of its input, as under the MultiLangDaemon; then SIGKILL.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (::waitpid(child_, nullptr, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  child_ = -1;
}

void MultiLangProcessor::initialize(std::string_view shard_id, const Checkpoint& starting_checkpoint) {
  shard_id_ = std::string(shard_id);
  start();
  send(Json{{"action", "initialize"},
            {"shardId", shard_id_},
            {"sequenceNumber", starting_checkpoint.text()},
            {"subSequenceNumber", 0}});
  await_status("initialize", nullptr);
}

void MultiLangProcessor::process_records(std::span<const RecordView> records, Checkpointer& checkpointer,
                                         int64_t millis_behind_latest) {
  Json batch = Json::array();
  for (const RecordView& record : records) batch.push_back(record_json(record));
  send(Json{{"action", "processRecords"}, {"records", std::move(batch)}, {"millisBehindLatest", millis_behind_latest}});
  await_status("processRecords", &checkpointer);
}

void MultiLangProcessor::lease_lost() {
  send(Json{{"action", "leaseLost"}});
  await_status("leaseLost", nullptr);
  stop();
}

void MultiLangProcessor::shard_ended(Checkpointer& checkpointer) {
  send(Json{{"action", "shardEnded"}});
  await_status("shardEnded", &checkpointer);
  stop();
}

void MultiLangProcessor::shutdown_requested(Checkpointer& checkpointer) {
  send(Json{{"action", "shutdownRequested"}});
  await_status("shutdownRequested", &checkpointer);
  stop();
}

}  // namespace shmstream::cli
