// The stream consumers' operations as the CLI and serve both answer them (DocumentForm: responses.hpp).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "responses.hpp"

namespace shmstream::cli {

using StreamOpener = std::function<std::shared_ptr<Stream>(const std::string&)>;

// {"ConsumerName", "ConsumerARN", "ConsumerStatus", "ConsumerCreationTimestamp"}.
Json consumer_json(const ConsumerInfo& consumer, DocumentForm form);

// The stream and the consumer a ConsumerARN names. The ARN carries the consumer's creation second, so the ARN
// of a consumer deregistered and registered again under the same name names nothing (ResourceNotFound).
std::pair<std::shared_ptr<Stream>, ConsumerInfo> consumer_by_arn(const std::string& consumer_arn,
                                                                 const StreamOpener& open);

// One ListStreamConsumers page of at most `max_results`, after the consumers `next_token` says were listed;
// the NextToken is base64url of "<stream name>\n<consumers already listed>".
Json list_stream_consumers_response(const Stream& stream, size_t max_results,
                                    const std::optional<std::string>& next_token, DocumentForm form);

}  // namespace shmstream::cli
