// PLACEHOLDER: GGUF reader, to be implemented.
#include "gguf/gguf.hpp"
