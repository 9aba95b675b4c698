// IDX data files, safetensors checkpoints and PNG output: round trips, the bytes
// other readers expect, and corrupt files rejected with the file named.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zlib.h>

#include <csignal>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "png_read.hpp"
#include "support.hpp"

namespace ebmkit {
namespace {

namespace fs = std::filesystem;

class TempDir {
public:
    TempDir() : path_(fs::temp_directory_path() / ("ebmkit-test-" + std::to_string(std::random_device{}()))) {
        fs::create_directories(path_);
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::vector<unsigned char> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put_be32(std::vector<unsigned char>& b, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
}

std::vector<unsigned char> idx_images(std::uint32_t n, std::uint32_t h, std::uint32_t w, std::mt19937_64& rng) {
    std::vector<unsigned char> b;
    put_be32(b, 0x803);
    put_be32(b, n);
    put_be32(b, h);
    put_be32(b, w);
    for (std::uint32_t i = 0; i < n * h * w; ++i) b.push_back(static_cast<unsigned char>(rng()));
    return b;
}

std::vector<unsigned char> idx_labels(std::uint32_t n) {
    std::vector<unsigned char> b;
    put_be32(b, 0x801);
    put_be32(b, n);
    for (std::uint32_t i = 0; i < n; ++i) b.push_back(static_cast<unsigned char>(i % 10));
    return b;
}

void gzip_to(const std::string& path, const std::vector<unsigned char>& bytes) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
}

TEST(Idx, ReadsPlainAndGzipFilesScaledToUnitInterval) {
    TempDir dir;
    auto rng = test::fresh_rng();
    const auto images = idx_images(5, 3, 4, rng);
    write_bytes(dir.file("i"), images);
    gzip_to(dir.file("l.gz"), idx_labels(5));
    const ImageSet set = load_idx(dir.file("i"), dir.file("l.gz"));
    ASSERT_EQ(set.size(), 5);
    EXPECT_EQ(set.height, 3);
    EXPECT_EQ(set.width, 4);
    for (int i = 0; i < 60; ++i) EXPECT_EQ(set.images.data<float>()[i], images[16 + i] / 255.0f);
    EXPECT_EQ(set.labels.to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 1, 2, 3, 4}));
}

TEST(Idx, CorruptFilesAreRejectedNamingTheFile) {
    TempDir dir;
    auto rng = test::fresh_rng();
    auto images = idx_images(4, 2, 2, rng);
    write_bytes(dir.file("labels"), idx_labels(4));
    auto expect_error = [&](const std::vector<unsigned char>& bytes, const std::string& fragment) {
        write_bytes(dir.file("images"), bytes);
        try {
            load_idx(dir.file("images"), dir.file("labels"));
            ADD_FAILURE() << "accepted a corrupt file";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(dir.file("images")), std::string::npos) << e.what();
        }
    };
    auto truncated = images;
    truncated.pop_back();
    expect_error(truncated, "bytes");
    auto wrong_magic = images;
    wrong_magic[3] = 0x01;
    expect_error(wrong_magic, "IDX");
    expect_error({0, 0}, "IDX");
    // Found by tools/fuzz.sh: dimensions whose product overflowed 64 bits.
    expect_error({0x00, 0x00, 0x08, 0x03, 0x00, 0x26, 0x00, 0x02, 0x17, 0x00, 0x00, 0x02, 0x00, 0xff, 0xe6, 0x80, 0x07,
                  0x80, 0x08, 0x04},
                 "promises more");
    write_bytes(dir.file("images"), idx_images(3, 2, 2, rng));
    EXPECT_THROW(load_idx(dir.file("images"), dir.file("labels")), Error);  // 3 images, 4 labels
    EXPECT_THROW(load_idx(dir.file("missing"), dir.file("labels")), Error);
}

TEST(Idx, FashionMnistFromTheDebianPackage) {
    if (!fs::exists(default_fashion_mnist_dir())) {
        GTEST_SKIP() << "dataset-fashion-mnist is not installed (tools/setup.sh installs it)";
    }
    const ImageSet test = load_fashion_mnist(default_fashion_mnist_dir(), "test");
    EXPECT_EQ(test.size(), 10000);
    EXPECT_EQ(test.height, 28);
    EXPECT_EQ(test.width, 28);
    std::vector<int> per_class(10, 0);
    for (std::int32_t y : test.labels.to_vector<std::int32_t>()) {
        ASSERT_GE(y, 0);
        ASSERT_LT(y, 10);
        per_class[y]++;
    }
    for (int c : per_class) EXPECT_EQ(c, 1000);  // the test split is balanced
    EXPECT_THROW(load_fashion_mnist(default_fashion_mnist_dir(), "validation"), Error);
}

TEST(Binarize, ThresholdAndSampledBits) {
    Tensor x = Tensor::from({0.0f, 0.49f, 0.51f, 1.0f}, {1, 4});
    EXPECT_EQ(binarize_threshold(x).to_vector<float>(), (std::vector<float>{0, 0, 1, 1}));
    const std::int64_t n = 20000;
    Tensor grey = test::filled({n, 1}, 0.3f);
    const auto bits = binarize_sample(grey, 5).to_vector<float>();
    double mean = 0;
    for (float b : bits) {
        ASSERT_TRUE(b == 0.0f || b == 1.0f);
        mean += b / n;
    }
    EXPECT_NEAR(mean, 0.3, 6 * std::sqrt(0.21 / n));
    EXPECT_EQ(bits, binarize_sample(grey, 5).to_vector<float>());
}

TEST(SafeTensors, RoundTripsTensorsAndMetadata) {
    TempDir dir;
    auto rng = test::fresh_rng();
    Tensor w = test::uniform_tensor(rng, {3, 5}, -1, 1), b = test::uniform_tensor(rng, {3}, -1, 1);
    Tensor y = Tensor::from(std::vector<std::int32_t>{7, -1}, {2});
    save_safetensors(dir.file("m.safetensors"), {{"W", w}, {"b", b}, {"labels", y}},
                     {{"format", "test"}, {"quote", "a \"b\""}});
    const SafeTensors f = load_safetensors(dir.file("m.safetensors"));
    EXPECT_EQ(f.at("W", {3, 5}).to_vector<float>(), w.to_vector<float>());
    EXPECT_EQ(f.at("b").to_vector<float>(), b.to_vector<float>());
    EXPECT_EQ(f.at("labels").to_vector<std::int32_t>(), (std::vector<std::int32_t>{7, -1}));
    EXPECT_EQ(f.metadata.at("quote"), "a \"b\"");
    EXPECT_THROW(f.at("missing"), Error);
    EXPECT_THROW(f.at("W", {5, 3}), Error);
    // Written as JSON escapes and read back: control characters, quotes, non-ASCII text.
    const std::string odd = "line\nbreak \x01 \"q\" \\ caf\xc3\xa9";
    save_safetensors(dir.file("odd.safetensors"), {{odd, b}}, {{odd, odd}});
    const SafeTensors g = load_safetensors(dir.file("odd.safetensors"));
    EXPECT_EQ(g.metadata.at(odd), odd);
    EXPECT_EQ(g.at(odd).to_vector<float>(), b.to_vector<float>());
    // Not UTF-8, a reserved name, a name given twice: refused before the file is touched.
    EXPECT_THROW(save_safetensors(dir.file("n"), {{"bad\xff", b}}), Error);
    EXPECT_THROW(save_safetensors(dir.file("n"), {{"__metadata__", b}}), Error);
    EXPECT_THROW(save_safetensors(dir.file("n"), {{"b", b}, {"b", b}}), Error);
    EXPECT_FALSE(fs::exists(dir.file("n")));
}

// The layout any safetensors reader expects: u64 little-endian header length, the
// JSON header padded with spaces to 8 bytes, then the data in header order.
TEST(SafeTensors, FileLayoutIsTheSafetensorsFormat) {
    TempDir dir;
    const Tensor a = Tensor::from({1.5f, -2.0f}, {2});
    save_safetensors(dir.file("x"), {{"a", a}});
    const auto bytes = read_bytes(dir.file("x"));
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = n << 8 | bytes[i];
    ASSERT_EQ(n % 8, 0u);
    ASSERT_EQ(bytes.size(), 8 + n + 8);
    const std::string header(bytes.begin() + 8, bytes.begin() + 8 + n);
    EXPECT_EQ(header.substr(0, header.find_last_not_of(' ') + 1),
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
    float v[2];
    std::memcpy(v, bytes.data() + 8 + n, 8);
    EXPECT_EQ(v[0], 1.5f);
    EXPECT_EQ(v[1], -2.0f);
}

// A full disk (RLIMIT_FSIZE below the new file's size) and an unwritable path: a clear
// error, the previous checkpoint intact, no temporary file left behind.
TEST(SafeTensors, AFailedWriteLeavesThePreviousCheckpoint) {
    TempDir dir;
    const std::string path = dir.file("model.safetensors");
    const Tensor small = Tensor::from({1.0f, 2.0f}, {2});
    save_safetensors(path, {{"a", small}}, {{"format", "test"}});
    const auto before = fs::file_size(path);
    const Tensor big = test::filled({1 << 16}, 3.0f);  // 256 KiB
    rlimit saved{};
    ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
    void (*old_handler)(int) = std::signal(SIGXFSZ, SIG_IGN);  // write fails with EFBIG instead of killing us
    rlimit low = saved;
    low.rlim_cur = 64 * 1024;
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &low), 0);
    try {
        save_safetensors(path, {{"a", big}}, {{"format", "test"}});
        ADD_FAILURE() << "a write beyond RLIMIT_FSIZE succeeded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("is unchanged"), std::string::npos) << e.what();
    }
    setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, old_handler);
    EXPECT_EQ(fs::file_size(path), before);
    EXPECT_EQ(load_safetensors(path).at("a").to_vector<float>(), small.to_vector<float>());
    EXPECT_FALSE(fs::exists(path + ".tmp"));
    // A folder that is a file: cannot be written.
    EXPECT_THROW(save_safetensors(path + "/inside.safetensors", {{"a", small}}), Error);
    EXPECT_EQ(load_safetensors(path).at("a").to_vector<float>(), small.to_vector<float>());
}

TEST(SafeTensors, CorruptFilesAreRejected) {
    TempDir dir;
    const Tensor a = Tensor::from({1, 2, 3, 4}, {2, 2});
    save_safetensors(dir.file("good"), {{"a", a}});
    const auto good = read_bytes(dir.file("good"));
    auto rejects = [&](std::vector<unsigned char> bytes, const std::string& fragment) {
        write_bytes(dir.file("bad"), bytes);
        try {
            load_safetensors(dir.file("bad"));
            ADD_FAILURE() << "accepted: " << fragment;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(dir.file("bad")), std::string::npos) << e.what();
        }
    };
    rejects({1, 2, 3}, "shorter");
    auto huge = good;
    huge[7] = 0x7f;
    rejects(huge, "header of");
    auto truncated = good;
    truncated.resize(truncated.size() - 4);
    rejects(truncated, "data_offsets");
    auto with_header = [&](const std::string& h) {
        std::string file(8, '\0');
        for (int i = 0; i < 8; ++i) file[i] = static_cast<char>(h.size() >> (8 * i));
        file += h + std::string(16, '\0');
        return std::vector<unsigned char>(file.begin(), file.end());
    };
    rejects(with_header("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}"), "F16");
    rejects(with_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}"), "data_offsets");
    rejects(with_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}"),
            "overlap");
    rejects(with_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]"), "JSON");
    rejects(with_header("[1, 2]"), "JSON");
    rejects(with_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}"), "integer");
    rejects(with_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}"), "integer");
    rejects(with_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}"),
            "\"a\" twice");
    rejects(with_header("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"),
            "\"dtype\" twice");
    rejects(with_header("{\"__metadata__\":{\"k\":7}}"), "not a string");
    rejects(with_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}"), "unknown field");
    EXPECT_THROW(load_safetensors(dir.file("absent")), Error);
}

// One reader and writer per model (ebmkit/checkpoint.hpp): the model comes back with
// its widths, activation and every parameter; a non-finite parameter is never written;
// a file missing a tensor or a key, or with widths its tensors disagree with, is refused.
TEST(Checkpoint, ModelsRoundTripAndBadOnesAreRefused) {
    auto rng = test::fresh_rng();
    const std::string path = (std::filesystem::temp_directory_path() / "ebmkit-checkpoint-test.safetensors").string();
    MlpEnergy model = test::random_mlp(rng, {5, 7, 3}, Activation::leaky_relu(0.3f));
    CheckpointContents c;
    add_model(c, model, "test");
    c.metadata["format"] = "test";
    c.write(path);
    SafeTensors file = load_safetensors(path);
    EXPECT_EQ(file.metadata.at("widths"), "5,7,3");
    const MlpEnergy back = read_mlp(file, Device::Host);
    EXPECT_EQ(back.widths(), model.widths());
    EXPECT_EQ(back.activation().kind, ActivationKind::LeakyRelu);
    EXPECT_FLOAT_EQ(back.activation().leaky_slope, 0.3f);
    for (int l = 0; l < 2; ++l) {
        EXPECT_EQ(back.weight(l).to_vector<float>(), model.weight(l).to_vector<float>());
        EXPECT_EQ(back.bias(l).to_vector<float>(), model.bias(l).to_vector<float>());
    }
    const auto metadata = file.metadata;
    file.metadata["widths"] = "5,8,3";
    EXPECT_THROW(read_mlp(file, Device::Host), Error);
    file.metadata["widths"] = "5,x,3";
    EXPECT_THROW(read_mlp(file, Device::Host), Error);
    file.metadata = metadata;
    file.metadata["activation"] = "swish";
    EXPECT_THROW(read_mlp(file, Device::Host), Error);
    for (ActivationKind k : {ActivationKind::Relu, ActivationKind::Elu, ActivationKind::Silu, ActivationKind::Tanh,
                             ActivationKind::Softplus}) {
        file.metadata["activation"] = to_string(k);
        EXPECT_EQ(read_mlp(file, Device::Host).activation().kind, k) << to_string(k);
    }
    file.metadata = metadata;
    file.metadata.erase("activation");
    EXPECT_THROW(read_mlp(file, Device::Host), Error);
    file.metadata = metadata;
    file.tensors.erase("layers.1.bias");
    EXPECT_THROW(read_mlp(file, Device::Host), Error);
    model.bias(1).data<float>()[2] = std::nanf("");
    CheckpointContents bad;
    EXPECT_THROW(add_model(bad, model, "test"), Error);

    Rbm rbm(6, 4);
    rbm.init_normal(3, 0.5f);
    rbm.b().data<float>()[1] = 0.25f;
    CheckpointContents r;
    add_model(r, rbm, "test");
    r.write(path);
    const Rbm rbm_back = read_rbm(load_safetensors(path), Device::Host);
    EXPECT_EQ(rbm_back.w().to_vector<float>(), rbm.w().to_vector<float>());
    EXPECT_EQ(rbm_back.b().to_vector<float>(), rbm.b().to_vector<float>());
    EXPECT_EQ(rbm_back.c().to_vector<float>(), rbm.c().to_vector<float>());
    rbm.c().data<float>()[0] = INFINITY;
    CheckpointContents bad_rbm;
    EXPECT_THROW(add_model(bad_rbm, rbm, "test"), Error);
    std::filesystem::remove(path);
}

// Bytes from a file never reach a message raw: a tensor name with control and
// non-ASCII bytes comes back escaped.
TEST(SafeTensors, MessagesHoldOnlyPrintableText) {
    TempDir dir;
    // The key is "a", U+0001 and U+00FF (UTF-8 c3 bf), escaped as JSON allows.
    const std::string header = "{\"a\\u0001\\u00ff\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
    std::vector<unsigned char> bytes(8, 0);
    for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(header.size() >> (8 * i));
    bytes.insert(bytes.end(), header.begin(), header.end());
    bytes.resize(bytes.size() + 8, 0);
    write_bytes(dir.file("odd"), bytes);
    try {
        load_safetensors(dir.file("odd"));
        ADD_FAILURE() << "an F64 tensor was accepted";
    } catch (const Error& e) {
        const std::string m = e.what();
        for (unsigned char c : m) EXPECT_TRUE((c >= 0x20 && c < 0x7f) || c == '\n') << "byte " << int(c) << " in " << m;
        EXPECT_NE(m.find("a\\x01\\xc3\\xbf"), std::string::npos) << m;
    }
    // Raw control and invalid UTF-8 bytes in the header: refused, and still no raw byte in the message.
    const std::string raw = "{\"a\x01\xff\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    std::vector<unsigned char> raw_bytes(8, 0);
    for (std::size_t i = 0; i < 8; ++i) raw_bytes[i] = static_cast<unsigned char>(raw.size() >> (8 * i));
    raw_bytes.insert(raw_bytes.end(), raw.begin(), raw.end());
    raw_bytes.resize(raw_bytes.size() + 4, 0);
    write_bytes(dir.file("raw"), raw_bytes);
    try {
        load_safetensors(dir.file("raw"));
        ADD_FAILURE() << "a header with raw control bytes was accepted";
    } catch (const Error& e) {
        const std::string m = e.what();
        for (unsigned char c : m) EXPECT_TRUE((c >= 0x20 && c < 0x7f) || c == '\n') << "byte " << int(c) << " in " << m;
    }
    EXPECT_EQ(printable("tab\tok\x7f\n"), "tab\tok\\x7f\n");
}

TEST(Png, GridHasTheRightSizeAndPixels) {
    TempDir dir;
    // Two 2x3 images: all black and all white, one column: grid 5 wide, 7 high.
    Tensor images = Tensor::from({0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}, {2, 6});
    write_png_grid(dir.file("g.png"), images, 2, 3, 1);
    const auto b = read_bytes(dir.file("g.png"));
    ASSERT_GT(b.size(), 33u);
    EXPECT_EQ(std::vector<unsigned char>(b.begin(), b.begin() + 8),
              (std::vector<unsigned char>{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}));
    EXPECT_EQ(b[24], 8);  // IHDR: bit depth
    EXPECT_EQ(b[25], 0);  // greyscale
    const test::Image png = test::read_png(dir.file("g.png"));
    ASSERT_EQ(png.width, 5);   // 1 + 3 + 1
    ASSERT_EQ(png.height, 7);  // 1 + 2 + 1 + 2 + 1
    ASSERT_EQ(png.channels, 1);
    EXPECT_EQ(png.at(2, 1), 0);    // first image
    EXPECT_EQ(png.at(3, 4), 255);  // second image
    EXPECT_EQ(png.at(0, 0), 128);  // border
    EXPECT_THROW(write_png_grid(dir.file("x.png"), images, 3, 3, 1), Error);
    EXPECT_THROW(write_png_grid(dir.file("absent/x.png"), images, 2, 3, 1), Error);
}

}  // namespace
}  // namespace ebmkit
