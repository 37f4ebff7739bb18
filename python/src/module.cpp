// jepasnn._jepasnn: the library's headers for Python. The Python package (python/jepasnn) wraps
// these functions in its documented API; nothing here is a second implementation.
#include <jepasnn/core/threads.hpp>
#include <jepasnn/core/version.hpp>

#include <new>
#include <stdexcept>

#include "bindings.hpp"

NB_MODULE(_jepasnn, m) {
    namespace nb = nanobind;
    namespace py = jepasnn::python;
    m.doc() = "jepasnn's C++ core (use the jepasnn package, not this module)";
    m.attr("__version__") = JEPASNN_VERSION_STRING;

    // The library's one-line messages reach Python unchanged: bad input -> ValueError, a missing
    // file -> FileNotFoundError, anything else -> RuntimeError (MemoryError for bad_alloc).
    nb::register_exception_translator([](const std::exception_ptr& p, void*) {
        try {
            std::rethrow_exception(p);
        } catch (const py::MissingFile& e) {
            PyErr_SetString(PyExc_FileNotFoundError, e.what());
        } catch (const jepasnn::Error& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const std::bad_alloc&) {
            PyErr_SetString(PyExc_MemoryError, "jepasnn: out of memory");
        } catch (const std::exception& e) {
            PyErr_SetString(PyExc_RuntimeError, e.what());
        }
    });

    py::bind_data(m);
    py::bind_store(m);
    py::bind_simulator(m);
    py::bind_cca(m);
    py::bind_teacher(m);
    py::bind_student(m);
    py::bind_timing(m);

    m.def("set_threads", &jepasnn::set_thread_count, nb::arg("n"),
          "Threads of every later call on this thread (OpenMP and Eigen; default: all cores). "
          "Results are bitwise reproducible for a given thread count.");
    m.def("threads", &jepasnn::thread_count, "Threads that calls use now.");
}
