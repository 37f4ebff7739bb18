// RAII ownership of HDF5 identifiers (hid_t) and the conversion of HDF5 failures into
// jepasnn::Error. HDF5's automatic error printing is switched off: every failure is reported once,
// as an exception naming the file, the object path and HDF5's most specific reason.
#pragma once

#include <hdf5.h>

#include <string>
#include <string_view>
#include <utility>

#include "../core/error.hpp"

namespace jepasnn::data::hdf5 {

/// Switches off HDF5's automatic error-stack printing (per thread in thread-safe builds, global
/// otherwise); every entry point into HDF5 calls it first.
inline void silence_hdf5_errors() {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

/// HDF5's most specific message on the current error stack (e.g. "file signature not found"),
/// then clears the stack. Empty when HDF5 recorded nothing.
inline std::string take_hdf5_error() {
    std::string message;
    // Walking upward starts at the innermost frame: where the problem was detected.
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
            auto* out = static_cast<std::string*>(data);
            if (n == 0 && err != nullptr && err->desc != nullptr) *out = err->desc;
            return 0;
        },
        &message);
    H5Eclear2(H5E_DEFAULT);
    return message;
}

/// Throws "<file>: <object>: <what> (HDF5: <reason>)".
template <class... Parts>
[[noreturn]] void fail_hdf5(std::string_view file, std::string_view object, const Parts&... what) {
    const std::string reason = take_hdf5_error();
    if (reason.empty()) fail(file, object, ": ", what...);
    fail(file, object, ": ", what..., " (HDF5: ", reason, ")");
}

/// Owns one hid_t and closes it with the matching H5?close.
class Handle {
  public:
    using Closer = herr_t (*)(hid_t);

    Handle() = default;
    Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    Handle(Handle&& other) noexcept
        : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
    Handle& operator=(Handle&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
            closer_ = other.closer_;
        }
        return *this;
    }
    ~Handle() { reset(); }

    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }
    /// Gives up ownership without closing.
    hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }
    void reset() {
        if (id_ >= 0 && closer_ != nullptr) closer_(id_);
        id_ = H5I_INVALID_HID;
    }

  private:
    hid_t id_ = H5I_INVALID_HID;
    Closer closer_ = nullptr;
};

inline Handle file_handle(hid_t id) {
    return {id, H5Fclose};
}
inline Handle group_handle(hid_t id) {
    return {id, H5Gclose};
}
inline Handle dataset_handle(hid_t id) {
    return {id, H5Dclose};
}
inline Handle space_handle(hid_t id) {
    return {id, H5Sclose};
}
inline Handle type_handle(hid_t id) {
    return {id, H5Tclose};
}
inline Handle attribute_handle(hid_t id) {
    return {id, H5Aclose};
}
inline Handle plist_handle(hid_t id) {
    return {id, H5Pclose};
}
inline Handle object_handle(hid_t id) {
    return {id, H5Oclose};
}

}  // namespace jepasnn::data::hdf5
