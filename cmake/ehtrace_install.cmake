# Headers, libraries, a CMake package config and a pkg-config file.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/ehtrace DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

get_property(ehtrace_exported_targets GLOBAL PROPERTY EHTRACE_EXPORTED_TARGETS)
install(TARGETS ${ehtrace_exported_targets}
    EXPORT ehtraceTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(ehtrace_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/ehtrace)
install(EXPORT ehtraceTargets NAMESPACE ehtrace:: DESTINATION ${ehtrace_cmake_dir})
configure_package_config_file(cmake/ehtraceConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/ehtraceConfig.cmake
    INSTALL_DESTINATION ${ehtrace_cmake_dir})
# A minor release only adds (docs/abi.md), so it satisfies a request for an
# earlier one of the same major version.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ehtraceConfigVersion.cmake
    COMPATIBILITY SameMajorVersion)
install(FILES
    ${CMAKE_CURRENT_BINARY_DIR}/ehtraceConfig.cmake
    ${CMAKE_CURRENT_BINARY_DIR}/ehtraceConfigVersion.cmake
    DESTINATION ${ehtrace_cmake_dir})

# pkg-config: ehtrace (writer), ehtrace-decode, ehtrace-collect where built.
# Relocatable: the prefix is found from the .pc file's own directory.
get_property(ehtrace_pkgconfig_modules GLOBAL PROPERTY EHTRACE_PKGCONFIG_MODULES)
file(RELATIVE_PATH ehtrace_pc_to_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
foreach(module IN LISTS ehtrace_pkgconfig_modules)
    configure_file(cmake/${module}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${module}.pc @ONLY)
    install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${module}.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
