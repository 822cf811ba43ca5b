# Install-time step: writes /etc/baton/{baton,flow,customers,board,alerts}.yaml, batond.service,
# baton-board.service and baton-alerts.service with the absolute paths of this install. Prefix /usr (the default, and the
# .deb) puts them in /etc/baton and /lib/systemd/system; any other prefix keeps them under it, as
# GNUInstallDirs does.
string(REGEX REPLACE "/+$" "" prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "" OR prefix STREQUAL "/usr")
  set(etc_dir "/etc/baton")
  set(unit_dir "/lib/systemd/system")
else()
  set(etc_dir "${prefix}/etc/baton")
  set(unit_dir "${prefix}/lib/systemd/system")
endif()

# Sets the value of the one line `key: value` in `text`, keeping the column of its comment.
# Fails when the line is missing or repeated, so a change to the config file (`source`) that
# this generator does not expect stops the install instead of shipping a wrong path.
function(baton_set_value key value)
  string(REGEX MATCHALL "\n *${key}: +[^ \n]+ *" lines "\n${text}")
  list(LENGTH lines count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "${source}: expected one '${key}:' line, found ${count}")
  endif()
  string(REGEX MATCH "^\n *${key}: +" head "${lines}")
  string(REGEX MATCH "[^ \n]+ *$" tail "${lines}")
  string(REGEX MATCH " *$" spaces "${tail}")
  string(LENGTH "${tail}" width)
  string(LENGTH "${value}" used)
  set(pad "")
  if(NOT spaces STREQUAL "")
    math(EXPR n "${width} - ${used}")
    if(n LESS 1)
      set(n 1)
    endif()
    string(REPEAT " " ${n} pad)
  endif()
  string(REPLACE "${lines}" "${head}${value}${pad}" result "\n${text}")
  string(SUBSTRING "${result}" 1 -1 result)
  set(text "${result}" PARENT_SCOPE)
endfunction()

set(source config/baton.yaml)
file(READ "${BATON_SOURCE_DIR}/${source}" text)
string(REGEX REPLACE "^(#[^\n]*\n)+" "" text "${text}")
baton_set_value(data_dir "/var/lib/baton")
baton_set_value(schemas "${prefix}/${BATON_SCHEMAS_SUBDIR}")
baton_set_value(flow "${etc_dir}/flow.yaml")
baton_set_value(customers "${etc_dir}/customers.yaml")
baton_set_value(path "/var/log/baton/exceptions.jsonl")
set(text "# batond's configuration as installed; batond.service starts batond with it. State in
# /var/lib/baton and the feed in /var/log/baton (the unit's StateDirectory and LogsDirectory).
# `batond --config ${etc_dir}/baton.yaml --check-config` validates it; then restart batond.
${text}")
file(MAKE_DIRECTORY "${BATON_STAGING_DIR}")
file(WRITE "${BATON_STAGING_DIR}/baton.yaml" "${text}")

# baton-board: its users file and relay position in its own state folder, which the unit's
# StateDirectory= makes and lets it write (the users page and adduser rewrite the users file).
set(source config/board.yaml)
file(READ "${BATON_SOURCE_DIR}/${source}" text)
string(REGEX REPLACE "^(#[^\n]*\n)+" "" text "${text}")
baton_set_value(users "/var/lib/baton/board/users.yaml")
baton_set_value(state "/var/lib/baton/board")
set(text "# baton-board's configuration as installed; baton-board.service starts the board with it.
# Users and state in /var/lib/baton/board (the unit's StateDirectory). `sudo -u baton baton-board
# -c ${etc_dir}/board.yaml --check-config` validates it; then restart baton-board. Every key is
# described in ${prefix}/${BATON_DOC_SUBDIR}/board/README.md.
${text}")
file(WRITE "${BATON_STAGING_DIR}/board.yaml" "${text}")

# baton-alerts: its relay position and alert book in its own state folder (the unit's
# StateDirectory=).
set(source config/alerts.yaml)
file(READ "${BATON_SOURCE_DIR}/${source}" text)
string(REGEX REPLACE "^(#[^\n]*\n)+" "" text "${text}")
baton_set_value(state "/var/lib/baton/alerts")
set(text "# baton-alerts' configuration as installed; baton-alerts.service starts it with it. State in
# /var/lib/baton/alerts (the unit's StateDirectory). Validate it with
#   baton-alerts -c ${etc_dir}/alerts.yaml --check-config
# then restart baton-alerts. Every key and the labels each alert gets are described in
# ${prefix}/${BATON_DOC_SUBDIR}/adapters/alerts/README.md.
${text}")
file(WRITE "${BATON_STAGING_DIR}/alerts.yaml" "${text}")

configure_file("${BATON_SOURCE_DIR}/config/flow.yaml" "${BATON_STAGING_DIR}/flow.yaml" COPYONLY)
configure_file("${BATON_SOURCE_DIR}/packaging/customers.yaml" "${BATON_STAGING_DIR}/customers.yaml"
               COPYONLY)

file(READ "${BATON_SOURCE_DIR}/config/batond.service" unit)
string(REPLACE "/usr/bin/batond" "${prefix}/bin/batond" unit "${unit}")
string(REPLACE "/etc/baton/" "${etc_dir}/" unit "${unit}")
string(REPLACE "file:/usr/share/doc/baton/" "file:${prefix}/${BATON_DOC_SUBDIR}/" unit "${unit}")
file(WRITE "${BATON_STAGING_DIR}/batond.service" "${unit}")

file(READ "${BATON_SOURCE_DIR}/config/baton-board.service" unit)
string(REPLACE "/usr/bin/baton-board" "${prefix}/bin/baton-board" unit "${unit}")
string(REPLACE "/etc/baton/" "${etc_dir}/" unit "${unit}")
string(REPLACE "file:/usr/share/doc/baton/" "file:${prefix}/${BATON_DOC_SUBDIR}/" unit "${unit}")
file(WRITE "${BATON_STAGING_DIR}/baton-board.service" "${unit}")

file(READ "${BATON_SOURCE_DIR}/config/baton-alerts.service" unit)
string(REPLACE "/usr/bin/baton-alerts" "${prefix}/bin/baton-alerts" unit "${unit}")
string(REPLACE "/etc/baton/" "${etc_dir}/" unit "${unit}")
string(REPLACE "file:/usr/share/doc/baton/" "file:${prefix}/${BATON_DOC_SUBDIR}/" unit "${unit}")
file(WRITE "${BATON_STAGING_DIR}/baton-alerts.service" "${unit}")

# The adapters' template units (one instance per config in /etc/baton/<adapter>/NAME.yaml).
foreach(name baton-sql-out@.service baton-csv-out@.service)
  file(READ "${BATON_SOURCE_DIR}/config/${name}" unit)
  string(REPLACE "/usr/bin/" "${prefix}/bin/" unit "${unit}")
  string(REPLACE "/etc/baton/" "${etc_dir}/" unit "${unit}")
  string(REPLACE "file:/usr/share/doc/baton/" "file:${prefix}/${BATON_DOC_SUBDIR}/" unit "${unit}")
  file(WRITE "${BATON_STAGING_DIR}/${name}" "${unit}")
endforeach()

# A config file that is already there was perhaps edited by the plant: it stays, and the new
# default goes beside it as NAME.new (the .deb's conffiles handling does the same job for dpkg).
foreach(name baton.yaml flow.yaml customers.yaml board.yaml alerts.yaml)
  set(installed "$ENV{DESTDIR}${etc_dir}/${name}")
  if(EXISTS "${installed}")
    file(READ "${installed}" old)
    file(READ "${BATON_STAGING_DIR}/${name}" new)
    if(NOT old STREQUAL new)
      message(STATUS "Keeping: ${installed} (the new default is ${name}.new)")
      file(INSTALL DESTINATION "${etc_dir}" TYPE FILE RENAME "${name}.new"
           FILES "${BATON_STAGING_DIR}/${name}")
      continue()
    endif()
  endif()
  list(APPEND CMAKE_ABSOLUTE_DESTINATION_FILES "${etc_dir}/${name}")
  file(INSTALL DESTINATION "${etc_dir}" TYPE FILE FILES "${BATON_STAGING_DIR}/${name}")
endforeach()
foreach(name batond.service baton-board.service baton-alerts.service baton-sql-out@.service
             baton-csv-out@.service)
  list(APPEND CMAKE_ABSOLUTE_DESTINATION_FILES "${unit_dir}/${name}")
  file(INSTALL DESTINATION "${unit_dir}" TYPE FILE FILES "${BATON_STAGING_DIR}/${name}")
endforeach()
