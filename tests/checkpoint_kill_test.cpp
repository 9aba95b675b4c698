// Checkpoints that survive a crash: a process saving a JEM checkpoint after every
// iteration is killed (SIGKILL) at 20 random moments, many of them inside a save.
// After every kill the checkpoint on disk loads, and resuming from it gives, two
// iterations later, the bits of the uninterrupted run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "checkpoint_run.hpp"

namespace ebmkit {
namespace {

std::vector<float> parameters_of(const MlpEnergy& m) {
    std::vector<float> out;
    for (const ConstTensorView& t : m.parameters()) {
        const auto v = t.to_vector<float>();
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

TEST(CheckpointKill, TheCheckpointOnDiskAlwaysLoadsAndResumesBitForBit) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("ebmkit-kill-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    const std::string path = (dir / "jem.safetensors").string();
    std::mt19937_64 rng(std::random_device{}());
    // The uninterrupted run's parameters after each iteration, filled as far as needed.
    test::CheckpointRun reference;
    std::vector<std::vector<float>> after{parameters_of(reference.model)};
    auto reference_after = [&](std::int64_t iterations) -> const std::vector<float>& {
        while (static_cast<std::int64_t>(after.size()) <= iterations) {
            reference.step();
            after.push_back(parameters_of(reference.model));
        }
        return after[iterations];
    };
    for (int kill_round = 0; kill_round < 20; ++kill_round) {
        const pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            execl(CHECKPOINT_WRITER, CHECKPOINT_WRITER, path.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        // Once the first checkpoint exists (the process has started, whatever the load on
        // the machine), a random moment within the next iterations and saves.
        for (int waited = 0; waited < 3000 && !fs::exists(path); ++waited) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ASSERT_TRUE(fs::exists(path)) << "the writer saved nothing in 30 s";
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 60000)(rng)));
        kill(pid, SIGKILL);
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited on its own";
        test::CheckpointRun resumed;
        ASSERT_NO_THROW(resumed.trainer.load(path)) << "kill " << kill_round << " left a checkpoint that does not load";
        const std::int64_t at = resumed.trainer.iterations();
        resumed.next = at;
        resumed.step();
        resumed.step();
        EXPECT_EQ(parameters_of(resumed.model), reference_after(at + 2)) << "kill " << kill_round << " at iteration " << at;
        fs::remove(path);
    }
    fs::remove_all(dir);
}

}  // namespace
}  // namespace ebmkit
