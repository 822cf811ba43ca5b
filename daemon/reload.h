// Reload (SIGHUP or the `reload` command): re-reads baton.yaml's log level, batch, snapshot and
// storage settings, the schemas, the flow and the customers file, all or nothing. A bad file
// changes nothing and says why. Endpoints, the data folder, the feed path and the CURVE server
// key change only with a restart (a warning says so).
#pragma once

#include <string>

#include "daemon_state.h"

namespace baton {

// Applies the files to `s`; "" when applied, else why nothing changed. On success `security`
// gets the security section as now configured, for the loop to apply to its sockets.
std::string reload_files(daemon_state& s, security_config& security);

}  // namespace baton
