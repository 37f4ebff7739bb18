// Rows of a 2-D .npy file read on demand: a matrix far larger than memory (a VBN-size session's
// latents are 0.9 GB) is read a block of rows at a time with pread, never loaded whole. Only the
// layout that can be read in place is accepted: exactly the element type asked for, C order, the
// machine's byte order (what numpy and our save_npy write).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "npy.hpp"

namespace jepasnn {

/// A read-only 2-D .npy file of element type T whose rows are read when asked for. Copies share
/// the open file; reads are safe from several threads (pread has no shared file position).
template <class T>
requires(!std::is_same_v<T, bool>) class NpyRows {
  public:
    /// Opens `path` and checks its header: a 2-D, C-ordered, native-endian array of T whose
    /// payload is exactly as long as the shape says.
    explicit NpyRows(const std::filesystem::path& path) : file_(path.string()) {
        const NpyHeader h = read_npy_header(path);
        constexpr DType want = dtype_of<T>();
        if (h.dtype != want)
            fail(file_, "expected dtype ", dtype_name(want), ", found ", dtype_name(h.dtype));
        if (h.shape.size() != 2)
            fail(file_, "expected a 2-D array, found shape ", detail::shape_string(h.shape));
        if (h.fortran_order || h.big_endian != (std::endian::native == std::endian::big))
            fail(file_, "is Fortran-ordered or byte-swapped; rows are read in place, so save it ",
                 "in C order and native byte order (numpy.ascontiguousarray)");
        rows_ = static_cast<Index>(h.shape[0]);
        cols_ = static_cast<Index>(h.shape[1]);
        offset_ = h.data_offset;
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) fail(file_, "cannot open for reading (", std::strerror(errno), ")");
        fd_ = std::shared_ptr<const int>(new int(fd), [](const int* p) {
            ::close(*p);
            delete p;
        });
    }

    Index rows() const { return rows_; }
    Index cols() const { return cols_; }
    const std::string& file() const { return file_; }

    /// Rows [first, first + n) as a row-major (n × cols) matrix.
    RowMatrix<T> read(Index first, Index n) const {
        require(first >= 0 && n >= 0 && first + n <= rows_, file_, "rows ", first, "..", first + n,
                " run past its ", rows_, " rows");
        RowMatrix<T> out(n, cols_);
        auto* dst = reinterpret_cast<char*>(out.data());
        std::size_t left = static_cast<std::size_t>(n * cols_) * sizeof(T);
        auto at = static_cast<off_t>(offset_ + static_cast<std::size_t>(first * cols_) * sizeof(T));
        while (left > 0) {
            const ssize_t got = ::pread(*fd_, dst, left, at);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0)
                fail(file_, "read error at byte ", at, " (",
                     got < 0 ? std::strerror(errno) : "the file was truncated", ")");
            dst += got;
            at += got;
            left -= static_cast<std::size_t>(got);
        }
        return out;
    }

  private:
    std::string file_;
    std::shared_ptr<const int> fd_;
    Index rows_ = 0, cols_ = 0;
    std::size_t offset_ = 0;
};

}  // namespace jepasnn
