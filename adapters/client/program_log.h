// How every program of baton beside batond logs: to standard error (the journal under systemd),
// one line per event with the time to the millisecond and the level, under the program's name.
#pragma once

namespace baton::adapters {

// Makes a stderr logger named `program` the default one, in baton's line format.
void log_to_stderr(const char* program);

}  // namespace baton::adapters
