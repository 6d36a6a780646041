// Writes a model in training as a GGUF file the engine and llama.cpp load:
// the architecture keys of model/synth (llama or qwen3moe, output tied to
// the token embedding), the corpus tokenizer's tokenizer.* keys, matrices in
// F16 (or F32) and norms in F32.
#pragma once

#include <string>

#include "model/synth.hpp"
#include "quant/types.hpp"
#include "train/params.hpp"
#include "train/presets.hpp"

namespace ql::train {

void export_gguf(const Preset& preset, const ParamLayout& layout, const float* params,
                 const model::MetadataList& tokenizer, quant::TypeId matrix_type,
                 const std::string& name, const std::string& path);

}  // namespace ql::train
