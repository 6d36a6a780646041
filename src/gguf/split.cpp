// Split models (NAME-00001-of-00003.gguf ...): file names, and opening every
// part as one model with the split.* keys checked for consistency.
#include <filesystem>
#include <unordered_map>

#include "gguf/cursor.hpp"
#include "gguf/gguf.hpp"
#include "gguf/mapped_file.hpp"
#include "util/error.hpp"

namespace ql::gguf {

namespace {

constexpr std::string_view kSplitSuffixExample = "-00001-of-00003.gguf";

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

std::optional<SplitName> parse_split_name(const std::string& path) {
    const size_t n = kSplitSuffixExample.size();
    if (path.size() <= n) return std::nullopt;
    const std::string_view tail = std::string_view(path).substr(path.size() - n);
    // "-IIIII-of-CCCCC.gguf"
    if (tail[0] != '-' || tail.substr(6, 4) != "-of-" || tail.substr(15) != ".gguf")
        return std::nullopt;
    const std::string_view index = tail.substr(1, 5), count = tail.substr(10, 5);
    if (!all_digits(index) || !all_digits(count)) return std::nullopt;
    SplitName s;
    s.prefix = path.substr(0, path.size() - n);
    s.index = std::stoi(std::string(index));
    s.count = std::stoi(std::string(count));
    if (s.index < 1 || s.count < 1 || s.index > s.count) return std::nullopt;
    return s;
}

std::string make_split_name(const std::string& prefix, int index, int count) {
    return fmt::format("{}-{:05d}-of-{:05d}.gguf", prefix, index, count);
}

// Opens the remaining parts of a split model and merges them into the first.
class SplitLoader {
  public:
    // `opened` is the part the user named (1-based `name.index`).
    static GgufFile load(const std::string& path, GgufFile opened, const SplitName& name,
                         Residence residence) {
        std::vector<GgufFile> parts;
        parts.reserve(static_cast<size_t>(name.count));
        for (int k = 1; k <= name.count; ++k) {
            if (k == name.index) {
                parts.push_back(std::move(opened));
                continue;
            }
            const std::string part_path = make_split_name(name.prefix, k, name.count);
            if (!std::filesystem::exists(part_path))
                fail_input("{}: missing part {} of {} of the split model", part_path, k,
                           name.count);
            parts.push_back(GgufFile::open_single(part_path, residence));
        }
        std::vector<const GgufFile*> views;
        for (const GgufFile& p : parts) views.push_back(&p);
        const int64_t declared = check_split_keys(views);
        GgufFile merged = merge(std::move(parts));
        if (static_cast<int64_t>(merged.tensors_.size()) != declared)
            fail_input("{}: split.tensors.count is {} but the {} parts hold {} tensors",
                       merged.layouts_[0].path, declared, name.count, merged.tensors_.size());
        merged.path_ = path;
        return merged;
    }

    // Every part must say which it is, how many there are and the total
    // tensor count (the same in all parts). Returns that total.
    static int64_t check_split_keys(const std::vector<const GgufFile*>& parts) {
        const int64_t count = static_cast<int64_t>(parts.size());
        std::optional<int64_t> total;
        for (int64_t k = 0; k < count; ++k) {
            const GgufFile& p = *parts[static_cast<size_t>(k)];
            const auto no = p.get_int("split.no");
            const auto n = p.get_int("split.count");
            const auto t = p.get_int("split.tensors.count");
            if (!no || !n || !t)
                fail_input(
                    "{}: part of a split model without split.no, split.count and "
                    "split.tensors.count",
                    p.path());
            if (*no != k) fail_input("{}: split.no is {} but this is part {}", p.path(), *no, k);
            if (*n != count)
                fail_input("{}: split.count is {} but the model has {} parts", p.path(), *n, count);
            if (total && *t != *total)
                fail_input("{}: split.tensors.count is {} but part 1 says {}", p.path(), *t,
                           *total);
            total = *t;
        }
        return total.value_or(0);
    }

    static GgufFile merge(std::vector<GgufFile> parts) {
        GgufFile merged = std::move(parts[0]);
        for (size_t k = 1; k < parts.size(); ++k) {
            GgufFile& p = parts[k];
            for (TensorInfo& t : p.tensors_) {
                if (merged.tensor_index_.count(t.name))
                    fail_input("{}: tensor {} also appears in an earlier part", p.path(),
                               printable_name(t.name));
                t.file_index = static_cast<int>(k);
                merged.tensor_index_.emplace(t.name, merged.tensors_.size());
                merged.tensors_.push_back(std::move(t));
            }
            for (auto& f : p.files_) merged.files_.push_back(std::move(f));
            for (auto& l : p.layouts_) merged.layouts_.push_back(std::move(l));
        }
        return merged;
    }
};

GgufFile GgufFile::open(const std::string& path, Residence residence) {
    GgufFile first = open_single(path, residence);
    const Value* count_value = first.find("split.count");
    if (!count_value) return first;
    const auto count = count_value->as_int();
    if (!count || *count < 0 || *count > 65535)
        fail_input("{}: split.count is not a part count", path);
    // split.count 0 is what gguf-split --merge leaves in a merged file.
    if (*count == 0) return first;
    if (*count == 1) {  // a one-part "split": check its keys, whatever its name
        const int64_t declared = SplitLoader::check_split_keys({&first});
        if (declared != static_cast<int64_t>(first.tensors().size()))
            fail_input("{}: split.tensors.count is {} but the file holds {} tensors", path,
                       declared, first.tensors().size());
        return first;
    }
    const auto name = parse_split_name(path);
    if (!name)
        fail_input("{}: split.count is {} but the name does not end in -0000k-of-{:05d}.gguf", path,
                   *count, *count);
    if (name->count != *count)
        fail_input("{}: split.count is {} but the name says {} parts", path, *count, name->count);
    return SplitLoader::load(path, std::move(first), *name, residence);
}

}  // namespace ql::gguf
