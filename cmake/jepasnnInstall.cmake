# install() of the headers and an exported package (jepasnnConfig.cmake + version file).
include(CMakePackageConfigHelpers)

set(JEPASNN_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/jepasnn)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/jepasnn
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.cuh")
install(TARGETS jepasnn EXPORT jepasnnTargets)
if(JEPASNN_HAS_MPI)
    install(TARGETS jepasnn_dist EXPORT jepasnnTargets)
endif()
install(EXPORT jepasnnTargets NAMESPACE jepasnn:: DESTINATION ${JEPASNN_CMAKE_INSTALL_DIR})

configure_package_config_file(
    ${PROJECT_SOURCE_DIR}/cmake/jepasnnConfig.cmake.in
    ${PROJECT_BINARY_DIR}/jepasnnConfig.cmake
    INSTALL_DESTINATION ${JEPASNN_CMAKE_INSTALL_DIR})
# Header-only: the version file must not pin the consumer's pointer size.
write_basic_package_version_file(
    ${PROJECT_BINARY_DIR}/jepasnnConfigVersion.cmake
    COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES
    ${PROJECT_BINARY_DIR}/jepasnnConfig.cmake
    ${PROJECT_BINARY_DIR}/jepasnnConfigVersion.cmake
    ${PROJECT_SOURCE_DIR}/cmake/jepasnnDependencies.cmake
    DESTINATION ${JEPASNN_CMAKE_INSTALL_DIR})
