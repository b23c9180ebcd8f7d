# Checks that each module (a folder of agent/, connectors/ or common/) includes only headers of
# the modules it may use: the graph of docs/architecture.md, which the CMake targets link. A
# static library catches a forbidden call only when it needs a symbol; this catches the include.
#
#   cmake -DROOT=<source dir> -P cmake/check_module_includes.cmake   (a CTest test runs it)
#
# Each list names the folders a module may include from, besides its own. Keep it in step with
# the DEPS of the module's CMakeLists.txt.
set(common "common/")
set(pipeline_deps ${common} "connectors/" "agent/policy/" "agent/spool/" "agent/pipeline/")
set(collector_deps ${pipeline_deps} "agent/collector/")
set(control_deps ${collector_deps} "agent/uplink/" "agent/control/")
set(app_deps ${control_deps} "agent/metrics/" "agent/app/")

set(allowed_common ${common})
set(allowed_connectors/api ${common})
set(allowed_connectors/registry ${common} "connectors/")
# Every other folder of connectors/; a file connector may also use what the file connectors
# share (the SFTP transport and the file readers), an API connector what the API connectors
# share (http_api/: the API session, JSON rows), a OneRoster connector what both bindings share
# (oneroster/: the preset).
set(allowed_a_connector ${common} "connectors/api/" "connectors/sftp/" "connectors/files/"
    "connectors/http_api/" "connectors/oneroster/")
# The SQL connector for database servers is the query connector's engine-neutral part with an
# ODBC engine.
set(allowed_connectors/sql ${allowed_a_connector} "connectors/sqlite_query/")
set(allowed_agent/policy ${common} "connectors/api/")
set(allowed_agent/spool ${common})
set(allowed_agent/pipeline ${pipeline_deps})
set(allowed_agent/collector ${collector_deps})
set(allowed_agent/uplink ${common} "agent/spool/")
set(allowed_agent/control ${control_deps})
set(allowed_agent/metrics ${control_deps})
set(allowed_agent/app ${app_deps})
set(allowed_agent/cli ${app_deps} "agent/cli/")
set(allowed_agent ${app_deps} "agent/cli/")  # agent/main.cpp

file(GLOB_RECURSE files RELATIVE "${ROOT}" "${ROOT}/agent/*.[ch]pp" "${ROOT}/connectors/*.[ch]pp"
     "${ROOT}/common/*.[ch]pp")
set(violations "")
foreach(file IN LISTS files)
  string(REGEX MATCH "^(common|connectors/[a-z_]+|agent/[a-z_]+)/" module "${file}")
  string(REGEX REPLACE "/$" "" module "${module}")
  if(module MATCHES "^common")
    set(module "common")
  endif()
  if(module STREQUAL "" OR module MATCHES "^agent/main")
    set(module "agent")
  endif()
  if(module MATCHES "^connectors/" AND NOT DEFINED allowed_${module})
    set(allowed_${module} ${allowed_a_connector})
  endif()
  if(NOT DEFINED allowed_${module})
    list(APPEND violations "${file}: module ${module} is not in cmake/check_module_includes.cmake")
    continue()
  endif()
  file(STRINGS "${ROOT}/${file}" includes REGEX "^#include \"(agent|connectors|common)/")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" header "${line}")
    if(header MATCHES "^${module}/")
      continue()
    endif()
    set(ok FALSE)
    foreach(prefix IN LISTS allowed_${module})
      string(FIND "${header}" "${prefix}" at)
      if(at EQUAL 0)
        set(ok TRUE)
      endif()
    endforeach()
    if(NOT ok)
      list(APPEND violations "${file} includes ${header}, which ${module} may not use")
    endif()
  endforeach()
endforeach()
if(violations)
  list(JOIN violations "\n" text)
  message(FATAL_ERROR "modules reach where they may not:\n${text}")
endif()
list(LENGTH files count)
message(STATUS "module includes: ${count} files checked, every include allowed")
