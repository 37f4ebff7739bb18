// A training batch of the teacher: B windows of L bins, grouped by session into contiguous slices
// of the batch (sessions have different unit counts), each slice one time-major matrix.
#pragma once

#include <cstdint>
#include <vector>

#include "../core/tensor.hpp"
#include "../nn/session_readin.hpp"

namespace jepasnn::jepa {

template <class T>
struct Batch {
    Index steps = 0;                       // L bins per window
    Index size = 0;                        // B windows
    std::vector<nn::SessionSlice> slices;  // tile [0, B), one per session present
    std::vector<RowMatrix<T>> inputs;      // per slice (L·count, U_s): row t·count + i = bin t of
                                           // the slice's window i
    std::vector<std::uint8_t> states;      // (L·B) brain state of each bin in the latents' order
                                           // (row t·B + b: bin t of batch window b); 0 where the
                                           // session has no labels
};

}  // namespace jepasnn::jepa
