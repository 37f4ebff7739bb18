// Paper driver: the run record (seed, git revision, compiler, threads, version) of this build.
#include "driver_common.hpp"

int main(int argc, char** argv) {
    return jepasnn::paper::run_driver(
        argc, argv, "run_info", [](const jepasnn::paper::DriverContext& ctx) {
            jepasnn::Json metrics = jepasnn::run_record(ctx.seed, JEPASNN_GIT_REVISION);
            return metrics;
        });
}
