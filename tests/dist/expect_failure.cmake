# cmake -DCOMMAND="<mpirun ...;program;args>" -DEXPECT=<regex> -DTIMEOUT=<s> -P expect_failure.cmake
# Passes when the command ends by itself within TIMEOUT seconds, with a non-zero exit code and
# output matching EXPECT: an MPI job whose rank failed must end every rank, never hang.
cmake_minimum_required(VERSION 3.20)
execute_process(COMMAND ${COMMAND} TIMEOUT ${TIMEOUT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("exit: ${rc}\n--- output:\n${out}\n--- errors:\n${err}")
if(rc MATCHES "timeout|Process terminated due to timeout")
    message(FATAL_ERROR "the job did not end within ${TIMEOUT} s (a rank hangs)")
endif()
if(rc EQUAL 0)
    message(FATAL_ERROR "the job succeeded; expected a failure")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
    message(FATAL_ERROR "the output does not match '${EXPECT}'")
endif()
