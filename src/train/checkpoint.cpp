#include "train/checkpoint.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>

#include "util/error.hpp"
#include "util/file.hpp"

namespace ql::train {

namespace {

constexpr char kMagic[8] = {'Q', 'L', 'C', 'K', 'P', 'T', '0', '1'};
constexpr uint32_t kVersion = 1;

uint64_t fnv1a(std::string_view bytes) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
    return h;
}

struct Writer {
    std::string out;
    template <typename T>
    void put(T v) {
        out.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void put_string(const std::string& s) {
        put<uint32_t>(static_cast<uint32_t>(s.size()));
        out += s;
    }
    void put_floats(const std::vector<float>& v) {
        put<uint64_t>(v.size());
        out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
    }
};

struct Reader {
    std::string_view in;
    const std::string& path;
    size_t pos = 0;
    void need(size_t n) const {
        if (n > in.size() - pos) fail_input("{}: truncated checkpoint", path);
    }
    template <typename T>
    T get() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, in.data() + pos, sizeof v);
        pos += sizeof v;
        return v;
    }
    std::string get_string() {
        const auto n = get<uint32_t>();
        if (n > 4096) fail_input("{}: corrupted checkpoint (name of {} bytes)", path, n);
        need(n);
        std::string s(in.substr(pos, n));
        pos += n;
        return s;
    }
    std::vector<float> get_floats() {
        const auto n = get<uint64_t>();
        if (n > (in.size() - pos) / sizeof(float)) fail_input("{}: truncated checkpoint", path);
        std::vector<float> v(n);
        std::memcpy(v.data(), in.data() + pos, n * sizeof(float));
        pos += n * sizeof(float);
        return v;
    }
};

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& c) {
    Writer w;
    w.out.append(kMagic, sizeof kMagic);
    w.put(kVersion);
    w.put_string(c.preset);
    w.put(c.seed);
    w.put(c.total_steps);
    w.put(c.step);
    w.put(c.adam_t);
    w.put(c.threads);
    w.put(c.initial_val_loss);
    w.put(c.last_train_loss);
    w.put(c.seconds);
    w.put(c.tokens);
    w.put_floats(c.params);
    w.put_floats(c.m);
    w.put_floats(c.v);
    w.put(fnv1a(w.out));
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) fail("{}: cannot create the checkpoint", tmp);
        f.write(w.out.data(), static_cast<std::streamsize>(w.out.size()));
        if (!f.flush()) fail("{}: cannot write the checkpoint", tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        fail("{}: cannot rename {} into place", path, tmp);
}

Checkpoint load_checkpoint(const std::string& path) {
    const std::optional<std::string> file = read_file(path);
    if (!file) fail_input("{}: cannot open the checkpoint: {}", path, std::strerror(errno));
    const std::string& bytes = *file;
    if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
        fail_input("{}: not a quantlab checkpoint", path);
    const std::string_view body(bytes.data(), bytes.size() - 8);  // the checksum follows it
    uint64_t stored;
    std::memcpy(&stored, bytes.data() + body.size(), 8);
    if (stored != fnv1a(body)) fail_input("{}: corrupted checkpoint (checksum mismatch)", path);
    Reader r{body, path, sizeof kMagic};
    if (const auto v = r.get<uint32_t>(); v != kVersion)
        fail_input("{}: checkpoint version {} (this build reads {})", path, v, kVersion);
    Checkpoint c;
    c.preset = r.get_string();
    c.seed = r.get<uint64_t>();
    c.total_steps = r.get<int64_t>();
    c.step = r.get<int64_t>();
    c.adam_t = r.get<int64_t>();
    c.threads = r.get<int32_t>();
    c.initial_val_loss = r.get<double>();
    c.last_train_loss = r.get<double>();
    c.seconds = r.get<double>();
    c.tokens = r.get<int64_t>();
    c.params = r.get_floats();
    c.m = r.get_floats();
    c.v = r.get_floats();
    if (r.pos != body.size()) fail_input("{}: corrupted checkpoint (trailing bytes)", path);
    if (c.m.size() != c.params.size() || c.v.size() != c.params.size())
        fail_input("{}: corrupted checkpoint (moment sizes)", path);
    return c;
}

}  // namespace ql::train
