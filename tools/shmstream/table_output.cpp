#include "table_output.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <optional>
#include <set>
#include <vector>

namespace shmstream::cli {
namespace {

// Display width: one column per code point. (awscli counts East Asian wide and ambiguous characters as two;
// every name, id, number and timestamp of a Kinesis response is ASCII.)
int text_length(const std::string& text) {
  int length = 0;
  for (const char c : text) length += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return length;
}

std::string spaces(int count) { return std::string(static_cast<size_t>(std::max(0, count)), ' '); }

std::string scalar_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
  if (value.is_null()) return "None";
  return value.dump();
}

bool is_scalar(const Json& value) { return !value.is_object() && !value.is_array(); }

// Python's `not value` for a JSON value.
bool is_empty(const Json& value) {
  if (value.is_object() || value.is_array() || value.is_string()) return value.empty();
  if (value.is_null()) return true;
  if (value.is_boolean()) return !value.get<bool>();
  if (value.is_number_integer()) return value.get<long long>() == 0;
  return value.get<double>() == 0.0;
}

std::string center_text(const std::string& text, int length, const std::string& left, const std::string& right) {
  const int size = text_length(text);
  const int start = length / 2 - size / 2 - 1;
  const int so_far = text_length(left) + start + size;
  return left + spaces(start) + text + spaces(length - text_length(right) - so_far) + right;
}

std::string align_left(const std::string& text, int length, const std::string& left, const std::string& right) {
  const int size = text_length(text);
  const int padding = length - (size + 2 + text_length(left) + text_length(right)) >= 0 ? 2 : 0;
  const int so_far = static_cast<int>(left.size()) + padding + size;
  return left + spaces(padding) + text + spaces(length - so_far - static_cast<int>(right.size())) + right;
}

struct Section {
  std::string title;
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  int indent_level = 0;
  std::optional<size_t> columns;
  std::vector<int> max_widths;

  void update_max_widths(const std::vector<std::string>& row) {
    if (max_widths.empty()) {
      for (const std::string& element : row) max_widths.push_back(text_length(element));
      return;
    }
    for (size_t i = 0; i < row.size() && i < max_widths.size(); ++i) {
      max_widths[i] = std::max(max_widths[i], text_length(row[i]));
    }
  }
  void add_header(const std::vector<std::string>& names) {
    update_max_widths(names);
    if (!columns) columns = names.size();
    headers = names;
  }
  void add_row(const std::vector<std::string>& row) {
    if (!columns) columns = row.size();
    rows.push_back(row);
    update_max_widths(row);
  }

  std::vector<int> column_widths(int padding, std::optional<int> max_width) const {
    std::vector<int> widths;
    for (const int width : max_widths) widths.push_back(width + padding);
    if (!max_width || widths.empty()) return widths;
    int sum = 0;
    for (const int width : widths) sum += width;
    const double scale = *max_width / static_cast<double>(sum);
    std::vector<int> scaled;
    for (const int width : widths) scaled.push_back(static_cast<int>(std::nearbyint(scale * width)));  // ties to even
    int sum_scaled = 0;
    for (const int width : scaled) sum_scaled += width;
    int off_by = sum_scaled - *max_width;
    while (off_by != 0) {
      for (size_t k = 0; k < scaled.size(); ++k) {
        const size_t i = off_by < 0 ? scaled.size() - 1 - k : k;
        if (off_by > 0) {
          --scaled[i];
          --off_by;
        } else {
          ++scaled[i];
          ++off_by;
        }
        if (off_by == 0) break;
      }
    }
    return scaled;
  }

  int total_width(int padding, int outer_padding) const {
    int total = 0;
    for (const int width : column_widths(0, std::nullopt)) total += width + padding;
    total += 2 + 2 * outer_padding;
    return std::max(text_length(title) + 2 + 2 * outer_padding, total);
  }
};

class TableBuilder {
 public:
  bool build(const std::optional<std::string>& title, const Json& current, int indent_level) {
    if (is_empty(current)) return false;
    if (title) new_section(*title, indent_level);
    if (current.is_array()) {
      if (current[0].is_object()) {
        build_from_list(current, indent_level, title.value_or(""));
      } else {
        for (const Json& item : current) {
          if (is_scalar(item)) {
            section().add_row({scalar_text(item)});
          } else if (std::all_of(item.begin(), item.end(), [](const Json& e) { return is_scalar(e); })) {
            std::vector<std::string> row;
            if (item.is_object()) {
              for (const auto& [key, value] : item.items()) row.push_back(key);
            } else {
              for (const Json& element : item) row.push_back(scalar_text(element));
            }
            section().add_row(row);
          } else {
            build(std::nullopt, item, 0);
          }
        }
      }
    }
    if (current.is_object()) build_from_object(current, indent_level);
    return true;
  }

  std::vector<Section>& sections() { return sections_; }

 private:
  Section& section() { return sections_.back(); }

  void new_section(const std::string& title, int indent_level) {
    sections_.emplace_back();
    section().title = title;
    section().indent_level = indent_level;
  }

  static void scalar_keys(const Json& object, std::set<std::string>& headers, std::set<std::string>& more) {
    for (const auto& [key, value] : object.items()) (is_scalar(value) ? headers : more).insert(key);
  }

  void build_from_object(const Json& current, int indent_level) {
    std::set<std::string> header_set, more;
    scalar_keys(current, header_set, more);
    const std::vector<std::string> headers(header_set.begin(), header_set.end());
    if (headers.size() == 1) {
      section().add_row({headers[0], scalar_text(current[headers[0]])});
    } else if (!headers.empty()) {
      section().add_header(headers);
      std::vector<std::string> row;
      for (const std::string& key : headers) row.push_back(scalar_text(current[key]));
      section().add_row(row);
    }
    for (const std::string& key : more) build(key, current[key], indent_level + 1);
  }

  void build_from_list(const Json& current, int indent_level, const std::string& title) {
    std::set<std::string> header_set, more;
    for (const Json& element : current) {
      if (element.is_object()) scalar_keys(element, header_set, more);
    }
    const std::vector<std::string> headers(header_set.begin(), header_set.end());
    section().add_header(headers);
    bool first = true;
    for (const Json& element : current) {
      if (!first && !more.empty()) {
        new_section(title, indent_level);
        section().add_header(headers);
      }
      first = false;
      std::vector<std::string> row;
      for (const std::string& key : headers) {
        row.push_back(element.is_object() && element.contains(key) ? scalar_text(element[key]) : "");
      }
      section().add_row(row);
      for (const std::string& key : more) {
        if (element.is_object() && element.contains(key)) build(key, element[key], indent_level + 1);
      }
    }
  }

  std::vector<Section> sections_;
};

std::string line_break(const std::vector<int>& widths) {
  std::string line;
  for (size_t i = 0; i < widths.size(); ++i) {
    line += i == 0 ? "+" + std::string(static_cast<size_t>(std::max(0, widths[i] - 2)), '-') + "+"
                   : std::string(static_cast<size_t>(std::max(0, widths[i] - 1)), '-') + "+";
  }
  return line + "\n";
}

// awscli's IndentedStream: every line of a section framed by one '|' per indent level on each side.
void write_indented(std::string& out, int indent_level, const std::string& line) {
  const std::string frame(static_cast<size_t>(indent_level), '|');
  out += frame + line.substr(0, line.size() - 1) + frame + "\n";
}

void render_section(const Section& section, int max_width, std::string& out) {
  max_width -= section.indent_level * 2;
  const int indent = section.indent_level;
  if (!section.title.empty()) {
    write_indented(out, indent, center_text(section.title, max_width, "|", "|") + "\n");
    if (section.headers.empty() && section.rows.empty()) {
      write_indented(out, indent, "+" + std::string(static_cast<size_t>(std::max(0, max_width - 2)), '-') + "+\n");
    }
  }
  if (!section.headers.empty()) {
    const std::vector<int> widths = section.column_widths(4, max_width);
    std::string line;
    for (size_t i = 0; i < widths.size() && i < section.headers.size(); ++i) {
      line += center_text(section.headers[i], widths[i], i == 0 ? "|" : "", "|");
    }
    write_indented(out, indent, line_break(widths));
    write_indented(out, indent, line + "\n");
  }
  if (!section.rows.empty()) {
    const std::vector<int> widths = section.column_widths(4, max_width);
    if (widths.empty()) return;
    write_indented(out, indent, line_break(widths));
    for (const std::vector<std::string>& row : section.rows) {
      std::string line;
      for (size_t i = 0; i < widths.size() && i < row.size(); ++i) {
        line += align_left(row[i], widths[i], i == 0 ? "|" : "", "|");
      }
      write_indented(out, indent, line + "\n");
    }
    write_indented(out, indent, line_break(widths));
  }
}

int max_section_width(const std::vector<Section>& sections) {
  int width = 0;
  for (const Section& section : sections) width = std::max(width, section.total_width(4, section.indent_level));
  return width;
}

}  // namespace

int stdout_terminal_width() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return 80;
  return size.ws_col;
}

std::string format_table(const std::string& title, const Json& document, int terminal_width) {
  TableBuilder builder;
  if (!builder.build(title, document, 0)) return "";
  std::vector<Section>& sections = builder.sections();
  int max_width = max_section_width(sections);
  if (max_width > terminal_width) {
    // Too wide: sections of one row become vertical key/value lists.
    for (Section& section : sections) {
      if (section.rows.size() != 1 || section.headers.empty()) continue;
      Section vertical;
      vertical.title = section.title;
      vertical.indent_level = section.indent_level;
      for (size_t i = 0; i < section.headers.size() && i < section.rows[0].size(); ++i) {
        vertical.add_row({section.headers[i], section.rows[0][i]});
      }
      section = vertical;
    }
    max_width = max_section_width(sections);
  }
  std::string out(static_cast<size_t>(max_width), '-');
  out += "\n";
  for (const Section& section : sections) render_section(section, max_width, out);
  return out;
}

}  // namespace shmstream::cli
