#include "services/server/logging.h"

#include <atomic>

#include <spdlog/sinks/stdout_sinks.h>

namespace servicedesk::server {

namespace {
std::atomic<bool> json_format{false};

void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}
}  // namespace

void ConfigureLogging(std::string_view format, std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("servicedeskd");
  json_format = format == "json";
  if (json_format) {
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void LogEvent(spdlog::level::level_enum level, std::string_view event,
              std::initializer_list<LogField> fields) {
  if (!spdlog::default_logger_raw()->should_log(level)) return;
  std::string line;
  if (json_format) {
    line.append("\"event\":");
    AppendJsonString(&line, event);
    for (const auto& [key, value] : fields) {
      line.push_back(',');
      AppendJsonString(&line, key);
      line.push_back(':');
      AppendJsonString(&line, value);
    }
  } else {
    line.append(event.data(), event.size());
    for (const auto& [key, value] : fields) {
      line.push_back(' ');
      line.append(key.data(), key.size());
      line.push_back('=');
      const bool quote = value.empty() || value.find_first_of(" \"=") != std::string::npos;
      if (quote) {
        AppendJsonString(&line, value);
      } else {
        line.append(value);
      }
    }
  }
  spdlog::default_logger_raw()->log(level, "{}", line);
}

}  // namespace servicedesk::server
