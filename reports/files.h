#pragma once
// Writing report files so that a reader never sees half a file: content goes to
// "PATH.tmp.PID", is flushed and fsync'ed, then renamed over PATH. Every write,
// flush, sync and close is checked; a full disk is an error naming the file and
// strerror (e.g. "cannot write out/report.json.tmp.41: No space left on device").

#include <cstdio>
#include <string>
#include <string_view>

#include "sim/status.h"

namespace bpsim::reports {

// Writes all of `data` to `file` and flushes it. `what` names the file in errors.
// Does not close `file`. On failure nothing about the file's content is promised.
Result<bool> WriteAll(std::FILE* file, std::string_view data, const std::string& what);

// Replaces `path` with `content` atomically (see above). On failure the target is
// unchanged and the temporary file is removed.
Result<bool> WriteFileAtomically(const std::string& path, const std::string& content);

// Creates `dir` (and its parents) if needed and checks that a file can be created
// in it, e.g. "cannot write to directory out/: Permission denied".
Result<bool> CheckWritableDirectory(const std::string& dir);

}  // namespace bpsim::reports
