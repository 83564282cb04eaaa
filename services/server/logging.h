#pragma once

// Structured logs on spdlog: an event name and key/value fields, printed as
// "event key=value ..." (text) or one JSON object per line (json). Customer
// personal data (names, numbers, e-mails, free text) is never passed as a field at
// info level or above.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

namespace servicedesk::server {

using LogField = std::pair<std::string_view, std::string>;

// Configures the default logger; `format` is "text" or "json", `level` a spdlog level name.
void ConfigureLogging(std::string_view format, std::string_view level);

void LogEvent(spdlog::level::level_enum level, std::string_view event,
              std::initializer_list<LogField> fields = {});

}  // namespace servicedesk::server
