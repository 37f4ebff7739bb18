// CUDA runtime plumbing shared by every kernel header: error checks that throw jepasnn::Error,
// device discovery, an owning device buffer, a cuBLAS handle, and the `Device` policy that
// selects the GPU specialisations. Include only from .cu translation units linking jepasnn::cuda.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/error.hpp"

namespace jepasnn::cuda {

/// Throws jepasnn::Error naming the call if a CUDA runtime call failed.
inline void check(cudaError_t status, const char* what) {
    if (status != cudaSuccess) fail(what, cudaGetErrorString(status));
}

/// Throws jepasnn::Error naming the call if a cuBLAS call failed.
inline void check(cublasStatus_t status, const char* what) {
    if (status != CUBLAS_STATUS_SUCCESS) fail(what, "cuBLAS status ", static_cast<int>(status));
}

/// Number of usable CUDA devices (0 when there is no GPU or no driver).
inline int device_count() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();  // clear the sticky "no device" error
        return 0;
    }
    return n;
}

/// Checks the last kernel launch (configuration errors surface here, not at the launch).
inline void check_launch(const char* what) {
    check(cudaGetLastError(), what);
}

/// The host: the CPU implementations of lif/, jepa/ and nn/.
struct Host {
    static constexpr std::string_view name = "host";
};

/// The GPU: the specialisations in this folder, on `index` (the current device when < 0) and
/// the CUDA stream `stream` (the default stream when null). Host copies use the legacy default
/// stream, so `stream` must be a blocking stream (cudaStreamCreate without
/// cudaStreamNonBlocking), which orders itself with those copies.
struct Device {
    static constexpr std::string_view name = "cuda";
    int index = -1;
    cudaStream_t stream = nullptr;

    /// Makes `index` the current device (no-op when < 0).
    void activate() const {
        if (index >= 0) check(cudaSetDevice(index), "cuda::Device::activate");
    }
};

/// The `DevicePolicy` kind: Host or Device, the template argument that selects an implementation.
template <class D>
concept DevicePolicy = std::same_as<D, Host> || std::same_as<D, Device>;

/// An owning, typed device allocation (no initialisation; zero() clears it).
template <class T>
class DeviceBuffer {
  public:
    DeviceBuffer() = default;
    explicit DeviceBuffer(std::size_t n) { resize(n); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    DeviceBuffer(DeviceBuffer&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
        if (this != &o) {
            release();
            data_ = std::exchange(o.data_, nullptr);
            size_ = std::exchange(o.size_, 0);
        }
        return *this;
    }
    ~DeviceBuffer() { release(); }

    /// Reallocates when the size changes; contents are undefined afterwards.
    void resize(std::size_t n) {
        if (n == size_) return;
        release();
        if (n > 0) check(cudaMalloc(reinterpret_cast<void**>(&data_), n * sizeof(T)), "cudaMalloc");
        size_ = n;
    }
    void zero(cudaStream_t stream = nullptr) {
        if (size_ > 0)
            check(cudaMemsetAsync(data_, 0, size_ * sizeof(T), stream), "DeviceBuffer::zero");
    }
    /// Resizes to the host data and copies it in.
    void upload(const T* host, std::size_t n) {
        resize(n);
        if (n > 0)
            check(cudaMemcpy(data_, host, n * sizeof(T), cudaMemcpyHostToDevice),
                  "DeviceBuffer::upload");
    }
    void upload(std::span<const T> host) { upload(host.data(), host.size()); }
    /// Copies the first n elements out (synchronises with the device).
    void download(T* host, std::size_t n) const {
        require(n <= size_, "DeviceBuffer::download", "asked for ", n, " elements, buffer has ",
                size_);
        if (n > 0)
            check(cudaMemcpy(host, data_, n * sizeof(T), cudaMemcpyDeviceToHost),
                  "DeviceBuffer::download");
    }
    std::vector<T> to_host() const {
        std::vector<T> out(size_);
        download(out.data(), size_);
        return out;
    }

    T* data() { return data_; }
    const T* data() const { return data_; }
    std::size_t size() const { return size_; }
    std::size_t bytes() const { return size_ * sizeof(T); }

  private:
    void release() {
        if (data_ != nullptr) cudaFree(data_);
        data_ = nullptr;
        size_ = 0;
    }
    T* data_ = nullptr;
    std::size_t size_ = 0;
};

/// An owning cuBLAS handle bound to a CUDA stream. Pointer mode is host and math mode is
/// pedantic fp32 (no TF32), so results stay comparable with the CPU.
class BlasHandle {
  public:
    explicit BlasHandle(cudaStream_t stream = nullptr) {
        check(cublasCreate(&handle_), "cublasCreate");
        check(cublasSetStream(handle_, stream), "cublasSetStream");
        check(cublasSetMathMode(handle_, CUBLAS_PEDANTIC_MATH), "cublasSetMathMode");
    }
    BlasHandle(const BlasHandle&) = delete;
    BlasHandle& operator=(const BlasHandle&) = delete;
    ~BlasHandle() { cublasDestroy(handle_); }
    cublasHandle_t get() const { return handle_; }

  private:
    cublasHandle_t handle_ = nullptr;
};

/// Blocks of `threads` covering n elements.
inline unsigned blocks_for(std::size_t n, unsigned threads) {
    return static_cast<unsigned>((n + threads - 1) / threads);
}

}  // namespace jepasnn::cuda
