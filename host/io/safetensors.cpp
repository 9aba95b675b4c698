#include "ebmkit/safetensors.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <nlohmann/json.hpp>

#include "ebmkit/error.hpp"

namespace ebmkit {

namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& why) {
    throw Error("load_safetensors: " + path + ": " + why);
}

// The header as JSON (nlohmann-json), with a key given twice in one object refused:
// a checkpoint must not mean two things.
json parse_header(const std::string& text, const std::string& path) {
    std::vector<std::set<std::string>> keys;  // the keys seen in each open object
    std::string repeated;
    json header;
    try {
        header = json::parse(text, [&](int, json::parse_event_t event, json& parsed) {
            if (event == json::parse_event_t::object_start) keys.emplace_back();
            if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
            if (event == json::parse_event_t::key && !keys.empty() && repeated.empty() &&
                !keys.back().insert(parsed.get<std::string>()).second) {
                repeated = parsed.get<std::string>();
            }
            return true;
        });
    } catch (const json::exception& e) {
        fail(path, std::string("malformed JSON header: ") + e.what());
    }
    if (!repeated.empty()) fail(path, "the JSON header gives \"" + repeated + "\" twice");
    if (!header.is_object()) fail(path, "the JSON header is not an object");
    return header;
}

// A JSON array of non-negative integers (shape, data_offsets).
std::vector<std::uint64_t> integers(const json& value, const std::string& what, const std::string& path) {
    if (!value.is_array()) fail(path, what + " is not an array of non-negative integers");
    std::vector<std::uint64_t> out;
    for (const json& v : value) {
        if (!v.is_number_unsigned()) fail(path, what + " holds " + v.dump() + ", not a non-negative integer");
        out.push_back(v.get<std::uint64_t>());
    }
    return out;
}

Tensor tensor(const std::string& name, const json& entry, const std::vector<char>& data, const std::string& path,
              std::pair<std::uint64_t, std::uint64_t>& range) {
    const std::string what = "tensor \"" + name + "\"";
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets")) {
        fail(path, what + " needs dtype, shape and two data_offsets");
    }
    for (const auto& [field, value] : entry.items()) {
        if (field != "dtype" && field != "shape" && field != "data_offsets") {
            fail(path, "unknown field \"" + field + "\" in " + what);
        }
    }
    const json& dtype_value = entry["dtype"];
    const std::string dtype = dtype_value.is_string() ? dtype_value.get<std::string>() : dtype_value.dump();
    if (dtype != "F32" && dtype != "I32") fail(path, what + " has dtype " + dtype + "; ebmkit reads F32 and I32");
    const std::vector<std::uint64_t> shape = integers(entry["shape"], what + "'s shape", path);
    const std::vector<std::uint64_t> offsets = integers(entry["data_offsets"], what + "'s data_offsets", path);
    if (offsets.size() != 2) fail(path, what + " needs dtype, shape and two data_offsets");
    if (shape.empty() || shape.size() > static_cast<std::size_t>(Shape::max_rank)) {
        fail(path, what + " has rank " + std::to_string(shape.size()) + "; ebmkit reads ranks 1 to 4");
    }
    std::uint64_t count = 1;
    for (std::uint64_t d : shape) {
        if (d > (std::uint64_t{1} << 40)) fail(path, what + " has an absurd dimension");
        count *= d;
    }
    if (offsets[0] > offsets[1] || offsets[1] > data.size() || offsets[1] - offsets[0] != 4 * count) {
        fail(path, what + " has data_offsets [" + std::to_string(offsets[0]) + ", " + std::to_string(offsets[1]) +
                       "] that do not hold " + std::to_string(count) + " elements within the " +
                       std::to_string(data.size()) + " data bytes");
    }
    range = {offsets[0], offsets[1]};
    std::int64_t dims[4] = {};
    for (std::size_t i = 0; i < shape.size(); ++i) dims[i] = static_cast<std::int64_t>(shape[i]);
    Shape s;
    switch (shape.size()) {
        case 1: s = Shape{dims[0]}; break;
        case 2: s = Shape{dims[0], dims[1]}; break;
        case 3: s = Shape{dims[0], dims[1], dims[2]}; break;
        default: s = Shape{dims[0], dims[1], dims[2], dims[3]};
    }
    Tensor t(s, dtype == "F32" ? DType::F32 : DType::I32);
    if (count) std::memcpy(t.view().raw(), data.data() + offsets[0], 4 * count);
    return t;
}

SafeTensors parse(const std::string& text, const std::vector<char>& data, const std::string& path) {
    const json header = parse_header(text, path);
    SafeTensors out;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) fail(path, "__metadata__ is not an object");
            for (const auto& [key, value] : entry.items()) {
                if (!value.is_string()) fail(path, "metadata \"" + key + "\" is not a string");
                out.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        std::pair<std::uint64_t, std::uint64_t> range;
        out.tensors.emplace(name, tensor(name, entry, data, path, range));
        ranges.push_back(range);
    }
    std::sort(ranges.begin(), ranges.end());
    for (std::size_t i = 1; i < ranges.size(); ++i) {
        if (ranges[i].first < ranges[i - 1].second) fail(path, "tensor data ranges overlap");
    }
    return out;
}

}  // namespace

const Tensor& SafeTensors::at(const std::string& name) const {
    const auto it = tensors.find(name);
    if (it == tensors.end()) throw Error("checkpoint: no tensor named \"" + name + "\"");
    return it->second;
}

const Tensor& SafeTensors::at(const std::string& name, const Shape& shape) const {
    const Tensor& t = at(name);
    if (!(t.shape() == shape)) {
        throw Error("checkpoint: tensor \"" + name + "\" has shape " + t.shape().str() + ", expected " + shape.str());
    }
    return t;
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, ConstTensorView>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
    // Key order as written: the metadata, then the tensors in the order given.
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
        if (name == "__metadata__" || header.contains(name)) {
            throw Error("save_safetensors: the tensor name \"" + name + "\" is reserved or given twice");
        }
        const std::uint64_t bytes = static_cast<std::uint64_t>(t.numel()) * 4;
        std::vector<std::int64_t> shape(static_cast<std::size_t>(t.rank()));
        for (int i = 0; i < t.rank(); ++i) shape[static_cast<std::size_t>(i)] = t.dim(i);
        header[name] = {{"dtype", t.dtype() == DType::F32 ? "F32" : "I32"},
                        {"shape", shape},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string h;
    try {
        h = header.dump();
    } catch (const nlohmann::json::exception&) {
        throw Error("save_safetensors: " + path + ": tensor names and metadata must be UTF-8 text");
    }
    h.append((8 - h.size() % 8) % 8, ' ');  // the data then starts 8-byte aligned
    // Host copies first: nothing below may fail but the file system.
    std::vector<Tensor> host;
    for (const auto& entry : tensors) host.push_back(Tensor::copy_of(entry.second, Device::Host));
    const std::string tmp = path + ".tmp";
    // The whole file goes to tmp beside path, is flushed to the disk, and only then
    // replaces path (and the folder's entry is flushed too): a crash or a full disk at
    // any moment leaves either the old checkpoint or the new one, never a torn file.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) throw Error("save_safetensors: cannot write " + tmp + ": " + std::strerror(errno));
    auto fail = [&](const std::string& what) {
        const int error = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        throw Error("save_safetensors: " + what + " " + tmp + " failed: " + std::strerror(error) + "; " + path +
                    " is unchanged");
    };
    auto write_all = [&](const void* data, std::size_t bytes) {
        const char* p = static_cast<const char*>(data);
        while (bytes > 0) {
            const ssize_t n = ::write(fd, p, bytes);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                if (n == 0) errno = ENOSPC;
                fail("writing");
            }
            p += n;
            bytes -= static_cast<std::size_t>(n);
        }
    };
    const std::uint64_t n = h.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    write_all(len, 8);
    write_all(h.data(), h.size());
    for (const Tensor& t : host) write_all(t.view().raw(), t.bytes());
    if (::fsync(fd) != 0) fail("flushing");
    if (::close(fd) != 0) {
        const int error = errno;
        ::unlink(tmp.c_str());
        throw Error("save_safetensors: closing " + tmp + " failed: " + std::strerror(error));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(tmp.c_str());
        throw Error("save_safetensors: cannot rename " + tmp + " to " + path + ": " + std::strerror(error));
    }
    const std::string folder = std::filesystem::path(path).parent_path().string();
    const int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

SafeTensors load_safetensors(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("load_safetensors: cannot open " + path);
    std::vector<char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (file.size() < 8) throw Error("load_safetensors: " + path + " is shorter than the 8-byte header length");
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<unsigned char>(file[i]);
    if (n < 2 || n > file.size() - 8 || n > (std::uint64_t{100} << 20)) {
        throw Error("load_safetensors: " + path + " declares a header of " + std::to_string(n) + " bytes in a file of " +
                    std::to_string(file.size()));
    }
    const std::string header(file.begin() + 8, file.begin() + 8 + static_cast<std::ptrdiff_t>(n));
    const std::vector<char> data(file.begin() + 8 + static_cast<std::ptrdiff_t>(n), file.end());
    return parse(header, data, path);
}

}  // namespace ebmkit
