#include "paging.hpp"

#include <charconv>
#include <cstdlib>

#include "cli_errors.hpp"
#include "common/environment_duration.hpp"
#include "shmstream/clock.hpp"
#include "shmstream/stream.hpp"
#include "text_codecs.hpp"

namespace shmstream::cli {
namespace {
// "shmstream-list-streams:1:<issued ns>:<last stream name>"
constexpr std::string_view kListStreamsTokenPrefix = "shmstream-list-streams:1:";
}  // namespace

std::chrono::nanoseconds next_token_time_to_live() {
  return detail::duration_from_environment("SHMSTREAM_NEXT_TOKEN_TTL_SECONDS", std::chrono::seconds(300));
}

void check_next_token_age(int64_t issued_ns) {
  const int64_t age_ns = now_ns() - issued_ns;
  if (age_ns <= next_token_time_to_live().count()) return;
  throw ServiceError("ExpiredNextTokenException",
                     "The timestamp of the last key in the NextToken is expired: the token was issued " +
                         std::to_string(age_ns / 1'000'000'000) + " s ago, tokens are valid for " +
                         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(next_token_time_to_live())
                                            .count()) +
                         " s.");
}

std::string encode_list_streams_token(const std::string& last_stream_name) {
  return base64url_encode(std::string(kListStreamsTokenPrefix) + std::to_string(now_ns()) + ":" + last_stream_name);
}

std::string decode_list_streams_token(const std::string& token) {
  const auto text = base64url_decode(token);
  const auto invalid = [&] { throw_invalid_argument("Invalid NextToken: " + token); };
  if (!text || text->rfind(kListStreamsTokenPrefix, 0) != 0) invalid();
  const std::string rest = text->substr(kListStreamsTokenPrefix.size());
  const size_t colon = rest.find(':');
  int64_t issued_ns = 0;
  if (colon == std::string::npos ||
      std::from_chars(rest.data(), rest.data() + colon, issued_ns).ptr != rest.data() + colon) {
    invalid();
  }
  const std::string name = rest.substr(colon + 1);
  if (!is_valid_stream_name(name)) invalid();
  check_next_token_age(issued_ns);
  return name;
}

}  // namespace shmstream::cli
