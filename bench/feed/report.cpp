#include "report.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>

#include "placement.hpp"

namespace feed {
namespace {

struct Spread {
  double min = 0, median = 0, max = 0;
};

Spread spread_of(std::vector<double> values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  const double median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {values.front(), median, values.back()};
}

constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999, 0.9999};
constexpr const char* kQuantileNames[] = {"p50", "p90", "p99", "p99.9", "p99.99"};

// One row of the table: every successful run of one transport at one mode and rate.
struct Group {
  std::string transport;
  Mode mode;
  double rate;
  std::vector<const RunResult*> runs;
  Spread throughput() const {
    std::vector<double> v;
    for (auto* r : runs) v.push_back(r->messages_per_second);
    return spread_of(v);
  }
  Spread gigabytes() const {
    std::vector<double> v;
    for (auto* r : runs) v.push_back(r->gigabytes_per_second);
    return spread_of(v);
  }
  Spread quantile(double q) const {
    std::vector<double> v;
    for (auto* r : runs) v.push_back(static_cast<double>(r->latency.percentile(q)));
    return spread_of(v);
  }
  Spread maximum() const {
    std::vector<double> v;
    for (auto* r : runs) v.push_back(static_cast<double>(r->latency.max()));
    return spread_of(v);
  }
  // CPU time per delivered message of the producer and consumer processes: unlike wall-clock throughput it
  // does not shrink when neighbours steal the vCPUs (spinning sides burn their whole share, so the busier
  // side's figure is the cost that bounds throughput).
  Spread cpu_per_message(bool producer) const {
    std::vector<double> v;
    for (auto* r : runs) {
      if (r->messages == 0) continue;
      v.push_back((producer ? r->producer_cpu_seconds : r->consumer_cpu_seconds) * 1e9 / static_cast<double>(r->messages));
    }
    return spread_of(v);
  }
  std::string placement() const {
    std::set<std::string> classes;
    std::vector<double> trips;
    for (auto* r : runs) {
      classes.insert(placement_class(r->placement_before_ns));
      classes.insert(placement_class(r->placement_after_ns));
      trips.push_back(r->placement_before_ns);
      trips.push_back(r->placement_after_ns);
    }
    std::string text;
    for (const auto& c : classes) text += (text.empty() ? "" : "+") + c;
    const Spread s = spread_of(trips);
    return fmt::format("{} {:.0f}-{:.0f} ns", text, s.min, s.max);
  }
};

std::vector<Group> group_runs(const std::vector<RunResult>& results) {
  std::vector<Group> groups;
  for (const auto& result : results) {
    if (!result.error.empty()) continue;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.transport == result.transport && g.mode == result.mode && g.rate == result.rate;
    });
    if (it == groups.end()) {
      groups.push_back({result.transport, result.mode, result.rate, {}});
      it = groups.end() - 1;
    }
    it->runs.push_back(&result);
  }
  return groups;
}

const Group* find_group(const std::vector<Group>& groups, const Group& like, const std::string& transport) {
  for (const auto& g : groups) {
    if (g.transport == transport && g.mode == like.mode && g.rate == like.rate) return &g;
  }
  return nullptr;
}

std::string ratio(double a, double b) {
  if (a <= 0 || b <= 0) return "-";
  return fmt::format("{:.2f}x", a / b);
}

}  // namespace

void print_run_line(std::ostream& out, const RunResult& r) {
  const double messages = static_cast<double>(r.messages);
  fmt::print(out,
             "# {:<10} {:<10} rate={:<9.0f} run={}  {:.3f} Mmsg/s  {:.3f} GB/s  p50={} p99.9={} max={} ns  "
             "cpu {:.0f}+{:.0f} ns/msg  placement {:.0f}/{:.0f} ns ({}){}{}\n",
             mode_name(r.mode), r.transport, r.rate, r.run, r.messages_per_second / 1e6, r.gigabytes_per_second,
             r.latency.percentile(0.5), r.latency.percentile(0.999), r.latency.max(),
             r.messages ? r.producer_cpu_seconds * 1e9 / messages : 0.0,
             r.messages ? r.consumer_cpu_seconds * 1e9 / messages : 0.0, r.placement_before_ns, r.placement_after_ns,
             placement_class(r.placement_before_ns), r.error.empty() ? "" : "  ERROR: ", r.error);
  out.flush();
}

void print_table(std::ostream& out, const std::vector<RunResult>& results) {
  const auto groups = group_runs(results);
  std::set<std::pair<Mode, double>> sections;
  for (const auto& g : groups) sections.insert({g.mode, g.rate});
  for (const auto& [mode, rate] : sections) {
    out << "\n== " << mode_name(mode);
    if (mode == Mode::kLatency) out << " at " << rate << " msg/s (one-way, ns)";
    if (mode == Mode::kPingPong) out << " (round trip, ns)";
    out << "\n";
    if (mode == Mode::kThroughput) {
      fmt::print(out, "{:<10} {:>4} {:>24} {:>8} {:>9} {:>11} {:>13}  {}\n", "transport", "runs",
                 "Mmsg/s min/median/max", "GB/s", "vs spsc", "shmstream/x", "cpu ns/msg p+c", "placement");
    } else {
      fmt::print(out, "{:<10} {:>4} {:>8} {:>8} {:>8} {:>9} {:>9} {:>10} {:>9} {:>11}  {}\n", "transport", "runs",
                 "p50", "p90", "p99", "p99.9", "p99.99", "max", "vs spsc", "shmstream/x", "placement");
    }
    for (const auto& g : groups) {
      if (g.mode != mode || g.rate != rate) continue;
      const Group* floor = find_group(groups, g, "spsc");
      const Group* ours = find_group(groups, g, "shmstream");
      if (mode == Mode::kThroughput) {
        const Spread t = g.throughput();
        // Throughput: higher is better, so "vs spsc" is this/floor and "shmstream/x" is ours/this.
        fmt::print(out, "{:<10} {:>4} {:>24} {:>8.3f} {:>9} {:>11} {:>13}  {}\n", g.transport, g.runs.size(),
                   fmt::format("{:.2f}/{:.2f}/{:.2f}", t.min / 1e6, t.median / 1e6, t.max / 1e6),
                   g.gigabytes().median, floor ? ratio(t.median, floor->throughput().median) : "-",
                   ours ? ratio(ours->throughput().median, t.median) : "-",
                   fmt::format("{:.0f}+{:.0f}", g.cpu_per_message(true).median, g.cpu_per_message(false).median),
                   g.placement());
      } else {
        // Latency: lower is better, so "vs spsc" is this/floor (>1 = slower) and "shmstream/x" is ours/this
        // (<1 = shmstream faster), both on p50.
        const double p50 = g.quantile(0.5).median;
        fmt::print(out, "{:<10} {:>4} {:>8.0f} {:>8.0f} {:>8.0f} {:>9.0f} {:>9.0f} {:>10.0f} {:>9} {:>11}  {}\n",
                   g.transport, g.runs.size(), p50, g.quantile(0.9).median, g.quantile(0.99).median,
                   g.quantile(0.999).median, g.quantile(0.9999).median, g.maximum().median,
                   floor ? ratio(p50, floor->quantile(0.5).median) : "-",
                   ours ? ratio(ours->quantile(0.5).median, p50) : "-", g.placement());
      }
    }
  }
  for (const auto& r : results) {
    if (!r.error.empty()) out << "FAILED " << mode_name(r.mode) << " " << r.transport << " run " << r.run << ": " << r.error << "\n";
  }
}

void write_json(std::ostream& out, const ReportContext& context, const std::vector<RunResult>& results) {
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  for (const RunResult& r : results) {
    nlohmann::ordered_json latency{{"count", r.latency.count()}, {"min", r.latency.min()}, {"mean", r.latency.mean()}};
    for (size_t q = 0; q < std::size(kQuantiles); ++q) latency[kQuantileNames[q]] = r.latency.percentile(kQuantiles[q]);
    latency["max"] = r.latency.max();
    // A compact CDF for the plot: 100 log-spaced quantiles from p0 to p99.999.
    nlohmann::ordered_json cdf = nlohmann::ordered_json::array();
    for (int k = 0; k <= 100 && r.latency.count() > 0; ++k) {
      const double q = 1.0 - std::pow(10.0, -5.0 * k / 100.0);
      cdf.push_back({q, r.latency.percentile(q)});
    }
    latency["cdf"] = std::move(cdf);
    runs.push_back({{"transport", r.transport},
                    {"mode", mode_name(r.mode)},
                    {"rate", r.rate},
                    {"run", r.run},
                    {"messages", r.messages},
                    {"bytes", r.bytes},
                    {"seconds", r.seconds},
                    {"messages_per_second", r.messages_per_second},
                    {"gigabytes_per_second", r.gigabytes_per_second},
                    {"achieved_send_rate", r.achieved_send_rate},
                    {"placement_before_ns", r.placement_before_ns},
                    {"placement_after_ns", r.placement_after_ns},
                    {"producer_cpu_seconds", r.producer_cpu_seconds},
                    {"consumer_cpu_seconds", r.consumer_cpu_seconds},
                    {"placement_class", placement_class(r.placement_before_ns)},
                    {"latency_ns", std::move(latency)},
                    {"error", r.error}});
  }
  const nlohmann::ordered_json report{{"command", context.command_line},
                                      {"wait", context.wait_mode},
                                      {"message_sizes", context.message_sizes},
                                      {"mean_message_bytes", context.mean_message_bytes},
                                      {"producers", context.producers},
                                      {"consumers", context.consumers},
                                      {"runs", std::move(runs)}};
  out << report.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

}  // namespace feed
