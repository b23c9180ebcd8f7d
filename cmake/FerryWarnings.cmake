# Warnings for Ferry's own targets. Third-party headers come in as SYSTEM includes (imported
# targets do this by default), so their warnings never stop our build.

# Off in the tsan preset only: under ThreadSanitizer's instrumentation g++ 12 reports a "potential
# null pointer dereference" inside std::string that no other build sees.
option(FERRY_WARN_NULL_DEREFERENCE "Warn of potential null dereferences (-Wnull-dereference)" ON)

function(ferry_target_defaults target)
  if(MSVC)  # the windows-msvc preset (described, not run here): MSVC's counterparts
    target_compile_options(${target} PRIVATE /W4 /permissive- /utf-8 /Zc:__cplusplus)
    if(FERRY_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
    target_compile_definitions(${target} PRIVATE OPENSSL_API_COMPAT=30000 OPENSSL_NO_DEPRECATED
                                                 _WIN32_WINNT=0x0A00 NOMINMAX)
    return()
  endif()
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
    -Wcast-align -Wformat=2 -Wimplicit-fallthrough -Wmissing-declarations
    -Wduplicated-cond -Wlogical-op)
  # -Wnull-dereference only where it does not misfire: with optimisation, g++ 12 reports a
  # "potential null pointer dereference" inside Boost.Asio's scheduler (code inlined from system
  # headers, which SYSTEM cannot silence) in every file that runs an io_context.
  get_target_property(asio_user ${target} FERRY_USES_ASIO)
  if(NOT asio_user AND FERRY_WARN_NULL_DEREFERENCE)
    target_compile_options(${target} PRIVATE -Wnull-dereference)
  endif()
  if(FERRY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  target_compile_definitions(${target} PRIVATE OPENSSL_API_COMPAT=30000 OPENSSL_NO_DEPRECATED)
endfunction()

# Marks a target that runs Boost.Asio (see above); call before ferry_target_defaults.
function(ferry_uses_asio target)
  set_target_properties(${target} PROPERTIES FERRY_USES_ASIO TRUE)
endfunction()
