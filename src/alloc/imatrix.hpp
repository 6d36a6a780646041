// Importance matrices ("imatrix") as llama.cpp's llama-imatrix writes them:
// per weight matrix, the mean over calibration tokens of the squared input
// activation of each column. Quantizers use it to spend precision where the
// activations are large.
//
// Two file formats are read, both validated field by field:
//  - GGUF: tensors "<name>.in_sum2" (F32 [n_per_row, n_matrices], raw sums of
//    squares) and "<name>.counts" (F32 [1, n_matrices], tokens seen per
//    matrix), keys imatrix.datasets / imatrix.chunk_count / imatrix.chunk_size;
//  - legacy .dat: int32 entry count, then per entry int32 name length, name,
//    int32 call count, int32 value count, float values (already divided by the
//    token count and multiplied by the call count); optionally followed by the
//    int32 chunk count and an int32-length-prefixed dataset name.
// Errors throw ql::InputError("<file>: <problem>").
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ql::alloc {

struct Imatrix {
    std::string path;
    // Tensor name -> per-column importance, averaged exactly as llama-quantize
    // does before handing it to a quantizer. Layout: [n_matrices][n_per_row]
    // (n_matrices > 1 for 3-D expert stacks: one row of weights per expert).
    std::map<std::string, std::vector<float>, std::less<>> entries;
    int64_t n_chunks = 0;    // calibration chunks the data was gathered on
    int64_t chunk_size = 0;  // tokens per chunk (0 when the file does not say: legacy)
    std::vector<std::string> datasets;
    bool legacy = false;  // read from the legacy .dat format

    // nullptr when the matrix has no entry for `name`.
    const std::vector<float>* find(std::string_view name) const;
};

// Reads either format (GGUF when the file starts with the GGUF magic).
Imatrix load_imatrix(const std::string& path);

// Parses a legacy .dat image held in memory; `name` is used in error messages.
Imatrix parse_legacy_imatrix(const uint8_t* data, size_t size, const std::string& name);

}  // namespace ql::alloc
