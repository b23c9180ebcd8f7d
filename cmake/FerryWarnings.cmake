# Warnings for Ferry's own targets. Third-party headers come in as SYSTEM includes (imported
# targets do this by default), so their warnings never stop our build.
function(ferry_target_defaults target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
    -Wcast-align -Wformat=2 -Wimplicit-fallthrough -Wmissing-declarations
    -Wnull-dereference -Wduplicated-cond -Wlogical-op)
  if(FERRY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  target_compile_definitions(${target} PRIVATE OPENSSL_API_COMPAT=30000 OPENSSL_NO_DEPRECATED)
endfunction()
