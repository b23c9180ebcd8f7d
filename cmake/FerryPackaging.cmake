# Debian packages with CPack's DEB generator, one per install component (cmake/FerryInstall.cmake):
#   ferry          the agent: /usr/bin/ferry, the systemd unit, /etc/ferry/ferry.yaml (a conffile),
#                  man pages, bash completion; its maintainer scripts create the ferry user
#   ferry-tenant   the reference tenant: /usr/bin/ferry-tenant
# packaging/linux/build-deb.sh builds them the way Debian builds packages (docs/packaging.md).
# No debian/ folder: the top level of the tree is fixed, and CPack reads everything from here.

set(ferry_linux "${PROJECT_SOURCE_DIR}/packaging/linux")

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "ferry")
set(CPACK_PACKAGE_VENDOR "Ferry")
set(CPACK_PACKAGE_VERSION "${FERRY_PACKAGE_VERSION_EFFECTIVE}")
set(CPACK_PACKAGE_CONTACT "${FERRY_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/deb")
set(CPACK_STRIP_FILES ON)  # the binaries are stripped; the build tree keeps the symbols
set(CPACK_COMPONENTS_ALL ferry)
if(TARGET ferry-tenant)
  list(APPEND CPACK_COMPONENTS_ALL ferry-tenant)
endif()

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")  # ferry_0.1.0-1_amd64.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE "${FERRY_PACKAGE_RELEASE}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${FERRY_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# Depends: computed from the binaries' shared libraries by dpkg-shlibdeps (package dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)

set(CPACK_DEBIAN_FERRY_PACKAGE_NAME "ferry")
set(CPACK_DEBIAN_FERRY_PACKAGE_SECTION "admin")
# adduser: the postinst creates the ferry user with it.
set(CPACK_DEBIAN_FERRY_PACKAGE_DEPENDS "adduser")
# The ODBC drivers of the database servers a `type: sql` source reads: whichever the site needs.
set(CPACK_DEBIAN_FERRY_PACKAGE_SUGGESTS "odbc-postgresql, odbc-mariadb, tdsodbc")
# CPack takes a description's first line as the summary, indents the rest and marks empty lines
# with " ." as Debian's control format wants.
set(CPACK_COMPONENT_FERRY_DESCRIPTION
    "on-premise data agent that pseudonymizes school data before it leaves
Ferry carries a school's roster and learning data (OneRoster CSV exports,
SIS and LMS APIs, SQL databases) to an education vendor's cloud. Personal data is
pseudonymized on site with keys the school keeps; batches wait in a local
spool until the vendor's tenant acknowledges them, and travel over TLS 1.3,
sealed to the tenant's key.

This package installs the agent, ferry, as a hardened systemd service that
runs as the ferry system user, with an example configuration in
/etc/ferry/ferry.yaml. The service starts once the key file exists
(ferry keys init).")
# The maintainer scripts (Debian policy chapter 6) and the conffiles list. dpkg takes the files
# under /etc as conffiles only when the list names them.
set(CPACK_DEBIAN_FERRY_PACKAGE_CONTROL_EXTRA
    "${ferry_linux}/postinst;${ferry_linux}/prerm;${ferry_linux}/postrm;${ferry_linux}/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_FERRY-TENANT_PACKAGE_NAME "ferry-tenant")
set(CPACK_DEBIAN_FERRY-TENANT_PACKAGE_SECTION "net")
set(CPACK_COMPONENT_FERRY-TENANT_DESCRIPTION
    "reference receiving side for the Ferry data agent
ferry-tenant is the reference implementation of the tenant that Ferry agents
send to: it accepts agents over TLS 1.3 WebSockets, checks their tokens, opens
the sealed batches with the tenant's private key and writes the rows as JSON
lines. It is meant for vendors who build their own tenant and for tests, not
for production use as is.")

include(CPack)
