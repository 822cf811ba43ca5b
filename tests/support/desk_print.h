// How GoogleTest prints the exception desk's enums in a failure: by their names.
#pragma once

#include <ostream>

#include "desk_records.h"

namespace baton {

inline void PrintTo(exception_kind k, std::ostream* os) {
    *os << kind_name(k);
}
inline void PrintTo(severity s, std::ostream* os) {
    *os << severity_name(s);
}
inline void PrintTo(exception_state s, std::ostream* os) {
    *os << state_name(s);
}
inline void PrintTo(task_state s, std::ostream* os) {
    *os << state_name(s);
}
inline void PrintTo(exception_transition t, std::ostream* os) {
    *os << transition_name(t);
}
inline void PrintTo(task_transition t, std::ostream* os) {
    *os << transition_name(t);
}

}  // namespace baton
