# ehtrace::shared — libehtrace.so: the same code as the static library
# (whole archive), for C (ehtrace/ehtrace.h) and for languages that load a
# shared library (Python ctypes...). A version script exports only its
# contract (docs/abi.md): the C API (ehtrace_*) and the C++ dynamic API,
# whose names carry the ABI version (ehtrace::dynamic::abi_v<SOVERSION>);
# everything else stays private. Consumers get no C++20 requirement from it:
# ehtrace/dynamic.hpp and ehtrace/ehtrace.h compile as C++17 and C.
#
# The inline namespace of dynamic.hpp names the SOVERSION: check they agree.
file(STRINGS ${PROJECT_SOURCE_DIR}/include/ehtrace/dynamic.hpp ehtrace_abi_line REGEX "^inline namespace abi_v[0-9]+ {")
if(NOT ehtrace_abi_line STREQUAL "inline namespace abi_v${PROJECT_VERSION_MAJOR} {")
    message(FATAL_ERROR "include/ehtrace/dynamic.hpp has '${ehtrace_abi_line}' but the SOVERSION is "
                        "${PROJECT_VERSION_MAJOR}: bump both together (docs/abi.md)")
endif()
if(NOT "abi_v${PROJECT_VERSION_MAJOR}" STREQUAL "abi_v4")
    message(FATAL_ERROR "src/writer/libehtrace.map exports ehtrace::dynamic::abi_v4: update it with the SOVERSION")
endif()
set(ehtrace_version_script ${CMAKE_CURRENT_SOURCE_DIR}/libehtrace.map)
add_library(ehtrace_shared SHARED ${ehtrace_version_script})
target_link_libraries(ehtrace_shared PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,ehtrace>" Threads::Threads)
target_link_libraries(ehtrace_shared PUBLIC ehtrace::wire)
target_include_directories(ehtrace_shared PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(ehtrace_shared PROPERTIES
    OUTPUT_NAME ehtrace
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}
    LINKER_LANGUAGE CXX
    LINK_DEPENDS ${ehtrace_version_script})
target_link_options(ehtrace_shared PRIVATE "LINKER:--version-script=${ehtrace_version_script}")
if(NOT EHTRACE_SANITIZE)
    # Sanitizer runtimes are linked into executables, so only check without them.
    target_link_options(ehtrace_shared PRIVATE "LINKER:--no-undefined")
endif()
ehtrace_export_library(ehtrace_shared shared ehtrace-shared)
