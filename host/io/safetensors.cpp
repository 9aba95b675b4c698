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
#include <sstream>

#include "ebmkit/error.hpp"

namespace ebmkit {

namespace {

// The slice of JSON a safetensors header uses: objects, arrays, strings and
// non-negative integers. Anything else is an error.
class HeaderParser {
public:
    HeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

    SafeTensors parse(const std::vector<char>& data) {
        SafeTensors out;
        std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
        expect('{');
        if (peek() != '}') {
            do {
                const std::string name = string();
                expect(':');
                if (name == "__metadata__") {
                    expect('{');
                    if (peek() != '}') {
                        do {
                            const std::string key = string();
                            expect(':');
                            out.metadata[key] = string();
                        } while (accept(','));
                    }
                    expect('}');
                    continue;
                }
                std::string dtype;
                std::vector<std::uint64_t> shape, offsets;
                bool has_dtype = false, has_shape = false, has_offsets = false;
                expect('{');
                do {
                    const std::string field = string();
                    expect(':');
                    if (field == "dtype") dtype = string(), has_dtype = true;
                    else if (field == "shape") shape = integers(), has_shape = true;
                    else if (field == "data_offsets") offsets = integers(), has_offsets = true;
                    else fail("unknown field \"" + field + "\" in tensor \"" + name + "\"");
                } while (accept(','));
                expect('}');
                if (!has_dtype || !has_shape || !has_offsets || offsets.size() != 2) {
                    fail("tensor \"" + name + "\" needs dtype, shape and two data_offsets");
                }
                out.tensors.emplace(name, tensor(name, dtype, shape, offsets, data));
                ranges.emplace_back(offsets[0], offsets[1]);
            } while (accept(','));
        }
        expect('}');
        skip_space();
        if (pos_ != s_.size()) fail("trailing characters after the header");
        std::sort(ranges.begin(), ranges.end());
        for (std::size_t i = 1; i < ranges.size(); ++i) {
            if (ranges[i].first < ranges[i - 1].second) fail("tensor data ranges overlap");
        }
        return out;
    }

private:
    [[noreturn]] void fail(const std::string& why) const {
        throw Error("load_safetensors: " + path_ + ": " + why);
    }
    void skip_space() {
        while (pos_ < s_.size() && std::strchr(" \t\r\n", s_[pos_])) ++pos_;
    }
    char peek() {
        skip_space();
        if (pos_ >= s_.size()) fail("the JSON header ends early");
        return s_[pos_];
    }
    bool accept(char c) {
        if (peek() != c) return false;
        ++pos_;
        return true;
    }
    void expect(char c) {
        if (!accept(c)) fail(std::string("malformed JSON header: expected '") + c + "' at byte " + std::to_string(pos_));
    }
    std::string string() {
        expect('"');
        std::string out;
        while (pos_ < s_.size() && s_[pos_] != '"') {
            if (s_[pos_] == '\\') {
                if (++pos_ >= s_.size()) break;
                const char e = s_[pos_];
                out += e == 'n' ? '\n' : e == 't' ? '\t' : e;  // \" \\ \/ and the common escapes
            } else {
                out += s_[pos_];
            }
            ++pos_;
        }
        if (pos_ >= s_.size()) fail("unterminated string in the JSON header");
        ++pos_;
        return out;
    }
    std::vector<std::uint64_t> integers() {
        std::vector<std::uint64_t> out;
        expect('[');
        if (peek() != ']') {
            do {
                peek();
                const std::size_t start = pos_;
                std::uint64_t v = 0;
                while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
                    if (v > (UINT64_MAX - 9) / 10) fail("integer overflow in the JSON header");
                    v = v * 10 + (s_[pos_++] - '0');
                }
                if (pos_ == start) fail("expected a non-negative integer at byte " + std::to_string(start));
                out.push_back(v);
            } while (accept(','));
        }
        expect(']');
        return out;
    }
    Tensor tensor(const std::string& name, const std::string& dtype, const std::vector<std::uint64_t>& shape,
                  const std::vector<std::uint64_t>& offsets, const std::vector<char>& data) const {
        if (dtype != "F32" && dtype != "I32") fail("tensor \"" + name + "\" has dtype " + dtype + "; ebmkit reads F32 and I32");
        if (shape.empty() || shape.size() > static_cast<std::size_t>(Shape::max_rank)) {
            fail("tensor \"" + name + "\" has rank " + std::to_string(shape.size()) + "; ebmkit reads ranks 1 to 4");
        }
        std::uint64_t count = 1;
        for (std::uint64_t d : shape) {
            if (d > (std::uint64_t{1} << 40)) fail("tensor \"" + name + "\" has an absurd dimension");
            count *= d;
        }
        if (offsets[0] > offsets[1] || offsets[1] > data.size() || offsets[1] - offsets[0] != 4 * count) {
            fail("tensor \"" + name + "\" has data_offsets [" + std::to_string(offsets[0]) + ", " +
                 std::to_string(offsets[1]) + "] that do not hold " + std::to_string(count) + " elements within the " +
                 std::to_string(data.size()) + " data bytes");
        }
        Shape s;
        switch (shape.size()) {
            case 1: s = Shape{std::int64_t(shape[0])}; break;
            case 2: s = Shape{std::int64_t(shape[0]), std::int64_t(shape[1])}; break;
            case 3: s = Shape{std::int64_t(shape[0]), std::int64_t(shape[1]), std::int64_t(shape[2])}; break;
            default: s = Shape{std::int64_t(shape[0]), std::int64_t(shape[1]), std::int64_t(shape[2]), std::int64_t(shape[3])};
        }
        Tensor t(s, dtype == "F32" ? DType::F32 : DType::I32);
        if (count) std::memcpy(t.view().raw(), data.data() + offsets[0], 4 * count);
        return t;
    }

    const std::string& s_;
    const std::string& path_;
    std::size_t pos_ = 0;
};

std::string json_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
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
    std::ostringstream header;
    header << '{';
    std::uint64_t offset = 0;
    bool first = true;
    if (!metadata.empty()) {
        header << "\"__metadata__\":{";
        for (auto it = metadata.begin(); it != metadata.end(); ++it) {
            header << (it == metadata.begin() ? "" : ",") << '"' << json_escape(it->first) << "\":\""
                   << json_escape(it->second) << '"';
        }
        header << '}';
        first = false;
    }
    for (const auto& [name, t] : tensors) {
        const std::uint64_t bytes = static_cast<std::uint64_t>(t.numel()) * 4;
        header << (first ? "" : ",") << '"' << json_escape(name) << "\":{\"dtype\":\""
               << (t.dtype() == DType::F32 ? "F32" : "I32") << "\",\"shape\":[";
        for (int i = 0; i < t.rank(); ++i) header << (i ? "," : "") << t.dim(i);
        header << "],\"data_offsets\":[" << offset << ',' << offset + bytes << "]}";
        offset += bytes;
        first = false;
    }
    header << '}';
    std::string h = header.str();
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
    return HeaderParser(header, path).parse(data);
}

}  // namespace ebmkit
