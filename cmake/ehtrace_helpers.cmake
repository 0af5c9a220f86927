# Warnings and defaults shared by every target the project builds.
function(ehtrace_target_defaults target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
        -Wno-sign-conversion)
endfunction()

# Registers a library for installation and export as ehtrace::<export_name>,
# with a pkg-config module of the given name.
function(ehtrace_export_library target export_name pkgconfig_module)
    add_library(ehtrace::${export_name} ALIAS ${target})
    # The libraries are warning-free with GCC 12 and clang 14; the test
    # presets keep them so (EHTRACE_WERROR), users' builds are not at risk.
    if(EHTRACE_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
    set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
    set_property(GLOBAL APPEND PROPERTY EHTRACE_EXPORTED_TARGETS ${target})
    set_property(GLOBAL APPEND PROPERTY EHTRACE_PKGCONFIG_MODULES ${pkgconfig_module})
endfunction()

# Registers a tool for installation into <prefix>/bin.
function(ehtrace_install_tool target)
    set_property(GLOBAL APPEND PROPERTY EHTRACE_EXPORTED_TARGETS ${target})
endfunction()
