// Tags and registered consumers of a stream (control path, under the stream's flock; see attributes_file.hpp).
#include <algorithm>

#include "shmstream/clock.hpp"

#include "common/aws_names.hpp"
#include "shmstream/stream.hpp"
#include "stream/attributes_file.hpp"
#include "stream/file_lock.hpp"
#include "stream/stream_state.hpp"

namespace shmstream {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

void check_tag_key(const std::string& key) {
  if (const std::string problem = detail::tag_text_problem(key, 1, kMaxTagKeyCharacters); !problem.empty()) {
    throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value '" + key +
                                                  "' at 'tags' failed to satisfy constraint: tag key " + problem);
  }
}

void check_consumer_name(const std::string& name) {
  if (!detail::is_valid_consumer_name(name)) {
    throw Error(StatusCode::kInvalidArgument,
                "1 validation error detected: Value '" + name +
                    "' at 'consumerName' failed to satisfy constraint: Member must satisfy regular expression "
                    "pattern: [a-zA-Z0-9_.-]+ and have length 1..128");
  }
}

ConsumerInfo consumer_info(const std::string& stream_name, const detail::StoredConsumer& stored) {
  ConsumerInfo info;
  info.name = stored.name;
  info.arn = detail::aws::stream_arn(stream_name) + "/consumer/" + stored.name + ":" +
             std::to_string(stored.creation_ns / kNanosPerSecond);
  info.status = "ACTIVE";
  info.creation_ns = stored.creation_ns;
  return info;
}

[[noreturn]] void consumer_not_found(const std::string& stream_name, const std::string& consumer_name) {
  throw Error(StatusCode::kResourceNotFound, "Consumer " + consumer_name + " under stream " + stream_name +
                                                 " under account " + detail::aws::kAccountId + " not found.");
}

}  // namespace

void Stream::add_tags(const std::vector<Tag>& tags) {
  if (tags.empty() || tags.size() > kMaxTagsPerAddRequest) {
    throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value at 'tags' failed to satisfy "
                                              "constraint: Member must have length between 1 and 200");
  }
  for (const Tag& tag : tags) {
    check_tag_key(tag.key);
    if (const std::string problem = detail::tag_text_problem(tag.value, 0, kMaxTagValueCharacters); !problem.empty()) {
      throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value '" + tag.value +
                                                    "' at 'tags' failed to satisfy constraint: tag value " + problem);
    }
  }
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  detail::StreamAttributes attributes = detail::read_attributes(directory());
  for (const Tag& tag : tags) attributes.tags[tag.key] = tag.value;  // a key given again keeps its last value
  if (attributes.tags.size() > kMaxTagsPerStream) {
    throw Error(StatusCode::kInvalidArgument, "Failed to add tags to stream " + name() + " under account " +
                                                  detail::aws::kAccountId +
                                                  " because a given stream cannot have more than 50 tags.");
  }
  detail::write_attributes(directory(), attributes, state_->header().file_mode);
}

void Stream::remove_tags(const std::vector<std::string>& keys) {
  if (keys.empty() || keys.size() > kMaxTagKeysPerRemoveRequest) {
    throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value at 'tagKeys' failed to satisfy "
                                              "constraint: Member must have length between 1 and 50");
  }
  for (const std::string& key : keys) check_tag_key(key);
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  detail::StreamAttributes attributes = detail::read_attributes(directory());
  bool changed = false;
  for (const std::string& key : keys) changed |= attributes.tags.erase(key) != 0;  // absent keys: no error, as AWS
  if (changed) detail::write_attributes(directory(), attributes, state_->header().file_mode);
}

TagPage Stream::list_tags(const std::string& exclusive_start_key, uint32_t limit) const {
  if (limit < 1 || limit > kMaxTagsPerStream) {
    throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value '" + std::to_string(limit) +
                                                  "' at 'limit' failed to satisfy constraint: Member must have "
                                                  "value between 1 and 50");
  }
  const detail::StreamAttributes attributes = detail::read_attributes(directory());
  TagPage page;
  auto it = exclusive_start_key.empty() ? attributes.tags.begin() : attributes.tags.upper_bound(exclusive_start_key);
  for (; it != attributes.tags.end(); ++it) {
    if (page.tags.size() == limit) {
      page.has_more = true;
      break;
    }
    page.tags.push_back(Tag{it->first, it->second});
  }
  return page;
}

ConsumerInfo Stream::register_consumer(const std::string& consumer_name) {
  check_consumer_name(consumer_name);
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  detail::StreamAttributes attributes = detail::read_attributes(directory());
  for (const detail::StoredConsumer& consumer : attributes.consumers) {
    if (consumer.name == consumer_name) {
      throw Error(StatusCode::kResourceInUse, "Consumer " + consumer_name + " under stream " + name() +
                                                  " already exists for account " + detail::aws::kAccountId + ".");
    }
  }
  if (attributes.consumers.size() >= kMaxConsumersPerStream) {
    throw Error(StatusCode::kLimitExceeded, "Stream " + name() + " under account " + detail::aws::kAccountId +
                                                " already has the maximum of 20 registered consumers.");
  }
  const int64_t created = now_ns();
  attributes.consumers.push_back({consumer_name, created});
  detail::write_attributes(directory(), attributes, state_->header().file_mode);
  return consumer_info(name(), attributes.consumers.back());
}

void Stream::deregister_consumer(const std::string& consumer_name) {
  check_consumer_name(consumer_name);
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  detail::StreamAttributes attributes = detail::read_attributes(directory());
  const auto it = std::find_if(attributes.consumers.begin(), attributes.consumers.end(),
                               [&](const detail::StoredConsumer& consumer) { return consumer.name == consumer_name; });
  if (it == attributes.consumers.end()) consumer_not_found(name(), consumer_name);
  attributes.consumers.erase(it);
  detail::write_attributes(directory(), attributes, state_->header().file_mode);
}

ConsumerInfo Stream::describe_consumer(const std::string& consumer_name) const {
  check_consumer_name(consumer_name);
  for (const detail::StoredConsumer& consumer : detail::read_attributes(directory()).consumers) {
    if (consumer.name == consumer_name) return consumer_info(name(), consumer);
  }
  consumer_not_found(name(), consumer_name);
}

std::vector<ConsumerInfo> Stream::list_consumers() const {
  std::vector<ConsumerInfo> consumers;
  for (const detail::StoredConsumer& consumer : detail::read_attributes(directory()).consumers) {
    consumers.push_back(consumer_info(name(), consumer));
  }
  return consumers;
}

}  // namespace shmstream
