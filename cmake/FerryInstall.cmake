# What `cmake --install` puts where, in two components: `ferry` (the agent, its unit, its example
# configuration, man pages, bash completion, Debian's copyright and changelog files) and
# `ferry-tenant` (the reference tenant and its man page). cmake/FerryPackaging.cmake makes one
# .deb of each.
#
# The layout is the Debian package's (docs/packaging.md): configure with
# -DCMAKE_INSTALL_PREFIX=/usr, as packaging/linux/build-deb.sh does, so that GNUInstallDirs puts
# the configuration in /etc (it does so for the /usr prefix only). The unit's folder is absolute:
# bookworm's systemd and lintian want units in /lib/systemd/system, not /usr/lib/systemd/system.
include(GNUInstallDirs)

set(FERRY_SYSTEMD_UNIT_DIR "/lib/systemd/system" CACHE PATH
    "Where the ferry.service unit is installed")
set(FERRY_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions" CACHE PATH
    "Where the bash completion of ferry is installed (relative: under the prefix)")
# Empty: the project's version. packaging/linux/build-deb.sh sets it to make a package of the same
# tree with another version (the upgrade test installs a lower one first).
set(FERRY_PACKAGE_VERSION "" CACHE STRING "The packages' upstream version (default: the project's)")
if(FERRY_PACKAGE_VERSION STREQUAL "")
  set(FERRY_PACKAGE_VERSION_EFFECTIVE "${PROJECT_VERSION}")
else()
  set(FERRY_PACKAGE_VERSION_EFFECTIVE "${FERRY_PACKAGE_VERSION}")
endif()
set(FERRY_PACKAGE_RELEASE "1" CACHE STRING "The packages' Debian revision")
set(FERRY_PACKAGE_MAINTAINER "Ferry maintainers <ferry@example.org>" CACHE STRING
    "The packages' Maintainer: field and changelog signature")

set(ferry_linux "${PROJECT_SOURCE_DIR}/packaging/linux")
set(ferry_docdir "${CMAKE_INSTALL_DATAROOTDIR}/doc/ferry")

install(TARGETS ferry RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT ferry)
if(TARGET ferry-tenant)
  install(TARGETS ferry-tenant RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT ferry-tenant)
endif()

install(FILES "${ferry_linux}/ferry.service" DESTINATION "${FERRY_SYSTEMD_UNIT_DIR}"
        COMPONENT ferry)
# Mode 0640: the configuration may hold secrets (a token written inline). Its group becomes ferry
# in the package's postinst, once the group exists.
install(FILES "${ferry_linux}/ferry.yaml" DESTINATION "${CMAKE_INSTALL_FULL_SYSCONFDIR}/ferry"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT ferry)
install(FILES "${ferry_linux}/ferry.bash-completion" DESTINATION "${FERRY_BASH_COMPLETION_DIR}"
        RENAME ferry COMPONENT ferry)

# Debian's files for every binary package: copyright and changelog.Debian.gz (Debian policy
# 12.5 and 12.7; lintian reports their absence as errors). The changelog names the version the
# package is built with; its date, like the man pages', is SOURCE_DATE_EPOCH's when that is set.
string(TIMESTAMP ferry_changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(ferry_generated "${PROJECT_BINARY_DIR}/packaging")
foreach(component ferry ferry-tenant)
  configure_file("${ferry_linux}/changelog.Debian.in"
                 "${ferry_generated}/${component}/changelog.Debian" @ONLY)
endforeach()

# Man pages ferry(1), ferry.yaml(5) and ferry-tenant(1), made from the docs with pandoc and
# compressed as Debian wants (gzip -9n: no name or time stamp inside, so the same page gives the
# same bytes). AUTO: made when pandoc is found; ON: pandoc is required (the package build); OFF:
# none.
set(FERRY_MAN_PAGES "AUTO" CACHE STRING "Make the man pages with pandoc: AUTO, ON or OFF")
set_property(CACHE FERRY_MAN_PAGES PROPERTY STRINGS AUTO ON OFF)
find_program(FERRY_GZIP gzip REQUIRED)
if(FERRY_MAN_PAGES STREQUAL "ON")
  find_program(FERRY_PANDOC pandoc REQUIRED)
elseif(FERRY_MAN_PAGES STREQUAL "AUTO")
  find_program(FERRY_PANDOC pandoc)
endif()
set(ferry_gzipped "")
if(FERRY_PANDOC AND NOT FERRY_MAN_PAGES STREQUAL "OFF")
  set(man_dir "${PROJECT_BINARY_DIR}/man")
  string(TIMESTAMP ferry_man_date "%Y-%m-%d" UTC)
  # ferry_man_page(COMPONENT NAME SECTION MARKDOWN...): NAME.SECTION.gz from the Markdown files,
  # read in order, installed with COMPONENT.
  function(ferry_man_page component name section)
    set(out "${man_dir}/${name}.${section}")
    add_custom_command(
      OUTPUT "${out}.gz"
      COMMAND "${CMAKE_COMMAND}" -E make_directory "${man_dir}"
      COMMAND "${FERRY_PANDOC}" --standalone --from markdown --to man
              --lua-filter "${PROJECT_SOURCE_DIR}/docs/man/table-widths.lua"
              --metadata "title=${name}" --metadata "section=${section}"
              --metadata "header=Ferry manual" --metadata "footer=ferry ${PROJECT_VERSION}"
              --metadata "date=${ferry_man_date}" --output "${out}" ${ARGN}
      COMMAND "${FERRY_GZIP}" -9nf "${out}"
      DEPENDS ${ARGN} "${PROJECT_SOURCE_DIR}/docs/man/table-widths.lua"
      COMMENT "Man page ${name}(${section})"
      VERBATIM)
    set(ferry_gzipped ${ferry_gzipped} "${out}.gz" PARENT_SCOPE)
    install(FILES "${out}.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${section}"
            COMPONENT ${component})
  endfunction()
  ferry_man_page(ferry ferry 1 "${PROJECT_SOURCE_DIR}/docs/man/ferry.1.md")
  # The configuration and tenant references are the docs themselves, after a NAME and SYNOPSIS.
  ferry_man_page(ferry ferry.yaml 5 "${PROJECT_SOURCE_DIR}/docs/man/ferry.yaml.5.md"
                 "${PROJECT_SOURCE_DIR}/docs/configuration.md")
  if(TARGET ferry-tenant)
    ferry_man_page(ferry-tenant ferry-tenant 1 "${PROJECT_SOURCE_DIR}/docs/man/ferry-tenant.1.md"
                   "${PROJECT_SOURCE_DIR}/docs/tenant.md")
  endif()
endif()

foreach(component ferry ferry-tenant)
  set(changelog "${ferry_generated}/${component}/changelog.Debian")
  add_custom_command(
    OUTPUT "${changelog}.gz"
    COMMAND "${CMAKE_COMMAND}" -E copy "${changelog}" "${changelog}.tmp"
    COMMAND "${FERRY_GZIP}" -9nf "${changelog}.tmp"
    COMMAND "${CMAKE_COMMAND}" -E rename "${changelog}.tmp.gz" "${changelog}.gz"
    DEPENDS "${changelog}"
    COMMENT "changelog.Debian.gz of ${component}"
    VERBATIM)
  list(APPEND ferry_gzipped "${changelog}.gz")
endforeach()
add_custom_target(ferry-docs ALL DEPENDS ${ferry_gzipped})

install(FILES "${ferry_linux}/copyright" DESTINATION "${ferry_docdir}" COMPONENT ferry)
# What lintian reports on purpose (each line says why).
install(FILES "${ferry_linux}/ferry.lintian-overrides"
        DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides" RENAME ferry COMPONENT ferry)
install(FILES "${ferry_generated}/ferry/changelog.Debian.gz" DESTINATION "${ferry_docdir}"
        COMPONENT ferry)
if(TARGET ferry-tenant)
  install(FILES "${ferry_linux}/copyright"
          DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/ferry-tenant" COMPONENT ferry-tenant)
  install(FILES "${ferry_generated}/ferry-tenant/changelog.Debian.gz"
          DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/ferry-tenant" COMPONENT ferry-tenant)
endif()
